import {
  backoffDelayMs,
  fetchWithTimeout,
  isRecord,
  parseJson,
  parseRetryAfterMs,
  realSleep,
  scrubSecrets,
  truncate,
} from "../lib/http.js";
import { redactSecrets } from "../lib/redact.js";
import type { ProjectConfig } from "../config.js";
import { ConfigError, type ErrorClass, JobmonError } from "../errors.js";

/**
 * A client for the two Supabase Management API endpoints jobmon reads (docs/platform.md
 * "Supabase Management API"): the Edge Functions of a project, and their invocations from
 * `logs.all`. Only `fetch` and Web APIs: the check runs inside an Edge Function too.
 *
 * Rate limits: 120 requests/min per endpoint and project, `logs.all` 30/min, 429 when
 * exceeded, `X-RateLimit-Reset` = seconds until the window resets. The client remembers,
 * per endpoint and project, an answer that said `X-RateLimit-Remaining: 0` and waits for
 * the reset before its next call there; a 429 is retried after the reset it names. Waits
 * and retries are bounded (attempts and total wait per call): what does not fit fails with
 * a `rate_limited` error, and the next check tries again.
 *
 * The access token never appears in an error: messages are built from the status, the
 * path (no query string) and the server's text with the token scrubbed out.
 */

export const DEFAULT_API_URL = "https://api.supabase.com";

export const EDGE_FUNCTION_STATUSES = ["ACTIVE", "REMOVED", "THROTTLED"] as const;
export type EdgeFunctionStatus = (typeof EDGE_FUNCTION_STATUSES)[number];

/** One entry of `GET /v1/projects/{ref}/functions`, timestamps converted from epoch milliseconds. */
export interface EdgeFunctionInfo {
  /** The function's uuid: what `metadata.function_id` holds in the logs. */
  id: string;
  slug: string;
  name: string;
  /** ACTIVE, REMOVED or THROTTLED; another value the API may add later is passed through. */
  status: EdgeFunctionStatus | (string & {});
  version: number;
  created_at: Date;
  updated_at: Date;
  verify_jwt: boolean;
}

/** One Edge Function invocation, as the documented `function_edge_logs` example query returns it. */
export interface EdgeInvocation {
  id: string;
  /** From unix microseconds. */
  timestamp: Date;
  event_message: string;
  /** HTTP status the function answered; null when the log row has none. */
  status_code: number | null;
  method: string | null;
  /** The function's uuid (not its slug): match it with `EdgeFunctionInfo.id`. */
  function_id: string;
  execution_time_ms: number | null;
}

export interface FunctionLogs {
  /** Invocations with `start <= timestamp < end`, newest first, each once. */
  rows: EdgeInvocation[];
  /** The window actually read (start moves later when the asked window was clamped). */
  start: Date;
  end: Date;
  /** The asked window was longer than `maxLookbackMs`: only its most recent part was read. */
  clamped: boolean;
  /**
   * A request returned `rowLimit` rows, so some rows of its window were left out. The query
   * puts HTTP errors first, so the rows left out are successful invocations: failure counts
   * stay exact up to `rowLimit`, success counts are a lower bound.
   */
  truncated: boolean;
  /** HTTP requests made (one per window of at most 24 h). */
  requests: number;
}

export type ManagementApiErrorKind =
  | "auth" // 401: the token was rejected
  | "forbidden" // 402/403: the token may not read this (permissions, plan)
  | "not_found" // 404: unknown project ref
  | "rate_limited" // 429s (or a pending reset) beyond the retry budget
  | "server" // 5xx after retries
  | "network" // connection failure or timeout after retries
  | "query" // logs.all answered 200 with an `error` field
  | "bad_response"; // an answer not in the documented shape

const ERROR_CLASS: Record<ManagementApiErrorKind, ErrorClass> = {
  auth: "configuration",
  forbidden: "configuration",
  not_found: "configuration",
  rate_limited: "transient",
  server: "transient",
  network: "transient",
  query: "permanent",
  bad_response: "permanent",
};

