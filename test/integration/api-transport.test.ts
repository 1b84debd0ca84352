/**
 * A project read through the Management API's read-only SQL endpoint (src/sources/api-db.ts)
 * gives exactly what the Postgres URL gives: every statement jobmon sends to a project runs on
 * the same real cluster (pg_cron 1.6 and pg_net, Supabase's roles) through postgres.js as
 * supabase_read_only_user and through the stand-in's endpoint (test/fakes/management-api.ts),
 * which runs it as that same role; the rows must be deep-equal. Then readProject over both,
 * the errors a batch can end in, and the stand-in's own refusals.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db, Row } from "../../src/db/types.js";
import { apiDb, batchStatement, decodeRow, StatementError, TIMESTAMPTZ_COLUMNS } from "../../src/sources/api-db.js";
import { FACTS_SQL } from "../../src/sources/facts.js";
import { ManagementApi, ManagementApiError } from "../../src/sources/management-api.js";
import { CRON_JOBS_SQL, callingRunsStatement, startRunsRead } from "../../src/sources/pgcron.js";
import { startNetRead } from "../../src/sources/pgnet.js";
import { type ProjectRead, type ProjectReadPlan, readProject } from "../../src/sources/project.js";
import { type FakeManagementApi, startFakeManagementApi } from "../fakes/management-api.js";
import { insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";

// The 'pinned' set has a real pg_net (net._http_response as pg_net creates it).
const clusters = usePgCronClusters(1, { set: "pinned", supabase: true, quiet: true, name: "api-transport" });
const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";
const REF = "apitransportprojecta";
const NOCRON_REF = "apitransportnocronbb";
const READER = "supabase_read_only_user";
const BIG = 2 ** 40;
const MESSAGE = "line one\nline two\t<b>markup</b> & 'single' \"double\" \\ backslash ✓";

let c: PgCronCluster;
let fake: FakeManagementApi;
let pg: Db;
const open: { close(): Promise<void> }[] = [];

/** An instant `secondsAgo` before now, with microseconds `micros` (Date has milliseconds only). */
const withMicros = (secondsAgo: number, micros: string): string => {
  const iso = new Date(Date.now() - secondsAgo * 1000).toISOString();
  return `${iso.slice(0, 23)}${micros}Z`;
};

function client(): ManagementApi {
  return new ManagementApi({ baseUrl: fake.url, accessToken: TOKEN, sleep: async () => {} });
}

let runIds: { running: number; failed: number };
let netCursor: { created: Date; id: number };

