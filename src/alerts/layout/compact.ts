/**
 * The compact layout: one line per job change, grouped by status, for a group that the
 * detailed layout (one block or embed per change) would spread over several messages.
 * jobmon wants one message per project, route and cycle ("forty jobs failing together
 * make one message"); a line per job is what lets forty fit Discord's 6000-character
 * total and Telegram's 4096.
 *
 * Channel-agnostic: the channels supply the markup (`CompactMarkup`) and their limits.
 * Every value was cleaned and redacted by `prepare` before it gets here, so taking a
 * reason's first line and cutting it to a budget never shows part of a secret.
 *
 * The split into messages (`packLines`) is greedy over lines whose minimum cost does not
 * depend on their neighbours: that keeps the number of messages monotonic in the entries
 * (deliver.ts `batches()` binary-searches on it) and minimal for contiguous chunks.
 */
import type { JobStatus } from "../../types.js";
import type { JobAlert } from "../types.js";
import { JOB_EMOJI, type Sections, humanDuration, isRecovery, isReminder, isoSeconds, jobHeadline, oneLine, parseInstant } from "./common.js";
import { jobDashboardUrl } from "./studio-links.js";
import { type RenderSpec, allocate, fitText, safeCut, shortMarker } from "./fit.js";

/** A reason is cut to at most this: a line is a summary, the details are one command away. */
/** One step of a compact layout's ladder: tried in order until the group fits one message. */
export interface CompactRung {
  links: boolean;
  /** Reason characters each line keeps at least before the group is split. */
  minReason: number;
}

export const COMPACT_REASON_MAX = 120;
/** Job names in a line: enough for any real name, short enough to keep a line a line. */
const MAX_NAME = 80;
/** An unparsable `since` is shown raw, up to this. */
const MAX_RAW_INSTANT = 40;
/** Only this much of a first line is ever looked at, so a 10 MB one-line error stays cheap. */
const MAX_FIRST_LINE = 1000;
/** A longer link (an odd dashboard base) costs more than it helps; the line goes without. */
const MAX_LINK = 300;
/** Between the parts of a line. */
export const COMPACT_SEPARATOR = " · ";
/** Lines are joined with one newline, counted with each line. */
const NEWLINE = 1;

export type CompactGroupKey = "failed" | "stuck" | "missed" | "slow" | "unknown" | "paused" | "reminder" | "recovered";

const GROUP_LABEL: Record<CompactGroupKey, string> = {
  failed: "Failed",
  stuck: "Stuck",
  missed: "Missed a run",
  slow: "Slow",
  unknown: "Status unknown",
  paused: "Paused",
  reminder: "Still down",
  recovered: "Recovered",
};

/** Worst first; decides the emoji and colour of a group that mixes statuses (reminders). */
const SEVERITY: Record<JobStatus, number> = { failed: 0, stuck: 1, missed: 2, slow: 3, unknown: 4, paused: 5, success: 6 };

export interface CompactGroup {
  key: CompactGroupKey;
  /** The worst status in the group: its emoji and colour. */
  status: JobStatus;
  jobs: JobAlert[];
}

/**
 * Jobs by status, groups in order of first appearance (`prepare` sorts worst first).
 * Reminders share one group whatever their status, so a message never has more than eight
 * groups (Discord: one embed each, plus one continuation, stays within 10 embeds).
 */
export function compactGroups(jobs: readonly JobAlert[]): CompactGroup[] {
  const groups = new Map<CompactGroupKey, CompactGroup>();
  for (const job of jobs) {
    const key: CompactGroupKey = isRecovery(job) ? "recovered" : isReminder(job) ? "reminder" : (job.toStatus as Exclude<JobStatus, "success">);
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, status: job.toStatus, jobs: [] };
      groups.set(key, group);
    }
    if (SEVERITY[job.toStatus] < SEVERITY[group.status]) group.status = job.toStatus;
    group.jobs.push(job);
  }
  return [...groups.values()];
}

/** "🔴 Failed (40)", or "🔴 Failed (40, continued)" for a group carried over. Raw text, nothing to escape. */
export function compactTitle(group: CompactGroup, continued = false): string {
  return `${JOB_EMOJI[group.status]} ${GROUP_LABEL[group.key]} (${group.jobs.length}${continued ? ", continued" : ""})`;
}

