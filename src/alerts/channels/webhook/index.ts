/**
 * The generic signed webhook: a versioned JSON body POSTed to any http(s) URL, signed with
 * HMAC-SHA256 (docs/webhook.md). The body: body.ts; the signature: sign.ts; bounds:
 * limits.ts; the sender: send.ts.
 */
import { z } from "zod";
import type { Channel } from "../../channel.js";
import { MIN_WEBHOOK_SECRET_LENGTH } from "../../../config.js";
import { type WebhookMessage, formatWebhook } from "./body.js";
import { sendWebhook } from "./send.js";

export interface WebhookTarget {
  url: string;
  secret: string;
}

const httpUrl = z.url({ protocol: /^https?$/, error: "webhook_url is not a valid http(s) URL" });

export const webhook: Channel<WebhookTarget, WebhookMessage> = {
  name: "webhook",
  label: "Webhook",
  minIntervalMs: 0,
  envHint: "JOBMON_WEBHOOK_URL + JOBMON_WEBHOOK_SECRET",
  rowSchema: () =>
    z
      .object({
        webhook_url: z.string({ error: "webhook_url is required" }).trim().pipe(httpUrl),
        secret: z
          .string({ error: "secret is required (the key requests are signed with)" })
          .min(MIN_WEBHOOK_SECRET_LENGTH, `secret must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters long`),
      })
      .transform((row) => ({ url: row.webhook_url, secret: row.secret })),
  // A machine receiver: a copy of every alert, whatever the chat routes get (it filters on
  // `criticality` itself), and no part in their fallbacks.
  fromEnvironment: (config) =>
    config.webhook.url && config.webhook.secret
      ? [{ id: "env:webhook", name: "Webhook (JOBMON_WEBHOOK_URL)", serves: ["all"], target: { url: config.webhook.url, secret: config.webhook.secret }, copy: true }]
      : [],
  format: formatWebhook,
  send: (target, message, context) => sendWebhook(target.url, target.secret, message, context),
  // No layout to mirror: a preview shows each change in full.
  jobsLayout: () => "detailed",
};
