/**
 * How a check reads one monitored project (src/sources/project.ts), against a real PostgreSQL
 * with pg_cron: the round trips it spends, counted on the wire by a proxy, and what happens
 * when what the previous check found has changed — pg_cron or pg_net gone or new, a read that
 * fails. pg_net's table is created by hand (test/harness/pgnet.ts).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { testHub } from "../helpers/hub.js";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { readProject } from "../../src/sources/project.js";
import { connectProject } from "../../src/sources/connect.js";
import { insertRun, scheduleJob, type PgCronCluster, usePgCronClusters } from "../harness/pgcron.js";
import { PG_NET_RESPONSE_TABLE } from "../harness/pgnet.js";
import { type DelayProxy, startDelayProxy } from "../harness/proxy.js";
import { Clock, monitorWithHub, resetCron } from "../helpers/check.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "project-read" });
const open: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(open.map((o) => o.close()));
});

const FIRST = { window: { cursor: null, openRunIds: [] }, netCursor: null } as const;

describe("reading a monitored project", () => {
  let c: PgCronCluster;
  let proxy: DelayProxy;
  let admin: Db;
  before(async () => {
    c = clusters()[0]!;
    admin = postgresDb(c.url, { max: 1 });
    open.push(admin);
    proxy = await startDelayProxy({ host: c.host, port: c.port }, 50);
    open.push(proxy);
    await c.sql("create database nocron");
  });
  beforeEach(async () => {
    await resetCron(c);
    await c.sql("drop schema if exists net cascade");
  });

  /** The project's URL through the counting proxy. */
  const viaProxy = (database = "postgres") => {
    const url = new URL(c.urlFor({ database }));
    url.port = String(proxy.port);
    return url.toString();
  };

  it("a steady-state check sends all its statements in one round trip; a first check in two", async () => {
    await admin.exec(PG_NET_RESPONSE_TABLE);
    const job = await scheduleJob(c, "tick", "* * * * *", "select 1");
    await insertRun(c, { jobid: job, status: "succeeded", start_time: "2026-11-30T09:00:00Z", end_time: "2026-11-30T09:00:01Z" });
    await c.sql("insert into net._http_response (id, status_code, created) values (1, 200, now() - interval '1 minute')");
    const clock = new Clock(new Date("2026-11-30T09:00:30Z"));
    const { monitor, hub } = await monitorWithHub({ SUPABASE_POSTGRES_URL: viaProxy(), JOBMON_PROJECT_NAMES: "alpha", JOBMON_PROJECT_TIMEOUT: "10s" }, { now: clock.now });
    open.push(hub);

    let before = proxy.stats.queries;
    const first = await monitor.checkHealth();
    assert.equal(first.projects[0]?.status, "ok");
    assert.equal(proxy.stats.queries - before, 2, "first check: the facts, then cron.job, the runs and pg_net's responses together");

    await insertRun(c, { jobid: job, status: "succeeded", start_time: "2026-11-30T09:01:00Z", end_time: "2026-11-30T09:01:01Z" });
    await insertRun(c, { jobid: job, status: "running", start_time: "2026-11-30T09:02:00Z" });
    clock.set("2026-11-30T09:02:30Z");
    before = proxy.stats.queries;
    const second = await monitor.checkHealth();
    assert.equal(second.jobs[0]?.status, "success", second.jobs[0]?.reason);
    assert.equal(proxy.stats.queries - before, 1, "steady state: one message with every statement");

    // An open run to re-read adds a statement, not a round trip.
    await c.sql("update cron.job_run_details set status = 'succeeded', end_time = start_time + interval '1 second' where status = 'running'");
    clock.set("2026-11-30T09:03:30Z");
    before = proxy.stats.queries;
    const third = await monitor.checkHealth();
    assert.equal(third.jobs[0]?.status, "success", third.jobs[0]?.reason);
    assert.equal(proxy.stats.queries - before, 1);
  });

  it("a lost bet costs round trips, not the answer: pg_cron and pg_net gone since the last check", async () => {
    const db = connectProject({ name: "gone", source: "postgres", url: viaProxy("nocron"), ref: null, envVar: "SUPABASE_POSTGRES_URL" }, 10_000);
    open.push(db);
    const before = proxy.stats.queries;
    const read = await readProject(db, { window: { cursor: 42, openRunIds: [7] }, netCursor: { created: new Date(), id: 3 }, expect: { pgCron: true, pgNet: true } });
    assert.equal(read.inventory.pgCronVersion, null);
    assert.deepEqual(read.inventory.jobs, []);
    assert.equal(read.runs, null);
    assert.deepEqual(read.net, { available: false, kind: "absent", reason: "pg_net is not installed (no net._http_response)" });
    assert.equal(proxy.stats.queries - before, 2, "the failed bet, then the facts alone");
  });

  it("a connection that fails is the project's answer: its own error, after one attempt", async () => {
    const url = new URL(viaProxy());
    url.password = "not-the-password";
    const db = connectProject({ name: "locked", source: "postgres", url: url.toString(), ref: null, envVar: "SUPABASE_POSTGRES_URL" }, 10_000);
    open.push(db);
    const before = proxy.stats.connections;
    await assert.rejects(readProject(db, { window: { cursor: 42, openRunIds: [] }, netCursor: null, expect: { pgCron: true, pgNet: true } }), {
      code: "28P01",
      message: /password authentication failed/,
    });
    assert.equal(proxy.stats.connections - before, 1, "no second attempt after the bet");
    await assert.rejects(readProject(db, { ...FIRST, expect: { pgCron: false, pgNet: false } }), { code: "28P01" });
  });

  it("pg_net installed since the last check is read in the same check", async () => {
    await admin.exec(PG_NET_RESPONSE_TABLE);
    await c.sql("insert into net._http_response (id, status_code, content, created) values (1, 500, 'boom', now() - interval '1 minute')");
    await scheduleJob(c, "tick", "* * * * *", "select 1");
    const db = connectProject({ name: "alpha", source: "postgres", url: c.url, ref: null, envVar: "SUPABASE_POSTGRES_URL" }, 10_000);
    open.push(db);
    const read = await readProject(db, { ...FIRST, expect: { pgCron: true, pgNet: false } });
    assert.equal(read.inventory.jobs.length, 1);
    assert.ok(!(read.net instanceof Error) && read.net.available);
    assert.deepEqual(read.net.responses.map((r) => [r.id, r.status_code, r.content]), [[1, 500, "boom"]]);
  });

  it("a read that fails is that read's error: the facts and the other reads still count", async () => {
    await admin.exec(PG_NET_RESPONSE_TABLE);
    await scheduleJob(c, "tick", "* * * * *", "select 1");
    await c.createRole("half_reader", { password: "half-reader-pw", bypassrls: true });
    await c.sql("grant usage on schema cron, net to half_reader");
    await c.sql("grant select on cron.job, net._http_response to half_reader");
    // pg_cron lets everyone read the run table (its row-level security filters the rows).
    await c.sql("revoke select on cron.job_run_details from public");
    try {
      const db = connectProject({ name: "alpha", source: "postgres", url: c.urlFor({ user: "half_reader", password: "half-reader-pw" }), ref: null, envVar: "SUPABASE_POSTGRES_URL" }, 10_000);
      open.push(db);
      const read = await readProject(db, { window: { cursor: 0, openRunIds: [] }, netCursor: null, expect: { pgCron: true, pgNet: true } });
      assert.equal(read.facts.role, "half_reader");
      assert.deepEqual(read.inventory.jobs.map((j) => j.jobname), ["tick"]);
      assert.ok(read.runs instanceof Error);
      assert.match(read.runs.message, /permission denied for table job_run_details/);
      assert.ok(!(read.net instanceof Error) && read.net.available, `pg_net's read is its own: ${JSON.stringify(read.net instanceof Error ? read.net.message : read.net)}`);
    } finally {
      await c.sql("grant select on cron.job_run_details to public");
      await c.sql("drop owned by half_reader");
      await c.sql("drop role half_reader");
    }
  });

  it("Db.batch answers each statement's rows, on postgres.js as on PGlite's simple protocol", async () => {
    const db: Db = postgresDb(c.url, { max: 1 });
    open.push(db);
    assert.deepEqual(await db.batch(["select 1 as a", "select 'x' as b union all select 'y'", "select 2 as c where false"]), [[{ a: 1 }], [{ b: "x" }, { b: "y" }], []]);
    assert.deepEqual(await db.batch(["select 3 as a"]), [[{ a: 3 }]]);
    await assert.rejects(db.batch(["select 1", "select * from no_such_table"]), /no_such_table/);
    const lite = await testHub();
    open.push(lite);
    assert.deepEqual(await lite.batch(["select 1 as a", "select 'x' as b union all select 'y'", "select 2 as c where false"]), [[{ a: 1 }], [{ b: "x" }, { b: "y" }], []]);
    await assert.rejects(lite.batch(["select 1", "select * from no_such_table"]), /no_such_table/);
  });
});
