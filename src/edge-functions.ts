import { redactSecrets } from "./lib/redact.js";
import type { Config, ProjectConfig } from "./config.js";
import { errorMessage } from "./errors.js";
import type { RunFact, Verdict } from "./health/evaluate.js";
import { functionCallsByJob, makesOneRequest, misconfiguredCalls } from "./health/function-calls.js";
import { type CallerFact, evaluateFunction, isFunctionFailure } from "./health/function-verdicts.js";
import { correlationWindowMs, pgNetFailureReason } from "./health/pgnet-correlation.js";
import { judgeNetCalls, type NetCallsState } from "./health/net-calls.js";
import type { DiscoveredJob, JobRow } from "./hub/inventory.js";
import { type EdgeFunctionInfo, type FunctionLogs, ManagementApi, nextLogsWindow, projectRefFor } from "./sources/management-api.js";
import type { CronJob, CronRun } from "./sources/pgcron.js";
import type { PgNetRead, PgNetResponse } from "./sources/pgnet.js";

/**
 * Edge Functions in a check: what the Management API says (the functions, their
 * invocations), what pg_net says (the outcome of each `net.http_post` a cron job made), and
 * how both change verdicts. The pure rules live in health/function-calls.ts,
 * health/pgnet-correlation.ts and health/function-verdicts.ts; this module joins
 * them to the cycle.
 */

export interface FunctionsCollected {
  /** null when not read (no token, no ref, or an API error: see `note`). */
  functions: EdgeFunctionInfo[] | null;
  logs: FunctionLogs | null;
  /** Why something was not read, for the project's warnings. */
  note: string | null;
}

export function managementApi(config: Config, options: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> } = {}): ManagementApi | null {
  const token = config.managementApi.accessToken;
  if (!token) return null;
  return new ManagementApi({ accessToken: token, baseUrl: config.managementApi.baseUrl, secrets: config.secrets, ...options });
}

export const NO_TOKEN_NOTE =
  "Edge Functions skipped: set SUPABASE_ACCESS_TOKEN (JOBMON_ACCESS_TOKEN in Supabase secrets) to a Supabase personal access token to discover and check them";

/** Reads one project's functions and, when `logsCursor` is given, its invocations since then. */
export async function collectFunctions(
  config: Config,
  project: ProjectConfig,
  api: ManagementApi | null,
  logs: { cursor: Date | null; now: Date } | null,
): Promise<FunctionsCollected> {
  if (!api) return { functions: null, logs: null, note: null };
  const ref = projectRefFor(project);
  if (!ref.ok) return { functions: null, logs: null, note: ref.reason };
  let functions: EdgeFunctionInfo[];
  try {
    functions = await api.listFunctions(ref.ref);
  } catch (error) {
    return { functions: null, logs: null, note: `Edge Functions not read: ${redactSecrets(errorMessage(error), config.secrets)}` };
  }
  if (!logs || functions.length === 0) return { functions, logs: null, note: null };
  const window = nextLogsWindow({ cursor: logs.cursor, now: logs.now });
  if (!window) return { functions, logs: null, note: null };
  try {
    return { functions, logs: await api.functionLogs(ref.ref, window), note: null };
  } catch (error) {
    return { functions, logs: null, note: `Edge Function logs not read: ${redactSecrets(errorMessage(error), config.secrets)}` };
  }
}

/** The inventory rows of a project's functions; each inherits the schedule of the active job(s) calling it. */
export function functionInventory(functions: readonly EdgeFunctionInfo[], cronJobs: readonly CronJob[], names: ReadonlyMap<number, string>, ref: string | null): DiscoveredJob[] {
  const calls = functionCallsByJob(cronJobs, ref);
  return functions.map((fn) => {
    const callers = cronJobs.filter((job) => calls.get(job.jobid)?.includes(fn.slug));
    const active = callers.filter((job) => job.active);
    const schedules = [...new Set(active.map((job) => job.schedule))];
    return {
      job_name: fn.slug,
      source_id: fn.id,
      schedule: schedules.length === 1 ? (schedules[0] as string) : schedules.length > 1 ? schedules.join(" | ") : null,
      command: null,
      active: fn.status === "ACTIVE",
      run_as: null,
      database_name: null,
      source_meta: {
        name: fn.name,
        version: fn.version,
        status: fn.status,
        updated_at: fn.updated_at?.getTime() ?? null,
        verify_jwt: fn.verify_jwt,
        called_by: callers.map((job) => names.get(job.jobid) ?? `job_${job.jobid}`),
      },
    };
  });
}

