/**
 * Discord: webhook messages with embeds (docs/platform.md "Discord webhooks"). Formatting:
 * format.ts (detailed) and compact.ts; escaping, colours and the payload: markup.ts;
 * limits: limits.ts; the sender: send.ts.
 */
import { z } from "zod";
import type { Channel } from "../../channel.js";
import { type DiscordWebhookPayload, discordJobsLayout, formatDiscord } from "./format.js";
import { sendDiscord } from "./send.js";

export interface DiscordTarget {
  webhookUrl: string;
}

export const discord: Channel<DiscordTarget, DiscordWebhookPayload> = {
  name: "discord",
  label: "Discord",
  // Roughly 5 requests per 2 s per webhook.
  minIntervalMs: 400,
  envHint: "DISCORD_WEBHOOK_URL",
  rowSchema: () =>
    z
      .object({ webhook_url: z.string({ error: "webhook_url is required" }).trim().min(1, "webhook_url is required") })
      .transform((row) => ({ webhookUrl: row.webhook_url })),
  fromEnvironment: (config) =>
    config.discord.webhookUrl
      ? [{ id: "env:discord", name: "Discord (DISCORD_WEBHOOK_URL)", serves: ["important", "low"], target: { webhookUrl: config.discord.webhookUrl } }]
      : [],
  format: formatDiscord,
  send: (target, payload, context) => sendDiscord(target.webhookUrl, payload, context),
  jobsLayout: discordJobsLayout,
};
