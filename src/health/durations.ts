import { formatDuration } from "../duration.js";

/**
 * Run durations and the `slow` verdict, pure: no clock, no I/O.
 *
 * A job keeps the durations of its latest successful runs (cron runs: end_time − start_time;
 * for jobs calling URLs through pg_net, separately, the time from the end of the calling run,
 * when pg_net sends the request, to the response's `created`). Failed runs never enter.
 *
 * Why a window of exact values rather than a sketch: the hub keeps at most DURATION_WINDOW
 * integers (milliseconds) per job and kind, about 1.2 kB of JSON, so a row stays bounded
 * whatever the job's age; the percentiles are exact over the window; and a rolling window
 * forgets an old regime (a job that got slower for good stops being slow once its new runs
 * fill the window), which an all-time sketch (a t-digest, a histogram) would do only slowly
 * and with more code to merge and store. 200 runs is over three hours of a minutely job and
 * eight days of an hourly one, and its p95 is the 10th slowest, which one outlier does not move.
 */

/** How many durations a job keeps per kind (runs, pg_net calls). */
export const DURATION_WINDOW = 200;
/** A run is judged against its job's durations once at least this many successful runs were counted. */
export const SLOW_MIN_HISTORY = 20;
export const DEFAULT_SLOW_FACTOR = 3;
/** The least a run may exceed the usual p95 by before it is slow (short jobs vary by seconds). */
export const SLOW_FLOOR_SECONDS = 60;

/** Durations of one kind, as job_inventory.durations keeps them. Milliseconds. */
export interface DurationWindow {
  /** Successful runs counted since jobmon started keeping durations (the window holds the latest of them). */
  count: number;
  /** The latest durations, oldest first, at most DURATION_WINDOW. */
  recent: number[];
  p50: number;
  p95: number;
  max: number;
}

/** job_inventory.durations. */
export interface JobDurations {
  /** Cron runs that succeeded: end_time − start_time. */
  runs?: DurationWindow;
  /** pg_net calls answered without failure: response `created` − the calling run's end. */
  net?: DurationWindow;
  /** Why the latest finished run was slow; absent when it was not (kept until a newer run finishes). */
  slow?: string;
}

/** The per-job settings of the rule (job_inventory.slow_factor, slow_after_seconds). */
export interface SlowSettings {
  /** null: DEFAULT_SLOW_FACTOR; 0: never slow. */
  slowFactor: number | null;
  /** An absolute threshold, which replaces the one from the durations. */
  slowAfterSeconds: number | null;
}

/** The stored value as read from the hub (JSON): anything unexpected reads as nothing kept. */
export function jobDurations(stored: unknown): JobDurations {
  if (!stored || typeof stored !== "object") return {};
  const value = stored as Record<string, unknown>;
  const out: JobDurations = {};
  const runs = durationWindow(value.runs);
  const net = durationWindow(value.net);
  if (runs) out.runs = runs;
  if (net) out.net = net;
  if (typeof value.slow === "string") out.slow = value.slow;
  return out;
}

function durationWindow(value: unknown): DurationWindow | undefined {
  if (!value || typeof value !== "object") return undefined;
  const w = value as Partial<DurationWindow>;
  if (!Array.isArray(w.recent) || typeof w.count !== "number") return undefined;
  const recent = w.recent.filter((ms): ms is number => typeof ms === "number" && Number.isFinite(ms) && ms >= 0);
  const stored = recent.length === w.recent.length && [w.p50, w.p95, w.max].every((ms) => typeof ms === "number");
  // Written by durationsAfter with its percentiles: recomputed only for a value that is not.
  return { count: Math.max(w.count, recent.length), recent, ...(stored ? { p50: w.p50 as number, p95: w.p95 as number, max: w.max as number } : percentiles(recent)) };
}

/** Nearest-rank p50, p95 and max of `values` (0 for none). */
export function percentiles(values: readonly number[]): { p50: number; p95: number; max: number } {
  const n = values.length;
  if (n === 0) return { p50: 0, p95: 0, max: 0 };
  // Selection, not a sort: a check updates up to 10,000 windows, and two ranks of 200 values
  // cost a few passes where a sort costs n log n comparisons.
  const a = new Float64Array(values);
  const k95 = Math.max(0, Math.ceil(0.95 * n) - 1);
  const k50 = Math.max(0, Math.ceil(0.5 * n) - 1);
  select(a, k95, 0, n - 1);
  select(a, k50, 0, k95);
  let max = a[k95] as number;
  for (let i = k95 + 1; i < n; i++) if ((a[i] as number) > max) max = a[i] as number;
  return { p50: a[k50] as number, p95: a[k95] as number, max };
}

/** Puts the k-th smallest of a[left..right] at a[k], smaller ones before it, larger after (Hoare's selection). */
function select(a: Float64Array, k: number, left: number, right: number): void {
  let l = left;
  let r = right;
  while (r > l) {
    const pivot = a[(l + r) >> 1] as number;
    let i = l;
    let j = r;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return;
  }
}

/** The window with `durations` (ms, oldest first) appended; the same object when there are none. */
export function addDurations(window: DurationWindow | undefined, durations: readonly number[]): DurationWindow | undefined {
  if (durations.length === 0) return window;
  const before = window?.recent ?? [];
  const recent = before.slice(Math.max(0, before.length + durations.length - DURATION_WINDOW));
  for (let i = Math.max(0, durations.length - DURATION_WINDOW); i < durations.length; i++) recent.push(Math.max(0, Math.round(durations[i] as number)));
  // One object literal (no spread): built for every job with a new run, every check.
  const { p50, p95, max } = percentiles(recent);
  return { count: (window?.count ?? 0) + durations.length, recent, p50, p95, max };
}