/** `2025-03-01 10:00Z`, or null when `since` does not parse. */
export function shortInstant(since: string): string | null {
  const ms = parseInstant(since);
  return ms === null ? null : isoSeconds(ms).replace(/:\d\dZ$/, "Z").replace("T", " ");
}

/** A rendered `since` for channels without their own time markup. */
export function shortInstantRendered(since: string, spec: RenderSpec): string {
  return shortInstant(since) ?? fitText(oneLine(since), MAX_RAW_INSTANT, spec, shortMarker);
}

/** "since <when>", "still failing since <when>", "recovered <when>, down 2h 15m". `when` is rendered. */
function statusPhrase(job: JobAlert, when: string): string {
  if (isRecovery(job)) {
    return job.downSeconds === null || !Number.isFinite(job.downSeconds) ? `recovered ${when}` : `recovered ${when}, down ${humanDuration(job.downSeconds)}`;
  }
  if (isReminder(job)) return `${jobHeadline(job)} since ${when}`;
  return `since ${when}`;
}

/** The first non-blank line, whitespace collapsed, at most MAX_FIRST_LINE units looked at. */
function firstLine(text: string | null): string {
  if (text === null) return "";
  const start = text.search(/\S/);
  if (start < 0) return "";
  const newline = text.indexOf("\n", start);
  // A little past the limit, so that safeCut sees the whole grapheme at the cut.
  const line = text.slice(start, Math.min(newline < 0 ? text.length : newline, start + MAX_FIRST_LINE + 64));
  return oneLine(line.slice(0, safeCut(line, MAX_FIRST_LINE)));
}

/**
 * The short reason of a line: for a failure the error's first line (the reason's first
 * line repeats it behind "run failed (last failure at …):"), otherwise the reason's; none
 * for a recovery (the line already says it recovered and how long it was down).
 */
export function compactReason(job: JobAlert): string {
  if (isRecovery(job)) return "";
  const [primary, fallback] = job.toStatus === "failed" ? [job.errorMessage, job.reason] : [job.reason, job.errorMessage];
  return firstLine(primary) || firstLine(fallback);
}

/** How a channel writes a compact line. */
export interface CompactMarkup {
  spec: RenderSpec;
  /** Starts every line ("• "). */
  bullet: string;
  bold(rendered: string): string;
  /** Wraps a rendered label in a link. */
  link(url: string, rendered: string): string;
  /** A rendered `since` instant. */
  instant(since: string): string;
}

export interface CompactLine {
  /** Index of the line's group. */
  group: number;
  /** Cost of the line without its reason, its newline and the reason's separator included. */
  fixed: number;
  /** Cost of the reason shown in full, capped at COMPACT_REASON_MAX; 0 without a reason. */
  demand: number;
  /** The line with its reason cut to `budget`. */
  build(budget: number): string;
}

/**
 * One line per job, group after group: `**name** · critical · since … · short reason`,
 * the name linked to the job's dashboard page when `links` and the project ref allow.
 */
export function compactLines(markup: CompactMarkup, groups: readonly CompactGroup[], sections: Sections, links: boolean): CompactLine[] {
  const lines: CompactLine[] = [];
  groups.forEach((group, index) => {
    for (const job of group.jobs) {
      const name = markup.bold(fitText(job.jobName, MAX_NAME, markup.spec, shortMarker));
      // No breadcrumb: in Discord every URL character counts against the message's total.
      const url = links ? jobDashboardUrl(job, sections.dashboard, { breadcrumb: false }) : null;
      const label = url !== null && url.length <= MAX_LINK ? markup.link(url, name) : name;
      const head = `${markup.bullet}${label}${COMPACT_SEPARATOR}${job.criticality}${COMPACT_SEPARATOR}${statusPhrase(job, markup.instant(job.since))}`;
      const reason = compactReason(job);
      const separator = reason === "" ? 0 : markup.spec.cost(COMPACT_SEPARATOR);
      let demand = 0;
      if (reason !== "") demand = reason.length >= COMPACT_REASON_MAX ? COMPACT_REASON_MAX : Math.min(COMPACT_REASON_MAX, markup.spec.cost(markup.spec.render(reason)));
      lines.push({
        group: index,
        fixed: markup.spec.cost(head) + NEWLINE + separator,
        demand,
        build: (budget) => {
          // "does …" reads as a stray word: the marker goes right after the last one kept.
          const body = reason === "" ? "" : fitText(reason, Math.min(budget, COMPACT_REASON_MAX), markup.spec, shortMarker).replace(/\s+…$/, "…");
          return body === "" ? head : `${head}${COMPACT_SEPARATOR}${body}`;
        },
      });
    }
  });
  return lines;
}