/** What pg_net's part of a check needs besides the verdicts. */
export interface NetCallsContext {
  /** This check's runs: new, re-read and (on a first pg_net read) the calling runs of its window. */
  runs: readonly CronRun[];
  net: PgNetRead | null;
  /** What the previous check carried (project state); null on a first pg_net read. */
  state: NetCallsState | null;
}

/**
 * pg_net outcomes and misconfigured calls change cron verdicts: a job whose latest
 * `net.http_post` got a 5xx or timed out is failed, although pg_cron marked its run succeeded;
 * a job calling a function the project does not have is failed with the slug in its reason.
 * Returns what the next check needs (undefined when pg_net was not read: the state stands),
 * warnings for the project, and the request-to-response durations of each job's successful
 * calls read this check (by inventory id).
 */
export function applyFunctionOutcomes(
  verdicts: Map<string, Verdict>,
  jobs: readonly JobRow[],
  cronJobs: readonly CronJob[],
  context: NetCallsContext,
  functions: readonly EdgeFunctionInfo[] | null,
  ref: string | null,
  secrets: readonly string[],
): { state: NetCallsState | undefined; warnings: string[]; durations: Map<string, number[]> } {
  const calls = functionCallsByJob(cronJobs, ref);
  const { net } = context;
  const byJobid = new Map(jobs.filter((j) => j.job_type === "pg_cron").map((j) => [Number(j.source_id), j]));
  const names = new Map([...byJobid].map(([jobid, j]) => [jobid, j.job_name]));
  const fail = (jobid: number, reason: string, errorMessage: string | null, at: Date | null, streak: number) => {
    const job = byJobid.get(jobid);
    const verdict = job && verdicts.get(job.id);
    if (!job || !verdict || verdict.status === "paused") return;
    if (verdict.status === "failed" || verdict.status === "stuck") {
      verdict.reason = `${verdict.reason}; also ${reason}`;
      return;
    }
    // A failed call outranks missed and slow, as a failed run does (evaluateJob's order).
    const also = verdict.status === "missed" || verdict.status === "slow" ? `; also ${verdict.status}: ${verdict.reason}` : "";
    verdicts.set(job.id, { ...verdict, status: "failed", reason: `${reason}${also}`, errorMessage, runAt: at ?? verdict.runAt, trailingFailures: Math.max(1, streak, verdict.trailingFailures) });
  };
  const warnings: string[] = [];
  const durations = new Map<string, number[]>();
  let state: NetCallsState | undefined;
  const readable = net?.available ? net : null;
  if (calls.size > 0 || readable) {
    const judged = judgeNetCalls({
      calls,
      runs: context.runs.map((r) => ({ jobid: r.jobid, runid: r.runid, start: r.start_time, end: r.end_time, failed: r.status === "failed" })),
      state: context.state,
      read: readable ? { responses: readable.responses, upper: readable.upper } : null,
      windowMs: correlationWindowMs(cronJobs.filter((job) => calls.has(job.jobid)).map((job) => job.command)),
      singleCallJobs: new Set(cronJobs.filter((job) => calls.has(job.jobid) && makesOneRequest(job.command)).map((job) => job.jobid)),
      firstCheck: context.state === null,
      jobNames: names,
      secrets,
    });
    for (const [jobid, outcome] of judged.byJob) {
      const calling = byJobid.get(jobid);
      if (calling && outcome.durationsMs.length > 0) durations.set(calling.id, outcome.durationsMs);
      const failure = outcome.failure;
      if (!failure) continue;
      // A failure read this check outranks everything but paused; the latest known call, when
      // nothing newer was read, only turns a healthy run into a failed call.
      const job = byJobid.get(jobid);
      const current = job && verdicts.get(job.id)?.status;
      if (failure.fresh || current === "success" || current === "slow" || current === "unknown") fail(jobid, failure.reason, failure.errorMessage, failure.at, failure.streak);
    }
    const stray = judged.unattributedFailures;
    if (stray.length > 0) {
      const last = stray.at(-1) as PgNetResponse;
      warnings.push(
        `${stray.length} failed pg_net response${stray.length === 1 ? "" : "s"} since the last check match${stray.length === 1 ? "es" : ""} no cron job's run ` +
          `(latest at ${last.created.toISOString()}: ${pgNetFailureReason(last, { secrets })}): a trigger, a database webhook or application code made ` +
          `${stray.length === 1 ? "it" : "them"}, or a job's call took longer than its timeout`,
      );
    }
    state = readable || context.state ? judged.state : undefined;
  }
  if (functions) {
    for (const call of misconfiguredCalls(calls, functions)) fail(call.jobid, `misconfigured: ${call.reason}`, null, null, 1);
  }
  return { state, warnings, durations };
}