describe("projects read through the Management API", () => {
  before(async () => {
    c = clusters()[0]!;
    await c.sql("create database nocron");
    pg = postgresDb(c.urlFor({ user: READER }), { max: 1 });
    open.push(pg);
    fake = await startFakeManagementApi({
      token: TOKEN,
      projects: {
        [REF]: { name: "alpha", database: c.urlFor({ user: READER }) },
        [NOCRON_REF]: { name: "no-cron", database: c.urlFor({ user: READER, database: "nocron" }) },
      },
    });
    open.push(fake);

    // Jobs of two owners, one that calls an Edge Function through pg_net, one unnamed.
    const tick = await scheduleJob(c, "tick 'quoted' <b>", "* * * * *", "select 1", { as: "postgres" });
    const call = await scheduleJob(c, "call-fn", "*/5 * * * *", "select net.http_post(url := 'https://abcdefghijklmnopqrst.supabase.co/functions/v1/sync', body := '{}'::jsonb)");
    await c.sql("select cron.schedule('0 3 * * *', $$select 'unnamed'$$)");
    // Runs near 2^40, inserted newest first so that the heap's order is not runid order; one
    // still running (NULL end_time), messages with newlines, markup and quotes, microseconds.
    runIds = { running: BIG + 9, failed: BIG + 7 };
    await insertRun(c, { jobid: tick, runid: BIG + 9, status: "running", start_time: withMicros(20, "999"), end_time: null, job_pid: 4242 });
    await insertRun(c, { jobid: call, runid: BIG + 8, status: "succeeded", start_time: withMicros(120, "456"), end_time: withMicros(119, "001"), return_message: "1 row" });
    await insertRun(c, { jobid: tick, runid: BIG + 7, status: "failed", start_time: withMicros(180, "123"), end_time: withMicros(179, "999"), return_message: MESSAGE });
    await insertRun(c, { jobid: call, runid: BIG + 3, status: "failed", start_time: withMicros(600, "500"), end_time: withMicros(599, "500"), return_message: null });
    await insertRun(c, { jobid: tick, runid: BIG + 1, status: "starting", start_time: null, end_time: null });
    // pg_net responses: a success, a failure with a body full of markup, a timeout, microseconds.
    await c.sql(
      `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg, created) values
         (${BIG + 2}, 500, 'text/html', '{"x": "y"}', $1, false, null, now() - interval '90.123456 seconds'),
         (${BIG + 1}, 200, 'application/json', null, '{"ok": true}', false, null, now() - interval '120.000999 seconds'),
         (${BIG + 3}, null, null, null, null, true, 'Timeout of 5000 ms reached', now() - interval '60.5 seconds')`,
      [MESSAGE],
    );
    netCursor = { created: new Date(Date.now() - 3600_000), id: 0 };
  });
  after(async () => {
    await Promise.all(open.map((o) => o.close()));
  });

  /**
   * Every statement jobmon sends to a project, from the sources' builders: the facts, cron.job,
   * the runs of a first and of a steady check (with open runs re-read), the calling runs, and
   * pg_net's first and later reads.
   */
  function everyStatement(): { name: string; sql: string }[] {
    const first = startRunsRead({ cursor: null, openRunIds: [] }).statements;
    const firstWithOpen = startRunsRead({ cursor: null, openRunIds: [runIds.running, BIG + 1] }).statements;
    const steady = startRunsRead({ cursor: BIG + 2, openRunIds: [runIds.running, BIG + 1] }).statements;
    const smallPage = startRunsRead({ cursor: BIG, openRunIds: [], pageSize: 2 }).statements;
    return [
      { name: "facts", sql: FACTS_SQL },
      { name: "cron.job", sql: CRON_JOBS_SQL },
      { name: "first check's runs", sql: first[0]! },
      { name: "first check's runs with open runs", sql: firstWithOpen[0]! },
      { name: "open runs re-read", sql: firstWithOpen[1]! },
      { name: "steady check's page", sql: steady[0]! },
      { name: "steady check's open runs", sql: steady[1]! },
      { name: "a page of two", sql: smallPage[0]! },
      { name: "calling runs", sql: callingRunsStatement(3600) },
      { name: "pg_net's first read", sql: startNetRead({ cursor: null }).statement },
      { name: "pg_net's read from a cursor", sql: startNetRead({ cursor: netCursor }).statement },
      { name: "pg_net's read of one row per page", sql: startNetRead({ cursor: netCursor, pageSize: 1 }).statement },
    ];
  }

  /** `upper` is the database clock at the read: both reads see it, a moment apart. */
  function withoutClock(rows: Row[], other: Row[]): [Row[], Row[]] {
    const strip = (row: Row, i: number): Row => {
      if (!("upper" in row)) return row;
      const mine = row["upper"];
      const theirs = other[i]?.["upper"];
      assert.ok(mine instanceof Date && theirs instanceof Date, "upper is a Date on both paths");
      assert.ok(Math.abs(mine.getTime() - theirs.getTime()) < 30_000, "the two reads' clocks are a moment apart");
      const { upper: _upper, ...rest } = row;
      return rest;
    };
    return [rows.map(strip), other.map((row, i) => strip(row, i))];
  }

  describe("the read-only endpoint gives the rows the Postgres URL gives", () => {
    test("every statement jobmon sends, one by one: deep-equal rows", async () => {
      const api = apiDb({ api: client(), ref: REF });
      for (const { name, sql } of everyStatement()) {
        const viaUrl = await pg.query(sql);
        const viaApi = await api.query(sql);
        const [a, b] = withoutClock(viaApi, viaUrl);
        assert.deepEqual(a, b, name);
      }
    });

    test("the data exercises the edge cases: non-empty reads, NULLs, big ids, microseconds, text as stored", async () => {
      const api = apiDb({ api: client(), ref: REF });
      const [runs = []] = await api.batch([startRunsRead({ cursor: 0, openRunIds: [] }).statements[0]!]);
      assert.deepEqual(
        runs.map((r) => r["runid"]),
        [BIG + 1, BIG + 3, BIG + 7, BIG + 8, BIG + 9],
        "runid order, though the heap holds them newest first",
      );
      const failed = runs.find((r) => r["runid"] === runIds.failed)!;
      assert.equal(failed["return_message"], MESSAGE);
      assert.ok(failed["start_time"] instanceof Date && failed["end_time"] instanceof Date);
      const running = runs.find((r) => r["runid"] === runIds.running)!;
      assert.equal(running["end_time"], null);
      assert.equal(running["job_pid"], 4242);
      const starting = runs.find((r) => r["runid"] === BIG + 1)!;
      assert.equal(starting["start_time"], null);

      const [net = []] = await api.batch([startNetRead({ cursor: netCursor }).statement]);
      assert.deepEqual(net.map((r) => r["id"]), [BIG + 1, BIG + 2, BIG + 3]);
      assert.equal(net[1]?.["content"], MESSAGE);
      assert.equal(net[2]?.["status_code"], null);
      assert.equal(net[2]?.["timed_out"], true);

      // Every column the decoder turns into a Date is a timestamptz, and every timestamptz column
      // of these statements is in its list: asked of the server, not assumed.
      const types = new Map<string, Set<string>>();
      const described = await describeColumns(everyStatement().map((s) => s.sql));
      for (const [column, type] of described) (types.get(column) ?? types.set(column, new Set()).get(column)!).add(type);
      for (const [column, seen] of types) {
        if (seen.has("timestamptz")) assert.ok(TIMESTAMPTZ_COLUMNS.has(column), `${column} is a timestamptz column: the decoder must know it`);
        if (TIMESTAMPTZ_COLUMNS.has(column)) assert.deepEqual([...seen], ["timestamptz"], `${column} is decoded as a timestamptz`);
      }
      for (const column of TIMESTAMPTZ_COLUMNS) assert.ok(types.has(column), `${column} is a column of some statement`);
    });

    test("the same statements as one batch: one call, the same rows as postgres.js's batch", async () => {
      const api = client();
      const db = apiDb({ api, ref: REF });
      const statements = everyStatement().map((s) => s.sql);
      const viaUrl = await pg.batch(statements);
      const before = api.usage().calls;
      const viaApi = await db.batch(statements);
      assert.equal(api.usage().calls - before, 1, "one HTTP call for the whole batch");
      assert.equal(viaApi.length, statements.length);
      viaApi.forEach((rows, i) => {
        const [a, b] = withoutClock(rows, viaUrl[i]!);
        assert.deepEqual(a, b, everyStatement()[i]!.name);
      });
      assert.deepEqual(await db.batch([]), []);
    });

    test("a trailing semicolon, an empty result and json columns decode as postgres.js gives them", async () => {
      const db = apiDb({ api: client(), ref: REF });
      const sql = `select '{"a": [1, 2.5, null], "b": "x"}'::json as doc, '{"k": true}'::jsonb as docb, 1::int8 as n, 'created'::text as created;`;
      assert.deepEqual(await db.query(sql), await pg.query(sql));
      assert.deepEqual(await db.query("select 1 as a where false"), []);
    });
  });

  describe("readProject over the read-only endpoint", () => {
    /** `net.upper` (and the cursor it may become) is the read's own clock. */
    function comparable(read: ProjectRead, other: ProjectRead): [unknown, unknown] {
      const strip = (r: ProjectRead) => {
        const net = r.net instanceof Error || !r.net.available ? r.net : { ...r.net, upper: null };
        return { ...r, net };
      };
      if (!(read.net instanceof Error) && read.net.available && !(other.net instanceof Error) && other.net.available) {
        assert.ok(Math.abs(read.net.upper.getTime() - other.net.upper.getTime()) < 30_000);
      }
      return [strip(read), strip(other)];
    }

    const plans: Record<string, ProjectReadPlan> = {
      "a first check": { window: { cursor: null, openRunIds: [] }, netCursor: null, expect: { pgCron: false, pgNet: false } },
      "a steady check": { window: { cursor: BIG + 2, openRunIds: [BIG + 9, BIG + 1] }, netCursor: { created: new Date(Date.now() - 3600_000), id: 0 }, expect: { pgCron: true, pgNet: true } },
    };
    for (const [name, plan] of Object.entries(plans)) {
      test(`${name}: the same ProjectRead as through the Postgres URL`, async () => {
        const api = client();
        const viaApi = await readProject(apiDb({ api, ref: REF }), plan);
        const viaUrl = await readProject(pg, plan);
        const [a, b] = comparable(viaApi, viaUrl);
        assert.deepEqual(a, b);
        assert.ok(!(viaApi.runs instanceof Error) && viaApi.runs !== null && viaApi.runs.runs.length > 0);
        assert.ok(!(viaApi.net instanceof Error) && viaApi.net.available && viaApi.net.responses.length === 3);
        assert.equal(viaApi.inventory.jobs.length, 3);
        assert.equal(api.usage().byEndpoint.query, plan.expect.pgCron ? 1 : 2, "the bet: one call; a first check: the facts, then the rest together");
      });
    }

    test("a lost bet falls back as on the Postgres URL: pg_cron and pg_net gone", async () => {
      const api = client();
      const plan: ProjectReadPlan = { window: { cursor: 42, openRunIds: [7] }, netCursor: { created: new Date(), id: 3 }, expect: { pgCron: true, pgNet: true } };
      const read = await readProject(apiDb({ api, ref: NOCRON_REF }), plan);
      assert.equal(read.inventory.pgCronVersion, null);
      assert.equal(read.runs, null);
      assert.deepEqual(read.net, { available: false, kind: "absent", reason: "pg_net is not installed (no net._http_response)" });
      assert.equal(api.usage().byEndpoint.query, 2, "the failed bet, then the facts alone");
      const direct = postgresDb(c.urlFor({ user: READER, database: "nocron" }), { max: 1 });
      open.push(direct);
      assert.deepEqual(read, await readProject(direct, plan));
    });

    test("a SQL error inside a batch is a postgres-style statement error; both paths agree on its SQLSTATE", async () => {
      const db = apiDb({ api: client(), ref: REF });
      const statements = ["select 1 as a", "select * from public.no_such_table"];
      const viaUrl = await pg.batch(statements).then(() => assert.fail("expected an error"), (error: { code: string; severity: string }) => error);
      const error = await db.batch(statements).then(() => assert.fail("expected an error"), (e: unknown) => e);
      assert.ok(error instanceof StatementError, String(error));
      assert.equal(error.code, "sql_statement");
      assert.equal(error.sqlState, "42P01");
      assert.equal(error.sqlState, viaUrl.code);
      assert.equal(error.severity, "ERROR");
      assert.equal(error.errorClass, "permanent");
      assert.match(error.message, /relation "public\.no_such_table" does not exist/);
      assert.ok(error.cause instanceof ManagementApiError && error.cause.kind === "sql");
    });

    test("an HTTP failure is not a statement failure: readProject does not fall back on it", async () => {
      const api = new ManagementApi({ baseUrl: fake.url, accessToken: TOKEN, sleep: async () => {}, maxAttempts: 2 });
      const plan: ProjectReadPlan = { window: { cursor: 0, openRunIds: [] }, netCursor: null, expect: { pgCron: true, pgNet: true } };
      fake.failNext(2, { status: 503, body: { message: "upstream unavailable" } });
      await assert.rejects(readProject(apiDb({ api, ref: REF }), plan), (error: unknown) => error instanceof ManagementApiError && error.kind === "server");
      assert.equal(api.usage().calls, 2, "two attempts of the one batch, no fallback");

      const refused = new ManagementApi({ baseUrl: fake.url, accessToken: `${TOKEN}x`, sleep: async () => {} });
      await assert.rejects(readProject(apiDb({ api: refused, ref: REF }), plan), (error: unknown) => error instanceof ManagementApiError && error.kind === "auth");
      assert.equal(refused.usage().calls, 1);

      fake.forbidProject(REF);
      try {
        const forbidden = client();
        await assert.rejects(readProject(apiDb({ api: forbidden, ref: REF }), plan), (error: unknown) => error instanceof ManagementApiError && error.kind === "forbidden");
        assert.equal(forbidden.usage().calls, 1);
      } finally {
        fake.forbidProject(REF, false);
      }
    });

    test("queries issued together are one call; one that fails gets its own error, the others their rows", async () => {
      const api = client();
      const db = apiDb({ api, ref: REF });
      const [a, b] = await Promise.all([db.query("select 1 as a"), db.query("select 'x' as b union all select 'y'")]);
      assert.deepEqual([a, b], [[{ a: 1 }], [{ b: "x" }, { b: "y" }]]);
      assert.equal(api.usage().calls, 1);
      const results = await Promise.allSettled([db.query("select 1 as a"), db.query("select * from public.no_such_table"), db.query("select 2 as c")]);
      assert.deepEqual(results[0], { status: "fulfilled", value: [{ a: 1 }] });
      assert.ok(results[1].status === "rejected" && results[1].reason instanceof StatementError && results[1].reason.sqlState === "42P01");
      assert.deepEqual(results[2], { status: "fulfilled", value: [{ c: 2 }] });
      assert.equal(api.usage().calls, 1 + 1 + 3, "the failed group, then each on its own");
    });

    test("a read that fails is that read's error, as on the Postgres URL: the facts and the other reads still count", async () => {
      await c.sql("revoke select on cron.job_run_details from public");
      await c.sql("revoke pg_read_all_data from supabase_read_only_user");
      await c.sql("grant usage on schema cron, net to supabase_read_only_user");
      await c.sql("grant select on cron.job, net._http_response to supabase_read_only_user");
      try {
        const plan: ProjectReadPlan = { window: { cursor: 0, openRunIds: [] }, netCursor: null, expect: { pgCron: true, pgNet: true } };
        const read = await readProject(apiDb({ api: client(), ref: REF }), plan);
        assert.equal(read.inventory.jobs.length, 3);
        assert.ok(read.runs instanceof Error);
        assert.match(read.runs.message, /permission denied for table job_run_details/);
        assert.ok(!(read.net instanceof Error) && read.net.available);
      } finally {
        await c.sql("grant pg_read_all_data to supabase_read_only_user");
        await c.sql("revoke usage on schema cron, net from supabase_read_only_user");
        await c.sql("revoke select on cron.job, net._http_response from supabase_read_only_user");
        await c.sql("grant select on cron.job_run_details to public");
      }
    });

    test("bound parameters are refused: jobmon's statements carry literals only", async () => {
      await assert.rejects(apiDb({ api: client(), ref: REF }).query("select $1::int as a", [1]), /no bound parameters/);
    });
  });

  describe("the stand-in's read-only endpoint", () => {
    const post = async (query: string, ref = REF) => {
      const response = await fetch(`${fake.url}/v1/projects/${ref}/database/query/read-only`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ query }),
      });
      return { status: response.status, body: (await response.json()) as unknown, headers: response.headers };
    };

    test("answers 201 with the rows as json_agg renders them, as the read-only role", async () => {
      const answer = await post("select current_user as role, 2::int8 as n, now() as at, null::text as nothing;");
      assert.equal(answer.status, 201);
      const [row] = answer.body as Record<string, unknown>[];
      assert.equal(row?.["role"], READER);
      assert.equal(row?.["n"], 2);
      assert.match(String(row?.["at"]), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+[+-]\d{2}:\d{2}$/);
      assert.equal(row?.["nothing"], null);
      assert.equal(answer.headers.get("x-ratelimit-limit"), "120");
      assert.deepEqual((await post("select 1 where false")).body, []);
    });

    test("refuses writes with the server's own error", async () => {
      for (const query of ["create table public.t (id int)", "with d as (delete from cron.job_run_details returning 1) select * from d", "select cron.schedule('x', '* * * * *', 'select 1')"]) {
        const answer = await post(query);
        assert.equal(answer.status, 400, query);
        assert.match((answer.body as { message: string }).message, /^Failed to run sql query: ERROR: {2}(25006|42501): /, query);
      }
      assert.equal((await c.sql("select count(*)::int as n from cron.job_run_details"))[0].n, 5, "nothing was deleted");
    });

    test("unqualified names outside pg_catalog are not found", async () => {
      const answer = await post("select count(*) from job");
      assert.equal(answer.status, 400);
      assert.match((answer.body as { message: string }).message, /^Failed to run sql query: ERROR: {2}42P01: relation "job" does not exist/);
      assert.equal((await post("select count(*)::int as n from cron.job")).status, 201);
      assert.equal((await post("select count(*)::int as n from pg_roles")).status, 201, "pg_catalog is always searched");
    });

    test("refuses several statements in one query", async () => {
      const answer = await post("select 1; select 2");
      assert.equal(answer.status, 400);
      assert.match((answer.body as { message: string }).message, /ERROR: {2}42601: cannot insert multiple commands into a prepared statement/);
    });

    test("is limited per project like the other endpoints; the client waits the window out", async () => {
      let now = Date.parse("2026-11-30T12:00:00Z");
      const limited = await startFakeManagementApi({ token: TOKEN, now: () => now, rateLimits: { default: 2 }, projects: { [REF]: { database: c.urlFor({ user: READER }) }, [NOCRON_REF]: { database: c.urlFor({ user: READER, database: "nocron" }) } } });
      try {
        const sleeps: number[] = [];
        const api = new ManagementApi({ baseUrl: limited.url, accessToken: TOKEN, maxWaitMs: 120_000, now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)) });
        await api.readOnlyQuery(REF, "select 1");
        await api.readOnlyQuery(REF, "select 1");
        assert.deepEqual(api.usage().budgets.map((b) => [b.ref, b.limit, b.remaining]), [[REF, 2, 0]]);
        await api.readOnlyQuery(NOCRON_REF, "select 1");
        assert.deepEqual(sleeps, [], "another project has its own budget");
        await api.readOnlyQuery(REF, "select 1");
        assert.deepEqual(sleeps, [60_000], "the third call to the project waited for the reset");
        assert.ok(limited.requests.every((r) => r.status === 201));
      } finally {
        await limited.close();
      }
    });

    test("the client reads its SQL errors: kind sql with the SQLSTATE, not retried", async () => {
      const api = client();
      const error = await api.readOnlyQuery(REF, "select * from job").then(() => assert.fail("expected an error"), (e: unknown) => e);
      assert.ok(error instanceof ManagementApiError);
      assert.equal(error.kind, "sql");
      assert.equal(error.sqlState, "42P01");
      assert.equal(error.status, 400);
      assert.equal(api.usage().calls, 1);
      assert.deepEqual(await api.readOnlyQuery(REF, "select 1 as one"), [{ one: 1 }]);
    });
  });

  describe("batchStatement and decodeRow", () => {
    test("one statement wrapping each, without trailing semicolons", () => {
      const sql = batchStatement(["select 1 as a;", "with x as (select 2 as b) select * from x order by b"]);
      assert.equal((sql.match(/json_agg\(jobmon_rows\)/g) ?? []).length, 2);
      assert.doesNotMatch(sql, /;/);
    });

    test("only timestamptz columns become Dates, and only from timestamptz text", () => {
      const row = decodeRow({ start_time: "2026-11-30T09:00:00.123456+05:30", end_time: null, created: "not a time", return_message: "2026-11-30T09:00:00+00:00", upper: "2026-11-30T09:00:00+00:00" });
      assert.deepEqual(row, {
        start_time: new Date("2026-11-30T03:30:00.123Z"),
        end_time: null,
        created: "not a time",
        return_message: "2026-11-30T09:00:00+00:00",
        upper: new Date("2026-11-30T09:00:00Z"),
      });
    });
  });

});

/** Each statement's output columns and their types, as the server describes them (a temporary view of it). */
async function describeColumns(statements: string[]): Promise<[string, string][]> {
  const admin = postgresDb(c.url, { max: 1 });
  try {
    const out: [string, string][] = [];
    for (const [i, sql] of statements.entries()) {
      await admin.exec(`create temporary view jobmon_describe_${i} as ${sql}`);
      const columns = await admin.query<{ name: string; type: string }>(
        `select attname::text as name, format_type(atttypid, atttypmod) as type from pg_attribute
          where attrelid = 'jobmon_describe_${i}'::regclass and attnum > 0 order by attnum`,
      );
      for (const { name, type } of columns) out.push([name, type === "timestamp with time zone" ? "timestamptz" : type]);
    }
    return out;
  } finally {
    await admin.close();
  }
}