export interface LineLimits {
  /** Budget of one message for the lines and their group titles. */
  budget: number;
  /** Each reason keeps at least this much (or all of it if shorter) before a new message is started. */
  minShare: number;
  /** Cost of a group's title (with its separators), paid by each message the group appears in. */
  titleCost(group: number): number;
}

/** A run of lines that goes into one message, with each line's reason budget. */
export interface LineChunk {
  start: number;
  end: number;
  budgets: number[];
}

/**
 * Splits lines, in order and at line boundaries, into as few messages as the budget allows
 * (greedy is optimal for contiguous chunks whose cost only grows with their content), then
 * shares what each message has left among its reasons.
 */
export function packLines(lines: readonly CompactLine[], limits: LineLimits): LineChunk[] {
  const chunks: LineChunk[] = [];
  const minimum = (line: CompactLine): number => line.fixed + Math.min(line.demand, limits.minShare);
  let start = 0;
  let need = 0;
  const close = (end: number): void => {
    const slice = lines.slice(start, end);
    const base = slice.map((line) => Math.min(line.demand, limits.minShare));
    const extra = allocate(slice.map((line, i) => line.demand - (base[i] ?? 0)), limits.budget - need);
    chunks.push({ start, end, budgets: base.map((b, i) => b + (extra[i] ?? 0)) });
  };
  lines.forEach((line, i) => {
    const opensGroup = i === start || lines[i - 1]?.group !== line.group;
    let add = minimum(line) + (opensGroup ? limits.titleCost(line.group) : 0);
    if (i > start && need + add > limits.budget) {
      close(i);
      start = i;
      need = 0;
      add = minimum(line) + limits.titleCost(line.group);
    }
    need += add;
  });
  if (lines.length > start) close(lines.length);
  return chunks;
}

/** Runs of one group within a chunk, and whether each continues from an earlier message. */
export function chunkSegments(lines: readonly CompactLine[], chunk: LineChunk): { group: number; from: number; to: number; continued: boolean }[] {
  const segments: { group: number; from: number; to: number; continued: boolean }[] = [];
  for (let i = chunk.start; i < chunk.end; i++) {
    const group = lines[i]?.group ?? 0;
    const last = segments.at(-1);
    if (last !== undefined && last.group === group) last.to = i + 1;
    else segments.push({ group, from: i, to: i + 1, continued: i > 0 && lines[i - 1]?.group === group });
  }
  return segments;
}

/** Rendered lines joined with newlines into texts of at most `max` characters, split at line boundaries. */
export function joinLinesWithin(lines: readonly string[], max: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of lines) {
    if (current !== "" && current.length + 1 + line.length > max) {
      out.push(current);
      current = "";
    }
    current = current === "" ? line : `${current}\n${line}`;
  }
  if (current !== "") out.push(current);
  return out;
}

/** Project names that can be pasted into a shell as they are: anything else gets a placeholder. */
const SAFE_PROJECT = /^[A-Za-z0-9_.-]{1,40}$/;

/** The commands that show what a compact line leaves out. */
export function detailsCommands(jobs: readonly JobAlert[]): { status: string; history: string } {
  const names = [...new Set(jobs.map((j) => j.projectName))];
  const only = names.length === 1 && SAFE_PROJECT.test(names[0] ?? "") ? (names[0] as string) : null;
  return { status: only === null ? "jobmon status" : `jobmon status --project ${only}`, history: `jobmon history ${only ?? "<project>"}/<job>` };
}

/**
 * The longest commands `detailsCommands` can give. Messages reserve room for these, not for
 * the actual ones, so that which projects are in a group never changes how many jobs fit.
 */
export function widestDetailsCommands(): { status: string; history: string } {
  const name = "x".repeat(40);
  return { status: `jobmon status --project ${name}`, history: `jobmon history ${name}/<job>` };
}

export const DETAILS_LABEL = "Full details:";
