/**
 * A stand-in for the Supabase Management API, limited to what jobmon reads (docs/platform.md
 * "Supabase Management API"):
 *
 * - `Authorization: Bearer <token>` on every call, else 401 `{"message":"Unauthorized"}`.
 * - `GET /v1/projects`, `GET /v1/projects/:ref/functions` (timestamps in epoch
 *   milliseconds), `GET /v1/projects/:ref/analytics/endpoints/logs.all`. Unknown ref → 404.
 * - logs.all answers `{result, error}` and reports its errors as HTTP 200 with `error` set:
 *   a window over 24 h, a bad timestamp, a missing `sql`, or SQL that does not read
 *   `function_edge_logs`. It does not run the SQL: `result` is the project's scripted
 *   invocations in `[iso_timestamp_start, iso_timestamp_end)`, newest first, in the shape
 *   of the documented example query (`id, timestamp` in unix microseconds, `event_message,
 *   status_code, method, function_id, execution_time_ms`). With no range: the last minute.
 * - Rate limits per endpoint and project in fixed one-minute windows (120/min, logs.all
 *   30/min), with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
 *   (seconds remaining) on every answer and 429 when exceeded. `respond429(n, reset)`
 *   scripts one.
 */
import { randomUUID } from "node:crypto";
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
  import_map_path: string | null;
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

export interface EdgeLogRow {
  id: string;
  timestamp: number;
  event_message: string;
  status_code: number;
  method: string;
  function_id: string;
  execution_time_ms: number;
}

export interface FakeProjectInput {
  name?: string;
  region?: string;
  /** `ACTIVE_HEALTHY`, `INACTIVE` (paused) … */
  status?: string;
  organization_id?: string;
  functions?: FakeFunctionInput[];
  logs?: FakeLogInput[];
}

export interface FakeManagementApiOptions {
  token: string;
  projects: Record<string, FakeProjectInput>;
  /** Clock for the log window default and the rate-limit windows. */
  now?: () => number;
  /** Requests per minute per endpoint and project; `false` turns limiting off. Defaults from docs/platform.md. */
  rateLimits?: { default?: number; logs?: number; windowMs?: number } | false;
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
  organization_id: string;
  created_at: string;
  functions: EdgeFunction[];
  logs: EdgeLogRow[];
}

export class FakeManagementApi extends FakeHttpServer {
  readonly logQueries: LogQuery[] = [];
  private readonly token: string;
  private readonly now: () => number;
  private readonly limits: { default: number; logs: number; windowMs: number } | false;
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly initial: Record<string, FakeProjectInput>;
  private projects = new Map<string, ProjectState>();

