import type { Config } from "../config.js";
import { applyFunctionOutcomes, evaluateFunctions } from "../edge-functions.js";
import { jobDurations } from "../health/durations.js";
import { evaluateJob, evaluateProject, type RunFact, type Verdict } from "../health/evaluate.js";
import { type NetCallsState, netCallsState } from "../health/net-calls.js";
import type { JobRow } from "../hub/inventory.js";
import type { ProjectStateRow } from "../hub/projects.js";
import { cachedRedactor } from "../lib/redact.js";
import type { CronRun } from "../sources/pgcron.js";
import type { ProjectStatus } from "../types.js";
import type { Collected, Collection } from "./collect.js";

/**
 * Verdicts (pure): one project's jobs and the project itself, judged from what the check read
 * and what the hub holds. No I/O and no clock: `now` is an argument.
 */

export interface ProjectJudgement {
  status: ProjectStatus;
  reason: string;
  warnings: string[];
  /** Verdicts by inventory id; empty for an unreachable project (nothing is known). */
  verdicts: Map<string, Verdict>;
  /** This check's runs by inventory id (cron runs, or function invocations as runs). */
  runsByJob: Map<string, RunFact[]>;
  /** Request-to-response durations (ms) of this check's successful pg_net calls, by inventory id. */
  netDurations?: Map<string, number[]>;
  /** pg_net's state for the next check; undefined: unchanged. */
  netCalls?: NetCallsState;
}

/**
 * One project's part of a check: every job and the project itself. `jobs` are the project's
 * rows after this check's inventory sync.
 */
export function judgeProject(config: Config, collection: Collection, previous: ProjectStateRow | undefined, jobs: readonly JobRow[], now: Date): ProjectJudgement {
  if (!collection.ok) {
    const skipped = collection.skipped?.status;
    if (skipped) return { status: skipped, reason: collection.error, warnings: [], verdicts: new Map(), runsByJob: new Map() };
    return { status: "unreachable", reason: `cannot connect: ${collection.error}`, warnings: [], verdicts: new Map(), runsByJob: new Map() };
  }
  const data = collection.data;
  const { project, inventory, functions } = data;
  const { scheduler } = inventory;
  const warnings = [...inventory.warnings, ...data.warnings];
  if (functions.note) warnings.push(functions.note);
  const cronRows = jobs.filter((j) => j.job_type === "pg_cron");
  const { verdicts, runsByJob } = evaluateCronJobs(config, data, previous, cronRows, now);
  const netCalls = applyFunctionOutcomes(
    verdicts,
    cronRows,
    inventory.jobs,
    { runs: [...data.runs, ...data.reread, ...data.callingRuns], net: data.net, state: previous?.net_cursor_created ? netCallsState(previous.net_calls) : null },
    functions.functions,
    project.ref,
    config.secrets,
  );
  warnings.push(...netCalls.warnings);
  const active = cronRows.filter((j) => j.active);
  const judged = evaluateProject({
    launcherRunning: scheduler.launcherRunning,
    launchActiveJobs: scheduler.launchActiveJobs,
    pgCronInstalled: inventory.pgCronVersion !== null,
    activeJobs: active.length,
    missedJobs: active.filter((j) => verdicts.get(j.id)?.status === "missed").length,
    newRuns: data.runs.length,
    hasPreviousCheck: previous?.run_cursor !== null && previous?.run_cursor !== undefined,
  });
  if (data.truncated) warnings.push("more new runs than one check reads: the rest are read by the next check");
  if (judged.status === "scheduler_down") holdBackMissed(verdicts, cronRows, project.name);
  // Functions last: a function's verdict looks at its callers' (after the hold-back).
  for (const [id, fn] of evaluateFunctions(jobs, verdicts, functions.logs, now, config.secrets)) {
    verdicts.set(id, fn.verdict);
    runsByJob.set(id, fn.runs);
  }
  return { ...judged, warnings, verdicts, runsByJob, netCalls: netCalls.state, netDurations: netCalls.durations };
}

/**
 * scheduler_down holds back the `missed` verdicts it would cause: the project alert explains
 * them, and each job keeps its state until the scheduler runs again (a job never judged
 * becomes `unknown`).
 */
