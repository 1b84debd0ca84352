/**
 * What every channel renders the same way: the wording of statuses and summaries, the
 * order of entries, and the clean-up every free-text value gets before it is escaped.
 */
import { formatDuration } from "../../duration.js";
import type { Criticality, JobStatus, JobType, ProjectStatus } from "../../types.js";
import { redactSecrets } from "../../lib/redact.js";
import type { AlertEntry, JobAlert, MessageAlert, ProjectAlert } from "../types.js";
import { dashboardBase } from "./studio-links.js";

export interface FormatOptions {
  /** Dashboard base URL; default `https://supabase.com/dashboard` (self-hosted: the Studio URL). */
  dashboardBaseUrl?: string;
  /** Literal secrets to redact besides the built-in patterns (configured passwords, tokens). */
  extraSecrets?: readonly string[];
  /**
   * The instant the message is built for; only used to say how long a reminder's job has
   * been down. Formatting never reads the clock.
   */
  now?: Date | string;
  /** Discord only: the webhook's display name for this message. */
  username?: string;
}

/** The first line of every message of a section: what it is about, in a few words. */
export interface SectionHeader {
  emoji: string;
  /** The project(s), raw. */
  group: string;
  /** "3 jobs failing, 1 missed", raw. */
  summary: string;
}

/** The entries of one group, cleaned and split so that no message mixes kinds. */
export interface Sections {
  projects: ProjectAlert[];
  jobs: JobAlert[];
  messages: MessageAlert[];
  /** Validated dashboard base, or null (no links). */
  dashboard: string | null;
  nowMs: number | null;
}

// C0 controls other than tab and newline, and DEL: invisible, and some make APIs reject text.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
// A surrogate without its pair is not valid UTF-16 and cannot be encoded as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Normalises and redacts a free-text value. Runs before any limit is applied, so a cut can
 * never leave half a secret visible. Control characters go first so they cannot hide a
 * secret from the patterns (`Bear\u0001er …`).
 */
export function cleanText(text: string, extraSecrets: readonly string[]): string {
  const normalised = text.replace(/\r\n?/g, "\n").replace(CONTROL, "").replace(LONE_SURROGATE, "\uFFFD");
  return redactSecrets(normalised, extraSecrets);
}

/** For titles and headers: one line, whitespace runs collapsed (no backtracking regex). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Drops trailing whitespace and leading blank lines (keeps the first line's indentation). */
function trimBlock(text: string): string {
  const end = text.trimEnd();
  const firstVisible = end.search(/\S/);
  if (firstVisible <= 0) return end;
  const lastNewline = end.lastIndexOf("\n", firstVisible);
  return lastNewline < 0 ? end : end.slice(lastNewline + 1);
}

function cleanOrNull(text: string | null, extra: readonly string[]): string | null {
  if (text === null || text === undefined) return null;
  const cleaned = trimBlock(cleanText(text, extra));
  return cleaned === "" ? null : cleaned;
}

function cleanName(text: string | null, extra: readonly string[], fallback: string): string {
  const cleaned = text === null || text === undefined ? "" : oneLine(cleanText(text, extra));
  return cleaned === "" ? fallback : cleaned;
}

function cleanEntry(entry: AlertEntry, extra: readonly string[]): AlertEntry {
  switch (entry.kind) {
    case "job":
      return {
        ...entry,
        projectName: cleanName(entry.projectName, extra, "(unnamed project)"),
        jobName: cleanName(entry.jobName, extra, "(unnamed job)"),
        schedule: cleanOrNull(entry.schedule, extra),
        scheduleDescription: cleanOrNull(entry.scheduleDescription, extra),
        reason: cleanOrNull(entry.reason, extra) ?? "",
        errorMessage: cleanOrNull(entry.errorMessage, extra),
        sourceId: entry.sourceId === null ? null : oneLine(cleanText(entry.sourceId, extra)),
      };
    case "project":
      return {
        ...entry,
        projectName: cleanName(entry.projectName, extra, "(unnamed project)"),
        reason: cleanOrNull(entry.reason, extra) ?? "",
        errorMessage: cleanOrNull(entry.errorMessage, extra),
      };
    case "message":
      return {
        ...entry,
        title: cleanName(entry.title, extra, "jobmon"),
        message: cleanOrNull(entry.message, extra) ?? "",
        projectName: entry.projectName === null ? null : cleanName(entry.projectName, extra, "(unnamed project)"),
        jobName: entry.jobName === null ? null : cleanName(entry.jobName, extra, "(unnamed job)"),
      };
  }
}