export class ManagementApiError extends JobmonError {
  readonly kind: ManagementApiErrorKind;
  /** HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** Which call: `functions` or `logs.all`. */
  readonly endpoint: string;
  /** For `rate_limited`: how long the API asked to wait, in ms, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: ManagementApiErrorKind, endpoint: string, message: string, extra: { status?: number; retryAfterMs?: number } = {}) {
    super(`management_api_${kind}`, message, ERROR_CLASS[kind]);
    this.kind = kind;
    this.endpoint = endpoint;
    this.status = extra.status;
    this.retryAfterMs = extra.retryAfterMs;
  }
}

export interface ManagementApiOptions {
  /** `SUPABASE_API_URL` (config.managementApi.baseUrl); default https://api.supabase.com. */
  baseUrl?: string;
  /** `SUPABASE_ACCESS_TOKEN`. */
  accessToken: string;
  /** Injected in tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Injected in tests; defaults to a `setTimeout` promise. */
  sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds; injected in tests. Used for rate-limit resets. */
  now?: () => number;
  /** Injected in tests; jitter of the 5xx backoff. */
  random?: () => number;
  /** Per request, body included. Default 15 000 ms. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 4. */
  maxAttempts?: number;
  /**
   * Longest total wait per call (rate-limit resets and backoff), ms. Default 30 000: the
   * check runs every 15 minutes inside an Edge Function with a 150 s wall clock; a longer
   * wait is better spent on the next check.
   */
  maxWaitMs?: number;
  /** Other literal secrets to scrub from error text (the token always is). */
  secrets?: readonly string[];
}

export const MANAGEMENT_API_DEFAULTS = {
  timeoutMs: 15_000,
  maxAttempts: 4,
  maxWaitMs: 30_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
} as const;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * Longest window one logs.all request covers. The API refuses ranges over 24 h and rounds
 * both ends to the nearest minute; each request is widened to whole minutes (one more
 * before the start, since the API compares `timestamp > start`) and the rows are filtered
 * back to the exact window here, so two minutes of the 24 h go to that widening.
 */
export const MAX_LOGS_REQUEST_WINDOW_MS = DAY_MS - 2 * MINUTE_MS;

/**
 * Rows per logs.all request. Supabase's log queries return a bounded number of rows; asking
 * for this many explicitly makes truncation detectable (`FunctionLogs.truncated`).
 */
export const DEFAULT_LOG_ROW_LIMIT = 1000;

/**
 * The documented example query over `function_edge_logs` (Supabase docs, Edge Functions
 * logging / Management API logs): `metadata` unnested for `function_id` and
 * `execution_time_ms`, `metadata.response` for `status_code`, `metadata.request` for
 * `method`. Errors are ordered first so that a truncated answer drops successes, not
 * failures. The window is given by `iso_timestamp_start`/`iso_timestamp_end`, not in SQL.
 */
export function functionEdgeLogsSql(rowLimit: number = DEFAULT_LOG_ROW_LIMIT): string {
  const limit = Math.max(1, Math.floor(rowLimit));
  return [
    "select id, function_edge_logs.timestamp, event_message, response.status_code, request.method,",
    "  m.function_id, m.execution_time_ms",
    "from function_edge_logs",
    "  cross join unnest(metadata) as m",
    "  cross join unnest(m.response) as response",
    "  cross join unnest(m.request) as request",
    "order by case when response.status_code >= 400 then 0 else 1 end, function_edge_logs.timestamp desc",
    `limit ${limit}`,
  ].join("\n");
}