  constructor(opts: FakeManagementApiOptions) {
    super();
    this.token = opts.token;
    this.now = opts.now ?? Date.now;
    this.limits = opts.rateLimits === false ? false : { default: 120, logs: 30, windowMs: MINUTE_MS, ...opts.rateLimits };
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

  /** The next `n` requests get 429 with `X-RateLimit-Reset: resetSeconds`. */
  respond429(n = 1, resetSeconds = 60): void {
    this.failNext(n, {
      status: 429,
      body: { message: "ThrottlerException: Too Many Requests" },
      headers: { "X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(resetSeconds) },
    });
  }

  protected override resetState(): void {
    this.logQueries.length = 0;
    this.windows.clear();
    this.loadProjects();
  }

  protected handle(request: RecordedRequest): FakeReply {
    if (request.headers["authorization"] !== `Bearer ${this.token}`) return { status: 401, body: { message: "Unauthorized" } };
    if (request.method !== "GET") return notFound(request);

    const segments = request.path.split("/").filter(Boolean);
    if (segments[0] !== "v1" || segments[1] !== "projects") return notFound(request);

    if (segments.length === 2) {
      return this.limited("projects", () => ({ status: 200, body: [...this.projects.values()].map(projectJson) }));
    }
    const ref = segments[2] ?? "";
    const project = this.projects.get(ref);
    const rest = segments.slice(3).join("/");
    const endpoint = rest === "analytics/endpoints/logs.all" ? "logs.all" : rest === "functions" ? "functions" : rest === "" ? "project" : undefined;
    if (endpoint === undefined) return notFound(request);
    return this.limited(`${endpoint}:${ref}`, () => {
      if (project === undefined) return { status: 404, body: { message: "Project not found" } };
      if (endpoint === "project") return { status: 200, body: projectJson(project) };
      if (endpoint === "functions") return { status: 200, body: project.functions };
      return { status: 200, body: this.logs(project, request) };
    });
  }

  private logs(project: ProjectState, request: RecordedRequest): { result: EdgeLogRow[]; error: unknown } {
    const sql = request.query["sql"];
    const startText = request.query["iso_timestamp_start"];
    const endText = request.query["iso_timestamp_end"];
    this.logQueries.push({ ref: project.ref, sql, start: startText, end: endText });
    const fail = (message: string): { result: EdgeLogRow[]; error: unknown } => ({ result: [], error: { code: 400, message, status: "INVALID_ARGUMENT" } });

    if (sql === undefined || sql.trim() === "") return fail("Missing query parameter: sql");
    if (!/\bfunction_edge_logs\b/i.test(sql)) return fail("The fake only serves function_edge_logs and the query does not reference it");

    const end = endText === undefined ? this.now() : Date.parse(endText);
    // Without a range the endpoint only looks at the last minute (docs/platform.md).
    const start = startText === undefined ? end - MINUTE_MS : Date.parse(startText);
    if (Number.isNaN(start)) return fail(`Invalid iso_timestamp_start: ${startText}`);
    if (Number.isNaN(end)) return fail(`Invalid iso_timestamp_end: ${endText}`);
    if (end < start) return fail("iso_timestamp_end must be after iso_timestamp_start");
    if (end - start > DAY_MS) return fail("Querying a range of more than 24 hours is not supported: narrow iso_timestamp_start/iso_timestamp_end");

    const result = project.logs
      .filter((row) => row.timestamp >= start * 1000 && row.timestamp < end * 1000)
      .sort((a, b) => b.timestamp - a.timestamp);
    return { result, error: null };
  }

  private limited(key: string, answer: () => FakeReply): FakeReply {
    if (this.limits === false) return answer();
    const limit = key.startsWith("logs.all:") ? this.limits.logs : this.limits.default;
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= this.limits.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    const reset = Math.max(1, Math.ceil((window.start + this.limits.windowMs - now) / 1000));
    if (window.count >= limit) {
      return {
        status: 429,
        body: { message: "ThrottlerException: Too Many Requests" },
        headers: { "X-RateLimit-Limit": String(limit), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(reset) },
      };
    }
    window.count++;
    const reply = answer();
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
    this.projects = new Map(
      Object.entries(this.initial).map(([ref, input]) => {
        const project: ProjectState = {
          ref,
          name: input.name ?? ref,
          region: input.region ?? "eu-central-1",
          status: input.status ?? "ACTIVE_HEALTHY",
          organization_id: input.organization_id ?? "fake-org",
          created_at: new Date(now - 30 * DAY_MS).toISOString(),
          functions: (input.functions ?? []).map((f) => toFunction(f, now)),
          logs: [],
        };
        project.logs = (input.logs ?? []).map((row) => toLogRow(row, project));
        return [ref, project];
      }),
    );
  }
}

export async function startFakeManagementApi(opts: FakeManagementApiOptions): Promise<FakeManagementApi> {
  return new FakeManagementApi(opts).listen();
}

function projectJson(p: ProjectState): Record<string, unknown> {
  return {
    id: p.ref,
    ref: p.ref,
    organization_id: p.organization_id,
    name: p.name,
    region: p.region,
    created_at: p.created_at,
    status: p.status,
    database: { host: `db.${p.ref}.supabase.co`, version: "15.8.1.100", postgres_engine: "15", release_channel: "ga" },
  };
}

function toFunction(f: FakeFunctionInput, now: number): EdgeFunction {
  const created = f.created_at ?? now - 7 * DAY_MS;
  return {
    id: f.id ?? randomUUID(),
    slug: f.slug,
    name: f.name ?? f.slug,
    status: f.status ?? "ACTIVE",
    version: f.version ?? 1,
    created_at: created,
    updated_at: f.updated_at ?? created,
    verify_jwt: f.verify_jwt ?? true,
    import_map: f.import_map ?? false,
    entrypoint_path: f.entrypoint_path ?? `file:///tmp/user_fn_${f.slug}/source/index.ts`,
    import_map_path: null,
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
    status_code: row.status_code,
    method,
    function_id: row.function_id,
    execution_time_ms: row.execution_time_ms ?? 120,
  };
}

function notFound(request: RecordedRequest): FakeReply {
  return { status: 404, body: { message: `Cannot ${request.method} ${request.path}`, error: "Not Found", statusCode: 404 } };
}