/** Verdicts of the project's `edge_function` rows, after the cron verdicts (their callers). */
export function evaluateFunctions(
  jobs: readonly JobRow[],
  verdicts: ReadonlyMap<string, Verdict>,
  logs: FunctionLogs | null,
  now: Date,
  secrets: readonly string[],
): Map<string, { verdict: Verdict; runs: RunFact[] }> {
  const cronByName = new Map(jobs.filter((j) => j.job_type === "pg_cron").map((j) => [j.job_name, j]));
  const out = new Map<string, { verdict: Verdict; runs: RunFact[] }>();
  for (const fn of jobs.filter((j) => j.job_type === "edge_function")) {
    const meta = fn.source_meta as { status?: string; called_by?: string[] };
    const callers: CallerFact[] = (meta.called_by ?? []).flatMap((name) => {
      const job = cronByName.get(name);
      const v = job && verdicts.get(job.id);
      return job && v ? [{ jobName: name, status: v.status, reason: v.reason, active: job.active !== false }] : [];
    });
    const invocations = logs ? logs.rows.filter((r) => r.function_id === fn.source_id).map((r) => ({ at: r.timestamp, statusCode: r.status_code, message: r.event_message ? redactSecrets(r.event_message, secrets) : null })) : null;
    const lastCode = fn.last_run_status && /^\d+$/.test(fn.last_run_status) ? Number(fn.last_run_status) : null;
    const fv = evaluateFunction(
      {
        slug: fn.job_name,
        status: meta.status ?? (fn.active === false ? "REMOVED" : "ACTIVE"),
        schedule: fn.schedule,
        callers,
        invocations,
        window: logs ? { start: logs.start, end: logs.end } : null,
        logsTruncated: logs?.truncated ?? false,
        lastInvocation: fn.last_run_at ? { at: fn.last_run_at, statusCode: lastCode } : null,
        previousTrailingFailures: fn.consecutive_failures,
      },
      now,
    );
    const asRun = (at: Date, code: number | null, message: string | null, i: number): RunFact => ({
      runid: at.getTime() * 1000 + i,
      status: isFunctionFailure(code) ? "failed" : "succeeded",
      startTime: at,
      endTime: at,
      message,
      seenAt: at,
    });
    const runs = (invocations ?? []).sort((a, b) => a.at.getTime() - b.at.getTime()).map((inv, i) => asRun(inv.at, inv.statusCode, inv.message ?? null, i));
    const last = fv.lastInvocation;
    out.set(fn.id, {
      runs,
      verdict: {
        status: fv.status,
        reason: fv.reason,
        errorMessage: fv.errorMessage,
        runAt: fv.runAt,
        failedRuns: runs.filter((r) => r.status === "failed"),
        lastFinishedRun: last ? { ...asRun(last.at, last.statusCode, null, 0), status: last.statusCode === null ? "unknown" : String(last.statusCode) } : null,
        openRuns: [],
        expectedAt: null,
        trailingFailures: fv.trailingFailures,
      },
    });
  }
  return out;
}