export interface FunctionLogsOptions {
  start: Date;
  end: Date;
  /**
   * Longest window read, ms; an older start is moved up to `end - maxLookbackMs` and the
   * result says `clamped`. Default one request's worth (23 h 58 min): Free projects keep a
   * single day of logs, so more finds nothing there, and a jobmon that was down for days
   * should not spend its first check (and the 30/min logs.all budget of every project) on
   * history it will not alert on. Pro projects keep 7 days: pass up to that and the window
   * is split into requests of at most 24 h.
   */
  maxLookbackMs?: number;
  /** Rows per request (see `DEFAULT_LOG_ROW_LIMIT`). */
  rowLimit?: number;
}

interface RateLimitState {
  /** Epoch ms when the endpoint accepts calls again. */
  resetAt: number;
}

type Attempt =
  | { kind: "response"; status: number; headers: Headers; text: string }
  | { kind: "failed"; timedOut: boolean; error: string };

export class ManagementApi {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxWaitMs: number;
  private readonly secrets: string[];
  /** Per `endpoint:ref`: an answer said no requests remain until `resetAt`. */
  private readonly blocked = new Map<string, RateLimitState>();

  constructor(options: ManagementApiOptions) {
    const token = options.accessToken?.trim() ?? "";
    if (token === "") throw new ConfigError("SUPABASE_ACCESS_TOKEN", "is empty: set a Supabase personal access token to read Edge Functions");
    this.token = token;
    this.baseUrl = (options.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, "");
    this.fetchImpl = options.fetch;
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.timeoutMs = options.timeoutMs ?? MANAGEMENT_API_DEFAULTS.timeoutMs;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? MANAGEMENT_API_DEFAULTS.maxAttempts);
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? MANAGEMENT_API_DEFAULTS.maxWaitMs);
    this.secrets = [token, ...(options.secrets ?? [])];
  }

  /** `GET /v1/projects/{ref}/functions`: every Edge Function of the project. */
  async listFunctions(ref: string): Promise<EdgeFunctionInfo[]> {
    const body = await this.getJson("functions", ref, `/v1/projects/${encodeURIComponent(ref)}/functions`);
    if (!Array.isArray(body)) throw this.badResponse("functions", "expected a JSON array of functions");
    return body.map((item, i) => parseFunction(item, i, (why) => this.badResponse("functions", why)));
  }

  /**
   * The project's Edge Function invocations with `start <= timestamp < end`, from
   * `logs.all` (BigQuery SQL over `function_edge_logs`). A window longer than
   * `maxLookbackMs` is clamped to its most recent part; one longer than a request may cover
   * (24 h) is split into several requests. An `error` field in a 200 answer is an error.
   */
  async functionLogs(ref: string, options: FunctionLogsOptions): Promise<FunctionLogs> {
    const maxLookbackMs = Math.max(MINUTE_MS, options.maxLookbackMs ?? MAX_LOGS_REQUEST_WINDOW_MS);
    const rowLimit = options.rowLimit ?? DEFAULT_LOG_ROW_LIMIT;
    const end = options.end.getTime();
    let start = options.start.getTime();
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError("functionLogs: start and end must be valid dates");
    const clamped = end - start > maxLookbackMs;
    if (clamped) start = end - maxLookbackMs;

    const result: FunctionLogs = { rows: [], start: new Date(start), end: new Date(end), clamped, truncated: false, requests: 0 };
    if (end <= start) return result;

    const sql = functionEdgeLogsSql(rowLimit);
    const seen = new Set<string>();
    // Newest window first: if a later request fails, the error is what the caller sees,
    // and nothing is half-read into a cursor.
    for (let chunkEnd = end; chunkEnd > start; chunkEnd -= MAX_LOGS_REQUEST_WINDOW_MS) {
      const chunkStart = Math.max(start, chunkEnd - MAX_LOGS_REQUEST_WINDOW_MS);
      const params = new URLSearchParams({
        sql,
        iso_timestamp_start: new Date(floorMinute(chunkStart - 1)).toISOString(),
        iso_timestamp_end: new Date(ceilMinute(chunkEnd)).toISOString(),
      });
      const body = await this.getJson("logs.all", ref, `/v1/projects/${encodeURIComponent(ref)}/analytics/endpoints/logs.all`, params);
      result.requests++;
      if (!isRecord(body)) throw this.badResponse("logs.all", "expected a JSON object with `result` and `error`");
      const error = body["error"];
      if (error !== null && error !== undefined && error !== "") {
        throw new ManagementApiError("query", "logs.all", `the logs.all query for project ${ref} failed: ${this.clean(describeQueryError(error))}`, { status: 200 });
      }
      const rows = body["result"] ?? [];
      if (!Array.isArray(rows)) throw this.badResponse("logs.all", "`result` is not an array");
      if (rows.length >= rowLimit) result.truncated = true;
      for (const raw of rows) {
        const row = parseInvocation(raw);
        if (row === null || seen.has(row.id)) continue;
        const at = row.timestamp.getTime();
        if (at < chunkStart || at >= chunkEnd) continue;
        seen.add(row.id);
        result.rows.push(row);
      }
    }
    result.rows.sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime());
    return result;
  }

  // -------------------------------------------------------------------------------------

  private async getJson(endpoint: string, ref: string, path: string, query?: URLSearchParams): Promise<unknown> {
    const key = `${endpoint}:${ref}`;
    const url = `${this.baseUrl}${path}${query ? `?${query.toString()}` : ""}`;
    let waitedMs = 0;
    const wait = async (ms: number, why: () => ManagementApiError): Promise<void> => {
      if (waitedMs + ms > this.maxWaitMs) throw why();
      await this.sleep(ms);
      waitedMs += ms;
    };

    for (let attempt = 1; ; attempt++) {
      // An earlier answer said this endpoint has no requests left until its reset.
      const block = this.blocked.get(key);
      if (block !== undefined) {
        const pending = block.resetAt - this.now();
        if (pending > 0) await wait(pending, () => this.rateLimited(endpoint, ref, pending));
        this.blocked.delete(key);
      }

      const answer: Attempt = await fetchWithTimeout(
        url,
        { method: "GET", headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" } },
        { timeoutMs: this.timeoutMs, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) },
      );
      const last = attempt >= this.maxAttempts;

      if (answer.kind === "failed") {
        const error = () =>
          new ManagementApiError("network", endpoint, `cannot reach the Management API at ${this.baseUrl} (GET ${path}): ${this.clean(answer.error)}`);
        if (last) throw error();
        await wait(this.backoff(attempt), error);
        continue;
      }

      const resetMs = this.noteRateLimit(key, answer.headers);
      const { status } = answer;
      if (status >= 200 && status < 300) {
        const body = parseJson(answer.text);
        if (body === undefined) throw this.badResponse(endpoint, `GET ${path} answered ${status} without a JSON body`);
        return body;
      }
      if (status === 429) {
        const retryAfterMs = resetMs ?? parseRetryAfterMs(answer.headers.get("retry-after"), this.now()) ?? this.backoff(attempt);
        const error = () => this.rateLimited(endpoint, ref, retryAfterMs);
        if (last) throw error();
        await wait(retryAfterMs, error);
        this.blocked.delete(key);
        continue;
      }
      if (status >= 500 || status === 408) {
        const error = () =>
          new ManagementApiError("server", endpoint, `the Management API answered ${status} to GET ${path}${this.detail(answer.text)} (after ${attempt} attempt${attempt === 1 ? "" : "s"})`, { status });
        if (last) throw error();
        await wait(this.backoff(attempt), error);
        continue;
      }
      throw this.clientError(status, endpoint, ref, path, answer.text);
    }
  }

  /** Reads `X-RateLimit-Remaining`/`-Reset`; returns the reset in ms when present. */
  private noteRateLimit(key: string, headers: Headers): number | undefined {
    const reset = Number(headers.get("x-ratelimit-reset"));
    const resetMs = headers.get("x-ratelimit-reset") !== null && Number.isFinite(reset) && reset >= 0 ? Math.ceil(reset * 1000) : undefined;
    const remaining = headers.get("x-ratelimit-remaining");
    if (remaining !== null && Number(remaining) <= 0 && resetMs !== undefined) {
      this.blocked.set(key, { resetAt: this.now() + resetMs });
    }
    return resetMs;
  }

  private backoff(attempt: number): number {
    return backoffDelayMs(attempt, this.random, MANAGEMENT_API_DEFAULTS.baseDelayMs, MANAGEMENT_API_DEFAULTS.maxDelayMs);
  }

  private rateLimited(endpoint: string, ref: string, retryAfterMs: number): ManagementApiError {
    const seconds = Math.ceil(retryAfterMs / 1000);
    const limit = endpoint === "logs.all" ? "30 requests/min" : "120 requests/min";
    return new ManagementApiError(
      "rate_limited",
      endpoint,
      `the Management API rate limit for ${endpoint} of project ${ref} (${limit}) is exhausted; it resets in ${seconds}s, longer than this check waits: the next check reads it`,
      { status: 429, retryAfterMs },
    );
  }

  private clientError(status: number, endpoint: string, ref: string, path: string, text: string): ManagementApiError {
    if (status === 401) {
      return new ManagementApiError(
        "auth",
        endpoint,
        "the Management API rejected SUPABASE_ACCESS_TOKEN (401 Unauthorized): create a personal access token at https://supabase.com/dashboard/account/tokens and set SUPABASE_ACCESS_TOKEN to it",
        { status },
      );
    }
    if (status === 404) {
      return new ManagementApiError(
        "not_found",
        endpoint,
        `the Management API does not know project ref "${ref}" (404 on GET ${path}): check JOBMON_PROJECT_REFS (or the project URL it was read from) and that the token's account can see the project`,
        { status },
      );
    }
    if (status === 402 || status === 403) {
      const need = endpoint === "logs.all" ? "analytics:read (analytics_logs_read)" : "edge_functions_read";
      return new ManagementApiError(
        "forbidden",
        endpoint,
        `the Management API refused GET ${path} (${status})${this.detail(text)}: SUPABASE_ACCESS_TOKEN needs access to project ${ref} with ${need}`,
        { status },
      );
    }
    return new ManagementApiError("bad_response", endpoint, `the Management API answered ${status} to GET ${path}${this.detail(text)}`, { status });
  }

  private badResponse(endpoint: string, why: string): ManagementApiError {
    return new ManagementApiError("bad_response", endpoint, `unexpected answer from the Management API (${endpoint}): ${this.clean(why)}`);
  }

  private detail(text: string): string {
    const body = parseJson(text);
    const message = isRecord(body) && typeof body["message"] === "string" ? body["message"] : text.trim();
    return message ? `: ${this.clean(message)}` : "";
  }

  /** Server text into an error: the token (and other known secrets) out, bounded. */
  private clean(text: string): string {
    return truncate(redactSecrets(scrubSecrets(text, this.secrets), this.secrets), 300);
  }
}

