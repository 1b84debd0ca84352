/**
 * The body of the signed webhook, version 1 (docs/webhook.md is its reference: change both
 * together, and never change the meaning of a field of version 1):
 *
 *   {"version": 1, "type": "jobmon.alerts", "sent_at": "<ISO 8601>", "changes": [Change, …]}
 *
 * Every text is redacted (../../layout/common.ts `prepare`) and cut to limits.ts; nothing
 * is escaped: it is JSON, and the receiver decides how to show it.
 */
import { type Sections, displayInstant, isReminder, prepare } from "../../layout/common.js";
import { type FormatOptions } from "../../layout/common.js";
import { fitText } from "../../layout/fit.js";
import { jobDashboardUrl, projectDashboardUrl } from "../../layout/studio-links.js";
import type { AlertEntry, JobAlert, MessageAlert, ProjectAlert } from "../../types.js";
import { WEBHOOK_LIMITS } from "./limits.js";

export const WEBHOOK_BODY_VERSION = 1;
export const WEBHOOK_BODY_TYPE = "jobmon.alerts";

export interface WebhookChange {
  /** The outbox event: the same id when a change is delivered twice (deduplicate on it). */
  event_id: string;
  type: "job" | "project" | "message";
  project: string | null;
  project_ref: string | null;
  job: string | null;
  job_type: "pg_cron" | "edge_function" | null;
  /** Job: success | failed | missed | stuck | paused | unknown; project: ok | unreachable | scheduler_down; message: null. */
  status: string | null;
  /** The status before; "new" for a job seen for the first time; null when unknown. */
  previous_status: string | null;
  /** When the job or project entered `status` (ISO 8601); null for a message. */
  since: string | null;
  criticality: "critical" | "important" | "low";
  /** True when this repeats that a job is still down (JOBMON_REMIND_*). */
  reminder: boolean;
  /** For a recovery: how long it was down, in seconds. */
  down_seconds: number | null;
  reason: string | null;
  error: string | null;
  /** A message's title and text (`type: "message"`); null otherwise. */
  title: string | null;
  message: string | null;
  schedule: string | null;
  links: { dashboard: string | null };
}

/** What the formatter hands the sender: the changes of one request (the envelope is added when it is sent). */
export interface WebhookMessage {
  changes: WebhookChange[];
}

export interface WebhookBody extends WebhookMessage {
  version: typeof WEBHOOK_BODY_VERSION;
  type: typeof WEBHOOK_BODY_TYPE;
  sent_at: string;
}

const cut = (text: string | null, max: number): string | null => (text === null || text === "" ? null : fitText(text, max));

function jobChange(job: JobAlert, sections: Sections): WebhookChange {
  return {
    event_id: job.eventId,
    type: "job",
    project: cut(job.projectName, WEBHOOK_LIMITS.name),
    project_ref: job.projectRef,
    job: cut(job.jobName, WEBHOOK_LIMITS.name),
    job_type: job.jobType,
    status: job.toStatus,
    previous_status: job.fromStatus,
    since: displayInstant(job.since),
    criticality: job.criticality,
    reminder: isReminder(job),
    down_seconds: job.downSeconds,
    reason: cut(job.reason, WEBHOOK_LIMITS.reason),
    error: cut(job.errorMessage, WEBHOOK_LIMITS.error),
    title: null,
    message: null,
    schedule: cut(job.schedule, WEBHOOK_LIMITS.name),
    links: { dashboard: jobDashboardUrl(job, sections.dashboard) },
  };
}

function projectChange(alert: ProjectAlert, sections: Sections): WebhookChange {
  return {
    event_id: alert.eventId,
    type: "project",
    project: cut(alert.projectName, WEBHOOK_LIMITS.name),
    project_ref: alert.projectRef,
    job: null,
    job_type: null,
    status: alert.toStatus,
    previous_status: alert.fromStatus,
    since: displayInstant(alert.since),
    // Project-level changes are always critical (the check records them so).
    criticality: "critical",
    reminder: false,
    down_seconds: alert.downSeconds,
    reason: cut(alert.reason, WEBHOOK_LIMITS.reason),
    error: cut(alert.errorMessage, WEBHOOK_LIMITS.error),
    title: null,
    message: null,
    schedule: null,
    links: { dashboard: projectDashboardUrl(alert, sections.dashboard) },
  };
}

function messageChange(alert: MessageAlert): WebhookChange {
  return {
    event_id: alert.eventId,
    type: "message",
    project: cut(alert.projectName, WEBHOOK_LIMITS.name),
    project_ref: null,
    job: cut(alert.jobName, WEBHOOK_LIMITS.name),
    job_type: null,
    status: null,
    previous_status: null,
    since: null,
    criticality: alert.criticality,
    reminder: false,
    down_seconds: null,
    reason: null,
    error: null,
    title: cut(alert.title, WEBHOOK_LIMITS.name),
    message: cut(alert.message, WEBHOOK_LIMITS.message),
    schedule: null,
    links: { dashboard: null },
  };
}

/** A group of changes as request bodies (without their envelope), at most 50 changes each. */
export function formatWebhook(entries: readonly AlertEntry[], opts: FormatOptions = {}): WebhookMessage[] {
  const sections = prepare(entries, opts);
  const changes = [
    ...sections.projects.map((p) => projectChange(p, sections)),
    ...sections.jobs.map((j) => jobChange(j, sections)),
    ...sections.messages.map(messageChange),
  ];
  const out: WebhookMessage[] = [];
  for (let i = 0; i < changes.length; i += WEBHOOK_LIMITS.changesPerBody) out.push({ changes: changes.slice(i, i + WEBHOOK_LIMITS.changesPerBody) });
  return out;
}

/** The body as sent: the envelope around one message's changes. */
export function webhookBody(message: WebhookMessage, sentAt: Date): WebhookBody {
  return { version: WEBHOOK_BODY_VERSION, type: WEBHOOK_BODY_TYPE, sent_at: sentAt.toISOString(), changes: message.changes };
}
