/**
 * Telegram: HTML messages through the Bot API's `sendMessage` (docs/platform.md "Telegram
 * Bot API"). Formatting: format.ts (detailed) and compact.ts; escaping and counting:
 * markup.ts; limits: limits.ts; the sender: send.ts.
 */
import { z } from "zod";
import type { Channel } from "../../channel.js";
import { formatTelegram, telegramJobsLayout } from "./format.js";
import { sendTelegram } from "./send.js";

export interface TelegramTarget {
  apiUrl: string;
  botToken: string;
  chatId: string;
}

export const telegram: Channel<TelegramTarget, string> = {
  name: "telegram",
  label: "Telegram",
  // About one message a second per chat.
  minIntervalMs: 1_000,
  envHint: "TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID",
  rowSchema: (config) =>
    z
      .object({
        bot_token: z.string({ error: "bot_token is required" }).trim().min(1, "bot_token is required"),
        chat_id: z.string({ error: "chat_id is required" }).trim().min(1, "chat_id is required"),
      })
      .transform((row) => ({ apiUrl: config.telegram.apiUrl, botToken: row.bot_token, chatId: row.chat_id })),
  fromEnvironment: (config) =>
    config.telegram.botToken && config.telegram.chatId
      ? [
          {
            id: "env:telegram",
            name: "Telegram (TELEGRAM_CHAT_ID)",
            serves: ["critical"],
            target: { apiUrl: config.telegram.apiUrl, botToken: config.telegram.botToken, chatId: config.telegram.chatId },
          },
        ]
      : [],
  format: formatTelegram,
  send: (target, text, context) => sendTelegram(target.apiUrl, target.botToken, context.override ?? target.chatId, text, context),
  jobsLayout: telegramJobsLayout,
  overrideNote: (route, chatId) => `Telegram chat of ${route} was upgraded to a supergroup: now sending to ${chatId}`,
};
