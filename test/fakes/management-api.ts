/**
 * A stand-in for the Supabase Management API, limited to what jobmon reads (docs/platform.md
 * "Supabase Management API"), following the current OpenAPI spec:
 *
 * - `Authorization: Bearer <token>` on every call, else 401 `{"message":"Unauthorized"}`.
 * - `GET /v1/projects` (project objects with `ref`, `organization_slug`, the deprecated
 *   `organization_id`, `status`, `database{…}`), `GET /v1/projects/:ref/functions`
 *   (timestamps in epoch milliseconds; `import_map_path` a string or absent), and
 *   `GET /v1/projects/:ref/analytics/endpoints/logs`. Unknown ref → 404. The removed
 *   `logs.all` route answers 404 like any unknown route.
 * - The logs endpoint answers `{result, error}`, its query errors as HTTP 200 with `error`
 *   set to `{code, errors: [{domain, location, locationType, message, reason}], message,
 *   status}`: a window over 24 h, a bad timestamp, a missing `sql`, or SQL it does not
 *   accept. It takes ClickHouse SQL over the one `logs` table: BigQuery forms (`unnest(`,
 *   `function_edge_logs` as a table) are refused as ClickHouse refuses them, and the query
 *   must filter `<source column> = 'function_edge_logs'` (the only rows it holds), where the
 *   source column is `source` unless `sourceColumn` says `source_name`. It evaluates the
 *   select list itself (`id`, `event_message`, `timestamp` as ClickHouse prints a
 *   DateTime64, `toUnixTimestamp64Micro(timestamp)` as a quoted Int64,
 *   `log_attributes['…']` as strings, '' when absent), orders errors first when the
 *   `order by` names the status code (else newest first) and applies `limit`. Rows are the
 *   project's scripted invocations in `[iso_timestamp_start, iso_timestamp_end)`; with no
 *   range, the last minute.
 * - Rate limits per endpoint and project in fixed one-minute windows (120/min, logs 30/min),
 *   with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds
 *   remaining, or milliseconds with `resetUnit`) on every answer, and 429 with `Retry-After`
 *   when exceeded. Scripts: `respond429`, `logsUsageExceeded` (402 on the logs endpoint: the organisation's usage is exceeded),
 *   `respondBackendError` (the transient `{"result": null, "error": "Backend error! …"}`).
 * - `POST /v1/projects/:ref/database/query/read-only` with `{"query": "…", "parameters"?: […]}`
 *   runs the query on a real PostgreSQL (the project's `database` URL, for a read-only role
 *   such as the harness's `supabase_read_only_user`), on a connection opened with
 *   `default_transaction_read_only = on` and `search_path = ''`, so that writes fail with the
 *   server's own error and unqualified names (outside pg_catalog) are not found, as on the real
 *   endpoint. It answers 201 with the rows as PostgreSQL's `json_agg` renders them, the JSON
 *   text passed on as is. A query PostgreSQL refuses answers 400 `{"message": "Failed to run sql
 *   query: ERROR:  <SQLSTATE>: <message>"}`, the shape the real API has been seen to answer (its
 *   spec documents only a 500 "Failed to run read-only sql query"). Several statements in one
 *   query are refused (PostgreSQL's "cannot insert multiple commands into a prepared
 *   statement"): the real endpoint's answer to them is undocumented, and jobmon sends one.
 * - Scripts for the project list and the project routes: `setProjectStatus` (a project paused,
 *   restoring …), `addProject`/`removeProject` (projects appearing and disappearing),
 *   `forbidProject` (403 on every route of a project: the token may no longer read it).
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { FakeHttpServer, type FakeReply, type RecordedRequest } from "./http-server.js";

export type FunctionStatus = "ACTIVE" | "REMOVED" | "THROTTLED";

export interface FakeFunctionInput {
  slug: string;
  id?: string;
  name?: string;
  status?: FunctionStatus;
  version?: number;
  /** Epoch milliseconds. */
  created_at?: number;
  /** Epoch milliseconds. */
  updated_at?: number;
  verify_jwt?: boolean;
  import_map?: boolean;
  entrypoint_path?: string;
}

export interface EdgeFunction {
  id: string;
  slug: string;
  name: string;
  status: FunctionStatus;
  version: number;
  created_at: number;
  updated_at: number;
  verify_jwt: boolean;
  import_map: boolean;
  entrypoint_path: string;
  /** A string, or absent (never null), as the spec has it. */
  import_map_path?: string;
}

