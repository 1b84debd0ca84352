/**
 * Sends one already formatted message to a Discord webhook and says what came of it.
 * Formatting (limits, allowed_mentions) is format.ts's job; this file only speaks HTTP.
 * Facts: docs/platform.md "Discord webhooks".
 */
import { REDACTED } from "../../../lib/redact.js";
import {
  type SendOutcome,
  type SenderOptions,
  MAX_ERROR_BODY_CHARS,
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

/** `/api/webhooks/<id>/<token>`, also with an API version (`/api/v10/webhooks/…`). */
const WEBHOOK_PATH = /(\/api(?:\/v\d+)?\/webhooks\/[^/?#\s"']+\/)([^/?#\s"']+)/g;

/**
 * The webhook token is a credential: anyone holding the URL can post to the channel. Every
 * error string goes through here so the token never reaches logs, the hub or other channels.
 */
export function redactDiscordWebhook(text: string, webhookUrl?: string): string {
  const secrets: string[] = [];
  if (webhookUrl !== undefined) {
    const token = webhookParts(webhookUrl)?.token;
    if (token) secrets.push(token);
  }
  return scrubSecrets(text, secrets).replace(WEBHOOK_PATH, `$1${REDACTED}`);
}

function webhookParts(webhookUrl: string): { id: string; token: string } | undefined {
  const match = /\/api(?:\/v\d+)?\/webhooks\/([^/?#\s]+)\/([^/?#\s]+)/.exec(webhookUrl);
  if (!match || match[1] === undefined || match[2] === undefined) return undefined;
  return { id: match[1], token: match[2] };
}

/**
 * `wait=true` makes Discord answer with the saved message (and its id), and makes a
 * rejected payload an error: without it a failed save returns 204 and no error
 * (docs/platform.md). Other query parameters (`thread_id`) are kept.
 */
export function withWaitTrue(webhookUrl: string): string {
  const url = new URL(webhookUrl);
  url.searchParams.set("wait", "true");
  return url.toString();
}

export async function sendDiscord(webhookUrl: string, payload: unknown, opts: SenderOptions = {}): Promise<SendOutcome> {
  const redact = (text: string): string => redactDiscordWebhook(text, webhookUrl);
  const label = `Discord webhook ${webhookParts(webhookUrl)?.id ?? "(unrecognised URL)"}`;

  let target: string;
  try {
    target = withWaitTrue(webhookUrl);
    if (!/^https?:$/.test(new URL(target).protocol)) throw new Error("not http(s)");
  } catch {
    return { ok: false, kind: "permanent", error: redact(`${label}: the webhook URL is not a valid http(s) URL: ${webhookUrl}`) };
  }

  let body: string;
  try {
    body = JSON.stringify(payload);
  } catch (error) {
    return { ok: false, kind: "permanent", error: `${label}: the payload cannot be serialised to JSON (${String(error)})` };
  }

  const result = await fetchWithTimeout(target, { method: "POST", headers: { "Content-Type": "application/json" }, body }, opts);
  if (result.kind === "failed") {
    return { ok: false, kind: "transient", error: redact(`${label}: ${result.error}`) };
  }
  return classifyDiscordResponse(result.status, result.headers, result.text, label, redact);
}

function classifyDiscordResponse(
  status: number,
  headers: Headers,
  text: string,
  label: string,
  redact: (text: string) => string,
): SendOutcome {
  const json = parseJson(text);
  const body = isRecord(json) ? json : undefined;

  if (status >= 200 && status < 300) {
    const id = body?.["id"];
    return typeof id === "string" ? { ok: true, status, messageId: id } : { ok: true, status };
  }

  const code = typeof body?.["code"] === "number" ? body["code"] : undefined;
  const message = typeof body?.["message"] === "string" ? body["message"] : undefined;
  const summary = `${status}${message ? ` ${message}` : ""}${code !== undefined ? ` (code ${code})` : ""}`;

  if (status === 429) {
    // Body `retry_after` is float seconds, the header whole seconds; wait for the larger so
    // neither limit is hit again (docs/platform.md: "honour the headers").
    const retryAfterMs = maxDefined(secondsToMs(body?.["retry_after"]), parseRetryAfterMs(headers.get("retry-after")));
    const scope = body?.["global"] === true ? "global rate limit" : "rate limited";
    const wait = retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : "";
    const error = redact(`${label}: ${scope} (${summary})${wait}`);
    return retryAfterMs !== undefined ? { ok: false, kind: "transient", status, error, retryAfterMs } : { ok: false, kind: "transient", status, error };
  }

  if (status === 404) {
    // 10015 Unknown Webhook: the webhook was deleted; it will not come back (docs/platform.md).
    return {
      ok: false,
      kind: "permanent",
      status,
      error: redact(`${label}: ${summary}: the webhook no longer exists; create a new one and update the route`),
    };
  }
  if (status === 401 || status === 403) {
    // 50027 Invalid Webhook Token: the URL's token is wrong or was regenerated.
    return {
      ok: false,
      kind: "permanent",
      status,
      error: redact(`${label}: ${summary}: Discord rejected the webhook token; copy the webhook URL again and update the route`),
    };
  }
  if (status === 400) {
    // Discord's 50035 body names the offending field (`embeds.0.fields.3.value`): keep it.
    return {
      ok: false,
      kind: "permanent",
      status,
      error: redact(`${label}: ${summary}: Discord rejected the payload (a formatting bug in jobmon): ${truncate(text, MAX_ERROR_BODY_CHARS)}`),
    };
  }

  const kind = classifyStatus(status) === "transient" ? "transient" : "permanent";
  const retryAfterMs = kind === "transient" ? parseRetryAfterMs(headers.get("retry-after")) : undefined;
  const error = redact(`${label}: ${summary}${body ? "" : text.trim() ? `: ${truncate(text.trim(), 300)}` : ""}`);
  if (kind === "transient") {
    return retryAfterMs !== undefined ? { ok: false, kind, status, error, retryAfterMs } : { ok: false, kind, status, error };
  }
  return { ok: false, kind, status, error };
}
