import { redactSecrets } from "../lib/redact.js";
import type { PgNetResponse } from "../sources/pgnet.js";
import { stripSqlComments } from "./function-calls.js";

/**
 * pg_net responses → cron jobs, pure: no clock, no I/O. pg_net stores no URL, so which cron
 * run a response belongs to is found by time (and request order), and a failed response is
 * put in words for the job's verdict.
 */

export interface RunWindowFact {
  jobid: number;
  runid: number;
  /** cron.job_run_details.start_time; a run without one (not started) explains nothing. */
  start: Date | null;
  end: Date | null;
  /**
   * pg_cron says the run failed: its transaction rolled back, and with it the requests it
   * queued (pg_net sends a request only once the transaction that made it commits).
   */
  failed?: boolean;
}

export interface AttributedFailure {
  response: PgNetResponse;
  /** Runs of two or more calling jobs fit the response's time, and request order could not tell them apart: it is attributed to each. */
  ambiguous: boolean;
  /** The jobs whose runs fit its time (this one included). */
  candidates: number[];
  /**
   * Several jobs fit by time, and this told which one made it: request order, or elimination
   * (the other jobs' runs make one request each, and theirs was already answered).
   */
  resolvedBy?: Resolution;
}

export type Resolution = "request order" | "elimination";

export interface JobPgNetOutcome {
  failures: AttributedFailure[];
  /** Responses that succeeded and were attributed to this job (ambiguous ones included). */
  okCount: number;
  /** Of `okCount`, those shared with another job. */
  ambiguousOk: number;
  /** The responses behind `okCount`. */
  okResponses?: PgNetResponse[];
  /**
   * Request-to-response durations (ms) of the successful responses that are this job's alone
   * and whose run has ended: pg_net sends a run's requests when its transaction commits, at the
   * run's end, so the response's `created` minus the run's end_time.
   */
  okDurationsMs?: number[];
}

export interface PgNetCorrelation {
  byJob: Map<number, JobPgNetOutcome>;
  /** Failed responses no calling run explains (a trigger, a webhook, app code, a slow call). */
  unattributedFailures: PgNetResponse[];
  unattributedOk: number;
}

/**
 * pg_net's default request timeout is 5 s (v0.8+). A response is stored when the answer
 * (or the timeout) comes: a run's requests are sent when its transaction commits (the end
 * of the run) and pg_net's worker picks them up within a second or so. Sixty seconds
 * covers the default timeout many times over plus a worker that is behind, and still
 * keeps runs of jobs scheduled minutes apart from overlapping. Raise it for calls made
 * with a longer `timeout_milliseconds`.
 */
export const DEFAULT_CORRELATION_WINDOW_MS = 60_000;

/** pg_net's default request timeout (v0.8+). */
export const PG_NET_DEFAULT_TIMEOUT_MS = 5_000;

/**
 * How long after a run's end its responses can still be stamped: the longest request timeout
 * of the calling commands (`timeout_milliseconds := N`, 5 s when absent) plus time for pg_net's
 * worker to pick the request up and write the answer (it polls its queue, and 0.11 writes a
 * whole batch once its slowest request is done). A timeout that is not a literal (a variable,
 * a sub-select) leaves the default window, which covers a minute.
 */
export function correlationWindowMs(commands: Iterable<string>): number {
  let longest = PG_NET_DEFAULT_TIMEOUT_MS;
  for (const command of commands) {
    for (const match of stripSqlComments(command).matchAll(/\btimeout_milliseconds\s*(?::=|=>)\s*([^,)\s]+)/gi)) {
      const ms = /^\d+$/.test(match[1] ?? "") ? Number(match[1]) : Number.POSITIVE_INFINITY;
      longest = Math.max(longest, ms);
    }
  }
  if (!Number.isFinite(longest)) return DEFAULT_CORRELATION_WINDOW_MS;
  return longest + WORKER_SLACK_MS;
}

/**
 * pg_net's worker: its queue poll (about a second), and a batch still waiting for its slowest
 * request, which holds back the next batch by at most one timeout (counted in the window).
 * Measured: 0.11 stamps a run's response about 1.2 s after the run, 0.20 within 100 ms.
 */
const WORKER_SLACK_MS = 5_000;

