import { noRouteHint } from "../../../src/alerts/channels/index.js";
import { sendAdHocAlert } from "../../../src/alerts/deliver.js";
import { redactSecrets } from "../../../src/lib/redact.js";
import { processEnv } from "../../../src/env.js";
import { parseAlertBody } from "./alert-body.js";
import { authorize, SECRET_VARIABLE } from "./auth.js";
import { errorResponse, json, readJsonBody, requirePost } from "./http.js";
import { withMonitor } from "./run.js";

/**
 * send-alert: POST `{criticality, title, message, project?, job?}`
 * routes one ad-hoc alert exactly like the check's alerts (alert_config rows, else the
 * environment's defaults — Telegram, Discord, Slack, the signed webhook — fallbacks,
 * formatting, redaction). It is
 * recorded in the hub's outbox first, so a channel that is down now gets it on the next check.
 *
 * 200: delivered, with the routes it reached. 202: recorded but not delivered yet (a
 * channel is down; the next check retries). 400: a bad body, every problem listed.
 * 500: no route at all, or a failure. 401/405/413: see auth.ts and http.ts.
 */
export async function sendAlert(request: Request): Promise<Response> {
  const env = processEnv();
  const refused = requirePost(request) ?? (await authorize(request, env[SECRET_VARIABLE]));
  if (refused) return refused;
  const body = await readJsonBody(request);
  if (!body.ok) return body.response;
  const parsed = parseAlertBody(body.value);
  if (!parsed.ok) {
    const message = parsed.problems.map((p) => `${p.field}: ${p.problem}`).join("; ");
    return errorResponse(400, "invalid_request", message, { problems: parsed.problems });
  }
  return withMonitor("send-alert", env, async (monitor, config) => {
    const result = await sendAdHocAlert(config, await monitor.hub(), parsed.alert);
    const where = result.delivered_to.length ? result.delivered_to.join(", ") : "nowhere yet";
    const title = redactSecrets(parsed.alert.title.slice(0, 80), config.secrets);
    console.log(`send-alert: ${parsed.alert.criticality} "${title}" → ${where}${result.pending ? ` (${result.pending} pending)` : ""}`);
    if (result.delivered_to.length > 0) return json(200, { ok: true, ...result });
    if (result.pending > 0) return json(202, { ok: false, queued: true, ...result });
    return errorResponse(500, "undeliverable", `no alert route is configured: ${noRouteHint()}`, { ...result });
  });
}
