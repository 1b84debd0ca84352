import type { AdHocAlert } from "../../../src/alerts/deliver.js";
import { CRITICALITIES, isCriticality } from "../../../src/types.js";

/**
 * The send-alert request body (the seed's `send_alert`):
 * `{criticality, title, message, project?, job?}`. Unknown fields are refused, so a typo
 * (`"severity"`, `"text"`) is an error rather than an alert routed as something else.
 * The limits are the channels' own: Discord caps an embed title at 256 characters and
 * Telegram a message at 4096 (docs/platform.md); the formatter still truncates to fit.
 */
export const ALERT_LIMITS = { title: 256, message: 4000, project: 200, job: 200 } as const;

const FIELDS = ["criticality", "title", "message", "project", "job"] as const;

export interface BodyProblem {
  field: string;
  problem: string;
}

export type ParsedAlert = { ok: true; alert: AdHocAlert } | { ok: false; problems: BodyProblem[] };

export function parseAlertBody(body: unknown): ParsedAlert {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: "(body)", problem: 'expected a JSON object such as {"criticality": "critical", "title": "…", "message": "…"}' }] };
  }
  const input = body as Record<string, unknown>;
  const problems: BodyProblem[] = [];
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) problems.push({ field: key.slice(0, 60), problem: `unknown field (expected ${FIELDS.join(", ")})` });
  }

  const criticality = input["criticality"];
  if (!isCriticality(criticality)) {
    problems.push({ field: "criticality", problem: `must be one of ${CRITICALITIES.join(", ")}${criticality === undefined ? "" : ` (got ${JSON.stringify(criticality)?.slice(0, 40)})`}` });
  }
  const title = requiredText(input, "title", ALERT_LIMITS.title, problems);
  const message = requiredText(input, "message", ALERT_LIMITS.message, problems);
  const project = optionalText(input, "project", ALERT_LIMITS.project, problems);
  const job = optionalText(input, "job", ALERT_LIMITS.job, problems);

  if (problems.length > 0 || !isCriticality(criticality) || title === null || message === null) return { ok: false, problems };
  return { ok: true, alert: { criticality, title, message, project, job } };
}

function requiredText(input: Record<string, unknown>, field: string, max: number, problems: BodyProblem[]): string | null {
  const value = input[field];
  if (typeof value !== "string" || value.trim() === "") {
    problems.push({ field, problem: value === undefined ? "is required (a non-empty string)" : "must be a non-empty string" });
    return null;
  }
  if (value.length > max) {
    problems.push({ field, problem: `is ${value.length} characters long; at most ${max}` });
    return null;
  }
  return value.trim();
}

function optionalText(input: Record<string, unknown>, field: string, max: number, problems: BodyProblem[]): string | null {
  const value = input[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.trim() === "") {
    problems.push({ field, problem: "must be a non-empty string when given" });
    return null;
  }
  if (value.length > max) {
    problems.push({ field, problem: `is ${value.length} characters long; at most ${max}` });
    return null;
  }
  return value.trim();
}