/**
 * Matches pg_net responses to the cron runs that made them. pg_net stores no URL and nothing
 * links a response to a run, so the rule is by time:
 *
 * 1. Only jobs in `calls` are candidates (jobs that send pg_net requests or call a function),
 *    and only their runs that did not fail (a failed run's requests were rolled back).
 * 2. A run fits a response created at `t` when it started at or before `t` and `t` is at
 *    most `windowMs` after the run's end (its start when it has no end yet). For each job,
 *    its latest fitting run is the one that made the call.
 * 3. One job fits: the response is that job's. Two or more jobs fit: it is attributed to
 *    each of them, marked `ambiguous`, and the reason says so.
 * 4. No job fits: the response is unattributed (counted, not blamed on anyone): pg_net is
 *    also used by triggers, database webhooks and application code.
 */
export function correlateResponses(
  runs: readonly RunWindowFact[],
  calls: ReadonlyMap<number, readonly string[]>,
  responses: readonly PgNetResponse[],
  options: { windowMs?: number; singleCallJobs?: ReadonlySet<number> } = {},
): PgNetCorrelation {
  const windowMs = options.windowMs ?? DEFAULT_CORRELATION_WINDOW_MS;
  const runsByJob = new Map<number, FittingRun[]>();
  const seenRuns = new Set<number>();
  for (const run of runs) {
    if (!calls.has(run.jobid) || run.start === null || run.failed || seenRuns.has(run.runid)) continue;
    seenRuns.add(run.runid);
    const start = run.start.getTime();
    const end = Math.max(start, run.end?.getTime() ?? start);
    const list = runsByJob.get(run.jobid) ?? [];
    list.push({ jobid: run.jobid, runid: run.runid, start, end, until: end + windowMs, ended: run.end !== null });
    runsByJob.set(run.jobid, list);
  }

  // Each response's candidates: per calling job, its latest run that fits.
  const matched = responses.map((response) => {
    const t = response.created.getTime();
    const fitting: FittingRun[] = [];
    for (const list of runsByJob.values()) {
      let best: FittingRun | undefined;
      for (const run of list) if (run.start <= t && t <= run.until && (!best || run.start > best.start)) best = run;
      if (best) fitting.push(best);
    }
    fitting.sort((a, b) => a.jobid - b.jobid);
    const only = fitting.length === 1 ? (fitting[0] as FittingRun) : null;
    return { response, fitting, owner: only, resolvedBy: undefined as Resolution | undefined };
  });
  resolveByElimination(matched, options.singleCallJobs ?? new Set());
  resolveByRequestOrder(matched);

  const byJob = new Map<number, JobPgNetOutcome>();
  const outcome = (jobid: number): JobPgNetOutcome => {
    let entry = byJob.get(jobid);
    if (!entry) {
      entry = { failures: [], okCount: 0, ambiguousOk: 0, okResponses: [], okDurationsMs: [] };
      byJob.set(jobid, entry);
    }
    return entry;
  };
  const result: PgNetCorrelation = { byJob, unattributedFailures: [], unattributedOk: 0 };
  for (const { response, fitting, owner, resolvedBy } of matched) {
    if (fitting.length === 0) {
      if (response.failed) result.unattributedFailures.push(response);
      else result.unattributedOk++;
      continue;
    }
    const candidates = fitting.map((run) => run.jobid);
    const ambiguous = owner === null;
    for (const jobid of owner === null ? candidates : [owner.jobid]) {
      const entry = outcome(jobid);
      if (response.failed) entry.failures.push({ response, ambiguous, candidates, ...(resolvedBy ? { resolvedBy } : {}) });
      else {
        entry.okCount++;
        entry.okResponses?.push(response);
        if (ambiguous) entry.ambiguousOk++;
        else if (owner?.ended) entry.okDurationsMs?.push(Math.max(0, response.created.getTime() - owner.end));
      }
    }
  }
  return result;
}

interface FittingRun {
  jobid: number;
  runid: number;
  start: number;
  end: number;
  until: number;
  /** The run has an end_time (when its requests were sent). */
  ended: boolean;
}

type Matched = { response: PgNetResponse; fitting: FittingRun[]; owner: FittingRun | null; resolvedBy: Resolution | undefined };

/**
 * A run of a job whose command makes one request is answered once. So once a response is
 * that run's (it was the only run to fit it), the run is no candidate for another response,
 * and a response that then has one candidate left is that candidate's. Repeated until nothing
 * changes. Jobs whose commands may make several requests (or an unknown number) never drop out.
 */