/** A run as the rule sees it (evaluate.ts's RunFact fits). */
export interface TimedRun {
  runid: number;
  status: string;
  startTime: Date | null;
  endTime: Date | null;
}

/** A successful run's duration in ms; null for any other run or one without both instants. */
export function successfulRunMs(run: TimedRun): number | null {
  if (run.status !== "succeeded" || !run.startTime || !run.endTime) return null;
  return Math.max(0, run.endTime.getTime() - run.startTime.getTime());
}

/** Above how many ms a run is slow, and in words why; null when the rule does not apply. */
export interface SlowThreshold {
  ms: number;
  /** `usual p95 1m 03s over 312 runs; slow above 3m 09s`, or `slow after 10m 00s, set for this job`: put in words only for a slow run. */
  basis: () => string;
}

/**
 * The threshold: off when slow_factor is 0; slow_after_seconds when set; otherwise, once the job
 * has SLOW_MIN_HISTORY successful runs counted, max(factor × p95, p95 + SLOW_FLOOR_SECONDS).
 */
export function slowThreshold(runs: DurationWindow | undefined, settings: SlowSettings): SlowThreshold | null {
  if (settings.slowFactor === 0) return null;
  const usual = () => (runs && runs.count > 0 ? `usual p95 ${formatMs(runs.p95)} ${overRuns(runs)}` : null);
  const after = settings.slowAfterSeconds;
  if (after !== null) {
    return { ms: after * 1000, basis: () => `slow after ${formatMs(after * 1000)}, set for this job${runs && runs.count > 0 ? `; ${usual()}` : ""}` };
  }
  if (!runs || runs.count < SLOW_MIN_HISTORY) return null;
  const factor = settings.slowFactor ?? DEFAULT_SLOW_FACTOR;
  const ms = Math.max(factor * runs.p95, runs.p95 + SLOW_FLOOR_SECONDS * 1000);
  return { ms, basis: () => `${usual()}; slow above ${formatMs(ms)}` };
}

function overRuns(w: DurationWindow): string {
  return w.count > w.recent.length ? `over the latest ${w.recent.length} of ${w.count} runs` : `over ${w.count} run${w.count === 1 ? "" : "s"}`;
}

/** `1m 03s`, `14m 12s`, `850ms`, `2h 5m`: a run's duration, to the second under an hour. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  return formatDuration(seconds);
}

/** What the rule found: the slow run (null: none), and what to keep of the latest finished run. */
export interface SlowJudgement {
  finding: { run: TimedRun; running: boolean; reason: string } | null;
  /** Why the latest finished run was slow (null: it was not), for JobDurations.slow. */
  latestSlow: string | null;
}

/**
 * Whether the job is slow now. A run still going that is already past the threshold is slow
 * before it ends (the caller judges `stuck` first, which wins). Otherwise the latest finished
 * run decides: slow when it succeeded and took longer than the threshold, not slow when it
 * was normal; with no run finished this check, `previouslySlow` (the reason kept from the
 * check that judged the latest run) stands.
 */
export function judgeSlow(input: {
  threshold: SlowThreshold | null;
  finished: readonly TimedRun[];
  open: readonly TimedRun[];
  now: Date;
  previouslySlow: string | null;
}): SlowJudgement {
  const { threshold, now } = input;
  if (!threshold) return { finding: null, latestSlow: null };
  const latest = input.finished.at(-1);
  let latestSlow = input.previouslySlow;
  let finding: SlowJudgement["finding"] = null;
  if (latest) {
    const ms = successfulRunMs(latest);
    latestSlow = ms !== null && ms > threshold.ms ? `run ${latest.runid} took ${formatMs(ms)}; ${threshold.basis()}` : null;
    if (latestSlow !== null) finding = { run: latest, running: false, reason: latestSlow };
  } else if (latestSlow !== null) {
    finding = { run: { runid: 0, status: "succeeded", startTime: null, endTime: null }, running: false, reason: latestSlow };
  }
  for (const run of input.open) {
    if (!run.startTime) continue;
    const ms = now.getTime() - run.startTime.getTime();
    if (ms > threshold.ms) return { finding: { run, running: true, reason: `run ${run.runid} has been running for ${formatMs(ms)}; ${threshold.basis()}` }, latestSlow };
  }
  return { finding, latestSlow };
}

/** The durations a job keeps after a check: its new successful runs and pg_net calls appended, and whether its latest finished run was slow. */
export function durationsAfter(before: JobDurations, runMs: readonly number[], netMs: readonly number[], slow: string | null): JobDurations {
  const out: JobDurations = {};
  const runs = addDurations(before.runs, runMs);
  const net = addDurations(before.net, netMs);
  if (runs) out.runs = runs;
  if (net) out.net = net;
  if (slow !== null) out.slow = slow;
  return out;
}

/** A summary for `status --json` and the dashboard: count, p50, p95, max in ms. */
export interface DurationSummary {
  count: number;
  window: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
}

export function durationSummary(window: DurationWindow | undefined): DurationSummary | null {
  if (!window || window.recent.length === 0) return null;
  return { count: window.count, window: window.recent.length, p50_ms: window.p50, p95_ms: window.p95, max_ms: window.max };
}

/** A job's durations as `status --json` gives them: runs and pg_net calls, null where none are kept. */
export interface DurationsView {
  runs: DurationSummary | null;
  net: DurationSummary | null;
}

export function durationsView(stored: unknown): DurationsView {
  const durations = jobDurations(stored);
  return { runs: durationSummary(durations.runs), net: durationSummary(durations.net) };
}