/** The free-text fields of each kind: what `cleanEntry` changes. */
const TEXT_KEYS = {
  job: ["projectName", "jobName", "schedule", "scheduleDescription", "reason", "errorMessage", "sourceId"],
  project: ["projectName", "reason", "errorMessage"],
  message: ["title", "message", "projectName", "jobName"],
} as const satisfies Record<AlertEntry["kind"], readonly string[]>;

function texts(entry: AlertEntry): (string | null)[] {
  const record = entry as unknown as Record<string, string | null>;
  return TEXT_KEYS[entry.kind].map((key) => record[key] ?? null);
}

interface CleanedTexts {
  kind: AlertEntry["kind"];
  extra: readonly string[];
  raw: readonly (string | null)[];
  cleaned: readonly (string | null)[];
}

/**
 * deliver.ts `batches()` formats growing prefixes of the same entries O(log n) times, and
 * redacting 12,000-character errors dominates that cost: the cleaned texts of an entry are
 * kept while the entry object, its texts and the secrets are unchanged (strings compared by
 * identity first, so a hit costs no scan). Every other field is read afresh. Collected
 * with the entry.
 */
const cleanCache = new WeakMap<AlertEntry, CleanedTexts>();

function sameList(a: readonly (string | null)[], b: readonly (string | null)[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function cleanEntryCached(entry: AlertEntry, extra: readonly string[]): AlertEntry {
  const raw = texts(entry);
  const hit = cleanCache.get(entry);
  if (hit !== undefined && hit.kind === entry.kind && sameList(hit.raw, raw) && sameList(hit.extra, extra)) {
    const out: Record<string, unknown> = { ...entry };
    TEXT_KEYS[entry.kind].forEach((key, i) => (out[key] = hit.cleaned[i] ?? null));
    return out as unknown as AlertEntry;
  }
  const cleaned = cleanEntry(entry, extra);
  cleanCache.set(entry, { kind: entry.kind, extra: [...extra], raw, cleaned: texts(cleaned) });
  return cleaned;
}

/** Down first (worst first), then reminders, then recoveries; stable within a rank. */
const JOB_RANK: Record<JobStatus, number> = { failed: 0, stuck: 0, missed: 1, slow: 2, unknown: 2, paused: 3, success: 5 };
const jobRank = (j: JobAlert): number => (j.toStatus !== "success" && j.reminder ? 4 : JOB_RANK[j.toStatus]);

export function prepare(entries: readonly AlertEntry[], opts: FormatOptions = {}): Sections {
  const extra = opts.extraSecrets ?? [];
  const sections: Sections = { projects: [], jobs: [], messages: [], dashboard: dashboardBase(opts.dashboardBaseUrl), nowMs: null };
  if (opts.now !== undefined) {
    const ms = opts.now instanceof Date ? opts.now.getTime() : Date.parse(opts.now);
    sections.nowMs = Number.isFinite(ms) ? ms : null;
  }
  for (const entry of entries) {
    const cleaned = cleanEntryCached(entry, extra);
    if (cleaned.kind === "job") sections.jobs.push(cleaned);
    else if (cleaned.kind === "project") sections.projects.push(cleaned);
    else sections.messages.push(cleaned);
  }
  sections.jobs.sort((a, b) => jobRank(a) - jobRank(b));
  return sections;
}

// ---------------------------------------------------------------------------------------
// Wording

/** `8100` → `2h 15m`; `45` → `45s`. Two units at most (src/duration.ts). */
export function humanDuration(seconds: number): string {
  return formatDuration(Number.isFinite(seconds) ? Math.max(0, seconds) : 0);
}

export const JOB_TYPE_LABEL: Record<JobType, string> = { pg_cron: "pg_cron", edge_function: "Edge Function" };

export const JOB_EMOJI: Record<JobStatus, string> = {
  failed: "🔴",
  stuck: "⏳",
  missed: "🟠",
  slow: "🐢",
  unknown: "⚪",
  paused: "⏸",
  success: "✅",
};
export const PROJECT_EMOJI: Record<ProjectStatus, string> = { unreachable: "🛑", scheduler_down: "🛑", ok: "✅", paused: "⏸", removed: "🗑" };
export const CRITICALITY_EMOJI: Record<Criticality, string> = { critical: "🔴", important: "🟠", low: "🔵" };

/** What a job did, for a title: "failed", "missed a run"… */
const STATUS_HEADLINE: Record<JobStatus, string> = {
  failed: "failed",
  stuck: "stuck",
  missed: "missed a run",
  slow: "slow",
  unknown: "status unknown",
  paused: "paused",
  success: "recovered",
};
/** The ongoing state, for reminders: "still failing". */
const STATUS_ONGOING: Record<JobStatus, string> = {
  failed: "failing",
  stuck: "stuck",
  missed: "missing runs",
  slow: "slow",
  unknown: "unknown",
  paused: "paused",
  success: "ok",
};
/** For counts in a header: "3 jobs failing". */
const STATUS_COUNTED: Record<JobStatus, string> = {
  failed: "failing",
  stuck: "stuck",
  missed: "missed",
  slow: "slow",
  unknown: "unknown",
  paused: "paused",
  success: "recovered",
};

export function isRecovery(job: JobAlert): boolean {
  return job.toStatus === "success";
}

export function isReminder(job: JobAlert): boolean {
  return job.reminder && job.toStatus !== "success";
}

/** "failed", "still failing", "recovered". */
export function jobHeadline(job: JobAlert): string {
  if (isReminder(job)) return `still ${STATUS_ONGOING[job.toStatus]}`;
  return STATUS_HEADLINE[job.toStatus];
}

/** "failed (was success)", "failed (new job)", "failed". */
export function statusWithPrevious(to: string, from: string | null): string {
  if (from === null || from === to) return to;
  if (from === "new") return `${to} (new job)`;
  return `${to} (was ${from})`;
}

export const PROJECT_HEADLINE: Record<ProjectStatus, string> = {
  unreachable: "project unreachable",
  scheduler_down: "pg_cron scheduler down",
  ok: "project back to normal",
  paused: "project paused",
  removed: "project removed",
};

/** The instant as ISO 8601 without milliseconds, or null when it does not parse. */
export function parseInstant(text: string): number | null {
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `since` as shown: normalised ISO when it parses, the raw text otherwise. */
export function displayInstant(text: string): string {
  const ms = parseInstant(text);
  return ms === null ? oneLine(text) : isoSeconds(ms);
}

/** "still failing since 2025-01-01T10:00:00Z (for 4h 10m)" — the duration only when `now` is known. */
export function reminderSentence(job: JobAlert, nowMs: number | null): string {
  const since = parseInstant(job.since);
  const duration = nowMs !== null && since !== null && nowMs >= since ? ` (for ${humanDuration((nowMs - since) / 1000)})` : "";
  return `still ${STATUS_ONGOING[job.toStatus]} since ${displayInstant(job.since)}${duration}`;
}

/** "recovered after being down 2h 15m", or "recovered" when the downtime is unknown. */
export function recoverySentence(downSeconds: number | null): string {
  return downSeconds === null || !Number.isFinite(downSeconds) ? "recovered" : `recovered after being down ${humanDuration(downSeconds)}`;
}

/** "3 jobs failing, 1 missed, 2 still failing, 1 recovered" (entries in display order). */
export function jobsSummary(jobs: readonly JobAlert[]): string {
  const counts = new Map<string, number>();
  for (const job of jobs) {
    const label = isReminder(job) ? `still ${STATUS_ONGOING[job.toStatus]}` : STATUS_COUNTED[job.toStatus];
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const parts = [...counts].map(([label, n], i) => (i === 0 ? `${n} ${n === 1 ? "job" : "jobs"} ${label}` : `${n} ${label}`));
  return parts.join(", ");
}

export function projectsSummary(projects: readonly ProjectAlert[]): string {
  return [...new Set(projects.map((p) => PROJECT_HEADLINE[p.toStatus]))].join(", ");
}

export function messagesSummary(messages: readonly MessageAlert[]): string {
  const first = messages[0];
  return messages.length === 1 && first !== undefined ? first.title : `${messages.length} notices`;
}

/** The project(s) a message is about, for its header. */
export function groupName(names: readonly (string | null)[]): string {
  const distinct = [...new Set(names.filter((n): n is string => n !== null && n !== ""))];
  return distinct.length === 0 ? "jobmon" : distinct.join(", ");
}

/** The header of a section of job changes. */
export function jobsHeader(jobs: readonly JobAlert[]): SectionHeader {
  return { emoji: jobsEmoji(jobs), group: groupName(jobs.map((j) => j.projectName)), summary: jobsSummary(jobs) };
}

/** The worst emoji of a section, for its header. */
export function jobsEmoji(jobs: readonly JobAlert[]): string {
  const first = jobs[0];
  return first === undefined ? "" : JOB_EMOJI[first.toStatus];
}

/** " (part 2 of 3)", or "" for a single message. */
export function partSuffix(index: number, count: number): string {
  return count > 1 ? ` (part ${index + 1} of ${count})` : "";
}