// ---------------------------------------------------------------------------------------
// Windows

export interface LogsWindowOptions {
  /** `project_state.logs_cursor`: where the previous check stopped reading; null on the first check. */
  cursor: Date | null;
  now: Date;
  /**
   * The window ends this long before `now`, ms. Log rows reach the log store some time
   * after the invocation; reading right up to `now` and moving the cursor there would skip
   * rows that arrive late. Default 60 000.
   */
  ingestLagMs?: number;
  /** First check: how far back to read, ms. Default 15 min (one check interval), so old
   * failures are not announced as news. */
  firstLookbackMs?: number;
}

/**
 * The next logs window: from the cursor to `now - ingestLag`. Store `end` as the new cursor
 * once the check is recorded. Null when there is nothing to read yet (the cursor is at or
 * past the window's end). `functionLogs` clamps a window that is too long.
 */
export function nextLogsWindow(options: LogsWindowOptions): { start: Date; end: Date } | null {
  const end = options.now.getTime() - (options.ingestLagMs ?? 60_000);
  const start = options.cursor?.getTime() ?? end - (options.firstLookbackMs ?? 15 * MINUTE_MS);
  return end > start ? { start: new Date(start), end: new Date(end) } : null;
}

// ---------------------------------------------------------------------------------------
// Project refs

