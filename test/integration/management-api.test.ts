/**
 * The Management API client against the local stand-in (test/fakes/management-api.ts), which
 * speaks the documented shapes: functions list, the logs endpoint's envelope and ClickHouse
 * SQL, 401, 402, 404, 429 with X-RateLimit-Reset and Retry-After, the transient backend error. Waits go through an injected sleep that advances a shared fake clock,
 * so nothing sleeps on the wall clock.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { ProjectConfig } from "../../src/config.js";
import {
  functionEdgeLogsSql,
  ManagementApi,
  ManagementApiError,
  type ManagementApiOptions,
  MAX_LOGS_REQUEST_WINDOW_MS,
  nextLogsWindow,
  projectRefFor,
} from "../../src/sources/management-api.js";
import { type FakeManagementApi, startFakeManagementApi } from "../fakes/management-api.js";

const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";
const REF = "abcdefghijklmnopqrst";
const NOW = Date.parse("2026-11-30T12:00:00.000Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SYNC_ID = "5b0e3c1a-2f43-4f7e-9d55-0a1b2c3d4e5f";
const SCRAPE_ID = "0c3d7a52-8a8e-4a57-b1a4-6f0a3b2c1d0e";

let clock = NOW;
let api: FakeManagementApi;
let sleeps: number[] = [];

function client(over: Partial<ManagementApiOptions> = {}): ManagementApi {
  return new ManagementApi({
    baseUrl: api.url,
    accessToken: TOKEN,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...over,
  });
}

async function rejection(promise: Promise<unknown>): Promise<ManagementApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ManagementApiError, `expected a ManagementApiError, got ${String(error)}`);
    assert.ok(!error.message.includes(TOKEN), "the token must never be in an error message");
    assert.ok(!JSON.stringify({ ...error, stack: error.stack }).includes(TOKEN), "nor anywhere on the error");
    return error;
  }
  assert.fail("expected the call to fail");
}

before(async () => {
  api = await startFakeManagementApi({
    token: TOKEN,
    now: () => clock,
    projects: {
      [REF]: {
        name: "smoothed",
        functions: [
          { slug: "sync-leads", id: SYNC_ID, version: 12, created_at: NOW - 30 * 24 * HOUR, updated_at: NOW - 2 * HOUR, verify_jwt: false },
          { slug: "scrape-daily", id: SCRAPE_ID, status: "THROTTLED" },
          { slug: "old-thing", status: "REMOVED" },
        ],
        logs: [
          { function_id: SYNC_ID, timestamp: new Date(NOW - 20 * MINUTE), status_code: 200, execution_time_ms: 80 },
          { function_id: SYNC_ID, timestamp: new Date(NOW - 10 * MINUTE + 1), status_code: 546, execution_time_ms: 2100 },
          { function_id: SCRAPE_ID, timestamp: new Date(NOW - 5 * MINUTE), status_code: 504, method: "GET" },
          { function_id: SYNC_ID, timestamp: new Date(NOW - 30 * HOUR), status_code: 500 },
        ],
      },
    },
  });
});
after(async () => {
  await api.close();
});
beforeEach(() => {
  clock = NOW;
  sleeps = [];
  api.reset();
});

describe("listFunctions", () => {
  test("returns the documented fields, epoch milliseconds converted to dates", async () => {
    const functions = await client().listFunctions(REF);
    assert.deepEqual(
      functions.map((f) => [f.slug, f.status]),
      [
        ["sync-leads", "ACTIVE"],
        ["scrape-daily", "THROTTLED"],
        ["old-thing", "REMOVED"],
      ],
    );
    const sync = functions[0];
    assert.equal(sync?.id, SYNC_ID);
    assert.equal(sync?.name, "sync-leads");
    assert.equal(sync?.version, 12);
    assert.equal(sync?.verify_jwt, false);
    assert.ok(sync?.updated_at instanceof Date);
    assert.equal(sync?.updated_at.getTime(), NOW - 2 * HOUR);
    assert.equal(sync?.created_at.toISOString(), new Date(NOW - 30 * 24 * HOUR).toISOString());
    const request = api.requests[0];
    assert.equal(request?.path, `/v1/projects/${REF}/functions`);
    assert.equal(request?.headers["authorization"], `Bearer ${TOKEN}`);
  });

  test("a rejected token is an auth error that names SUPABASE_ACCESS_TOKEN, without the token", async () => {
    const error = await rejection(client({ accessToken: `${TOKEN}-revoked` }).listFunctions(REF));
    assert.equal(error.kind, "auth");
    assert.equal(error.status, 401);
    assert.equal(error.errorClass, "configuration");
    assert.match(error.message, /rejected SUPABASE_ACCESS_TOKEN \(401/);
    assert.ok(!error.message.includes("revoked"));
    assert.equal(api.requests.length, 1, "a 401 is not retried");
  });

  test("an unknown project ref is a not_found error naming the ref", async () => {
    const error = await rejection(client().listFunctions("nosuchprojectref0000"));
    assert.equal(error.kind, "not_found");
    assert.match(error.message, /"nosuchprojectref0000".*JOBMON_PROJECT_REFS/);
  });

  test("a 429 with X-RateLimit-Reset is waited out, then the call succeeds", async () => {
    api.respond429(1, 7);
    const functions = await client().listFunctions(REF);
    assert.equal(functions.length, 3);
    assert.deepEqual(sleeps, [7000]);
    assert.equal(api.requests.length, 2);
  });

  test("429s beyond the wait budget fail as rate_limited, after bounded attempts", async () => {
    api.respond429(10, 20);
    const error = await rejection(client({ maxWaitMs: 45_000 }).listFunctions(REF));
    assert.equal(error.kind, "rate_limited");
    assert.equal(error.errorClass, "transient");
    assert.equal(error.retryAfterMs, 20_000);
    assert.match(error.message, /resets in 20s/);
    assert.deepEqual(sleeps, [20_000, 20_000]);
    assert.equal(api.requests.length, 3);

    api.reset();
    sleeps = [];
    api.respond429(10, 1);
    const attempts = await rejection(client({ maxAttempts: 3 }).listFunctions(REF));
    assert.equal(attempts.kind, "rate_limited");
    assert.equal(api.requests.length, 3, "maxAttempts bounds the retries");
  });

  test("5xx answers are retried with backoff, then reported as server errors", async () => {
    api.failNext(1, { status: 502, body: { message: "Bad Gateway" } });
    assert.equal((await client().listFunctions(REF)).length, 3);
    assert.deepEqual(sleeps, [375]);

    api.reset();
    api.failNext(4, { status: 503, body: { message: `upstream down for Bearer ${TOKEN}` } });
    const error = await rejection(client().listFunctions(REF));
    assert.equal(error.kind, "server");
    assert.equal(error.status, 503);
    assert.match(error.message, /answered 503 .*upstream down .*after 4 attempts/);
  });

  test("an unreachable API is a network error", async () => {
    const error = await rejection(client({ baseUrl: "http://127.0.0.1:9", maxAttempts: 2 }).listFunctions(REF));
    assert.equal(error.kind, "network");
    assert.match(error.message, /cannot reach the Management API at http:\/\/127\.0\.0\.1:9/);
  });

  test("an empty token is a configuration error", () => {
    assert.throws(() => new ManagementApi({ accessToken: " " }), /SUPABASE_ACCESS_TOKEN: is empty/);
  });
});

describe("rate limits", () => {
  test("when X-RateLimit-Remaining reaches 0 the next call to that endpoint waits for the reset", async () => {
    const c = client();
    for (let i = 0; i < 30; i++) {
      await c.functionLogs(REF, { start: new Date(clock - 15 * MINUTE), end: new Date(clock) });
      clock += 100;
    }
    assert.deepEqual(sleeps, []);
    const requests = api.requests.length;
    // Another endpoint has its own budget: no wait.
    await c.listFunctions(REF);
    assert.deepEqual(sleeps, []);
    // The 31st logs call would have to wait ~58 s, more than the 30 s budget: it fails
    // at once, without spending a request on a 429.
    const tooLong = await rejection(c.functionLogs(REF, { start: new Date(clock - 15 * MINUTE), end: new Date(clock) }));
    assert.equal(tooLong.kind, "rate_limited");
    assert.equal(api.requests.length, requests + 1);
    // Half a minute later the rest of the wait fits: it waits, then calls, and gets no 429.
    clock += 30_000;
    await c.functionLogs(REF, { start: new Date(clock - 15 * MINUTE), end: new Date(clock) });
    assert.equal(sleeps.length, 1);
    assert.ok((sleeps[0] ?? 0) >= 26_000 && (sleeps[0] ?? 0) <= 30_000, `waited ${sleeps[0]} ms`);
    assert.equal(api.requests.length, requests + 2);
    assert.ok(api.requests.every((r) => r.status !== 429), "no request was refused");
  });
});

describe("functionLogs", () => {
  test("reads the window's invocations in the documented row shape, microseconds converted", async () => {
    const logs = await client().functionLogs(REF, { start: new Date(NOW - 15 * MINUTE), end: new Date(NOW) });
    assert.deepEqual(
      logs.rows.map((r) => [r.function_id, r.status_code]),
      [
        [SCRAPE_ID, 504],
        [SYNC_ID, 546],
      ],
    );
    const row = logs.rows[1];
    assert.ok(row?.timestamp instanceof Date);
    assert.equal(row?.timestamp.getTime(), NOW - 10 * MINUTE + 1);
    assert.equal(row?.execution_time_ms, 2100);
    assert.equal(row?.method, "POST");
    assert.match(row?.event_message ?? "", /POST \| 546 \| https:\/\/.*\/functions\/v1\/sync-leads/);
    assert.equal(logs.requests, 1);
    assert.equal(logs.clamped, false);
    assert.equal(logs.truncated, false);

    const query = api.logQueries[0];
    assert.equal(query?.sql, functionEdgeLogsSql());
    assert.match(query?.sql ?? "", /from logs\s+where source = 'function_edge_logs'/);
    assert.match(query?.sql ?? "", /toUnixTimestamp64Micro\(timestamp\)/, "the timestamp as microseconds, never a zone-less string");
    assert.doesNotMatch(query?.sql ?? "", /unnest/);
    assert.equal(api.requests[0]?.path, `/v1/projects/${REF}/analytics/endpoints/logs`);
    // Whole minutes (the API rounds), one before the start since it compares timestamp > start.
    assert.equal(query?.start, new Date(NOW - 16 * MINUTE).toISOString());
    assert.equal(query?.end, new Date(NOW).toISOString());
  });

  test("rows the widened request returns outside the exact window are dropped", async () => {
    // [NOW-10min+2ms, NOW-5min): the 546 at NOW-10min+1ms is inside the request, not the window.
    const logs = await client().functionLogs(REF, { start: new Date(NOW - 10 * MINUTE + 2), end: new Date(NOW - 5 * MINUTE) });
    assert.deepEqual(logs.rows, []);
    const until = await client().functionLogs(REF, { start: new Date(NOW - 10 * MINUTE + 1), end: new Date(NOW - 5 * MINUTE + 1) });
    assert.deepEqual(until.rows.map((r) => r.status_code), [504, 546]);
  });

  test("a window over 24 h is clamped to the latest 23 h 58 min by default, so the API never refuses it", async () => {
    const logs = await client().functionLogs(REF, { start: new Date(NOW - 48 * HOUR), end: new Date(NOW) });
    assert.equal(logs.clamped, true);
    assert.equal(logs.start.getTime(), NOW - MAX_LOGS_REQUEST_WINDOW_MS);
    assert.equal(logs.requests, 1);
    assert.deepEqual(logs.rows.map((r) => r.status_code), [504, 546, 200]);
    const query = api.logQueries[0];
    assert.ok(Date.parse(query?.end ?? "") - Date.parse(query?.start ?? "") <= 24 * HOUR);
  });

  test("with a longer lookback the window is split into requests of at most 24 h", async () => {
    const logs = await client().functionLogs(REF, { start: new Date(NOW - 48 * HOUR), end: new Date(NOW), maxLookbackMs: 7 * 24 * HOUR });
    assert.equal(logs.clamped, false);
    assert.equal(logs.requests, 3);
    assert.deepEqual(logs.rows.map((r) => r.status_code), [504, 546, 200, 500]);
    for (const query of api.logQueries) {
      assert.ok(Date.parse(query.end ?? "") - Date.parse(query.start ?? "") <= 24 * HOUR, `${query.start} → ${query.end}`);
    }
  });

  test("the API's 24 h refusal (an error field in a 200 answer) is an error, not an empty result", async () => {
    const fetchWideWindow: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      url.searchParams.set("iso_timestamp_start", new Date(NOW - 25 * HOUR).toISOString());
      return fetch(url, init);
    };
    const error = await rejection(client({ fetch: fetchWideWindow }).functionLogs(REF, { start: new Date(NOW - HOUR), end: new Date(NOW) }));
    assert.equal(error.kind, "query");
    assert.equal(error.status, 200);
    assert.match(error.message, /the Edge Function logs query for project abcdefghijklmnopqrst failed: .*24 hours/);
  });

  test("a 429 on the logs endpoint is waited out, then the rows come back", async () => {
    api.respond429(1, 3);
    const logs = await client().functionLogs(REF, { start: new Date(NOW - 15 * MINUTE), end: new Date(NOW) });
    assert.equal(logs.rows.length, 2);
    assert.deepEqual(sleeps, [3000]);
  });

  test("a full page is reported as truncated", async () => {
    const logs = await client().functionLogs(REF, { start: new Date(NOW - 15 * MINUTE), end: new Date(NOW), rowLimit: 2 });
    assert.equal(logs.truncated, true);
    assert.match(api.logQueries[0]?.sql ?? "", /limit 2$/);
  });

  test("an empty or reversed window makes no request", async () => {
    const logs = await client().functionLogs(REF, { start: new Date(NOW), end: new Date(NOW) });
    assert.deepEqual(logs.rows, []);
    assert.equal(api.requests.length, 0);
  });
});

describe("the logs endpoint as it is today", () => {
  const window = { start: new Date(NOW - 15 * MINUTE), end: new Date(NOW) };

  test("500 and 546 come back through /analytics/endpoints/logs, never the removed logs.all", async () => {
    api.addLogs(REF, [{ function_id: SYNC_ID, timestamp: new Date(NOW - 3 * MINUTE), status_code: 500 }]);
    const logs = await client().functionLogs(REF, window);
    assert.deepEqual(logs.rows.map((r) => r.status_code), [500, 504, 546]);
    assert.ok(api.requests.every((r) => !r.path.endsWith("logs.all")));
  });

  test("with the column spelled source_name: one failed try, then source_name, remembered for the next checks", async () => {
    const base = api.url;
    api.sourceColumn = "source_name";
    try {
      const logs = await client().functionLogs(REF, window);
      assert.deepEqual(logs.rows.map((r) => r.status_code), [504, 546]);
      assert.deepEqual(api.logQueries.map((q) => /where (\w+) =/.exec(q.sql ?? "")?.[1]), ["source", "source_name"]);
      // A new client (the next check) against the same API asks with source_name at once.
      await client().functionLogs(REF, window);
      assert.deepEqual(api.logQueries.map((q) => /where (\w+) =/.exec(q.sql ?? "")?.[1]), ["source", "source_name", "source_name"]);
      // And if the API goes back to `source`, it follows.
      api.sourceColumn = "source";
      assert.equal((await client().functionLogs(REF, window)).rows.length, 2);
      assert.equal(api.url, base);
    } finally {
      api.sourceColumn = "source";
    }
  });

  test("a query error that is not about the source column is not retried with the other spelling", async () => {
    const fetchBadSql: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      url.searchParams.set("sql", "select id from function_edge_logs cross join unnest(metadata) as m where source = 'function_edge_logs'");
      return fetch(url, init);
    };
    const error = await rejection(client({ fetch: fetchBadSql }).functionLogs(REF, window));
    assert.equal(error.kind, "query");
    assert.match(error.message, /Unknown function unnest/, "the first of errors[], not the generic message");
    assert.equal(api.logQueries.length, 1);
  });

  test("402 says the organisation's usage is exceeded, not that the token lacks a scope", async () => {
    api.logsUsageExceeded = true;
    const error = await rejection(client().functionLogs(REF, window));
    assert.equal(error.kind, "usage_exceeded");
    assert.equal(error.status, 402);
    assert.match(error.message, /organisation .*usage .*exceeded/i);
    assert.doesNotMatch(error.message, /analytics:read|needs access/);
    assert.equal(api.requests.length, 1, "a 402 is not retried");
  });

  test("404 on the log route says the endpoint is gone, not that the project ref is unknown", async () => {
    const fetchOldRoute: typeof fetch = (input, init) => fetch(String(input).replace("/endpoints/logs?", "/endpoints/logs.all?"), init);
    const error = await rejection(client({ fetch: fetchOldRoute }).functionLogs(REF, window));
    assert.equal(error.kind, "endpoint_gone");
    assert.match(error.message, /no longer serves .*analytics\/endpoints\/logs/);
    assert.doesNotMatch(error.message, /project ref|JOBMON_PROJECT_REFS/);
  });

  test("the transient backend error is retried like a 5xx, within the budget", async () => {
    api.respondBackendError(2);
    const logs = await client().functionLogs(REF, window);
    assert.equal(logs.rows.length, 2);
    assert.equal(sleeps.length, 2, "two backoffs");
    assert.equal(api.logQueries.length, 1, "the scripted answers are not queries");

    api.reset();
    sleeps = [];
    api.respondBackendError(10);
    const error = await rejection(client().functionLogs(REF, window));
    assert.equal(error.kind, "server");
    assert.equal(error.errorClass, "transient");
    assert.match(error.message, /Backend error! Retry your query.*after 4 attempts/);
    assert.equal(api.requests.length, 4);
  });

  test("X-RateLimit-Reset in milliseconds is read as milliseconds", async () => {
    api.respond429(1, 7000, 7);
    await client().functionLogs(REF, window);
    assert.deepEqual(sleeps, [7000], "7000 cannot be seconds in a one-minute window");
  });

  test("a reset longer than the one-minute window is never waited for more than 60 s, and the error says so", async () => {
    api.respond429(5, 90_000, 90);
    const error = await rejection(client({ maxWaitMs: 200_000 }).listFunctions(REF));
    assert.equal(error.kind, "rate_limited");
    assert.ok(sleeps.every((ms) => ms <= 60_000), `waited ${sleeps.join(", ")} ms`);
    assert.match(error.message, /waits at most 60 s/);
  });
});

describe("listProjects", () => {
  test("returns the projects the token sees, in the documented shape", async () => {
    const projects = await client().listProjects();
    assert.deepEqual(projects, [
      {
        ref: REF,
        name: "smoothed",
        organization_slug: "fake-org",
        region: "eu-central-1",
        status: "ACTIVE_HEALTHY",
        created_at: new Date(NOW - 30 * 24 * HOUR),
        database: { host: `db.${REF}.supabase.co`, version: "15.8.1.100", postgres_engine: "15", release_channel: "ga" },
      },
    ]);
    assert.equal(api.requests[0]?.path, "/v1/projects");
    assert.equal(api.requests[0]?.method, "GET");
  });

  test("status changes and projects coming and going show in the next list; an unknown status is passed through", async () => {
    api.setProjectStatus(REF, "INACTIVE");
    api.addProject("newprojectrefabcdefg", { name: "fresh", status: "COMING_UP", organization_slug: "other-org" });
    let projects = await client().listProjects();
    assert.deepEqual(projects.map((p) => [p.ref, p.status, p.organization_slug]), [
      [REF, "INACTIVE", "fake-org"],
      ["newprojectrefabcdefg", "COMING_UP", "other-org"],
    ]);
    api.removeProject(REF);
    api.setProjectStatus("newprojectrefabcdefg", "HIBERNATING_SOMEDAY");
    projects = await client().listProjects();
    assert.deepEqual(projects.map((p) => [p.ref, p.status]), [["newprojectrefabcdefg", "HIBERNATING_SOMEDAY"]]);
  });

  test("an answer that is not a list of projects is a bad_response", async () => {
    api.failNext(1, { status: 200, body: { projects: [] } });
    assert.equal((await rejection(client().listProjects())).kind, "bad_response");
    api.failNext(1, { status: 200, body: [{ name: "no ref", status: "ACTIVE_HEALTHY" }] });
    assert.match((await rejection(client().listProjects())).message, /project 0 has no ref/);
  });

  test("401 is an auth error; 403 on the list is forbidden and names the scopes", async () => {
    const auth = await rejection(client({ accessToken: `${TOKEN}-revoked` }).listProjects());
    assert.equal(auth.kind, "auth");
    api.failNext(1, { status: 403, body: { message: "Forbidden resource" } });
    const forbidden = await rejection(client().listProjects());
    assert.equal(forbidden.kind, "forbidden");
    assert.match(forbidden.message, /project list.*projects read, database read, Edge Functions read and analytics read/);
  });
});

describe("readOnlyQuery", () => {
  const QUERY_PATH = `/v1/projects/${REF}/database/query/read-only`;

  test("posts the query as JSON and returns the rows of a 201", async () => {
    api.failNext(1, { status: 201, body: [{ jobid: 1, jobname: "tick" }] });
    assert.deepEqual(await client().readOnlyQuery(REF, "select jobid, jobname from cron.job"), [{ jobid: 1, jobname: "tick" }]);
    const request = api.requests[0];
    assert.equal(request?.method, "POST");
    assert.equal(request?.path, QUERY_PATH);
    assert.equal(request?.headers["content-type"], "application/json");
    assert.deepEqual(request?.json, { query: "select jobid, jobname from cron.job" });
  });

  test("a refused statement is a sql error with the SQLSTATE of its message, not retried", async () => {
    api.failNext(1, { status: 400, body: { message: 'Failed to run sql query: ERROR:  42P01: relation "job" does not exist\nLINE 1: select * from job\n                      ^' } });
    const error = await rejection(client().readOnlyQuery(REF, "select * from job"));
    assert.equal(error.kind, "sql");
    assert.equal(error.sqlState, "42P01");
    assert.equal(error.status, 400);
    assert.equal(error.errorClass, "permanent");
    assert.match(error.message, /read-only query on project abcdefghijklmnopqrst failed \(SQLSTATE 42P01\): .*relation "job" does not exist/);
    assert.equal(api.requests.length, 1);
  });

  test("the spec's 500 'Failed to run read-only sql query' is a sql error too (without SQLSTATE), not retried; another 500 is retried", async () => {
    api.failNext(1, { status: 500, body: { message: "Failed to run read-only sql query" } });
    const error = await rejection(client().readOnlyQuery(REF, "select 1"));
    assert.equal(error.kind, "sql");
    assert.equal(error.sqlState, undefined);
    assert.equal(api.requests.length, 1);

    api.reset();
    api.failNext(1, { status: 500, body: { message: "Internal server error" } });
    api.failNext(1, { status: 201, body: [{ one: 1 }] });
    assert.deepEqual(await client().readOnlyQuery(REF, "select 1 as one"), [{ one: 1 }]);
    assert.equal(api.requests.length, 2);
  });

  test("401, 403 and 404 on the query route", async () => {
    assert.equal((await rejection(client({ accessToken: `${TOKEN}-revoked` }).readOnlyQuery(REF, "select 1"))).kind, "auth");
    api.forbidProject(REF);
    const forbidden = await rejection(client().readOnlyQuery(REF, "select 1"));
    assert.equal(forbidden.kind, "forbidden");
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.message, /POST \/v1\/projects\/abcdefghijklmnopqrst\/database\/query\/read-only \(403\).*may no longer read project abcdefghijklmnopqrst; a fine-grained token needs projects read, database read, Edge Functions read and analytics read/);
    api.forbidProject(REF, false);
    assert.equal((await rejection(client().readOnlyQuery("nosuchprojectref0000", "select 1"))).kind, "not_found");
  });

  test("a 429 is waited out; the counters say how many calls were made and how much budget is left", async () => {
    const c = client();
    api.respond429(1, 5);
    api.failNext(1, { status: 201, body: [] });
    assert.deepEqual(await c.readOnlyQuery(REF, "select 1 where false"), []);
    assert.deepEqual(sleeps, [5000]);
    // The scripted answers carry no budget of the endpoint's own: the stand-in's next ones do.
    await c.listFunctions(REF);
    await c.listFunctions(REF);
    await c.listProjects();
    const usage = c.usage();
    assert.equal(usage.calls, 5);
    assert.deepEqual(usage.byEndpoint, { query: 2, functions: 2, projects: 1 });
    const budget = (endpoint: string) => usage.budgets.find((b) => b.endpoint === endpoint);
    assert.deepEqual(budget("functions"), { endpoint: "functions", ref: REF, limit: 120, remaining: 118, seenAt: new Date(clock) });
    assert.deepEqual(budget("projects"), { endpoint: "projects", ref: null, limit: 120, remaining: 119, seenAt: new Date(clock) });
    assert.equal(budget("query")?.remaining, 0, "the 429's headers");
  });

  test("when a budget reaches 0 the next query to that project waits for the reset", async () => {
    const c = client();
    api.failNext(1, { status: 201, body: [], headers: { "X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12" } });
    api.failNext(1, { status: 201, body: [] });
    await c.readOnlyQuery(REF, "select 1");
    await c.readOnlyQuery(REF, "select 1");
    assert.deepEqual(sleeps, [12_000]);
    assert.ok(api.requests.every((r) => r.status !== 429));
  });
});

describe("nextLogsWindow and projectRefFor", () => {
  test("the window runs from the cursor to a minute before now; the first one looks back 15 minutes", () => {
    const now = new Date(NOW);
    assert.deepEqual(nextLogsWindow({ cursor: new Date(NOW - 20 * MINUTE), now }), { start: new Date(NOW - 20 * MINUTE), end: new Date(NOW - MINUTE) });
    assert.deepEqual(nextLogsWindow({ cursor: null, now }), { start: new Date(NOW - 16 * MINUTE), end: new Date(NOW - MINUTE) });
    assert.equal(nextLogsWindow({ cursor: new Date(NOW - 30_000), now }), null);
  });

  test("projectRefFor gives the configured ref, or a reason naming JOBMON_PROJECT_REFS", () => {
    const project: ProjectConfig = { name: "crm", source: "postgres", url: "postgres://u:p@db.example.com/postgres", ref: null, envVar: "SUPABASE_POSTGRES_URL_2" };
    const missing = projectRefFor(project);
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? "" : missing.reason, /crm .*SUPABASE_POSTGRES_URL_2.*JOBMON_PROJECT_REFS/);
    assert.deepEqual(projectRefFor({ ...project, ref: REF }), { ok: true, ref: REF });
  });
});
