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
 * A client for the Supabase Management API endpoints jobmon reads (docs/platform.md
 * "Supabase Management API"): the projects a token sees (`GET /v1/projects`), the Edge
 * Functions of a project, their invocations from the logs endpoint
 * (`/analytics/endpoints/logs`, ClickHouse SQL over one `logs` table), and SQL run as
 * `supabase_read_only_user` (`POST /v1/projects/{ref}/database/query/read-only`).
 * Only `fetch` and Web APIs: the check runs inside an Edge Function too.
 *
 * Rate limits: 120 requests/min per user, endpoint and project (shared with every other
 * token and tool of the same user), logs about 30/min, 429 when exceeded. The client
 * remembers, per endpoint and project, an answer that said `X-RateLimit-Remaining: 0` and
 * waits for the reset before its next call there; a 429 is retried after the reset it names.
 * `X-RateLimit-Reset` is read as seconds when it can be (the windows are one minute, so at
 * most 60) and as milliseconds otherwise, and no wait is longer than 60 s. Waits and retries
 * are bounded (attempts and total wait per call): what does not fit fails with a
 * `rate_limited` error, and the next check tries again.
 *
 * The access token never appears in an error: messages are built from the status, the
 * path (no query string) and the server's text with the token scrubbed out.
 *
 * Every request sent is counted, per endpoint, and the last `X-RateLimit-Limit`/`-Remaining`
 * seen per endpoint and project is kept (`usage()`), so a report can say what a check cost
 * and how much of the shared budget was left.
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

/** `status` of a project object, as the OpenAPI spec lists them (`INACTIVE` is a paused project). */
export const SUPABASE_PROJECT_STATUSES = [
  "ACTIVE_HEALTHY",
  "ACTIVE_UNHEALTHY",
  "INACTIVE",
  "PAUSING",
  "PAUSE_FAILED",
  "COMING_UP",
  "GOING_DOWN",
  "RESTORING",
  "RESTORE_FAILED",
  "RESTARTING",
  "RESIZING",
  "UPGRADING",
  "INIT_FAILED",
  "REMOVED",
  "UNKNOWN",
] as const;
export type SupabaseProjectStatus = (typeof SUPABASE_PROJECT_STATUSES)[number];

/** One entry of `GET /v1/projects`. */
export interface SupabaseProject {
  ref: string;
  name: string;
  /** The organisation's slug (from the deprecated `organization_id` when the slug is missing). */
  organization_slug: string;
  region: string;
  /** One of SUPABASE_PROJECT_STATUSES; another value the API may add later is passed through. */
  status: SupabaseProjectStatus | (string & {});
  /** null when the API sent no readable timestamp. */
  created_at: Date | null;
  /** null when the API sent no `database` object. */
  database: { host: string; version: string; postgres_engine: string; release_channel: string } | null;
}

/** The endpoints the client calls: the keys of its counters and of the rate limits it tracks. */
export type ManagementApiEndpoint = "projects" | "functions" | "logs" | "query";

export interface RateLimitBudget {
  endpoint: ManagementApiEndpoint;
  /** null for `projects`, which is not a project's route. */
  ref: string | null;
  /** `X-RateLimit-Limit` of the last answer; null when it had none. */
  limit: number | null;
  /** `X-RateLimit-Remaining` of the last answer; null when it had none. */
  remaining: number | null;
  /** When that answer came (the client's clock). */
  seenAt: Date;
}

export interface ManagementApiUsage {
  /** HTTP requests sent, retries and refused ones included. */
  calls: number;
  byEndpoint: Partial<Record<ManagementApiEndpoint, number>>;
  /** The last rate-limit headers seen, per endpoint and project. */
  budgets: RateLimitBudget[];
}

