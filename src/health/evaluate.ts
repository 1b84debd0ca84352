import { formatDuration } from "../duration.js";
import type { JobStatus, ProjectStatus } from "../types.js";
import {
  describeSchedule,
  neverFires,
  nextFireTime,
  parsePgCronVersion,
  parseSchedule,
  type PgCronVersion,
  schedulePeriodSeconds,
  type Schedule,
} from "./schedule/index.js";
import { LATER_RELEASES_REJECT } from "./schedule/cron-parser.js";
import { type DurationWindow, judgeSlow, type SlowSettings, slowThreshold } from "./durations.js";

/**
 * Verdicts: pure functions from a job's schedule, its runs and `now` to a status with a
 * human reason. No clock, no I/O: every instant is an argument.
 */

/** A run as the engine sees it. `seenAt` is when jobmon first read it (the age of a run
 * whose start_time pg_cron has not set yet). */
export interface RunFact {
  runid: number;
  status: string;
  startTime: Date | null;
  endTime: Date | null;
  message: string | null;
  seenAt: Date;
}

export interface JobFacts {
  schedule: string | null;
  active: boolean;
  /** Runs are expected from here (first seen, or the schedule changed, or resumed). */
  expectedSince: Date;
  /**
   * True while nothing changed since jobmon first saw the job (same schedule, never
   * resumed): then a run older than `expectedSince` still counts, so a job that was already
   * dead when jobmon started watching is missed at once rather than a period later.
   */
  historyCounts?: boolean;
  graceSeconds: number | null;
  maxRuntimeSeconds: number | null;
  /** The latest finished run known before this check (from the hub), if any. */
  lastFinishedRun: RunFact | null;
  /** This job's runs read in this check: new ones and re-read open ones, by runid. */
  runs: readonly RunFact[];
  /** What the `slow` rule needs (durations.ts); absent: the rule does not apply. */
  durations?: {
    /** The job's successful run durations before this check. */
    runs: DurationWindow | undefined;
    settings: SlowSettings;
    /** Why the latest finished run was slow, as the check that judged it kept it; null: it was not. */
    previouslySlow: string | null;
  };
}

export interface ProjectFacts {
  pgCronVersion: string | null;
  timezone: string;
  /** cron.log_run = off: pg_cron writes no run rows, so nothing can be judged from runs. */
  logRunOff?: boolean;
}

export interface Verdict {
  status: JobStatus;
  reason: string;
  errorMessage: string | null;
  /** The run the verdict is about, when there is one. */
  runAt: Date | null;
  /** Every run of this check that failed: each gets its own health-log row. */
  failedRuns: RunFact[];
  /** The latest finished run after this check. */
  lastFinishedRun: RunFact | null;
  /** Runs still going after this check. */
  openRuns: RunFact[];
  /** When the next run is (or was) expected; null for intervals/never/reboot/paused. */
  expectedAt: Date | null;
  /** Consecutive failed runs at the end of the run history seen so far (for thresholds). */
  trailingFailures: number;
  /** Why the latest finished run was slow (null: it was not), kept for the next check; absent: not judged. */
  latestSlow?: string | null;
}

export const DEFAULT_MAX_RUNTIME_SECONDS = 30 * 60;
const OPEN = new Set(["starting", "connecting", "sending", "running"]);

/** pg_cron before 1.5 ignores cron.timezone: it always schedules in GMT. */
export function effectiveTimezone(version: PgCronVersion, timezone: string): string {
  return version === "1.4" ? "GMT" : timezone || "GMT";
}

/** Default grace: half the period, at least one minute, at most one hour (seed: hourly → 90 min). */
export function defaultGraceSeconds(periodSeconds: number): number {
  return Math.min(3600, Math.max(60, Math.floor(periodSeconds / 2)));
}

function firstLine(text: string | null, max = 300): string {
  if (!text) return "";
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, "Z");
}

function runStart(run: RunFact): Date {
  return run.startTime ?? run.seenAt;
}

