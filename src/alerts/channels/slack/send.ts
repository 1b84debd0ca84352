/**
 * Sends one formatted message to a Slack incoming webhook and says what came of it
 * (docs/platform.md "Slack incoming webhooks"). Slack answers in plain text: `ok`, or an
 * error code with a 4xx or 5xx status.
 */
import { redactSecrets } from "../../../lib/redact.js";
import { type SendOutcome, type SenderOptions, classifyStatus, fetchWithTimeout, parseRetryAfterMs, truncate } from "../../../lib/http.js";
import { slackWebhookParts } from "../../../lib/slack-url.js";

/** What each permanent answer means for the person fixing the route. */
const PERMANENT_HINTS: Record<string, string> = {
  no_service: "the webhook was removed or its app uninstalled; create a new one and update the route",
  invalid_token: "Slack rejected the webhook's token; copy the webhook URL again and update the route",
  channel_is_archived: "the channel was archived; unarchive it or point the route at another webhook",
  channel_not_found: "the channel no longer exists; point the route at another webhook",
  action_prohibited: "a workspace admin restricted posting to this channel",
  invalid_payload: "Slack rejected the payload (a formatting bug in jobmon)",
  invalid_blocks: "Slack rejected the blocks (a formatting bug in jobmon)",
  invalid_blocks_format: "Slack rejected the blocks (a formatting bug in jobmon)",
  no_text: "Slack rejected a message without text (a formatting bug in jobmon)",
};

export async function sendSlack(webhookUrl: string, message: unknown, opts: SenderOptions & { secrets?: readonly string[] } = {}): Promise<SendOutcome> {
  const parts = slackWebhookParts(webhookUrl);
  const secrets = [...(opts.secrets ?? []), webhookUrl, ...(parts ? [parts.secret] : [])];
  const redact = (text: string): string => redactSecrets(text, secrets);
  const label = parts ? `Slack webhook ${parts.workspace}/${parts.hook}` : "Slack webhook (unrecognised URL)";
  if (parts === null) return { ok: false, kind: "permanent", error: `${label}: not a Slack incoming webhook URL` };

  let body: string;
  try {
    body = JSON.stringify(message);
  } catch (error) {
    return { ok: false, kind: "permanent", error: `${label}: the payload cannot be serialised to JSON (${String(error)})` };
  }

  const result = await fetchWithTimeout(webhookUrl, { method: "POST", headers: { "Content-Type": "application/json; charset=utf-8" }, body }, opts);
  if (result.kind === "failed") return { ok: false, kind: "transient", error: redact(`${label}: ${result.error}`) };

  const { status, headers } = result;
  if (status >= 200 && status < 300) return { ok: true, status };
  const answer = result.text.trim();
  const code = /^[a-z_]{2,60}$/.test(answer) ? answer : undefined;
  const summary = `${status}${answer ? ` ${truncate(answer, 300)}` : ""}`;

  if (classifyStatus(status) === "transient") {
    // 429 rate_limited (about one message a second per webhook), 5xx such as rollup_error.
    const retryAfterMs = parseRetryAfterMs(headers.get("retry-after"));
    const error = redact(`${label}: ${status === 429 ? "rate limited" : "Slack failed"} (${summary})${retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : ""}`);
    return retryAfterMs !== undefined ? { ok: false, kind: "transient", status, error, retryAfterMs } : { ok: false, kind: "transient", status, error };
  }
  // 400 invalid_payload/invalid_blocks, 403 invalid_token/action_prohibited, 404 no_service/
  // channel_not_found, 410 channel_is_archived: the same request fails the same way again.
  const hint = code === undefined ? undefined : PERMANENT_HINTS[code];
  return { ok: false, kind: "permanent", status, error: redact(`${label}: ${summary}${hint ? `: ${hint}` : ""}`) };
}