export type ManagementApiErrorKind =
  | "auth" // 401: the token was rejected
  | "forbidden" // 403: the token may not read this (permissions, scopes)
  | "usage_exceeded" // 402: the organisation's usage is over its plan's quota
  | "not_found" // 404 on a project route: unknown project ref
  | "endpoint_gone" // 404 on the logs route: the API no longer serves it
  | "rate_limited" // 429s (or a pending reset) beyond the retry budget
  | "server" // 5xx, or the log store's transient "Backend error", after retries
  | "network" // connection failure or timeout after retries
  | "query" // the logs endpoint answered 200 with an `error` field
  | "sql" // the read-only query endpoint ran the SQL and PostgreSQL refused it
  | "bad_response"; // an answer not in the documented shape

const ERROR_CLASS: Record<ManagementApiErrorKind, ErrorClass> = {
  auth: "configuration",
  forbidden: "configuration",
  usage_exceeded: "configuration",
  not_found: "configuration",
  endpoint_gone: "permanent",
  rate_limited: "transient",
  server: "transient",
  network: "transient",
  query: "permanent",
  sql: "permanent",
  bad_response: "permanent",
};

export class ManagementApiError extends JobmonError {
  readonly kind: ManagementApiErrorKind;
  /** HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** Which call: `projects`, `functions`, `logs` or `query`. */
  readonly endpoint: string;
  /** For `rate_limited`: how long the API asked to wait, in ms, when it said. */
  readonly retryAfterMs: number | undefined;
  /** For `sql`: PostgreSQL's SQLSTATE (e.g. `42P01`), when the API's message names it. */
  readonly sqlState: string | undefined;

