import { redactSecrets } from "../lib/redact.js";
import type { PgNetResponse } from "../sources/pgnet.js";
import type { JobStatus } from "../types.js";

/**
 * Edge Functions in the health engine, pure: no clock, no I/O.
 *
 * - which functions a cron command calls (`/functions/v1/<slug>`),
 * - which cron job a pg_net response belongs to (pg_net stores no URL: by time),
 * - the verdict of an `edge_function` inventory row from its status and its invocations,
 * - the reasons shown for a failed pg_net call and for a call to a function that does not exist.
 */

// ---------------------------------------------------------------------------------------
// Calls in cron commands

/** A call found in a command: the slug and, for a literal `https://<ref>.supabase.co` URL, the ref. */
export interface FunctionCall {
  slug: string;
  /** The project ref in the URL's host, when the URL is a literal `<ref>.supabase.co` one. */
  ref: string | null;
}

/**
 * `/functions/v1/<slug>` right after the host of a literal URL (`https://<ref>.supabase.co`,
 * `http://kong:8000`, a custom domain), or right after the opening quote of a string literal
 * that holds at most a host tail, which is how a URL built in SQL looks:
 * `(select decrypted_secret from vault.decrypted_secrets where name = 'project_url') ||
 * '/functions/v1/<slug>'`, or `'https://' || ref || '.supabase.co/functions/v1/<slug>'`.
 * Anchoring there keeps `…/storage/v1/object/public/functions/v1/x.png` out. A slug is
 * `[A-Za-z0-9_-]+`; what follows it (`?query`, `/sub/path`, a quote) is not part of it.
 */
