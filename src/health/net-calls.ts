import type { PgNetResponse } from "../sources/pgnet.js";
import { correlateResponses, type JobPgNetOutcome, pgNetFailureReason, pgNetJobFailure, type RunWindowFact } from "./pgnet-correlation.js";

/**
 * The outcome of the pg_net calls cron jobs make, across checks. Pure: no clock, no I/O.
 *
 * A check reads the runs up to now but pg_net's responses only up to a settled bound a little
 * in the past (a response batch still being written shows up later with an older `created`),
 * and a response can come up to a request timeout after the run that made it. So the answer
 * to a run a check reads often arrives for a later check, which reads other runs. Two things
 * carry over from one check to the next, in the project's state:
 *
 * - the calling runs whose responses may still come (their window reaches past the bound the
 *   responses were read up to): the next check matches its responses against them too, so a
 *   failure in the seconds before a check is not lost;
 * - each calling job's latest known call: a job's pg_net outcome is the outcome of its latest
 *   call whose answer is known, until a newer one is known. A check that reads no new response
 *   for a job leaves it as it was, instead of calling a failing job healthy.
 */

/** A calling run kept for the next check. Instants are ISO strings (the state is JSON). */
export interface CarriedRun {
  jobid: number;
  runid: number;
  start: string;
  end: string | null;
}

/** The latest call of a job whose answer is known. */
export interface KnownCall {
  /** The response's `created`. */
  at: string;
  failed: boolean;
  /** The failure in words (redacted); null for a call that succeeded. */
  reason: string | null;
  errorMessage: string | null;
  /** Failed calls in a row up to this one (0 when it succeeded): the failure threshold counts them. */
  streak: number;
}

export interface NetCallsState {
  runs: CarriedRun[];
  /** By cron jobid. */
  latest: Record<string, KnownCall>;
}

/** The state as stored in the hub (JSON): anything unexpected reads as an empty state. */
export function netCallsState(stored: unknown): NetCallsState {
  const value = (stored ?? {}) as Partial<NetCallsState>;
  return {
    runs: Array.isArray(value.runs) ? value.runs : [],
    latest: value.latest && typeof value.latest === "object" ? value.latest : {},
  };
}

export const EMPTY_NET_CALLS: NetCallsState = Object.freeze({ runs: [], latest: {} }) as NetCallsState;

/** At most this many runs are carried: a `1 seconds` pg_net job makes about a hundred a window. */
const MAX_CARRIED_RUNS = 5_000;

export interface NetCallsInput {
  /** Calling jobs (functionCallsByJob): jobid → the slugs of this project's functions it calls. */
  calls: ReadonlyMap<number, readonly string[]>;
  /** Calling jobs whose command makes exactly one request per run (makesOneRequest). */
  singleCallJobs?: ReadonlySet<number>;
  /** Runs read by this check (new, re-read, and on a first check the calling runs of the responses' window). */
  runs: readonly RunWindowFact[];
  /** What the previous check carried; null on a first check. */
  state: NetCallsState | null;
  /** The responses read this check, and the bound they were read up to; null when pg_net was not read. */
  read: { responses: readonly PgNetResponse[]; upper: Date } | null;
  windowMs: number;
  /** A project's first check: only each job's latest call counts (old failures that healed are history). */
  firstCheck: boolean;
  jobNames?: ReadonlyMap<number, string>;
  secrets?: readonly string[];
}

export interface JobNetCalls {
  /** Calls whose answer this check read, failed or not. */
  newCalls: number;
  /** Request-to-response durations (ms) of this check's successful calls that are the job's alone. */
  durationsMs: number[];
  /**
   * Why the job's calls make it failed, or null when they do not: a failure read this check
   * (`fresh`), or, with nothing newer read, the latest known call, which failed.
   */
  failure: { reason: string; errorMessage: string | null; at: Date; fresh: boolean; streak: number } | null;
}

export interface NetCallsJudgement {
  byJob: Map<number, JobNetCalls>;
  /** Failed responses no calling run explains (triggers, database webhooks, application code). */
  unattributedFailures: PgNetResponse[];
  /** What the next check needs. */
  state: NetCallsState;
}