  constructor(kind: ManagementApiErrorKind, endpoint: string, message: string, extra: { status?: number; retryAfterMs?: number; sqlState?: string } = {}) {
    super(`management_api_${kind}`, message, ERROR_CLASS[kind]);
    this.kind = kind;
    this.endpoint = endpoint;
    this.status = extra.status;
    this.retryAfterMs = extra.retryAfterMs;
    this.sqlState = extra.sqlState;
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
 * The longest a rate limit is waited for: the API's windows are one minute, so a longer
 * reset (or Retry-After) is a unit mix-up or a broken header, not a reason to stall a check.
 */
export const MAX_RATE_LIMIT_WAIT_MS = MINUTE_MS;

/**
 * Longest window one logs request covers. The API refuses ranges over 24 h and rounds
 * both ends to the nearest minute; each request is widened to whole minutes (one more
 * before the start, since the API compares `timestamp > start`) and the rows are filtered
 * back to the exact window here, so two minutes of the 24 h go to that widening.
 */
export const MAX_LOGS_REQUEST_WINDOW_MS = DAY_MS - 2 * MINUTE_MS;

/**
 * Rows per logs request. Supabase's log queries return a bounded number of rows; asking
 * for this many explicitly makes truncation detectable (`FunctionLogs.truncated`).
 */
export const DEFAULT_LOG_ROW_LIMIT = 1000;

/** The `logs` table's source column: Supabase's docs and MCP server say `source`, its changelog `source_name`. */
export type LogSourceColumn = "source" | "source_name";
export const LOG_SOURCE_COLUMNS: readonly LogSourceColumn[] = ["source", "source_name"];

/**
 * Edge Function invocations, in ClickHouse SQL over the `logs` table (Supabase's MCP server
 * reads them the same way): the attributes from `log_attributes` (a map of strings), the
 * timestamp as unix microseconds (a DateTime64 printed as text has no zone). Errors are
 * ordered first so that a truncated answer drops successes, not failures. The window is
 * given by `iso_timestamp_start`/`iso_timestamp_end`, not in SQL.
 */
export function functionEdgeLogsSql(rowLimit: number = DEFAULT_LOG_ROW_LIMIT, sourceColumn: LogSourceColumn = "source"): string {
  const limit = Math.max(1, Math.floor(rowLimit));
  return [
    "select id, toUnixTimestamp64Micro(timestamp) as timestamp_us, event_message,",
    "  log_attributes['response.status_code'] as status_code,",
    "  log_attributes['request.method'] as method,",
    "  log_attributes['function_id'] as function_id,",
    "  log_attributes['execution_time_ms'] as execution_time_ms",
    "from logs",
    `where ${sourceColumn} = 'function_edge_logs'`,
    "order by if(toInt32OrZero(log_attributes['response.status_code']) >= 400, 0, 1), timestamp desc",
    `limit ${limit}`,
  ].join("\n");
}

/**
 * Which spelling of the source column the logs endpoint at a base URL accepted last. Kept for
 * the process (a long-running `jobmon monitor` checks many times), so only the first check
 * pays for a wrong guess.
 */
const acceptedSourceColumn = new Map<string, LogSourceColumn>();

export interface FunctionLogsOptions {
  start: Date;
  end: Date;
  /**
   * Longest window read, ms; an older start is moved up to `end - maxLookbackMs` and the
   * result says `clamped`. Default one request's worth (23 h 58 min): Free projects keep a
   * single day of logs, so more finds nothing there, and a jobmon that was down for days
   * should not spend its first check (and the 30/min logs budget of every project) on
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

interface ApiCall {
  method: "GET" | "POST";
  path: string;
  query?: URLSearchParams;
  /** Sent as JSON. */
  body?: unknown;
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
  /** Requests sent, per endpoint. */
  private readonly calls = new Map<ManagementApiEndpoint, number>();
  /** Per `endpoint:ref`: the last rate-limit headers seen. */
  private readonly budgets = new Map<string, RateLimitBudget>();

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

  /** What this client has sent so far and the budgets the API last reported. */
  usage(): ManagementApiUsage {
    const byEndpoint = Object.fromEntries(this.calls) as ManagementApiUsage["byEndpoint"];
    const calls = [...this.calls.values()].reduce((sum, n) => sum + n, 0);
    return { calls, byEndpoint, budgets: [...this.budgets.values()].map((b) => ({ ...b, seenAt: new Date(b.seenAt) })) };
  }

  /**
   * `GET /v1/projects`: every project the token sees (a scoped token only those chosen for
   * it), in one answer (the endpoint has no pagination).
   */
  async listProjects(): Promise<SupabaseProject[]> {
    const body = await this.send("projects", "", { method: "GET", path: "/v1/projects" });
    if (!Array.isArray(body)) throw this.badResponse("projects", "expected a JSON array of projects");
    return body.map((item, i) => parseProject(item, i, (why) => this.badResponse("projects", why)));
  }

  /**
   * `POST /v1/projects/{ref}/database/query/read-only`: one SQL statement run as
   * `supabase_read_only_user`, its rows as the API renders them (a JSON array of objects).
   * Names must be schema-qualified. A statement PostgreSQL refuses is a `sql` error carrying
   * the SQLSTATE when the API's message names it.
   */
  async readOnlyQuery(ref: string, sql: string): Promise<unknown[]> {
    const body = await this.send("query", ref, { method: "POST", path: `/v1/projects/${encodeURIComponent(ref)}/database/query/read-only`, body: { query: sql } });
    if (!Array.isArray(body)) throw this.badResponse("query", "expected a JSON array of rows");
    return body;
  }

  /** `GET /v1/projects/{ref}/functions`: every Edge Function of the project. */
  async listFunctions(ref: string): Promise<EdgeFunctionInfo[]> {
    const body = await this.send("functions", ref, { method: "GET", path: `/v1/projects/${encodeURIComponent(ref)}/functions` });
    if (!Array.isArray(body)) throw this.badResponse("functions", "expected a JSON array of functions");
    return body.map((item, i) => parseFunction(item, i, (why) => this.badResponse("functions", why)));
  }

  /**
   * The project's Edge Function invocations with `start <= timestamp < end`, from the logs
   * endpoint. A window longer than `maxLookbackMs` is clamped to its most recent part; one
   * longer than a request may cover (24 h) is split into several requests. An `error` field
   * in a 200 answer is an error, except the log store's transient "Backend error", which is
   * retried like a 5xx.
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

    const seen = new Set<string>();
    // Newest window first: if a later request fails, the error is what the caller sees,
    // and nothing is half-read into a cursor.
    for (let chunkEnd = end; chunkEnd > start; chunkEnd -= MAX_LOGS_REQUEST_WINDOW_MS) {
      const chunkStart = Math.max(start, chunkEnd - MAX_LOGS_REQUEST_WINDOW_MS);
      const window = new URLSearchParams({
        iso_timestamp_start: new Date(floorMinute(chunkStart - 1)).toISOString(),
        iso_timestamp_end: new Date(ceilMinute(chunkEnd)).toISOString(),
      });
      const { rows, requests } = await this.queryLogs(ref, window, rowLimit);
      result.requests += requests;
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

  /**
   * One window's rows. The query filters on the source column as this API spelled it last
   * (`source` at first); when the API says it knows no such column, the other spelling is
   * tried once and remembered.
   */
  private async queryLogs(ref: string, window: URLSearchParams, rowLimit: number): Promise<{ rows: unknown[]; requests: number }> {
    const known = acceptedSourceColumn.get(this.baseUrl);
    const order = known === undefined ? LOG_SOURCE_COLUMNS : [known, ...LOG_SOURCE_COLUMNS.filter((c) => c !== known)];
    let requests = 0;
    let firstError: ManagementApiError | undefined;
    for (const column of order) {
      const params = new URLSearchParams({ sql: functionEdgeLogsSql(rowLimit, column) });
      for (const [key, value] of window) params.set(key, value);
      const body = await this.send("logs", ref, { method: "GET", path: `/v1/projects/${encodeURIComponent(ref)}/analytics/endpoints/logs`, query: params });
      requests++;
      if (!isRecord(body)) throw this.badResponse("logs", "expected a JSON object with `result` and `error`");
      const error = body["error"];
      if (error === null || error === undefined || error === "") {
        const rows = body["result"] ?? [];
        if (!Array.isArray(rows)) throw this.badResponse("logs", "`result` is not an array");
        acceptedSourceColumn.set(this.baseUrl, column);
        return { rows, requests };
      }
      const message = apiErrorMessage(error);
      firstError ??= new ManagementApiError("query", "logs", `the Edge Function logs query for project ${ref} failed: ${this.clean(message)}`, { status: 200 });
      if (!unknownIdentifier(message, column)) break;
    }
    throw firstError ?? this.badResponse("logs", "no query was sent");
  }

  // -------------------------------------------------------------------------------------

  /**
   * One call: the request, retried on network failures, 5xx, 408 and 429 within the
   * attempt and wait budgets; the parsed JSON body of a 2xx answer.
   */
  private async send(endpoint: ManagementApiEndpoint, ref: string, call: ApiCall): Promise<unknown> {
    const key = `${endpoint}:${ref}`;
    const { method, path } = call;
    const what = `${method} ${path}`;
    const url = `${this.baseUrl}${path}${call.query ? `?${call.query.toString()}` : ""}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    const init: RequestInit = { method, headers, ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}) };
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

      this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1);
      const answer: Attempt = await fetchWithTimeout(url, init, { timeoutMs: this.timeoutMs, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) });
      const last = attempt >= this.maxAttempts;

      if (answer.kind === "failed") {
        const error = () => new ManagementApiError("network", endpoint, `cannot reach the Management API at ${this.baseUrl} (${what}): ${this.clean(answer.error)}`);
        if (last) throw error();
        await wait(this.backoff(attempt), error);
        continue;
      }

      const resetMs = this.noteRateLimit(endpoint, ref, answer.headers);
      const { status } = answer;
      if (status >= 200 && status < 300) {
        const body = parseJson(answer.text);
        if (body === undefined) throw this.badResponse(endpoint, `${what} answered ${status} without a JSON body`);
        // Only the log store answers a failed query with a 200.
        const transient = endpoint === "logs" ? transientQueryError(body) : undefined;
        if (transient === undefined) return body;
        // The log store's "Backend error! Retry your query": a 5xx in a 200's clothing.
        const error = () =>
          new ManagementApiError("server", endpoint, `the Management API's log store failed on ${what}: ${this.clean(transient)} (after ${attempt} attempt${attempt === 1 ? "" : "s"})`, { status });
        if (last) throw error();
        await wait(this.backoff(attempt), error);
        continue;
      }
      if (status === 429) {
        const asked = resetMs ?? parseRetryAfterMs(answer.headers.get("retry-after"), this.now()) ?? this.backoff(attempt);
        const retryAfterMs = Math.min(asked, MAX_RATE_LIMIT_WAIT_MS);
        const error = () => this.rateLimited(endpoint, ref, retryAfterMs, asked > MAX_RATE_LIMIT_WAIT_MS ? asked : undefined);
        if (last) throw error();
        await wait(retryAfterMs, error);
        this.blocked.delete(key);
        continue;
      }
      // A statement PostgreSQL refused fails the same way again: not retried, even as a 500.
      const sqlError = endpoint === "query" ? this.sqlError(ref, status, answer.text) : undefined;
      if (sqlError !== undefined) throw sqlError;
      if (status >= 500 || status === 408) {
        const error = () =>
          new ManagementApiError("server", endpoint, `the Management API answered ${status} to ${what}${this.detail(answer.text)} (after ${attempt} attempt${attempt === 1 ? "" : "s"})`, { status });
        if (last) throw error();
        await wait(this.backoff(attempt), error);
        continue;
      }
      throw this.clientError(status, endpoint, ref, what, answer.text);
    }
  }