function holdBackMissed(verdicts: Map<string, Verdict>, jobs: readonly JobRow[], projectName: string): void {
  for (const job of jobs) {
    const verdict = verdicts.get(job.id);
    if (verdict?.status !== "missed") continue;
    const kept = job.status === "new" ? "unknown" : job.status;
    verdicts.set(job.id, { ...verdict, status: kept, reason: `held back: ${projectName}'s scheduler is down (${verdict.reason})` });
  }
}

/** This check's runs (new and re-read, once each), by pg_cron jobid, in runid order. */
function runsByJobid(data: Collected): Map<number, CronRun[]> {
  const runsById = new Map<number, CronRun>();
  for (const run of [...data.runs, ...data.reread]) runsById.set(run.runid, run);
  const byJobid = new Map<number, CronRun[]>();
  for (const run of [...runsById.values()].sort((a, b) => a.runid - b.runid)) {
    const list = byJobid.get(run.jobid) ?? [];
    list.push(run);
    byJobid.set(run.jobid, list);
  }
  return byJobid;
}

/** A run as the engine sees it; `firstSeenAt` is when a check first read it (its age while pg_cron has no start time). */
function toRunFact(run: CronRun, firstSeenAt: Date, redact: (text: string) => string): RunFact {
  return {
    runid: run.runid,
    status: run.status,
    startTime: run.start_time,
    endTime: run.end_time,
    message: run.return_message === null ? null : redact(run.return_message),
    seenAt: firstSeenAt,
  };
}

/** The latest finished run the hub remembers, for a job with no new run this check. */
function lastFinishedFromRow(job: JobRow): RunFact | null {
  if (!job.last_run_status || !job.last_run_at) return null;
  return { runid: 0, status: job.last_run_status, startTime: job.last_run_at, endTime: null, message: job.last_error, seenAt: job.last_run_at };
}

/**
 * Every cron job's verdict from its runs. On a project's first check only each job's latest
 * finished run (and open runs) were read (startRunsRead), so long-healed failures from the
 * bootstrap window are not announced as new.
 */
function evaluateCronJobs(
  config: Config,
  data: Collected,
  previous: ProjectStateRow | undefined,
  jobs: readonly JobRow[],
  now: Date,
): { verdicts: Map<string, Verdict>; runsByJob: Map<string, RunFact[]> } {
  const byJobid = runsByJobid(data);
  // runid → when a previous check first read it, for runs read before they finished.
  const openRunsFirstSeen = previous?.open_runs ?? {};
  const redact = cachedRedactor(config.secrets);
  const verdicts = new Map<string, Verdict>();
  const runsByJob = new Map<string, RunFact[]>();
  for (const job of jobs) {
    const runs = (byJobid.get(Number(job.source_id)) ?? []).map((r) => {
      const firstSeenAt = openRunsFirstSeen[String(r.runid)];
      return toRunFact(r, firstSeenAt ? new Date(firstSeenAt) : now, redact);
    });
    runsByJob.set(job.id, runs);
    const expectedSince = job.expected_since ?? job.first_seen_at;
    const durations = jobDurations(job.durations);
    verdicts.set(
      job.id,
      evaluateJob(
        {
          schedule: job.schedule,
          active: job.active !== false,
          expectedSince,
          historyCounts: expectedSince.getTime() === job.first_seen_at.getTime(),
          graceSeconds: job.grace_seconds,
          maxRuntimeSeconds: job.max_runtime_seconds,
          lastFinishedRun: lastFinishedFromRow(job),
          runs,
          durations: {
            runs: durations.runs,
            settings: { slowFactor: job.slow_factor ?? null, slowAfterSeconds: job.slow_after_seconds ?? null },
            previouslySlow: durations.slow ?? null,
          },
        },
        { pgCronVersion: data.inventory.pgCronVersion, timezone: data.inventory.timezone, logRunOff: data.inventory.scheduler.logRun === false },
        now,
        job.consecutive_failures,
      ),
    );
  }
  return { verdicts, runsByJob };
}