function resolveByElimination(matched: Matched[], singleCall: ReadonlySet<number>): void {
  const answered = new Set<number>();
  const claim = (run: FittingRun) => {
    if (singleCall.has(run.jobid)) answered.add(run.runid);
  };
  for (const entry of matched) if (entry.owner) claim(entry.owner);
  for (let changed = true; changed; ) {
    changed = false;
    for (const entry of matched) {
      if (entry.owner || entry.fitting.length < 2) continue;
      const open = entry.fitting.filter((run) => !answered.has(run.runid));
      if (open.length !== 1) continue;
      entry.owner = open[0] as FittingRun;
      entry.resolvedBy = "elimination";
      claim(entry.owner);
      changed = true;
    }
  }
}

/**
 * Responses that several jobs' runs fit by time, told apart by request order where that is
 * certain. pg_net numbers requests from one sequence when they are made, inside the run, and
 * a response keeps its request's id. When the fitting runs did not overlap (each ended before
 * the next started), every request of the earlier run has a smaller id than any of the later
 * one. So when exactly one response per run fits that same set of runs (each made one call,
 * and no other request came in between), the responses in id order belong to the runs in
 * start order. Anything else (overlapping runs, more or fewer responses) stays ambiguous.
 */
function resolveByRequestOrder(matched: Matched[]): void {
  const groups = new Map<string, Matched[]>();
  for (const entry of matched) {
    if (entry.owner || entry.fitting.length < 2) continue;
    const key = entry.fitting.map((run) => run.runid).join(",");
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  for (const group of groups.values()) {
    const runs = [...(group[0] as Matched).fitting].sort((a, b) => a.start - b.start || a.runid - b.runid);
    if (group.length !== runs.length) continue;
    const disjoint = runs.every((run, i) => i === 0 || (runs[i - 1] as FittingRun).end < run.start);
    if (!disjoint) continue;
    const ordered = [...group].sort((a, b) => a.response.id - b.response.id);
    ordered.forEach((entry, i) => {
      entry.owner = runs[i] as FittingRun;
      entry.resolvedBy = "request order";
    });
  }
}

function firstLine(text: string | null | undefined, max = 200): string {
  if (!text) return "";
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** What an HTTP status means when an Edge Function answers it (docs/platform.md "Edge Functions"). */
export function edgeStatusMeaning(status: number): string | null {
  switch (status) {
    case 546:
      return "resource limit hit: CPU time, memory or wall clock";
    case 504:
      return "timeout: the function did not answer within the 150 s limit";
    case 503:
      return "the function could not start (boot error or unavailable)";
    case 502:
      return "bad gateway: the function crashed or returned an invalid answer";
    case 500:
      return "the function threw or returned an error";
    case 401:
      return "unauthorized: check the Authorization header (the key read from Vault may be NULL or wrong)";
    case 404:
      return "not found: is the function deployed under that name?";
    default:
      return null;
  }
}

/** The standard meaning of an HTTP error status, for a call to a URL that is not an Edge Function. */
export function httpStatusMeaning(status: number): string | null {
  switch (status) {
    case 400:
      return "bad request";
    case 401:
      return "unauthorized: check the Authorization header";
    case 403:
      return "forbidden";
    case 404:
      return "not found";
    case 408:
      return "request timeout";
    case 429:
      return "too many requests: the server is rate limiting";
    case 500:
      return "internal server error";
    case 502:
      return "bad gateway";
    case 503:
      return "service unavailable";
    case 504:
      return "gateway timeout";
    default:
      return status >= 500 ? "server error" : null;
  }
}

/**
 * One failed pg_net response in words: `HTTP 500 from the Edge Function sync-leads (…): <body>`,
 * `timed out after 5000 ms`, or pg_net's error text. Response bodies and error texts are
 * redacted (they can echo headers); pass the configured secrets too.
 */
export function pgNetFailureReason(
  response: Pick<PgNetResponse, "status_code" | "timed_out" | "error_msg" | "content" | "content_truncated">,
  options: { slug?: string | null; secrets?: readonly string[] } = {},
): string {
  const clean = (text: string | null): string => redactSecrets(firstLine(text), options.secrets ?? []);
  // pg_net 0.11 leaves timed_out NULL on a timeout and says so in error_msg only (libcurl's
  // "Timeout was reached"); 0.20 sets timed_out.
  if (response.timed_out || (response.status_code === null && /^timeout\b/i.test(response.error_msg ?? ""))) {
    const ms = /(\d+)\s*ms/i.exec(response.error_msg ?? "")?.[1];
    const target = options.slug ? ` calling the Edge Function ${options.slug}` : "";
    return ms
      ? `timed out after ${ms} ms${target} (pg_net's timeout_milliseconds; a slower function needs a larger one)`
      : `timed out${target} (pg_net's request timeout, 5 s by default: pass timeout_milliseconds to net.http_post for a slower function)${response.error_msg ? `: ${clean(response.error_msg)}` : ""}`;
  }
  if (response.status_code !== null && response.status_code >= 400) {
    const from = options.slug ? `from the Edge Function ${options.slug}` : options.slug === null ? "from the called URL" : "from the Edge Function";
    // What a status means for an Edge Function (546: a resource limit) is no reading of another server's answer.
    const meaning = options.slug === null ? httpStatusMeaning(response.status_code) : edgeStatusMeaning(response.status_code);
    const body = clean(response.content);
    return `HTTP ${response.status_code} ${from}${meaning ? ` (${meaning})` : ""}${body ? `: ${body}${response.content_truncated ? " …" : ""}` : ""}`;
  }
  if (response.error_msg) return `the request failed: ${clean(response.error_msg)}`;
  return "the request failed without an error text";
}

/**
 * A job's pg_net outcome as a verdict: null when none of its calls failed. The reason names
 * the latest failure and says that the match is by time, and when it is ambiguous, with
 * which other jobs (`jobNames` maps jobid → inventory name).
 */
export function pgNetJobFailure(
  outcome: JobPgNetOutcome,
  options: { jobNames?: ReadonlyMap<number, string>; slugs?: readonly string[]; secrets?: readonly string[]; jobid?: number } = {},
): { reason: string; errorMessage: string; at: Date; failures: number } | null {
  const failures = [...outcome.failures].sort((a, b) => a.response.created.getTime() - b.response.created.getTime());
  const latest = failures.at(-1);
  if (!latest) return null;
  const slugs = options.slugs ?? [];
  const slug = slugs.length === 1 ? slugs[0] : slugs.length === 0 ? null : undefined;
  const detail = pgNetFailureReason(latest.response, { slug, secrets: options.secrets ?? [] });
  const total = failures.length + outcome.okCount;
  const count = failures.length === 1 && total === 1 ? "its pg_net call failed" : `${failures.length} of ${total} pg_net calls failed`;
  const name = (jobid: number): string => options.jobNames?.get(jobid) ?? `job ${jobid}`;
  const ambiguous = failures.filter((f) => f.ambiguous);
  let match = "matched to this job by time (pg_net stores no URL)";
  const resolved = failures.filter((f) => f.resolvedBy);
  if (ambiguous.length === 0 && resolved.length > 0) {
    const others = [...new Set(resolved.flatMap((f) => f.candidates))].filter((id) => id !== options.jobid).map(name);
    const how = [...new Set(resolved.map((f) => f.resolvedBy))];
    match = how.includes("request order")
      ? `matched to this job by time and request order (${others.join(", ")} ran in the same window, before or after it; pg_net stores no URL)`
      : `matched to this job by time (${others.join(", ")} also ran in that window, but its request was already answered; pg_net stores no URL)`;
  }
  if (ambiguous.length > 0) {
    const others = [...new Set(ambiguous.flatMap((f) => f.candidates))].filter((id) => id !== options.jobid).map(name);
    match =
      `matched by time only, and ambiguous${failures.length === 1 ? "" : ambiguous.length === failures.length ? " for all of them" : ` for ${ambiguous.length} of them`}: ` +
      `${others.length > 0 ? others.join(", ") : "another job"} ran at the same time (pg_net stores no URL)`;
  }
  const at = latest.response.created;
  return {
    reason: `${count} (last at ${at.toISOString().replace(/\.000Z$/, "Z")}): ${detail}; ${match}`,
    errorMessage: redactSecrets(
      [latest.response.error_msg, latest.response.content].filter((t): t is string => Boolean(t)).join("\n") || detail,
      options.secrets ?? [],
    ),
    at,
    failures: failures.length,
  };
}