export function evaluateJob(job: JobFacts, project: ProjectFacts, now: Date, previousTrailingFailures = 0): Verdict {
  const finished = job.runs.filter((r) => !OPEN.has(r.status));
  const openRuns = job.runs.filter((r) => OPEN.has(r.status));
  const failedRuns = finished.filter((r) => r.status === "failed");
  const lastFinishedRun = finished.at(-1) ?? job.lastFinishedRun;
  let trailingFailures = previousTrailingFailures;
  for (const run of finished) trailingFailures = run.status === "failed" ? trailingFailures + 1 : 0;

  const slow = job.durations
    ? judgeSlow({ threshold: slowThreshold(job.durations.runs, job.durations.settings), finished, open: openRuns, now, previouslySlow: job.durations.previouslySlow })
    : null;

  // Said with every verdict once the schedule is parsed: how a schedule whose meaning depends
  // on the 1.6.x release was read.
  let scheduleNote = "";
  // One object literal per verdict (no spreads): this runs for every job of every check.
  const verdict = (status: JobStatus, reason: string, extra?: { errorMessage?: string | null; runAt?: Date | null; expectedAt?: Date | null }): Verdict => ({
    status,
    reason: scheduleNote ? `${reason} (${scheduleNote})` : reason,
    errorMessage: extra?.errorMessage ?? null,
    runAt: extra?.runAt ?? null,
    failedRuns,
    lastFinishedRun,
    openRuns,
    expectedAt: extra?.expectedAt ?? null,
    trailingFailures,
    latestSlow: slow?.latestSlow ?? null,
  });

  if (!job.active) return verdict("paused", "paused: cron.job.active is false, pg_cron does not run it");

  // stuck: a run still going past its max runtime, including rows a restart left behind.
  const maxRuntime = job.maxRuntimeSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS;
  const stuck = openRuns.find((r) => (now.getTime() - runStart(r).getTime()) / 1000 > maxRuntime);
  if (stuck) {
    const age = formatDuration((now.getTime() - runStart(stuck).getTime()) / 1000);
    return verdict("stuck", `run ${stuck.runid} has been ${stuck.status} for ${age} (max runtime ${formatDuration(maxRuntime)})`, {
      runAt: stuck.startTime,
      errorMessage: stuck.message,
    });
  }

  // failed: every run since the last check counts, so a failure that recovered before the
  // check ran is still reported.
  const latestFailed = failedRuns.at(-1);
  if (latestFailed) {
    const later = finished.filter((r) => r.runid > latestFailed.runid);
    const summary =
      failedRuns.length === 1 && finished.length === 1
        ? "run failed"
        : `${failedRuns.length} of ${finished.length} runs since the last check failed`;
    const recovered = later.length > 0 ? "; the latest run succeeded" : "";
    const at = latestFailed.endTime ?? latestFailed.startTime;
    return verdict("failed", `${summary}${at ? ` (last failure at ${iso(at)})` : ""}: ${firstLine(latestFailed.message) || "no error text"}${recovered}`, {
      runAt: latestFailed.startTime,
      errorMessage: latestFailed.message,
    });
  }

  if (project.logRunOff) {
    return verdict("unknown", "cron.log_run is off: pg_cron records no runs, so jobmon cannot see them");
  }

  const version = parsePgCronVersion(project.pgCronVersion);
  const timezone = effectiveTimezone(version, project.timezone);
  const parsed = job.schedule === null ? null : parseSchedule(job.schedule, version);
  if (!parsed) return verdict("unknown", "no schedule");
  if (!parsed.ok) return verdict("unknown", `invalid schedule for pg_cron ${version}: ${parsed.error}`);
  const schedule = parsed.schedule;
  scheduleNote = parsed.warnings.find((w) => w.includes(LATER_RELEASES_REJECT)) ?? "";

  if (schedule.kind === "reboot") {
    return fromLastRun(verdict, lastFinishedRun, "runs only when the server starts (@reboot): never expected on a schedule");
  }
  if (neverFires(schedule)) {
    return verdict("unknown", `the schedule never fires: "${job.schedule}" matches no date pg_cron ${version} will reach`);
  }

  // missed (dead man's switch): the next fire after the latest run (or after runs were first
  // expected) plus grace is in the past. A run in progress means pg_cron has queued the next
  // one behind it: not missed while it lasts (and stuck once it lasts too long).
  const latestStart = [openRuns.at(-1), lastFinishedRun]
    .filter((r): r is RunFact => r !== null && r !== undefined)
    .map(runStart)
    .reduce<Date | null>((a, b) => (a === null || b > a ? b : a), null);
  const since = latestStart && (latestStart > job.expectedSince || job.historyCounts) ? latestStart : job.expectedSince;
  let expectedAt: Date | null;
  let period: number;
  try {
    expectedAt = nextExpected(schedule, since, timezone);
    period = expectedAt ? (schedulePeriodSeconds(schedule, expectedAt, timezone) ?? 3600) : 3600;
  } catch (error) {
    // An unknown cron.timezone: pg_cron itself would refuse it; jobmon cannot predict runs.
    return fromLastRun(verdict, lastFinishedRun, `cannot compute fire times: cron.timezone "${timezone}" is not a known time zone (${error instanceof Error ? error.message : String(error)})`);
  }
  if (expectedAt && openRuns.length === 0) {
    const grace = job.graceSeconds ?? defaultGraceSeconds(period);
    if (now.getTime() > expectedAt.getTime() + grace * 1000) {
      const last = latestStart ? `last run started ${iso(latestStart)}` : `no run since jobmon started watching at ${iso(job.expectedSince)}`;
      return verdict(
        "missed",
        `expected at ${iso(expectedAt)} (${describeSchedule(schedule, timezone)}) plus ${formatDuration(grace)} grace; ${last}`,
        { expectedAt, runAt: latestStart },
      );
    }
  }
  // slow: a run that took (or has been running) longer than the job's usual durations allow.
  // After stuck, failed and missed, which say more.
  if (slow?.finding) return verdict("slow", slow.finding.reason, { runAt: slow.finding.run.startTime, expectedAt });
  const open = openRuns.at(-1);
  if (open && !lastFinishedRun) {
    return verdict("success", `first run in progress (${open.status}) since ${iso(runStart(open))}`, { expectedAt, runAt: open.startTime });
  }
  const result = fromLastRun(verdict, lastFinishedRun, expectedAt ? `no run yet; first expected at ${iso(expectedAt)}` : "no run yet");
  result.expectedAt = expectedAt;
  return result;
}

