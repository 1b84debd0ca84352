/**
 * Sends one already formatted (HTML) message through the Telegram Bot API and says what
 * came of it. Escaping and the 4096-character limit are format.ts's job.
 * Facts: docs/platform.md "Telegram Bot API".
 */
import { REDACTED } from "../../../lib/redact.js";
import {
  type SendOutcome,
  type SenderOptions,
  classifyStatus,
  fetchWithTimeout,
  isRecord,
  maxDefined,
  parseJson,
  parseRetryAfterMs,
  scrubSecrets,
  secondsToMs,
  truncate,
} from "../../../lib/http.js";

export type { SendOutcome, SenderOptions } from "../../../lib/http.js";

/**
 * The bot token sits in the request URL (`/bot<token>/sendMessage`), so any error that
 * echoes the URL (Deno's fetch does) would leak it. Everything returned goes through here.
 */
export function redactTelegramToken(text: string, botToken?: string): string {
  const scrubbed = botToken !== undefined ? scrubSecrets(text, [botToken]) : text;
  // Tokens look like `123456789:AA…` (35 characters after the colon).
  return scrubbed.replace(/\/bot[^/\s?#"']+/g, `/bot${REDACTED}`).replace(/\b\d{5,}:[A-Za-z0-9_-]{30,}\b/g, REDACTED);
}

export function telegramSendMessageUrl(apiBaseUrl: string, botToken: string): string {
  return `${apiBaseUrl.replace(/\/+$/, "")}/bot${botToken}/sendMessage`;
}

export async function sendTelegram(
  apiBaseUrl: string,
  botToken: string,
  chatId: string,
  text: string,
  opts: SenderOptions = {},
): Promise<SendOutcome> {
  const first = await sendOnce(apiBaseUrl, botToken, chatId, text, opts);
  if (first.migrateTo === undefined) return first.outcome;

  // A group upgraded to a supergroup gets a new id; the old one answers 400 with
  // `migrate_to_chat_id` forever (docs/platform.md). Follow it once and report it so the caller
  // stores the new id; a second migration in a row is not chased.
  const migratedChatId = first.migrateTo;
  const second = await sendOnce(apiBaseUrl, botToken, migratedChatId, text, opts);
  if (second.migrateTo !== undefined) {
    return {
      ok: false,
      kind: "permanent",
      status: 400,
      error: `Telegram chat ${chatId} migrated to ${migratedChatId}, which says it migrated again to ${second.migrateTo}; update the chat id by hand`,
      migratedChatId,
    };
  }
  return { ...second.outcome, migratedChatId };
}

async function sendOnce(
  apiBaseUrl: string,
  botToken: string,
  chatId: string,
  text: string,
  opts: SenderOptions,
): Promise<{ outcome: SendOutcome; migrateTo?: string }> {
  const redact = (message: string): string => redactTelegramToken(message, botToken);
  const label = `Telegram chat ${chatId}`;
  const body = JSON.stringify({
    chat_id: chatId,
    text,
    parse_mode: "HTML",
    link_preview_options: { is_disabled: true },
  });

  let url: string;
  try {
    url = telegramSendMessageUrl(apiBaseUrl, botToken);
    if (!/^https?:$/.test(new URL(url).protocol)) throw new Error("not http(s)");
  } catch {
    return { outcome: { ok: false, kind: "permanent", error: redact(`${label}: the Bot API URL is not a valid http(s) URL: ${apiBaseUrl}`) } };
  }

  const result = await fetchWithTimeout(url, { method: "POST", headers: { "Content-Type": "application/json" }, body }, opts);
  if (result.kind === "failed") {
    return { outcome: { ok: false, kind: "transient", error: redact(`${label}: ${result.error}`) } };
  }

  const { status, headers } = result;
  const json = parseJson(result.text);
  const answer = isRecord(json) ? json : undefined;

  if (status >= 200 && status < 300 && answer?.["ok"] === true) {
    const resultObj = answer["result"];
    const messageId = isRecord(resultObj) ? resultObj["message_id"] : undefined;
    return {
      outcome: typeof messageId === "number" || typeof messageId === "string" ? { ok: true, status, messageId: String(messageId) } : { ok: true, status },
    };
  }

  const description = typeof answer?.["description"] === "string" ? answer["description"] : undefined;
  const parameters = isRecord(answer?.["parameters"]) ? answer["parameters"] : undefined;
  const summary = `${status}${description ? ` ${description}` : result.text.trim() ? ` ${truncate(result.text.trim(), 300)}` : ""}`;
  const permanent = (error: string): { outcome: SendOutcome } => ({ outcome: { ok: false, kind: "permanent", status, error: redact(error) } });
  const transient = (error: string, retryAfterMs?: number): { outcome: SendOutcome } => ({
    outcome:
      retryAfterMs !== undefined
        ? { ok: false, kind: "transient", status, error: redact(error), retryAfterMs }
        : { ok: false, kind: "transient", status, error: redact(error) },
  });

  const migrateTo = parameters?.["migrate_to_chat_id"];
  if (typeof migrateTo === "number" || (typeof migrateTo === "string" && migrateTo !== "")) {
    return { ...permanent(`${label}: ${summary}`), migrateTo: String(migrateTo) };
  }

  if (status === 429) {
    const retryAfterMs = maxDefined(secondsToMs(parameters?.["retry_after"]), parseRetryAfterMs(headers.get("retry-after")));
    const wait = retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : "";
    return transient(`${label}: rate limited (${summary})${wait}`, retryAfterMs);
  }
  if (status === 401) {
    return permanent(`${label}: ${summary}: Telegram rejected the bot token; check it with @BotFather and update the route`);
  }
  if (status === 404) {
    // The Bot API answers 404 for a malformed token as well as for an unknown method.
    return permanent(`${label}: ${summary}: the bot token is malformed or the Bot API URL is wrong`);
  }
  if (status === 403) {
    // "bot was blocked by the user", "bot was kicked from the group chat", "bot is not a
    // member of the channel chat": nothing gets through until someone re-adds the bot.
    return permanent(`${label}: ${summary}: the bot cannot write to this chat; unblock or re-add the bot, or change the route`);
  }
  if (status === 400) {
    const lower = (description ?? "").toLowerCase();
    if (lower.includes("can't parse entities")) {
      return permanent(`${label}: ${summary}: Telegram could not parse the message HTML (a formatting bug in jobmon)`);
    }
    if (lower.includes("message is too long") || lower.includes("message text is empty")) {
      return permanent(`${label}: ${summary}: the message breaks Telegram's 1-4096 character limit (a formatting bug in jobmon)`);
    }
    if (lower.includes("chat not found")) {
      return permanent(`${label}: ${summary}: check the chat id and that the bot was added to the chat`);
    }
    return permanent(`${label}: ${summary}`);
  }

  if (classifyStatus(status) === "transient") {
    return transient(`${label}: ${summary}`, parseRetryAfterMs(headers.get("retry-after")));
  }
  if (status >= 200 && status < 300) {
    // A 2xx without `ok: true` is not the Bot API talking (a proxy, a captive portal).
    return permanent(`${label}: ${summary}: the answer is not a Bot API response; check the Bot API URL`);
  }
  return permanent(`${label}: ${summary}`);
}