/**
 * The project ref to use with the Management API. `resolveConfig` already took it from
 * JOBMON_PROJECT_REFS or the URL (`db.<ref>.supabase.co`, user `postgres.<ref>`); when it
 * could not, the reason names what to set.
 */
export function projectRefFor(project: ProjectConfig): { ok: true; ref: string } | { ok: false; reason: string } {
  if (project.ref) return { ok: true, ref: project.ref };
  return {
    ok: false,
    reason:
      `the Supabase project ref of ${project.name} is unknown (${project.envVar} does not show it): ` +
      "set JOBMON_PROJECT_REFS (one ref per project, in order) to read its Edge Functions",
  };
}

// ---------------------------------------------------------------------------------------
// Parsing

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

/** Epoch milliseconds (as the API sends them), a numeric string, or an ISO string. */
function dateFromMillis(value: unknown): Date | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value);
  if (typeof value === "string" && value.trim() !== "") {
    const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
    return Number.isNaN(ms) ? null : new Date(ms);
  }
  return null;
}

/** Unix microseconds (as logs.all sends them), a numeric string, or an ISO string. */
function dateFromMicros(value: unknown): Date | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(Math.floor(value / 1000));
  if (typeof value === "string" && value.trim() !== "") {
    const text = value.trim();
    const ms = /^\d+$/.test(text) ? Math.floor(Number(text) / 1000) : Date.parse(text);
    return Number.isNaN(ms) ? null : new Date(ms);
  }
  return null;
}