const CALL =
  /(?:\b[Hh][Tt][Tt][Pp][Ss]?:\/\/([A-Za-z0-9.-]+)(?::\d+)?|(?:['"]|\$[A-Za-z_0-9]*\$)[A-Za-z0-9.-]*(?::\d+)?)\/functions\/v1\/([A-Za-z0-9_-]+)/g;

/**
 * pg_net's request functions (always schema-qualified `net.`; a bare `http_post(` is more
 * likely the synchronous `http` extension, which writes no pg_net response) and the
 * database-webhook wrapper that calls them.
 */
const HTTP_CALL = /\bnet\s*\.\s*http_(?:post|get|delete)\s*\(|\bsupabase_functions\s*\.\s*http_request\s*\(/i;
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/y;

/**
 * SQL comments out, quoted text kept: `--` and `/* *\/` (nested, as PostgreSQL allows) are
 * comments only outside '…' and "…". A $tag$…$tag$ body is stripped the same way, since
 * in a cron command it is mostly code (`do $$ … $$`). A call in a comment does not run.
 */
export function stripSqlComments(sql: string, depth = 0): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (c === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql.startsWith("/*", i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith("*/", i)) {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      out += " ";
      continue;
    }
    if (c === "'" || c === '"') {
      // A doubled quote inside is an escaped quote: the scan simply continues past it.
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else if (c === "'" && sql[j] === "\\" && (sql[i - 1] === "e" || sql[i - 1] === "E")) {
          j += 2; // E'…\'…' escape
        } else {
          j++;
        }
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "$" && !/[A-Za-z_0-9]/.test(sql[i - 1] ?? "")) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql);
      if (tag) {
        // The body of `do $$ … $$` is code with comments of its own: strip those too.
        const open = i + tag[0].length;
        const close = sql.indexOf(tag[0], open);
        const bodyEnd = close < 0 ? sql.length : close;
        const body = sql.slice(open, bodyEnd);
        // Bounded recursion: tags nested deeper than this are kept verbatim.
        out += tag[0] + (depth < 4 ? stripSqlComments(body, depth + 1) : body) + (close < 0 ? "" : tag[0]);
        i = close < 0 ? sql.length : close + tag[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** Every Edge Function call in a command, in order of appearance, each (slug, ref) once. */
export function functionCallTargets(command: string): FunctionCall[] {
  const calls: FunctionCall[] = [];
  const seen = new Set<string>();
  for (const match of stripSqlComments(command).matchAll(CALL)) {
    const host = match[1]?.toLowerCase() ?? null;
    const slug = match[2] as string;
    const ref = host === null ? null : (/^([a-z0-9]+)\.supabase\.(?:co|in|net)$/.exec(host)?.[1] ?? null);
    const key = `${slug}\0${ref ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    calls.push({ slug, ref });
  }
  return calls;
}

/**
 * The slugs of the Edge Functions a cron command calls through `/functions/v1/<slug>`. With
 * `projectRef`, a literal URL of another project (`https://<other>.supabase.co/…`) is left
 * out: that function is not this project's to look for.
 */
export function functionCallsInCommand(command: string, projectRef?: string | null): string[] {
  const slugs = functionCallTargets(command)
    .filter((call) => !projectRef || call.ref === null || call.ref === projectRef)
    .map((call) => call.slug);
  return [...new Set(slugs)];
}

/**
 * True when each run of the command makes exactly one pg_net request: one call site, not under
 * a FROM that could repeat it (`select net.http_post(…) from users`), and no loop. A FROM inside
 * parentheses (the usual `(select decrypted_secret from vault.decrypted_secrets …)`) is a
 * sub-select giving the call an argument, not more calls. When in doubt: false.
 */
export function makesOneRequest(command: string): boolean {
  const code = stripSqlComments(command).replace(/'(?:[^']|'')*'/g, "''");
  if ((code.match(new RegExp(HTTP_CALL.source, "gi")) ?? []).length !== 1) return false;
  let topLevel = "";
  let depth = 0;
  for (const c of code) {
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0) topLevel += c;
  }
  return !/\b(?:from|loop|foreach|while|generate_series)\b/i.test(topLevel);
}

/** True when the command sends an HTTP request through pg_net (net.http_post/get/delete). */
export function makesHttpRequest(command: string): boolean {
  return HTTP_CALL.test(stripSqlComments(command));
}

/**
 * The `calls` map the rest of this module takes: every cron job that sends pg_net requests or
 * calls a function, keyed by jobid, with the slugs of this project's functions it calls
 * (possibly none: a job posting to another service still makes pg_net responses, and must be
 * a candidate when responses are matched to jobs, or its failures would land on a job that
 * calls a function).
 */
export function functionCallsByJob(
  jobs: readonly { jobid: number; command: string }[],
  projectRef?: string | null,
): Map<number, string[]> {
  const calls = new Map<number, string[]>();
  for (const job of jobs) {
    const slugs = functionCallsInCommand(job.command, projectRef);
    if (slugs.length > 0 || makesHttpRequest(job.command)) calls.set(job.jobid, slugs);
  }
  return calls;
}

/** A job calling a slug the project does not have (or has as REMOVED). */
export interface MisconfiguredCall {
  jobid: number;
  slug: string;
  reason: string;
}

/**
 * Calls to functions the project does not have. `functions` are the project's functions
 * (slugs, or `{slug, status}` from the Management API: a call to a REMOVED one is reported too).
 */
export function misconfiguredCalls(
  calls: ReadonlyMap<number, readonly string[]>,
  functions: Iterable<string | { slug: string; status: string }>,
): MisconfiguredCall[] {
  const status = new Map<string, string>();
  for (const f of functions) {
    if (typeof f === "string") status.set(f, "ACTIVE");
    else status.set(f.slug, f.status);
  }
  const out: MisconfiguredCall[] = [];
  for (const [jobid, slugs] of calls) {
    for (const slug of slugs) {
      const state = status.get(slug);
      if (state === undefined) {
        out.push({
          jobid,
          slug,
          reason: `calls the Edge Function "${slug}" (/functions/v1/${slug}), which this project does not have: deploy it or fix the URL in the command`,
        });
      } else if (state === "REMOVED") {
        out.push({
          jobid,
          slug,
          reason: `calls the Edge Function "${slug}" (/functions/v1/${slug}), which is REMOVED in this project: redeploy it or unschedule the job`,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// pg_net responses → cron jobs

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
    list.push({ jobid: run.jobid, runid: run.runid, start, end, until: end + windowMs });
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
      entry = { failures: [], okCount: 0, ambiguousOk: 0, okResponses: [] };
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

// ---------------------------------------------------------------------------------------
// The verdict of an Edge Function

export interface InvocationFact {
  at: Date;
  statusCode: number | null;
  /** event_message (`POST | 546 | https://…/functions/v1/slug`). */
  message?: string | null;
}

export interface CallerFact {
  jobName: string;
  /** The caller's verdict in this check, after project-level hold-backs (scheduler_down). */
  status: JobStatus | string;
  reason: string;
  active: boolean;
}

export interface FunctionFacts {
  slug: string;
  /** ACTIVE, REMOVED or THROTTLED (Management API). */
  status: string;
  /** The schedule inherited from the active job(s) that call it; null when none does. */
  schedule: string | null;
  /** The cron jobs whose command calls it. */
  callers: readonly CallerFact[];
  /** Its invocations in the window read this check; null when the logs were not read. */
  invocations: readonly InvocationFact[] | null;
  /** The logs window read this check. */
  window: { start: Date; end: Date } | null;
  /** Why the logs were not read (rate limited, no permission …), shown in the reason. */
  logsError?: string | null;
  /** The window's answer was cut at the row limit (success counts are then a lower bound). */
  logsTruncated?: boolean;
  /** The latest invocation known before this check (the hub's last_run_at/last_run_status). */
  lastInvocation: { at: Date; statusCode: number | null } | null;
  /** The hub's consecutive_failures before this check (for the failure threshold). */
  previousTrailingFailures?: number;
}

export interface FunctionVerdict {
  status: JobStatus;
  reason: string;
  errorMessage: string | null;
  /** The invocation the verdict is about, when there is one. */
  runAt: Date | null;
  /** The latest invocation after this check (store as last_run_at / last_run_status). */
  lastInvocation: { at: Date; statusCode: number | null } | null;
  /** Invocations in the window, and how many of them failed (status >= 500). */
  invocations: number;
  failures: number;
  /**
   * Consecutive failed invocations at the end of the history (store as consecutive_failures
   * and give to `transition` with the job's failure threshold). REMOVED/THROTTLED count one
   * per check, like a failed run.
   */
  trailingFailures: number;
}

/** A status the function answered that fails it: 5xx (546 = resource limit, 504 = timeout). */
export function isFunctionFailure(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 500;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, "Z");
}

function codeSummary(codes: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([code, n]) => {
      const meaning = code === 546 ? " (resource limit)" : code === 504 ? " (timeout)" : "";
      return `${n}× ${code}${meaning}`;
    })
    .join(", ");
}

/**
 * The verdict of an `edge_function` inventory row, first rule that applies:
 *
 * 1. REMOVED or THROTTLED (Management API) → failed, saying which and what to do.
 * 2. Invocations answered 5xx in the window → failed, with the codes and their counts.
 * 3. Missed: the function inherits the schedule of the cron jobs that call it, and the
 *    dead man's switch is theirs: pg_cron's runs say whether the call was made on time, the
 *    logs only say whether it succeeded (and arrive late). So the function is `missed` when
 *    it is scheduled and every active caller's own verdict is `missed`: the same outage
 *    shows on the function, which is what a reader of the function's row looks for, with
 *    the caller named. A caller held back by `scheduler_down` is not `missed`, so neither
 *    is the function. A function a job calls but whose logs show no call in a window is not
 *    missed on its own: the window may simply hold no fire time.
 * 4. Invocations in the window, none 5xx → success (4xx are the caller's errors and counted
 *    in the reason only).
 * 5. No invocation in the window: the latest known invocation decides (as for a cron job
 *    between runs); none ever and no job calls it → `unknown` ("idle"): neither failed nor
 *    missed; none ever but called → `unknown` ("no invocation seen yet").
 */
export function evaluateFunction(facts: FunctionFacts, _now: Date): FunctionVerdict {
  // `_now` is kept for symmetry with evaluateJob: every rule here reads the window instead.
  const invocations = [...(facts.invocations ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
  const latest = invocations.at(-1);
  const lastInvocation = latest ? { at: latest.at, statusCode: latest.statusCode } : facts.lastInvocation;
  const failed = invocations.filter((i) => isFunctionFailure(i.statusCode));
  const previousTrailing = facts.previousTrailingFailures ?? 0;
  let trailingFailures = previousTrailing;
  for (const invocation of invocations) trailingFailures = isFunctionFailure(invocation.statusCode) ? trailingFailures + 1 : 0;
  const base = {
    lastInvocation,
    invocations: invocations.length,
    failures: failed.length,
    trailingFailures,
    runAt: null as Date | null,
    errorMessage: null as string | null,
  };
  const since = facts.window ? ` since ${iso(facts.window.start)}` : "";
  const logsNote = facts.logsError ? ` (its logs could not be read this check: ${facts.logsError})` : "";
  const callers = facts.callers.map((c) => c.jobName);
  const calledBy = callers.length > 0 ? `called by ${callers.join(", ")}` : "no cron job calls it";

  if (facts.status === "REMOVED") {
    return {
      ...base,
      trailingFailures: previousTrailing + 1,
      status: "failed",
      reason: `the function is REMOVED in the project (Management API status)${callers.length > 0 ? `, yet ${calledBy}: redeploy it or unschedule the job` : ": redeploy it if it is still needed"}`,
    };
  }
  if (facts.status === "THROTTLED") {
    return {
      ...base,
      trailingFailures: previousTrailing + 1,
      status: "failed",
      reason: "the function is THROTTLED by Supabase (Management API status): its invocations are being refused; check the project's usage limits and billing",
    };
  }

  if (failed.length > 0) {
    const last = failed.at(-1) as InvocationFact;
    const codes = failed.map((i) => i.statusCode as number);
    const share = `${failed.length} of ${invocations.length} invocation${invocations.length === 1 ? "" : "s"}${since}`;
    const recovered = latest && !isFunctionFailure(latest.statusCode) ? "; the latest invocation succeeded" : "";
    return {
      ...base,
      status: "failed",
      reason: `${share} failed: ${codeSummary(codes)} (last at ${iso(last.at)})${recovered}${facts.logsTruncated ? "; more invocations than one read returns" : ""}`,
      errorMessage: last.message ?? `HTTP ${last.statusCode}`,
      runAt: last.at,
    };
  }

  const active = facts.callers.filter((c) => c.active);
  if (facts.schedule !== null && active.length > 0 && active.every((c) => c.status === "missed")) {
    const first = active[0] as CallerFact;
    return {
      ...base,
      status: "missed",
      reason: `not called on schedule: ${active.length === 1 ? `its caller ${first.jobName} missed` : `its callers ${active.map((c) => c.jobName).join(", ")} all missed`} (${first.reason})`,
    };
  }

  if (latest) {
    const clientErrors = invocations.filter((i) => i.statusCode !== null && i.statusCode >= 400).length;
    const count = `${invocations.length}${facts.logsTruncated ? "+" : ""} invocation${invocations.length === 1 ? "" : "s"}${since}`;
    return {
      ...base,
      status: "success",
      reason: `${count}, none failed${clientErrors > 0 ? ` (${clientErrors} answered 4xx: a caller's error)` : ""}; last at ${iso(latest.at)} (${latest.statusCode ?? "no status"})`,
      runAt: latest.at,
    };
  }

  const previous = facts.lastInvocation;
  if (previous) {
    if (isFunctionFailure(previous.statusCode)) {
      return {
        ...base,
        status: "failed",
        reason: `no invocation${since}; the latest one, at ${iso(previous.at)}, answered ${previous.statusCode}${logsNote}`,
        runAt: previous.at,
      };
    }
    return {
      ...base,
      status: "success",
      reason: `no invocation${since}; the latest one, at ${iso(previous.at)}, answered ${previous.statusCode ?? "no status"}; ${calledBy}${logsNote}`,
      runAt: previous.at,
    };
  }
  if (callers.length === 0) {
    return { ...base, status: "unknown", reason: `idle: no cron job calls it and no invocation${since || " seen"}${logsNote}` };
  }
  return { ...base, status: "unknown", reason: `no invocation seen yet; ${calledBy}${logsNote}` };
}
