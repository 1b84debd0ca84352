/**
 * The Management API stand-in itself: it must answer as the current API does (its OpenAPI
 * spec and docs/platform.md "Supabase Management API"), or the client's tests prove nothing.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { type FakeManagementApi, startFakeManagementApi } from "../fakes/management-api.js";

const TOKEN = "sbp_fake_access_token_0123456789abcdef";
const REF = "abcdefghijklmnopqrst";
const NOW = Date.parse("2026-11-30T12:00:00.000Z");
const FUNCTION_ID = "5b0e3c1a-2f43-4f7e-9d55-0a1b2c3d4e5f";
const CLICKHOUSE_SQL = [
  "select id, toUnixTimestamp64Micro(timestamp) as timestamp_us, timestamp, event_message,",
  "  log_attributes['response.status_code'] as status_code, log_attributes['function_id'] as function_id,",
  "  log_attributes['request.method'] as method, log_attributes['execution_time_ms'] as execution_time_ms",
  "from logs where source = 'function_edge_logs'",
  "order by if(toInt32OrZero(log_attributes['response.status_code']) >= 400, 0, 1), timestamp desc limit 100",
].join("\n");

let clock = NOW;
let api: FakeManagementApi;

const get = (path: string, token: string | null = TOKEN): Promise<Response> =>
  fetch(`${api.url}${path}`, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
const logsPath = (sql: string, start?: number, end?: number, route = "logs"): string => {
  const params = new URLSearchParams({ sql });
  if (start !== undefined) params.set("iso_timestamp_start", new Date(start).toISOString());
  if (end !== undefined) params.set("iso_timestamp_end", new Date(end).toISOString());
  return `/v1/projects/${REF}/analytics/endpoints/${route}?${params.toString()}`;
};
type LogsBody = { result: Record<string, string>[] | null; error: unknown };
const logs = async (sql: string, start?: number, end?: number): Promise<LogsBody> => {
  const response = await get(logsPath(sql, start, end));
  assert.equal(response.status, 200);
  return (await response.json()) as LogsBody;
};
const firstMessage = (error: unknown): string => ((error as { errors: { message: string }[] }).errors[0]?.message ?? "");

before(async () => {
  api = await startFakeManagementApi({
    token: TOKEN,
    now: () => clock,
    projects: {
      [REF]: {
        name: "scraping",
        organization_slug: "acme-org",
        functions: [
          { slug: "scrape-daily", id: FUNCTION_ID, version: 7, updated_at: NOW - 3_600_000 },
          { slug: "old-thing", status: "REMOVED" },
          { slug: "mapped", import_map: true },
        ],
        logs: [
          { function_id: FUNCTION_ID, timestamp: NOW - 10 * 60_000, status_code: 200 },
          { function_id: FUNCTION_ID, timestamp: NOW - 5 * 60_000, status_code: 546 },
          { function_id: FUNCTION_ID, timestamp: NOW - 30_000 + 0.123, status_code: 504 },
        ].map((row) => ({ ...row, timestamp: Math.round(row.timestamp * 1000) })),
      },
    },
  });
});
after(async () => {
  await api.close();
});
beforeEach(() => {
  clock = NOW;
  api.reset();
  api.sourceColumn = "source";
});

describe("the Management API stand-in", () => {
  test("requires the bearer token", async () => {
    for (const token of [null, "wrong"]) {
      const response = await get("/v1/projects", token);
      assert.equal(response.status, 401);
      assert.deepEqual(await response.json(), { message: "Unauthorized" });
    }
    assert.equal((await get("/v1/projects")).status, 200);
  });

  test("lists projects with ref, organization_slug, name, region, status and database", async () => {
    const [project] = (await (await get("/v1/projects")).json()) as Record<string, unknown>[];
    assert.equal(project?.["ref"], REF);
    assert.equal(project?.["organization_slug"], "acme-org");
    assert.equal(project?.["name"], "scraping");
    assert.equal(project?.["status"], "ACTIVE_HEALTHY");
    assert.equal(typeof project?.["region"], "string");
    assert.equal(typeof (project?.["database"] as { version?: unknown })?.version, "string");
  });

  test("every project object has the fields the spec requires, database{host, version, postgres_engine, release_channel} included", async () => {
    const [project] = (await (await get("/v1/projects")).json()) as Record<string, unknown>[];
    for (const field of ["id", "ref", "organization_id", "organization_slug", "name", "region", "created_at", "status", "database"]) assert.ok(field in (project ?? {}), field);
    assert.deepEqual(Object.keys(project?.["database"] as object).sort(), ["host", "postgres_engine", "release_channel", "version"]);
    assert.ok(!Number.isNaN(Date.parse(String(project?.["created_at"]))));
  });

  test("scripts: a status change, projects appearing and disappearing, 403 on a project's routes; reset() undoes them", async () => {
    const refs = async () => ((await (await get("/v1/projects")).json()) as { ref: string; status: string }[]).map((p) => `${p.ref}:${p.status}`);
    api.setProjectStatus(REF, "INACTIVE");
    api.addProject("otherprojectrefabcde", { status: "RESTORING" });
    assert.deepEqual(await refs(), [`${REF}:INACTIVE`, "otherprojectrefabcde:RESTORING"]);
    api.removeProject("otherprojectrefabcde");
    assert.deepEqual(await refs(), [`${REF}:INACTIVE`]);
    assert.equal((await get("/v1/projects/otherprojectrefabcde/functions")).status, 404);

    api.forbidProject(REF);
    const forbidden = await get(`/v1/projects/${REF}/functions`);
    assert.equal(forbidden.status, 403);
    assert.deepEqual(await forbidden.json(), { message: "Forbidden resource", error: "Forbidden", statusCode: 403 });
    const query = await fetch(`${api.url}/v1/projects/${REF}/database/query/read-only`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ query: "select 1" }),
    });
    assert.equal(query.status, 403);
    assert.equal((await get("/v1/projects")).status, 200, "the list still answers");

    api.reset();
    assert.deepEqual(await refs(), [`${REF}:ACTIVE_HEALTHY`]);
    assert.equal((await get(`/v1/projects/${REF}/functions`)).status, 200);
  });

  test("the read-only endpoint wants a query and a POST", async () => {
    const post = (body: unknown) =>
      fetch(`${api.url}/v1/projects/${REF}/database/query/read-only`, { method: "POST", headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const empty = await post({ query: "" });
    assert.equal(empty.status, 400);
    assert.equal(((await empty.json()) as { error: string }).error, "Bad Request");
    assert.equal((await get(`/v1/projects/${REF}/database/query/read-only`)).status, 404);
  });

  test("lists functions in the documented shape: epoch milliseconds, import_map_path a string or absent", async () => {
    const functions = (await (await get(`/v1/projects/${REF}/functions`)).json()) as Record<string, unknown>[];
    assert.equal(functions.length, 3);
    const [daily, removed, mapped] = functions;
    assert.equal(daily?.["id"], FUNCTION_ID);
    assert.equal(daily?.["slug"], "scrape-daily");
    assert.equal(daily?.["updated_at"], NOW - 3_600_000);
    assert.ok((daily?.["created_at"] as number) > 1e12, "milliseconds, not seconds");
    assert.ok(daily !== undefined && !("import_map_path" in daily), "absent, never null");
    assert.equal(typeof mapped?.["import_map_path"], "string");
    assert.equal(removed?.["status"], "REMOVED");
    for (const fn of functions) for (const value of Object.values(fn)) assert.notEqual(value, null);
  });

  test("an unknown project ref is 404; so is the removed logs.all route", async () => {
    assert.equal((await get("/v1/projects/nosuchprojectref0000/functions")).status, 404);
    assert.equal((await get(logsPath(CLICKHOUSE_SQL, NOW - 60_000, NOW, "logs.all"))).status, 404);
  });

  test("runs the ClickHouse query: attributes as strings, the timestamp as microseconds, errors first, limit", async () => {
    const body = await logs(CLICKHOUSE_SQL, NOW - 11 * 60_000, NOW);
    assert.equal(body.error, null);
    assert.deepEqual(body.result?.map((r) => r["status_code"]), ["504", "546", "200"]);
    const [first] = body.result ?? [];
    assert.equal(first?.["timestamp_us"], String(Math.round((NOW - 30_000 + 0.123) * 1000)));
    assert.equal(first?.["timestamp"], "2026-11-30 11:59:30.000123", "a DateTime64 prints without a zone");
    assert.equal(first?.["function_id"], FUNCTION_ID);
    assert.equal(first?.["method"], "POST");
    assert.equal(api.logQueries[0]?.sql, CLICKHOUSE_SQL);
    const limited = await logs(CLICKHOUSE_SQL.replace("limit 100", "limit 1"), NOW - 11 * 60_000, NOW);
    assert.deepEqual(limited.result?.map((r) => r["status_code"]), ["504"]);
  });

  test("without a range only the last minute is read", async () => {
    const body = await logs(CLICKHOUSE_SQL);
    assert.deepEqual(body.result?.map((r) => r["status_code"]), ["504"]);
  });

  test("refuses BigQuery forms the way ClickHouse does, with errors[] in the error object", async () => {
    const bigQuery = "select id, function_edge_logs.timestamp from function_edge_logs cross join unnest(metadata) as m";
    const unnest = await logs(bigQuery, NOW - 60_000, NOW);
    assert.deepEqual(unnest.result, []);
    assert.match(firstMessage(unnest.error), /Unknown function unnest/);
    const table = await logs("select id from function_edge_logs", NOW - 60_000, NOW);
    assert.match(firstMessage(table.error), /Unknown table expression identifier 'function_edge_logs'/);
    for (const key of ["code", "errors", "message", "status"]) assert.ok(key in (table.error as object), key);
  });

  test("knows one spelling of the source column at a time", async () => {
    const other = CLICKHOUSE_SQL.replace("where source =", "where source_name =");
    assert.match(firstMessage((await logs(other, NOW - 60_000, NOW)).error), /Unknown expression identifier 'source_name'/);
    api.sourceColumn = "source_name";
    assert.equal((await logs(other, NOW - 60_000, NOW)).error, null);
    assert.match(firstMessage((await logs(CLICKHOUSE_SQL, NOW - 60_000, NOW)).error), /Unknown expression identifier 'source'/);
  });

  test("a range over 24 hours answers 200 with an error", async () => {
    const body = await logs(CLICKHOUSE_SQL, NOW - 25 * 3_600_000, NOW);
    assert.deepEqual(body.result, []);
    assert.match(firstMessage(body.error), /24 hours/);
  });

  test("402 on the logs endpoint when the organisation's usage is exceeded; a scripted transient backend error", async () => {
    api.logsUsageExceeded = true;
    const refused = await get(logsPath(CLICKHOUSE_SQL, NOW - 60_000, NOW));
    assert.equal(refused.status, 402);
    assert.equal((await get(`/v1/projects/${REF}/functions`)).status, 200, "other endpoints still answer");
    api.logsUsageExceeded = false;
    api.respondBackendError();
    const transient = (await (await get(logsPath(CLICKHOUSE_SQL, NOW - 60_000, NOW))).json()) as LogsBody;
    assert.equal(transient.result, null);
    assert.match(String(transient.error), /^Backend error! Retry your query/);
    assert.equal((await logs(CLICKHOUSE_SQL, NOW - 60_000, NOW)).error, null);
  });

  test("logs are limited to 30 a minute with X-RateLimit headers and Retry-After, and the window resets", async () => {
    const path = logsPath(CLICKHOUSE_SQL, NOW - 60_000, NOW);
    for (let i = 1; i <= 30; i++) {
      clock = NOW + i * 100;
      const response = await get(path);
      assert.equal(response.status, 200, `request ${i}`);
      assert.equal(response.headers.get("x-ratelimit-limit"), "30");
      assert.equal(response.headers.get("x-ratelimit-remaining"), String(30 - i));
    }
    clock = NOW + 20_000;
    const limited = await get(path);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("x-ratelimit-remaining"), "0");
    assert.equal(limited.headers.get("x-ratelimit-reset"), "41");
    assert.equal(limited.headers.get("retry-after"), "41");
    // Another endpoint has its own counter.
    assert.equal((await get(`/v1/projects/${REF}/functions`)).headers.get("x-ratelimit-limit"), "120");
    clock = NOW + 61_000;
    assert.equal((await get(path)).status, 200);
  });

  test("a scripted 429 carries X-RateLimit-Reset and Retry-After", async () => {
    api.respond429(1, 7);
    const response = await get(`/v1/projects/${REF}/functions`);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("x-ratelimit-reset"), "7");
    assert.equal(response.headers.get("retry-after"), "7");
    assert.equal((await get(`/v1/projects/${REF}/functions`)).status, 200);
  });
});

describe("the stand-in with X-RateLimit-Reset in milliseconds", () => {
  test("sends the reset as milliseconds and Retry-After as seconds", async () => {
    const millis = await startFakeManagementApi({ token: TOKEN, now: () => NOW, resetUnit: "milliseconds", rateLimits: { default: 1 }, projects: { [REF]: {} } });
    try {
      const ok = await fetch(`${millis.url}/v1/projects/${REF}/functions`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.headers.get("x-ratelimit-reset"), "60000");
      const limited = await fetch(`${millis.url}/v1/projects/${REF}/functions`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "60");
    } finally {
      await millis.close();
    }
  });
});