function parseFunction(item: unknown, index: number, bad: (why: string) => ManagementApiError): EdgeFunctionInfo {
  if (!isRecord(item)) throw bad(`function ${index} is not an object`);
  const { id, slug } = item;
  if (typeof id !== "string" || typeof slug !== "string" || slug === "") throw bad(`function ${index} has no id or slug`);
  const created = dateFromMillis(item["created_at"]);
  const updated = dateFromMillis(item["updated_at"]) ?? created;
  if (created === null || updated === null) throw bad(`function ${slug} has no valid created_at/updated_at`);
  const version = Number(item["version"]);
  return {
    id,
    slug,
    name: typeof item["name"] === "string" ? item["name"] : slug,
    status: typeof item["status"] === "string" ? item["status"] : "ACTIVE",
    version: Number.isFinite(version) ? version : 0,
    created_at: created,
    updated_at: updated,
    verify_jwt: item["verify_jwt"] !== false,
  };
}

function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A logs.all row; null for a row without an id, a function id or a readable timestamp. */
function parseInvocation(raw: unknown): EdgeInvocation | null {
  if (!isRecord(raw)) return null;
  const timestamp = dateFromMicros(raw["timestamp"]);
  const id = raw["id"];
  const functionId = raw["function_id"];
  if (timestamp === null || typeof id !== "string" || typeof functionId !== "string") return null;
  return {
    id,
    timestamp,
    event_message: typeof raw["event_message"] === "string" ? raw["event_message"] : "",
    status_code: numberOrNull(raw["status_code"]),
    method: typeof raw["method"] === "string" ? raw["method"] : null,
    function_id: functionId,
    execution_time_ms: numberOrNull(raw["execution_time_ms"]),
  };
}

/** logs.all errors are a string or `{code, message, status, errors: [{message}]}`. */
function describeQueryError(error: unknown): string {
  if (typeof error === "string") return error;
  if (isRecord(error)) {
    if (typeof error["message"] === "string") return error["message"];
    const first = Array.isArray(error["errors"]) ? error["errors"][0] : undefined;
    if (isRecord(first) && typeof first["message"] === "string") return first["message"];
  }
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