function nextExpected(schedule: Schedule, since: Date, timezone: string): Date | null {
  if (schedule.kind === "interval") return new Date(since.getTime() + schedule.seconds * 1000);
  return nextFireTime(schedule, since, timezone);
}

function fromLastRun(
  verdict: (status: JobStatus, reason: string, extra?: { errorMessage?: string | null; runAt?: Date | null }) => Verdict,
  run: RunFact | null,
  none: string,
): Verdict {
  if (!run) return verdict("unknown", none);
  const at = run.endTime ?? run.startTime ?? run.seenAt;
  if (run.status === "succeeded") return verdict("success", `last run succeeded at ${iso(at)}`, { runAt: run.startTime });
  return verdict("failed", `last run ${run.status} at ${iso(at)}: ${firstLine(run.message) || "no error text"}`, {
    runAt: run.startTime,
    errorMessage: run.message,
  });
}

export interface ProjectHealthFacts {
  /** null: the role jobmon connects as cannot see the launcher (judged from the runs instead). */
  launcherRunning: boolean | null;
  launchActiveJobs: boolean | null;
  pgCronInstalled: boolean;
  /** Active jobs evaluated in this check. */
  activeJobs: number;
  /** Jobs whose verdict is `missed`. */
  missedJobs: number;
  /** Runs (of any job) read in this check. */
  newRuns: number;
  /** False on a project's first check, when "no run since the last check" means nothing. */
  hasPreviousCheck: boolean;
}

/**
 * scheduler_down: pg_cron's launcher is not running, cron.launch_active_jobs is off, or no
 * job has run when several should have. It holds back the `missed` alerts it would cause.
 */
export function evaluateProject(facts: ProjectHealthFacts): { status: ProjectStatus; reason: string } {
  if (!facts.pgCronInstalled) return { status: "ok", reason: "pg_cron is not installed" };
  if (facts.launcherRunning === false) {
    return { status: "scheduler_down", reason: "the pg_cron launcher is not running (no 'pg_cron launcher' in pg_stat_activity)" };
  }
  if (facts.launchActiveJobs === false) {
    return { status: "scheduler_down", reason: "cron.launch_active_jobs is off: pg_cron starts no job" };
  }
  if (facts.hasPreviousCheck && facts.activeJobs >= 2 && facts.missedJobs >= 2 && facts.newRuns === 0) {
    return { status: "scheduler_down", reason: `no job has run since the last check although ${facts.missedJobs} are overdue` };
  }
  if (facts.launcherRunning === null) {
    // Unseen launcher: the runs are the evidence. One overdue job with nothing run since is
    // enough to say so, since nothing else can.
    if (facts.hasPreviousCheck && facts.missedJobs >= 1 && facts.newRuns === 0) {
      return { status: "scheduler_down", reason: `no job has run since the last check although ${facts.missedJobs} ${facts.missedJobs === 1 ? "is" : "are"} overdue (the launcher is not visible to this role)` };
    }
    return {
      status: "ok",
      reason: facts.newRuns > 0 ? "pg_cron is running: jobs ran since the last check (the launcher is not visible to this role)" : "no sign that pg_cron stopped (the launcher is not visible to this role)",
    };
  }
  return { status: "ok", reason: "pg_cron is running" };
}