export function judgeNetCalls(input: NetCallsInput): NetCallsJudgement {
  const previous = input.state ?? EMPTY_NET_CALLS;
  const fresh = new Set(input.runs.map((run) => run.runid));
  const carried: RunWindowFact[] = previous.runs
    .filter((run) => !fresh.has(run.runid))
    .map((run) => ({ jobid: run.jobid, runid: run.runid, start: new Date(run.start), end: run.end === null ? null : new Date(run.end) }));
  const runs = [...carried, ...input.runs];

  const latest: Record<string, KnownCall> = {};
  for (const [jobid, call] of Object.entries(previous.latest)) if (input.calls.has(Number(jobid))) latest[jobid] = call;

  const byJob = new Map<number, JobNetCalls>();
  let unattributedFailures: PgNetResponse[] = [];
  if (input.read) {
    const correlation = correlateResponses(runs, input.calls, input.read.responses, { windowMs: input.windowMs, singleCallJobs: input.singleCallJobs });
    unattributedFailures = correlation.unattributedFailures;
    for (const [jobid, outcome] of correlation.byJob) {
      const slugs = input.calls.get(jobid) ?? [];
      const calls = orderedCalls(outcome, input.read.responses);
      const last = calls.at(-1);
      if (!last) continue;
      const counted = input.firstCheck ? { ...outcome, failures: outcome.failures.filter((f) => f.response === last), okCount: last.failed ? 0 : 1 } : outcome;
      const summary = pgNetJobFailure(counted, { jobNames: input.jobNames, slugs, secrets: input.secrets, jobid });
      const before = latest[String(jobid)];
      let streak = before?.failed ? before.streak : 0;
      for (const call of calls) streak = call.failed ? streak + 1 : 0;
      latest[String(jobid)] = {
        at: last.created.toISOString(),
        failed: last.failed,
        reason: last.failed ? pgNetFailureReason(last, { slug: slugOf(slugs), secrets: input.secrets }) : null,
        errorMessage: last.failed ? (summary?.errorMessage ?? null) : null,
        streak,
      };
      byJob.set(jobid, {
        newCalls: input.firstCheck ? 1 : calls.length,
        durationsMs: outcome.okDurationsMs ?? [],
        failure: summary ? { reason: summary.reason, errorMessage: summary.errorMessage, at: summary.at, fresh: true, streak } : null,
      });
    }
  }
  // Jobs with no new answer: their latest known call stands.
  for (const [jobid, call] of Object.entries(latest)) {
    const id = Number(jobid);
    if (byJob.has(id)) continue;
    byJob.set(id, {
      newCalls: 0,
      durationsMs: [],
      failure: call.failed
        ? {
            reason: `its latest pg_net call failed (at ${call.at.replace(/\.000Z$/, "Z")}): ${call.reason ?? "no error text"}; no newer call's answer has been read yet`,
            errorMessage: call.errorMessage,
            at: new Date(call.at),
            fresh: false,
            streak: call.streak,
          }
        : null,
    });
  }

  // Carry the runs whose responses may still come: their window reaches past the bound read up to
  // (or, when pg_net was not read, any run that may still be answered).
  const bound = input.read?.upper.getTime() ?? Number.NEGATIVE_INFINITY;
  const keep = runs
    .filter((run) => run.start !== null && !run.failed && input.calls.has(run.jobid))
    .filter((run) => run.end === null || run.end.getTime() + input.windowMs >= bound)
    .sort((a, b) => a.runid - b.runid)
    .slice(-MAX_CARRIED_RUNS)
    .map((run) => ({ jobid: run.jobid, runid: run.runid, start: (run.start as Date).toISOString(), end: run.end?.toISOString() ?? null }));
  return { byJob, unattributedFailures, state: { runs: keep, latest } };
}

/** A job's attributed calls, oldest first (by created, then request id). */
function orderedCalls(outcome: JobPgNetOutcome, responses: readonly PgNetResponse[]): PgNetResponse[] {
  const mine = new Set(outcome.failures.map((f) => f.response));
  const ok = outcome.okResponses ?? [];
  for (const response of ok) mine.add(response);
  return responses.filter((response) => mine.has(response));
}

function slugOf(slugs: readonly string[]): string | null | undefined {
  return slugs.length === 1 ? slugs[0] : slugs.length === 0 ? null : undefined;
}