  /**
   * The read-only endpoint's answer to SQL that PostgreSQL refused, or undefined. The spec
   * documents only `500: Failed to run read-only sql query`; the API has been seen answering
   * 400 with `{"message": "Failed to run sql query: ERROR:  42P01: relation … does not exist"}`.
   * Either status is read as a SQL error when its message says it failed to run the query or
   * names a SQLSTATE the way PostgreSQL's messages do (`ERROR:  <SQLSTATE>: …`).
   */
  private sqlError(ref: string, status: number, text: string): ManagementApiError | undefined {
    if (status !== 400 && status !== 500) return undefined;
    const body = parseJson(text);
    const message = body === undefined ? text.trim() : apiErrorMessage(body);
    const sqlState = parseSqlState(message) ?? (isRecord(body) && typeof body["code"] === "string" && SQLSTATE.test(body["code"]) ? body["code"] : undefined);
    if (sqlState === undefined && !/failed to run (?:read-only )?sql query/i.test(message)) return undefined;
    return new ManagementApiError("sql", "query", `the read-only query on project ${ref} failed${sqlState ? ` (SQLSTATE ${sqlState})` : ""}: ${this.clean(message)}`, {
      status,
      ...(sqlState ? { sqlState } : {}),
    });
  }

  /** Reads `X-RateLimit-Limit`/`-Remaining`/`-Reset`; returns the reset in ms when present. */
  private noteRateLimit(endpoint: ManagementApiEndpoint, ref: string, headers: Headers): number | undefined {
    const key = `${endpoint}:${ref}`;
    const resetMs = parseRateLimitResetMs(headers.get("x-ratelimit-reset"));
    const remaining = headerCount(headers.get("x-ratelimit-remaining"));
    const limit = headerCount(headers.get("x-ratelimit-limit"));
    if (remaining !== null || limit !== null) {
      this.budgets.set(key, { endpoint, ref: endpoint === "projects" ? null : ref, limit, remaining, seenAt: new Date(this.now()) });
    }
    if (remaining !== null && remaining <= 0 && resetMs !== undefined) {
      this.blocked.set(key, { resetAt: this.now() + Math.min(resetMs, MAX_RATE_LIMIT_WAIT_MS) });
    }
    return resetMs;
  }