export interface FakeLogInput {
  /** The function's uuid (not its slug), as `metadata.function_id` holds it. */
  function_id: string;
  /** Unix microseconds, or an instant. */
  timestamp: number | string | Date;
  status_code: number;
  id?: string;
  method?: string;
  event_message?: string;
  execution_time_ms?: number;
}

/** One row of the `logs` table with `source = 'function_edge_logs'`. */
export interface EdgeLogRow {
  id: string;
  /** Unix microseconds. */
  timestamp: number;
  event_message: string;
  /** ClickHouse `Map(String, String)`: every value is a string. */
  log_attributes: Record<string, string>;
}

export interface FakeProjectInput {
  name?: string;
  region?: string;
  /** `ACTIVE_HEALTHY`, `INACTIVE` (paused) … */
  status?: string;
  /** The organisation's slug (also sent as the deprecated `organization_id`). */
  organization_slug?: string;
  functions?: FakeFunctionInput[];
  logs?: FakeLogInput[];
  /** A PostgreSQL URL for the read-only endpoint to run queries on (a read-only role's). */
  database?: string;
}

export interface FakeManagementApiOptions {
  token: string;
  projects: Record<string, FakeProjectInput>;
  /** Clock for the log window default and the rate-limit windows. */
  now?: () => number;
  /** Requests per minute per endpoint and project; `false` turns limiting off. Defaults from docs/platform.md. */
  rateLimits?: { default?: number; logs?: number; windowMs?: number } | false;
  /** The unit of `X-RateLimit-Reset` (the docs disagree); default seconds. */
  resetUnit?: "seconds" | "milliseconds";
  /** The name of the `logs` table's source column; default `source`. */
  sourceColumn?: "source" | "source_name";
}

export interface LogQuery {
  ref: string;
  sql: string | undefined;
  start: string | undefined;
  end: string | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

interface ProjectState {
  ref: string;
  name: string;
  region: string;
  status: string;
  organization_slug: string;
  created_at: string;
  functions: EdgeFunction[];
  logs: EdgeLogRow[];
  database: string | undefined;
}

export class FakeManagementApi extends FakeHttpServer {
  readonly logQueries: LogQuery[] = [];
  /** The queries the read-only endpoint received, in order. */
  readonly readOnlyQueries: { ref: string; query: string }[] = [];
  /** Refs whose routes answer 403. */
  private readonly forbidden = new Set<string>();
  /** One connection per database URL, opened on first use, ended by `close()`. */
  private readonly connections = new Map<string, postgres.Sql>();
  private readonly token: string;
  private readonly now: () => number;
  private readonly limits: { default: number; logs: number; windowMs: number } | false;
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly resetUnit: "seconds" | "milliseconds";
  /** The `logs` table's source column (`useSourceColumn` changes it). */
  sourceColumn: "source" | "source_name";
  private readonly initial: Record<string, FakeProjectInput>;
  private projects = new Map<string, ProjectState>();

  constructor(opts: FakeManagementApiOptions) {
    super();
    this.token = opts.token;
    this.now = opts.now ?? Date.now;
    this.limits = opts.rateLimits === false ? false : { default: 120, logs: 30, windowMs: MINUTE_MS, ...opts.rateLimits };
    this.resetUnit = opts.resetUnit ?? "seconds";
    this.sourceColumn = opts.sourceColumn ?? "source";
    // Ids are drawn once, so that `reset()` brings back the same functions and rows.
    this.initial = Object.fromEntries(
      Object.entries(opts.projects).map(([ref, project]) => [
        ref,
        {
          ...project,
          functions: project.functions?.map((f) => ({ ...f, id: f.id ?? randomUUID() })),
          logs: project.logs?.map((row) => ({ ...row, id: row.id ?? randomUUID() })),
        },
      ]),
    );
    this.loadProjects();
  }

  /** The API base to give the client (what `SUPABASE_API_URL` would be). */
  get url(): string {
    return this.baseUrl;
  }

  functionsOf(ref: string): EdgeFunction[] {
    return this.project(ref).functions;
  }

  setFunctions(ref: string, functions: FakeFunctionInput[]): EdgeFunction[] {
    const project = this.project(ref);
    project.functions = functions.map((f) => toFunction(f, this.now()));
    return project.functions;
  }

  addLogs(ref: string, rows: FakeLogInput[]): void {
    const project = this.project(ref);
    project.logs.push(...rows.map((row) => toLogRow(row, project)));
  }

