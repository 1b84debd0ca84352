/**
 * jobmon behind a transaction pooler: a real PgBouncer configured like Supabase's (port 6543,
 * transaction mode, `ignore_startup_parameters = extra_float_digits` only) in front of a real
 * PostgreSQL with pg_cron (test/harness/pgbouncer.ts). Monitored projects are read as a
 * read-only role like Supabase's `supabase_read_only_user` (BYPASSRLS and pg_read_all_data);
 * the hub lives behind the same pooler.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { MonitoringAPI } from "../../src/monitor.js";
import { connectProject } from "../../src/sources/connect.js";
import { type PgBouncer, startPgBouncer } from "../harness/pgbouncer.js";
import { insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { Clock, monitorWithHub, resetCron } from "../helpers/check.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "pooler" });
const open: { close(): Promise<void> }[] = [];
let bouncer: PgBouncer | undefined;
after(async () => {
  await Promise.all(open.map((o) => o.close().catch(() => {})));
  await bouncer?.stop();
});

const READER = { name: "ro_reader", password: "ro-reader-pw" };
const HUB_OWNER = { name: "hub_owner", password: "hub-owner-pw" };
const HUB_DB = "jobmon_hub";

const project = (url: string, name = "alpha") => ({ name, source: "postgres" as const, url, ref: null, envVar: "SUPABASE_POSTGRES_URL" });

describe("through a transaction pooler (PgBouncer, like Supabase's port 6543)", () => {
  let c: PgCronCluster;
  let pooler: PgBouncer;
  before(async () => {
    c = clusters()[0]!;
    await c.createRole(READER.name, { password: READER.password, bypassrls: true });
    await c.sql(`grant pg_read_all_data to ${READER.name}`);
    await c.createRole(HUB_OWNER.name, { password: HUB_OWNER.password });
    await c.sql(`create database ${HUB_DB} owner ${HUB_OWNER.name}`);
    bouncer = await startPgBouncer({
      target: { host: c.host, port: c.port },
      users: { postgres: "postgres", [READER.name]: READER.password, [HUB_OWNER.name]: HUB_OWNER.password },
      poolMode: "transaction",
    });
    pooler = bouncer;
  });
  beforeEach(async () => {
    await resetCron(c);
  });

  /** One statement on a fresh client through the pooler, as `user`: which server connection, and its timeout. */
  async function serverSession(user: string): Promise<{ pid: number; timeout: string }> {
    const db = postgresDb(pooler.url(user), { max: 1, fetchTypes: false });
    try {
      const [row] = await db.query<{ pid: number; timeout: string }>("select pg_backend_pid() as pid, current_setting('statement_timeout') as timeout");
      return row!;
    } finally {
      await db.close();
    }
  }

  it("checks a project as a read-only role: reachable, its jobs read, the second check too", async () => {
    const job = await scheduleJob(c, "tick", "*/5 * * * *", "select 1");
    await insertRun(c, { jobid: job, status: "succeeded", start_time: "2026-11-30T09:00:00Z", end_time: "2026-11-30T09:00:01Z" });
    const clock = new Clock(new Date("2026-11-30T09:01:00Z"));
    const { monitor, hub } = await monitorWithHub(
      // As Supabase's dashboard gives the pooler's URL for Prisma: parameters no server knows.
      { SUPABASE_POSTGRES_URL: `${pooler.url(READER.name)}?pgbouncer=true&connection_limit=1`, JOBMON_PROJECT_NAMES: "alpha", JOBMON_PROJECT_TIMEOUT: "10s" },
      { now: clock.now },
    );
    open.push(hub);

    const first = await monitor.checkHealth();
    const alpha = first.projects[0];
    // The role sees pg_cron's launcher by its application_name (its backend_type is hidden).
    assert.equal(alpha?.status, "ok", `${alpha?.reason} ${alpha?.error ?? ""}\n${await pooler.logTail()}`);
    assert.deepEqual(first.jobs.map((j) => [j.job_name, j.status]), [["tick", "success"]]);

    // The second check sends everything in one message (the bet on what the first one found).
    await insertRun(c, { jobid: job, status: "failed", return_message: "ERROR:  boom", start_time: "2026-11-30T09:05:00Z", end_time: "2026-11-30T09:05:01Z" });
    clock.set("2026-11-30T09:06:00Z");
    const second = await monitor.checkHealth();
    assert.notEqual(second.projects[0]?.status, "unreachable", second.projects[0]?.error);
    assert.deepEqual(second.jobs.map((j) => [j.job_name, j.status]), [["tick", "failed"]]);
    assert.match(second.jobs[0]?.error_message ?? "", /boom/);
  });

  it("control: a session-level SET through this pool does reach the next client (the pool is shared)", async () => {
    const setter = postgresDb(pooler.url(READER.name), { max: 1, fetchTypes: false });
    let pid: number;
    try {
      await setter.exec("set statement_timeout = '4321ms'");
      [{ pid }] = (await setter.query<{ pid: number }>("select pg_backend_pid() as pid")) as [{ pid: number }];
    } finally {
      await setter.close();
    }
    const next = await serverSession(READER.name);
    assert.deepEqual(next, { pid, timeout: "4321ms" }, "the next client got the same server connection, SET included");
    // Put the server connection back as it was for the other tests.
    const resetter = postgresDb(pooler.url(READER.name), { max: 1, fetchTypes: false });
    await resetter.exec("reset statement_timeout").finally(() => resetter.close());
    assert.equal((await serverSession(READER.name)).timeout, "0");
  });

  it("cancels a statement that outlasts the project timeout server-side, and leaves no timeout behind", async () => {
    const db = connectProject(project(pooler.url(READER.name)), 300);
    let pid: number;
    try {
      const [inside] = await db.query<{ pid: number; timeout: string }>("select pg_backend_pid() as pid, current_setting('statement_timeout') as timeout");
      assert.equal(inside?.timeout, "300ms", "the project's statements run under the timeout");
      pid = inside.pid;
      const started = Date.now();
      await assert.rejects(db.query("select pg_sleep(5)"), { code: "57014", message: /statement timeout/ });
      assert.ok(Date.now() - started < 3_000, "cancelled by the server, not after the sleep");
      // Every statement of one message runs under it (Db.batch: one implicit transaction).
      assert.deepEqual(await db.batch(["select 1 as one", "select current_setting('statement_timeout') as timeout"]), [[{ one: 1 }], [{ timeout: "300ms" }]]);
      await assert.rejects(db.batch(["select 1", "select pg_sleep(5)"]), { code: "57014" });
      // A statement with bound parameters cannot share a message: it gets a transaction of its own.
      assert.deepEqual(await db.query("select $1::int as n, current_setting('statement_timeout') as timeout", [7]), [{ n: 7, timeout: "300ms" }]);
    } finally {
      await db.close();
    }
    // The next client of the pool gets that same server connection, with the server's default.
    assert.deepEqual(await serverSession(READER.name), { pid, timeout: "0" });
  });

  it("runs the hub behind the pooler: migrations, then two checks in a row, each taking and releasing the lease", async () => {
    await scheduleJob(c, "tick", "*/5 * * * *", "select 1");
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const monitor = new MonitoringAPI({
      env: {
        SUPABASE_POSTGRES_URL: pooler.url(READER.name),
        JOBMON_PROJECT_NAMES: "alpha",
        JOBMON_PROJECT_TIMEOUT: "10s",
        JOBMON_HUB_URL: pooler.url(HUB_OWNER.name, undefined, HUB_DB),
      },
      now: clock.now,
    });
    open.push(monitor);
    const direct = postgresDb(c.urlFor({ database: HUB_DB }), { max: 1 });
    open.push(direct);
    const lease = async () => (await direct.query<{ holder: string | null }>("select holder::text from monitoring.check_lock"))[0]?.holder;

    const first = await monitor.checkHealth();
    assert.equal(first.skipped, undefined);
    assert.notEqual(first.projects[0]?.status, "unreachable", first.projects[0]?.error);
    assert.deepEqual(first.jobs.map((j) => j.job_name), ["tick"]);
    const [owner] = await direct.query<{ owner: string }>("select nspowner::regrole::text as owner from pg_namespace where nspname = 'monitoring'");
    assert.equal(owner?.owner, HUB_OWNER.name, "migrated through the pooler, as the hub's role");
    assert.equal(await lease(), null, "the first check released the lease");

    clock.set("2026-11-30T10:15:00Z");
    const second = await monitor.checkHealth();
    assert.equal(second.skipped, undefined, "the lease was free");
    assert.deepEqual(second.jobs.map((j) => j.job_name), ["tick"]);
    assert.equal(await lease(), null, "the second check released the lease");
    const [runs] = await direct.query<{ n: number }>("select count(*)::int as n from monitoring.check_run where status = 'completed'");
    assert.equal(runs?.n, 2);
  });

  it("says which privilege the hub needs when its role cannot create the hub's schema", async () => {
    const monitor = new MonitoringAPI({
      env: { SUPABASE_POSTGRES_URL: pooler.url(READER.name), JOBMON_PROJECT_NAMES: "alpha", JOBMON_HUB: "alpha" },
    });
    open.push(monitor);
    const expected = (error: unknown) => {
      const message = (error as Error).message;
      assert.match(message, /permission denied for database postgres/, "the server's own words stay");
      assert.match(message, /hub needs a role that can create a schema in database "postgres" \(CREATE on the database\)/);
      assert.match(message, new RegExp(`role "${READER.name}" cannot`));
      assert.match(message, /postgres role or a dedicated one/);
      return true;
    };
    await assert.rejects(monitor.checkHealth(), expected);
    await assert.rejects(monitor.migrate(), expected);
  });
});