  private backoff(attempt: number): number {
    return backoffDelayMs(attempt, this.random, MANAGEMENT_API_DEFAULTS.baseDelayMs, MANAGEMENT_API_DEFAULTS.maxDelayMs);
  }

  private rateLimited(endpoint: string, ref: string, retryAfterMs: number, askedMs?: number): ManagementApiError {
    const seconds = Math.ceil(retryAfterMs / 1000);
    const limit = endpoint === "logs" ? "about 30 requests/min" : "120 requests/min";
    const of = endpoint === "projects" ? "the project list" : `${endpoint} of project ${ref}`;
    const capped =
      askedMs === undefined
        ? ""
        : ` (the API asked for ${Math.ceil(askedMs / 1000)}s, longer than its one-minute window: jobmon waits at most 60 s on a rate limit)`;
    return new ManagementApiError(
      "rate_limited",
      endpoint,
      `the Management API rate limit for ${of} (${limit} per user, shared with the user's other tokens and tools) is exhausted; it resets in ${seconds}s${capped}, longer than this check waits: the next check reads it`,
      { status: 429, retryAfterMs },
    );
  }

  private clientError(status: number, endpoint: ManagementApiEndpoint, ref: string, what: string, text: string): ManagementApiError {
    if (status === 401) {
      return new ManagementApiError(
        "auth",
        endpoint,
        "the Management API rejected SUPABASE_ACCESS_TOKEN (401 Unauthorized): create a personal access token at https://supabase.com/dashboard/account/tokens and set SUPABASE_ACCESS_TOKEN to it",
        { status },
      );
    }
    if (status === 404 && endpoint === "logs") {
      return new ManagementApiError(
        "endpoint_gone",
        endpoint,
        `the Management API no longer serves ${what} (404): Supabase has moved or removed its logs endpoint, so Edge Function outcomes cannot be read until jobmon is updated (pg_cron verdicts are unaffected)`,
        { status },
      );
    }
    if (status === 402) {
      return new ManagementApiError(
        "usage_exceeded",
        endpoint,
        `the Supabase organisation of project ${ref} has exceeded its usage quota (402 on ${what}): Supabase serves no ${endpoint === "logs" ? "logs" : "data"} through the Management API until the plan is raised or the billing cycle resets${this.said(text)}`,
        { status },
      );
    }
    if (status === 404) {
      return new ManagementApiError(
        "not_found",
        endpoint,
        `the Management API does not know project ref "${ref}" (404 on ${what}): check JOBMON_PROJECT_REFS (or the project URL it was read from) and that the token's account can see the project`,
        { status },
      );
    }
    if (status === 403) {
      const scopes = "projects read, database read, Edge Functions read and analytics read";
      const target = endpoint === "projects" ? "the project list" : `project ${ref}`;
      return new ManagementApiError(
        "forbidden",
        endpoint,
        `the Management API refused ${what} (403)${this.detail(text)}: SUPABASE_ACCESS_TOKEN may no longer read ${target}; a fine-grained token needs ${scopes} on it`,
        { status },
      );
    }
    return new ManagementApiError("bad_response", endpoint, `the Management API answered ${status} to ${what}${this.detail(text)}`, { status });
  }