  /**
   * The next `n` requests get 429 with `X-RateLimit-Reset: reset` (sent as given: seconds, or
   * whatever unit a test wants to try) and `Retry-After` (seconds; default `reset`).
   */
  respond429(n = 1, reset = 60, retryAfterSeconds: number = reset): void {
    this.failNext(n, {
      status: 429,
      body: { message: "ThrottlerException: Too Many Requests" },
      headers: { "X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(reset), "Retry-After": String(retryAfterSeconds) },
    });
  }

  /** A project's status changes (`INACTIVE`: paused; `RESTORING`, `COMING_UP` …). */
  setProjectStatus(ref: string, status: string): void {
    this.project(ref).status = status;
  }

  /** A project appears in the token's list (until `reset()`). */
  addProject(ref: string, input: FakeProjectInput = {}): void {
    this.projects.set(ref, toProject(ref, input, this.now()));
  }

  /** A project disappears: deleted, moved to another organisation, or out of a scoped token's reach. */
  removeProject(ref: string): void {
    this.projects.delete(ref);
  }

  /** Every route of the project answers 403 (while `on`): the token may no longer read it. */
  forbidProject(ref: string, on = true): void {
    if (on) this.forbidden.add(ref);
    else this.forbidden.delete(ref);
  }

  override async close(): Promise<void> {
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(connections.map((sql) => sql.end({ timeout: 1 })));
    await super.close();
  }

  /** While true, the logs endpoint answers 402: the organisation has exceeded its usage quota. */
  logsUsageExceeded = false;

  /** The next `n` requests get the log store's transient failure: 200 with `result: null`. */
  respondBackendError(n = 1): void {
    this.failNext(n, { status: 200, body: { result: null, error: "Backend error! Retry your query. If the issue persists, contact support." } });
  }

  protected override resetState(): void {
    this.logQueries.length = 0;
    this.readOnlyQueries.length = 0;
    this.forbidden.clear();
    this.logsUsageExceeded = false;
    this.windows.clear();
    this.loadProjects();
  }

  protected handle(request: RecordedRequest): FakeReply | Promise<FakeReply> {
    if (request.headers["authorization"] !== `Bearer ${this.token}`) return { status: 401, body: { message: "Unauthorized" } };

    const segments = request.path.split("/").filter(Boolean);
    if (segments[0] !== "v1" || segments[1] !== "projects") return notFound(request);

    if (segments.length === 2) {
      if (request.method !== "GET") return notFound(request);
      return this.limited("projects", () => ({ status: 200, body: [...this.projects.values()].map(projectJson) }));
    }
    const ref = segments[2] ?? "";
    const project = this.projects.get(ref);
    const rest = segments.slice(3).join("/");
    const route = `${request.method} ${rest}`;
    const endpoint =
      route === "GET analytics/endpoints/logs"
        ? "logs"
        : route === "GET functions"
          ? "functions"
          : route === "GET "
            ? "project"
            : route === "POST database/query/read-only"
              ? "query"
              : undefined;
    if (endpoint === undefined) return notFound(request);
    return this.limited(`${endpoint}:${ref}`, () => {
      if (project === undefined) return { status: 404, body: { message: "Project not found" } };
      if (this.forbidden.has(ref)) return { status: 403, body: { message: "Forbidden resource", error: "Forbidden", statusCode: 403 } };
      if (endpoint === "project") return { status: 200, body: projectJson(project) };
      if (endpoint === "query") return this.readOnlyQuery(project, request);
      if (endpoint === "functions") return { status: 200, body: project.functions };
      if (this.logsUsageExceeded) return { status: 402, body: { message: "Organization has exceeded its usage quota. Upgrade the plan or wait for the next billing cycle." } };
      return { status: 200, body: this.logs(project, request) };
    });
  }

  private logs(project: ProjectState, request: RecordedRequest): { result: Record<string, string>[]; error: unknown } {
    const sql = request.query["sql"];
    const startText = request.query["iso_timestamp_start"];
    const endText = request.query["iso_timestamp_end"];
    this.logQueries.push({ ref: project.ref, sql, start: startText, end: endText });
    const fail = (message: string): { result: Record<string, string>[]; error: unknown } => ({ result: [], error: queryError(message) });

    if (sql === undefined || sql.trim() === "") return fail("Missing query parameter: sql");
    const query = parseLogQuery(sql, this.sourceColumn);
    if (typeof query === "string") return fail(query);

    const end = endText === undefined ? this.now() : Date.parse(endText);
    // Without a range the endpoint only looks at the last minute (docs/platform.md).
    const start = startText === undefined ? end - MINUTE_MS : Date.parse(startText);
    if (Number.isNaN(start)) return fail(`Invalid iso_timestamp_start: ${startText}`);
    if (Number.isNaN(end)) return fail(`Invalid iso_timestamp_end: ${endText}`);
    if (end < start) return fail("iso_timestamp_end must be after iso_timestamp_start");
    if (end - start > DAY_MS) return fail("Querying a range of more than 24 hours is not supported: narrow iso_timestamp_start/iso_timestamp_end");

    const failed = (row: EdgeLogRow): number => (Number(row.log_attributes["response.status_code"] ?? 0) >= 400 ? 0 : 1);
    const rows = project.logs
      .filter((row) => row.timestamp >= start * 1000 && row.timestamp < end * 1000)
      .sort((a, b) => (query.errorsFirst ? failed(a) - failed(b) : 0) || b.timestamp - a.timestamp)
      .slice(0, query.limit ?? undefined);
    return { result: rows.map((row) => selectColumns(row, query.columns)), error: null };
  }

  /**
   * The read-only endpoint. The query runs as a CTE, so that a data-modifying one reaches the
   * server and fails there (read-only transaction); what cannot be a CTE (DDL, SHOW, several
   * statements) runs on its own in a read-only transaction, to get the server's own answer.
   */
  private async readOnlyQuery(project: ProjectState, request: RecordedRequest): Promise<FakeReply> {
    const body = request.json as { query?: unknown; parameters?: unknown } | undefined;
    if (typeof body?.query !== "string" || body.query.trim() === "") {
      return { status: 400, body: { message: ["query must be a string", "query must be longer than or equal to 1 characters"], error: "Bad Request", statusCode: 400 } };
    }
    this.readOnlyQueries.push({ ref: project.ref, query: body.query });
    if (project.database === undefined) throw new Error(`fake Management API: project ${project.ref} has no database URL`);
    const sql = this.connection(project.database);
    const query = body.query.replace(/[\s;]+$/, "");
    const params = (Array.isArray(body.parameters) ? body.parameters : []) as postgres.ParameterOrJSON<never>[];
    try {
      const wrapped = `with jobmon_query as (\n${query}\n) select coalesce(json_agg(jobmon_query), '[]'::json)::text as body from jobmon_query`;
      const [row] = await sql.unsafe(wrapped, params, EXTENDED_PROTOCOL);
      return { status: 201, body: String(row?.["body"]), headers: { "content-type": "application/json; charset=utf-8" } };
    } catch (error) {
      if (!isPostgresError(error)) throw error;
      // 42601: not a query a CTE can hold; 0A000: a data-modifying WITH below the top level.
      if (error.code !== "42601" && error.code !== "0A000") return sqlFailure(error);
    }
    try {
      // The extended protocol (never the simple one) refuses several statements in one query.
      const rows = await sql.begin("read only", (tx) => tx.unsafe(query, params, EXTENDED_PROTOCOL));
      return { status: 201, body: JSON.stringify(Array.from(rows)), headers: { "content-type": "application/json; charset=utf-8" } };
    } catch (error) {
      if (!isPostgresError(error)) throw error;
      return sqlFailure(error);
    }
  }

  private connection(url: string): postgres.Sql {
    let sql = this.connections.get(url);
    if (sql === undefined) {
      sql = postgres(url, {
        max: 1,
        prepare: false,
        fetch_types: false,
        onnotice: () => {},
        connection: { application_name: "fake-management-api", default_transaction_read_only: true, search_path: "" },
      });
      this.connections.set(url, sql);
    }
    return sql;
  }

  private async limited(key: string, answer: () => FakeReply | Promise<FakeReply>): Promise<FakeReply> {
    if (this.limits === false) return answer();
    const limit = key.startsWith("logs:") ? this.limits.logs : this.limits.default;
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= this.limits.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    const resetMs = window.start + this.limits.windowMs - now;
    const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
    const reset = this.resetUnit === "seconds" ? resetSeconds : Math.max(1, Math.ceil(resetMs));
    if (window.count >= limit) {
      return {
        status: 429,
        body: { message: "ThrottlerException: Too Many Requests" },
        headers: { "X-RateLimit-Limit": String(limit), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(reset), "Retry-After": String(resetSeconds) },
      };
    }
    window.count++;
    const reply = await answer();
    return {
      ...reply,
      headers: {
        ...reply.headers,
        "X-RateLimit-Limit": String(limit),
        "X-RateLimit-Remaining": String(limit - window.count),
        "X-RateLimit-Reset": String(reset),
      },
    };
  }

  private project(ref: string): ProjectState {
    const project = this.projects.get(ref);
    if (project === undefined) throw new Error(`fake Management API: no project ${ref}`);
    return project;
  }

  private loadProjects(): void {
    const now = this.now();
    this.projects = new Map(Object.entries(this.initial).map(([ref, input]) => [ref, toProject(ref, input, now)]));
  }
}

function toProject(ref: string, input: FakeProjectInput, now: number): ProjectState {
  const project: ProjectState = {
    ref,
    name: input.name ?? ref,
    region: input.region ?? "eu-central-1",
    status: input.status ?? "ACTIVE_HEALTHY",
    organization_slug: input.organization_slug ?? "fake-org",
    created_at: new Date(now - 30 * DAY_MS).toISOString(),
    functions: (input.functions ?? []).map((f) => toFunction(f, now)),
    logs: [],
    database: input.database,
  };
  project.logs = (input.logs ?? []).map((row) => toLogRow(row, project));
  return project;
}

/**
 * postgres.js sends a query without parameters by the simple protocol, which runs several
 * statements; `simple: false` (an option its types do not list) asks for the extended one.
 */
const EXTENDED_PROTOCOL = { simple: false } as unknown as postgres.UnsafeQueryOptions;

/** A server's error (postgres.js's PostgresError): it has a SQLSTATE and a severity. */
function isPostgresError(error: unknown): error is postgres.PostgresError {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string";
}

/** A query PostgreSQL refused, worded as the real endpoint words it (psql's verbose form). */
function sqlFailure(error: postgres.PostgresError): FakeReply {
  const lines = [`Failed to run sql query: ERROR:  ${error.code}: ${error.message}`];
  if (error.detail) lines.push(`DETAIL:  ${error.detail}`);
  if (error.hint) lines.push(`HINT:  ${error.hint}`);
  return { status: 400, body: { message: lines.join("\n") } };
}

export async function startFakeManagementApi(opts: FakeManagementApiOptions): Promise<FakeManagementApi> {
  return new FakeManagementApi(opts).listen();
}

function projectJson(p: ProjectState): Record<string, unknown> {
  return {
    id: p.ref,
    ref: p.ref,
    organization_id: p.organization_slug,
    organization_slug: p.organization_slug,
    name: p.name,
    region: p.region,
    created_at: p.created_at,
    status: p.status,
    database: { host: `db.${p.ref}.supabase.co`, version: "15.8.1.100", postgres_engine: "15", release_channel: "ga" },
  };
}

function toFunction(f: FakeFunctionInput, now: number): EdgeFunction {
  const created = f.created_at ?? now - 7 * DAY_MS;
  const importMap = f.import_map ?? false;
  return {
    id: f.id ?? randomUUID(),
    slug: f.slug,
    name: f.name ?? f.slug,
    status: f.status ?? "ACTIVE",
    version: f.version ?? 1,
    created_at: created,
    updated_at: f.updated_at ?? created,
    verify_jwt: f.verify_jwt ?? true,
    import_map: importMap,
    entrypoint_path: f.entrypoint_path ?? `file:///tmp/user_fn_${f.slug}/source/index.ts`,
    ...(importMap ? { import_map_path: `file:///tmp/user_fn_${f.slug}/source/import_map.json` } : {}),
  };
}

function toLogRow(row: FakeLogInput, project: ProjectState): EdgeLogRow {
  const micros =
    typeof row.timestamp === "number" ? row.timestamp : (row.timestamp instanceof Date ? row.timestamp.getTime() : Date.parse(row.timestamp)) * 1000;
  const slug = project.functions.find((f) => f.id === row.function_id)?.slug ?? row.function_id;
  const method = row.method ?? "POST";
  return {
    id: row.id ?? randomUUID(),
    timestamp: micros,
    event_message: row.event_message ?? `${method} | ${row.status_code} | https://${project.ref}.supabase.co/functions/v1/${slug}`,
    log_attributes: {
      "response.status_code": String(row.status_code),
      "request.method": method,
      function_id: row.function_id,
      execution_time_ms: String(row.execution_time_ms ?? 120),
      version: "1",
    },
  };
}

// ---------------------------------------------------------------------------------------
// The logs endpoint's SQL, as far as the stand-in understands it

interface LogQueryPlan {
  columns: { expr: string; alias: string }[];
  errorsFirst: boolean;
  limit: number | null;
}

/** The error object of a failed log query, in the documented shape. */
function queryError(message: string): Record<string, unknown> {
  return {
    code: 400,
    errors: [{ domain: "global", location: "sql", locationType: "parameter", message, reason: "invalidQuery" }],
    message: "Invalid query",
    status: "INVALID_ARGUMENT",
  };
}

/** The plan of a query the stand-in accepts, or the error ClickHouse would give. */
function parseLogQuery(sql: string, sourceColumn: string): LogQueryPlan | string {
  const text = sql.replace(/\s+/g, " ").trim();
  if (/\bunnest\s*\(/i.test(text)) return "Code: 46. DB::Exception: Unknown function unnest. (UNKNOWN_FUNCTION)";
  if (/\b(from|join)\s+function_edge_logs\b/i.test(text) || /\bfunction_edge_logs\s*\./i.test(text)) {
    return "Code: 60. DB::Exception: Unknown table expression identifier 'function_edge_logs' in scope SELECT. (UNKNOWN_TABLE)";
  }
  const shape = /^select (.+?) from logs\b(.*)$/i.exec(text);
  if (!shape) return "the stand-in answers `select … from logs …` only";
  const [, list = "", rest = ""] = shape;
  const filter = /\b(source|source_name)\s*=\s*'function_edge_logs'/i.exec(rest);
  if (!filter) return "the stand-in holds only function_edge_logs rows: filter the source column on 'function_edge_logs'";
  const column = (filter[1] ?? "").toLowerCase();
  if (column !== sourceColumn) return `Code: 47. DB::Exception: Unknown expression identifier '${column}' in scope SELECT. (UNKNOWN_IDENTIFIER)`;

  const columns: LogQueryPlan["columns"] = [];
  for (const item of splitTopLevel(list)) {
    const aliased = /^(.+?) as (\w+)$/i.exec(item);
    const expr = (aliased?.[1] ?? item).trim();
    const alias = aliased?.[2] ?? expr;
    if (selectValue(expr, { id: "", timestamp: 0, event_message: "", log_attributes: {} }) === undefined) {
      return `Code: 47. DB::Exception: Unknown expression identifier '${expr}' in scope SELECT. (UNKNOWN_IDENTIFIER)`;
    }
    columns.push({ expr, alias });
  }
  const order = /\border by (.+?)(\blimit\b|$)/i.exec(rest)?.[1] ?? "";
  const limit = /\blimit (\d+)/i.exec(rest)?.[1];
  return { columns, errorsFirst: /status_code/i.test(order), limit: limit === undefined ? null : Number(limit) };
}

function splitTopLevel(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const ch of list) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && (ch === "(" || ch === "[")) depth++;
    if (!quoted && (ch === ")" || ch === "]")) depth--;
    if (!quoted && depth === 0 && ch === ",") {
      items.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "") items.push(current.trim());
  return items;
}

/** One select expression of one row, as ClickHouse's JSON output gives it; undefined when unknown. */
function selectValue(expr: string, row: EdgeLogRow): string | undefined {
  const attribute = /^log_attributes\['([^']+)'\]$/.exec(expr);
  if (attribute) return row.log_attributes[attribute[1] ?? ""] ?? "";
  if (/^toUnixTimestamp64Micro\(timestamp\)$/i.test(expr)) return String(row.timestamp);
  if (expr === "timestamp") return clickHouseDateTime64(row.timestamp);
  if (expr === "id") return row.id;
  if (expr === "event_message") return row.event_message;
  return undefined;
}

function selectColumns(row: EdgeLogRow, columns: LogQueryPlan["columns"]): Record<string, string> {
  return Object.fromEntries(columns.map(({ expr, alias }) => [alias, selectValue(expr, row) ?? ""]));
}

/** `2026-11-30 12:00:00.123456`: UTC, without a zone, as ClickHouse prints a DateTime64(6). */
function clickHouseDateTime64(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros % 1_000_000).padStart(6, "0")}`;
}

function notFound(request: RecordedRequest): FakeReply {
  return { status: 404, body: { message: `Cannot ${request.method} ${request.path}`, error: "Not Found", statusCode: 404 } };
}
