/**
 * Posts one signed body to the webhook and says what came of it: 2xx delivered; 408, 425,
 * 429 and 5xx transient (Retry-After honoured); timeouts and connection errors transient;
 * anything else, redirects included (they are not followed: the signature goes to the
 * configured URL only), permanent.
 */
import { redactSecrets, redactUrl } from "../../../lib/redact.js";
import { type SendOutcome, type SenderOptions, classifyStatus, fetchWithTimeout, parseRetryAfterMs, truncate } from "../../../lib/http.js";
import { type WebhookMessage, webhookBody } from "./body.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from "./sign.js";

export interface WebhookSendOptions extends SenderOptions {
  secrets?: readonly string[];
  now?: () => Date;
}

/** `https://host:port` of the URL: never its path, query or credentials, which may hold tokens. */
function origin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return /^https?:$/.test(parsed.protocol) ? parsed.origin : null;
  } catch {
    return null;
  }
}

export async function sendWebhook(url: string, secret: string, message: WebhookMessage, opts: WebhookSendOptions = {}): Promise<SendOutcome> {
  const secrets = [...(opts.secrets ?? []), url, secret];
  const redact = (text: string): string => redactSecrets(text, secrets);
  const host = origin(url);
  const label = `Webhook ${host ?? "(unrecognised URL)"}`;
  if (host === null) return { ok: false, kind: "permanent", error: redact(`${label}: not a valid http(s) URL: ${redactUrl(url, secrets)}`) };

  const sentAt = (opts.now ?? (() => new Date()))();
  const timestamp = Math.floor(sentAt.getTime() / 1000);
  const body = JSON.stringify(webhookBody(message, sentAt));
  const signature = await webhookSignature(secret, timestamp, body);
  const headers = {
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "jobmon-webhook/1",
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signature,
  };
  const result = await fetchWithTimeout(url, { method: "POST", headers, body, redirect: "manual" }, opts);
  if (result.kind === "failed") return { ok: false, kind: "transient", error: redact(`${label}: ${result.error}`) };

  const { status } = result;
  if (status >= 200 && status < 300) return { ok: true, status };
  const answer = result.text.trim();
  const summary = redact(`${label}: ${status}${answer ? ` ${truncate(answer, 300)}` : ""}`);
  if (classifyStatus(status) === "transient") {
    const retryAfterMs = parseRetryAfterMs(result.headers.get("retry-after"));
    return retryAfterMs !== undefined ? { ok: false, kind: "transient", status, error: summary, retryAfterMs } : { ok: false, kind: "transient", status, error: summary };
  }
  const hint =
    status >= 300 && status < 400
      ? ": redirects are not followed; configure the final URL"
      : status === 401 || status === 403
        ? ": the receiver refused the request; check that it verifies with the same secret"
        : "";
  return { ok: false, kind: "permanent", status, error: `${summary}${hint}` };
}