  private badResponse(endpoint: string, why: string): ManagementApiError {
    return new ManagementApiError("bad_response", endpoint, `unexpected answer from the Management API (${endpoint}): ${this.clean(why)}`);
  }

  /** The server's own words, quoted after jobmon's, when it gave any. */
  private said(text: string): string {
    const detail = this.detail(text);
    return detail === "" ? "" : ` (the API said${detail})`;
  }

  private detail(text: string): string {
    const body = parseJson(text);
    const message = body === undefined ? text.trim() : apiErrorMessage(body);
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

/** Unix microseconds (as the logs query selects them, often as a string), or an ISO string with a zone. */
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

function parseProject(item: unknown, index: number, bad: (why: string) => ManagementApiError): SupabaseProject {
  if (!isRecord(item)) throw bad(`project ${index} is not an object`);
  const { ref, status } = item;
  if (typeof ref !== "string" || ref === "") throw bad(`project ${index} has no ref`);
  if (typeof status !== "string" || status === "") throw bad(`project ${ref} has no status`);
  const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
  const organization = text(item["organization_slug"]) ?? text(item["organization_id"]);
  if (organization === undefined) throw bad(`project ${ref} has no organization_slug`);
  const created = text(item["created_at"]);
  const createdMs = created === undefined ? NaN : Date.parse(created);
  const db = item["database"];
  return {
    ref,
    name: text(item["name"]) ?? ref,
    organization_slug: organization,
    region: text(item["region"]) ?? "",
    status,
    created_at: Number.isNaN(createdMs) ? null : new Date(createdMs),
    database: isRecord(db)
      ? { host: text(db["host"]) ?? "", version: text(db["version"]) ?? "", postgres_engine: text(db["postgres_engine"]) ?? "", release_channel: text(db["release_channel"]) ?? "" }
      : null,
  };
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The SQLSTATE in a PostgreSQL error as the read-only endpoint words it: `ERROR:  42P01:
 * relation "job" does not exist` (psql's VERBOSE form, severity, then the code); undefined
 * when the message has none.
 */
export function parseSqlState(message: string): string | undefined {
  return /\b(?:ERROR|FATAL|PANIC):\s+([0-9A-Z]{5}):/.exec(message)?.[1];
}

/** A count from a rate-limit header; null when absent or not a number. */
function headerCount(value: string | null): number | null {
  if (value === null || value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A logs row; null for a row without an id, a function id or a readable timestamp. */
function parseInvocation(raw: unknown): EdgeInvocation | null {
  if (!isRecord(raw)) return null;
  const timestamp = dateFromMicros(raw["timestamp_us"] ?? raw["timestamp"]);
  const id = raw["id"];
  const functionId = raw["function_id"];
  if (timestamp === null || typeof id !== "string" || typeof functionId !== "string" || functionId === "") return null;
  return {
    id,
    timestamp,
    event_message: typeof raw["event_message"] === "string" ? raw["event_message"] : "",
    status_code: numberOrNull(raw["status_code"]),
    method: typeof raw["method"] === "string" && raw["method"] !== "" ? raw["method"] : null,
    function_id: functionId,
    execution_time_ms: numberOrNull(raw["execution_time_ms"]),
  };
}

/**
 * The message of an API error: a string, or `{message, errors: [{domain, location,
 * locationType, message, reason}]}` whose first `errors[]` entry is the specific one.
 */
export function apiErrorMessage(error: unknown): string {
  if (typeof error === "string") return error;
  if (isRecord(error)) {
    const first = Array.isArray(error["errors"]) ? error["errors"][0] : undefined;
    if (isRecord(first) && typeof first["message"] === "string" && first["message"] !== "") return first["message"];
    if (typeof error["message"] === "string") return error["message"];
    if (typeof error["error"] === "string") return error["error"];
  }
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** The log store's transient failure (`{"result": null, "error": "Backend error! Retry your query…"}`), or undefined. */
function transientQueryError(body: unknown): string | undefined {
  if (!isRecord(body) || (body["result"] !== null && body["result"] !== undefined)) return undefined;
  const message = body["error"] === undefined || body["error"] === null ? "" : apiErrorMessage(body["error"]);
  return /backend error/i.test(message) && /retry/i.test(message) ? message : undefined;
}

/** Whether a query error says the column `name` does not exist (ClickHouse: unknown identifier, missing column). */
function unknownIdentifier(message: string, name: string): boolean {
  const quoted = new RegExp(`['\`"]${name}['\`"]`);
  return quoted.test(message) && /unknown (expression )?identifier|missing columns|unknown column|no such column/i.test(message);
}

/**
 * `X-RateLimit-Reset` in ms. The docs disagree on its unit; the windows are one minute, so a
 * value up to 60 is seconds and a larger one milliseconds.
 */
export function parseRateLimitResetMs(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const reset = Number(value);
  if (!Number.isFinite(reset) || reset < 0) return undefined;
  return reset <= 60 ? Math.ceil(reset * 1000) : Math.ceil(reset);
}
