/**
 * Slack: Block Kit messages through an incoming webhook (docs/platform.md "Slack incoming
 * webhooks"). Formatting: format.ts; escaping: markup.ts; limits: limits.ts; the URL's
 * shape: url.ts; the sender: send.ts.
 */
import { z } from "zod";
import type { Channel } from "../../channel.js";
import { type SlackMessage, formatSlack, slackJobsLayout } from "./format.js";
import { sendSlack } from "./send.js";
import { SLACK_URL_SHAPE, slackWebhookProblem } from "../../../lib/slack-url.js";

export interface SlackTarget {
  webhookUrl: string;
}

export const slack: Channel<SlackTarget, SlackMessage> = {
  name: "slack",
  label: "Slack",
  // About one message a second per webhook.
  minIntervalMs: 1_000,
  envHint: "SLACK_WEBHOOK_URL",
  rowSchema: () =>
    z
      .object({
        webhook_url: z
          .string({ error: "webhook_url is required" })
          .trim()
          .refine((url) => slackWebhookProblem(url) === null, { message: `webhook_url is not a Slack incoming webhook URL (expected ${SLACK_URL_SHAPE})` }),
      })
      .transform((row) => ({ webhookUrl: row.webhook_url })),
  // A chat channel like Discord: important and low (critical falls back here without Telegram).
  fromEnvironment: (config) =>
    config.slack.webhookUrl
      ? [{ id: "env:slack", name: "Slack (SLACK_WEBHOOK_URL)", serves: ["important", "low"], target: { webhookUrl: config.slack.webhookUrl } }]
      : [],
  format: formatSlack,
  send: (target, message, context) => sendSlack(target.webhookUrl, message, context),
  jobsLayout: slackJobsLayout,
};
