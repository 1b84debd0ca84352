import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import { freePort, insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { Clock, monitorWithHub, type RecordedQuery, recordingConnector, resetCron } from "../helpers/check.js";
import { recordingHub, testHub } from "../helpers/hub.js";

// The first cluster is quiet: its launcher runs, but its runs are exactly the ones the tests
// insert, at exact instants. The second is a normal pg_cron
// that runs jobs itself.
const quiet = usePgCronClusters(1, { quiet: true, name: "quiet" });
const live = usePgCronClusters(1, { name: "live" });
const hubs: Db[] = [];
after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

async function setup(env: Record<string, string>, clock: Clock, extra: Parameters<typeof monitorWithHub>[1] = {}) {
  const result = await monitorWithHub({ JOBMON_PROJECT_TIMEOUT: "10s", ...env }, { now: clock.now, ...extra });
  hubs.push(result.hub);
  return result;
}

const byName = <T extends { job_name: string }>(rows: T[]) => new Map(rows.map((r) => [r.job_name, r]));

describe("a health check against real pg_cron", () => {
  let c: PgCronCluster;
  before(async () => {
    c = quiet()[0]!;
    await c.waitForLauncher();
  });

  it("gives the right verdict for healthy, failed, missed, stuck, paused and never-firing jobs", async () => {
    await resetCron(c);
    const healthy = await scheduleJob(c, "healthy", "*/15 * * * *", "select 1");
    const failing = await scheduleJob(c, "failing", "0 * * * *", "insert into leads select 1");
    await scheduleJob(c, "silent", "0 * * * *", "select 2");
    const stuck = await scheduleJob(c, "stuck", "*/30 * * * *", "select pg_sleep(9999)");
    const paused = await scheduleJob(c, "paused", "*/5 * * * *", "select 3");
    await c.sql("select cron.alter_job($1, active := false)", [paused]);
    await scheduleJob(c, "never", "0 0 31 2 *", "select 4");

    const clock = new Clock(new Date("2026-11-30T08:00:00Z"));
    const { monitor, hub } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" }, clock);
    const first = await monitor.checkHealth();
    assert.equal(first.projects[0]?.status, "ok");

    for (const t of ["09:00", "09:15", "09:30", "09:45"]) {
      await insertRun(c, { jobid: healthy, status: "succeeded", return_message: "1 row", start_time: `2026-11-30T${t}:00Z`, end_time: `2026-11-30T${t}:01Z` });
    }
    await insertRun(c, { jobid: failing, status: "failed", return_message: 'ERROR:  duplicate key value violates unique constraint "leads_pkey"', start_time: "2026-11-30T09:00:00Z", end_time: "2026-11-30T09:00:02Z" });
    await insertRun(c, { jobid: stuck, status: "running", start_time: "2026-11-30T09:00:00Z" });

    clock.set("2026-11-30T09:50:00Z");
    const report = await monitor.checkHealth();
    const jobs = byName(report.jobs);
    assert.equal(jobs.get("healthy")?.status, "success");
    assert.equal(jobs.get("failing")?.status, "failed");
    assert.match(jobs.get("failing")?.reason ?? "", /duplicate key value/);
    assert.equal(jobs.get("failing")?.error_message, 'ERROR:  duplicate key value violates unique constraint "leads_pkey"');
    assert.equal(jobs.get("silent")?.status, "missed");
    assert.match(jobs.get("silent")?.reason ?? "", /expected at 2026-11-30T09:00:00Z/);
    assert.equal(jobs.get("stuck")?.status, "stuck");
    assert.equal(jobs.get("paused")?.status, "paused");
    assert.equal(jobs.get("never")?.status, "unknown");
    assert.match(jobs.get("never")?.reason ?? "", /never fires/);
    assert.equal(jobs.get("healthy")?.last_run_at, "2026-11-30T09:45:00.000Z");

    const changes = report.events.map((e) => `${e.job_name}:${e.to}`).sort();
    assert.deepEqual(changes, ["failing:failed", "silent:missed", "stuck:stuck"]);

    // The health log: one row per job per check, plus one per failed run.
    const [{ n: perCheck }] = (await hub.query<{ n: number }>(
      "select count(*)::int as n from monitoring.job_health_log where check_id = $1 and run_id is null",
      [report.check_id],
    )) as [{ n: number }];
    assert.equal(perCheck, 6);
    const runRows = await hub.query<{ status: string; error_message: string; run_at: Date }>(
      "select status, error_message, run_at from monitoring.job_health_log where check_id = $1 and run_id is not null",
      [report.check_id],
    );
    assert.deepEqual(runRows.map((r) => [r.status, r.run_at.toISOString()]), [["failed", "2026-11-30T09:00:00.000Z"]]);

    // Nothing changed: no new events.
    clock.set("2026-11-30T09:55:00Z");
    const quietCheck = await monitor.checkHealth();
    assert.deepEqual(quietCheck.events, []);
  });

  it("reports a failure that recovered between checks, then the recovery", async () => {
    await resetCron(c);
    const job = await scheduleJob(c, "flaky", "*/5 * * * *", "select 1");
    const clock = new Clock(new Date("2026-11-30T10:00:30Z"));
    const { monitor } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" }, clock);
    await monitor.checkHealth();

    await insertRun(c, { jobid: job, status: "failed", return_message: "ERROR:  canceling statement due to statement timeout", start_time: "2026-11-30T10:05:00Z", end_time: "2026-11-30T10:05:30Z" });
    await insertRun(c, { jobid: job, status: "succeeded", return_message: "1 row", start_time: "2026-11-30T10:10:00Z", end_time: "2026-11-30T10:10:01Z" });
    clock.set("2026-11-30T10:11:00Z");
    const second = await monitor.checkHealth();
    assert.equal(second.jobs[0]?.status, "failed");
    assert.match(second.jobs[0]?.reason ?? "", /1 of 2 runs since the last check failed.*statement timeout; the latest run succeeded/);
    assert.deepEqual(second.events.map((e) => [e.type, e.to]), [["down", "failed"]]);

    await insertRun(c, { jobid: job, status: "succeeded", return_message: "1 row", start_time: "2026-11-30T10:15:00Z", end_time: "2026-11-30T10:15:01Z" });
    clock.set("2026-11-30T10:16:00Z");
    const third = await monitor.checkHealth();
    assert.equal(third.jobs[0]?.status, "success");
    assert.deepEqual(third.events.map((e) => [e.type, e.from, e.to]), [["recovery", "failed", "success"]]);
  });

  it("reads only the rows added since the last check", async () => {
    await resetCron(c);
    const job = await scheduleJob(c, "frequent", "* * * * *", "select 1");
    for (let i = 0; i < 40; i++) {
      await insertRun(c, { jobid: job, status: "succeeded", start_time: new Date(Date.UTC(2026, 10, 30, 9, i)), end_time: new Date(Date.UTC(2026, 10, 30, 9, i, 1)) });
    }
    const log: RecordedQuery[] = [];
    const clock = new Clock(new Date("2026-11-30T09:40:10Z"));
    const { monitor } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" }, clock, { connect: recordingConnector(log) });
    await monitor.checkHealth();
    const [{ max }] = (await c.sql("select max(runid)::int as max from cron.job_run_details")) as [{ max: number }];

    for (let i = 40; i < 43; i++) {
      await insertRun(c, { jobid: job, status: "succeeded", start_time: new Date(Date.UTC(2026, 10, 30, 9, i)), end_time: new Date(Date.UTC(2026, 10, 30, 9, i, 1)) });
    }
    log.length = 0;
    clock.set("2026-11-30T09:43:10Z");
    const report = await monitor.checkHealth();
    assert.equal(report.jobs[0]?.status, "success");
    const runReads = log.filter((q) => /from cron\.job_run_details/.test(q.sql));
    assert.ok(runReads.length >= 1);
    for (const q of runReads) assert.match(q.sql, /where runid > \d+ order by runid limit \d+$|runid = any/, "every read is an index range or lookup on runid");
    const forward = runReads.filter((q) => /runid > \d+/.test(q.sql));
    assert.match(forward[0]?.sql ?? "", new RegExp(`where runid > ${max} order by`), "reads forward from the cursor");
    assert.equal(forward.reduce((sum, q) => sum + q.rows, 0), 3, "only the three new rows");
  });

  it("writes the inventory only when pg_cron's jobs changed, and moves last_seen_at at every check", async () => {
    await resetCron(c);
    await scheduleJob(c, "steady", "*/5 * * * *", "select 1");
    const hourly = await scheduleJob(c, "hourly", "0 * * * *", "select 2");
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const hubLog: string[] = [];
    const { monitor } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" }, clock, { hub: recordingHub(await testHub(), hubLog) });
    const inventoryWrites = () => hubLog.filter((sql) => /insert into monitoring\.job_inventory|set removed_at/.test(sql)).length;
    const rows = async () => byName(await monitor.listJobs({ project: "alpha" }));

    await monitor.checkHealth();
    assert.ok(inventoryWrites() > 0, "the first check inserts the jobs");

    hubLog.length = 0;
    clock.set("2026-11-30T10:15:00Z");
    await monitor.checkHealth();
    assert.equal(inventoryWrites(), 0, "nothing changed in cron.job: no inventory write");
    for (const row of (await rows()).values()) assert.equal(row.last_seen_at?.toISOString(), "2026-11-30T10:15:00.000Z");

    await c.sql("select cron.alter_job($1, schedule := '*/30 * * * *')", [hourly]);
    hubLog.length = 0;
    clock.set("2026-11-30T10:30:00Z");
    await monitor.checkHealth();
    assert.ok(inventoryWrites() > 0, "a new schedule is written");
    let jobs = await rows();
    assert.equal(jobs.get("hourly")?.schedule, "*/30 * * * *");
    assert.equal(jobs.get("hourly")?.expected_since?.toISOString(), "2026-11-30T10:30:00.000Z", "a new schedule starts missed detection afresh");
    assert.equal(jobs.get("steady")?.last_seen_at?.toISOString(), "2026-11-30T10:30:00.000Z");

    await c.sql("select cron.unschedule('steady')");
    clock.set("2026-11-30T10:45:00Z");
    const report = await monitor.checkHealth();
    assert.deepEqual(report.jobs.map((j) => j.job_name), ["hourly"]);
    jobs = byName(await monitor.listJobs({ project: "alpha", includeRemoved: true }));
    assert.equal(jobs.get("steady")?.removed_at?.toISOString(), "2026-11-30T10:45:00.000Z");
    assert.equal(jobs.get("steady")?.last_seen_at?.toISOString(), "2026-11-30T10:30:00.000Z", "last seen when it was last there");
  });

  it("reports an unreachable project and checks the others", async () => {
    await resetCron(c);
    await scheduleJob(c, "healthy", "*/15 * * * *", "select 1");
    const port = await freePort();
    const clock = new Clock(new Date("2026-11-30T12:00:00Z"));
    const { monitor } = await setup(
      {
        SUPABASE_POSTGRES_URL: `postgresql://postgres:pa55-unreachable@127.0.0.1:${port}/postgres`,
        SUPABASE_POSTGRES_URL_2: c.url,
        JOBMON_PROJECT_NAMES: "gone,alpha",
      },
      clock,
    );
    const report = await monitor.checkHealth();
    assert.deepEqual(report.projects.map((p) => [p.project_name, p.status]), [["gone", "unreachable"], ["alpha", "ok"]]);
    assert.deepEqual(report.events.map((e) => [e.kind, e.project_name, e.to]), [["project", "gone", "unreachable"]]);
    assert.equal(report.jobs.find((j) => j.job_name === "healthy")?.project_name, "alpha");
    assert.doesNotMatch(JSON.stringify(report), /pa55-unreachable/);
  });

  it("holds back missed verdicts when the scheduler has stopped running jobs", async () => {
    await resetCron(c);
    const a = await scheduleJob(c, "a", "*/5 * * * *", "select 1");
    const b = await scheduleJob(c, "b", "*/5 * * * *", "select 1");
    await insertRun(c, { jobid: a, status: "succeeded", start_time: "2026-11-30T13:00:00Z", end_time: "2026-11-30T13:00:01Z" });
    await insertRun(c, { jobid: b, status: "succeeded", start_time: "2026-11-30T13:00:00Z", end_time: "2026-11-30T13:00:01Z" });
    const clock = new Clock(new Date("2026-11-30T13:01:00Z"));
    const { monitor } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" }, clock);
    await monitor.checkHealth();
    clock.set("2026-11-30T13:30:00Z");
    const report = await monitor.checkHealth();
    assert.equal(report.projects[0]?.status, "scheduler_down");
    assert.deepEqual(report.events.map((e) => [e.kind, e.to]), [["project", "scheduler_down"]]);
    for (const job of report.jobs) {
      assert.notEqual(job.status, "missed");
      assert.match(job.reason, /held back/);
    }
  });

  it("lets only one of two simultaneous checks run; the other says so and does nothing", async () => {
    await resetCron(c);
    await scheduleJob(c, "a", "*/5 * * * *", "select 1");
    const clock = new Clock(new Date("2026-11-30T14:00:00Z"));
    const { monitor } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" }, clock);
    const [x, y] = await Promise.all([monitor.checkHealth(), monitor.checkHealth()]);
    const skipped = [x, y].filter((r) => r.skipped);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]?.skipped ?? "", /another check is running/);
    assert.deepEqual(skipped[0]?.jobs, []);
  });

  it("prunes health-log rows older than the retention period", async () => {
    await resetCron(c);
    await scheduleJob(c, "a", "*/5 * * * *", "select 1");
    const clock = new Clock(new Date("2026-11-30T15:00:00Z"));
    const { monitor, hub } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha", JOBMON_RETENTION_DAYS: "30" }, clock);
    await monitor.checkHealth();
    const [job] = await monitor.listJobs();
    await hub.query("insert into monitoring.job_health_log (job_inventory_id, status, collected_at) values ($1, 'success', $2), ($1, 'success', $3)", [
      job!.id,
      new Date("2026-10-01T00:00:00Z"),
      new Date("2026-11-15T00:00:00Z"),
    ]);
    clock.set("2026-11-30T15:05:00Z");
    await monitor.checkHealth();
    const rows = await hub.query<{ collected_at: Date }>("select collected_at from monitoring.job_health_log where job_inventory_id = $1 order by collected_at", [job!.id]);
    assert.equal(rows[0]?.collected_at.toISOString(), "2026-11-15T00:00:00.000Z", "the 60-day-old row is gone, the 15-day-old one stays");
  });
});

describe("a failing job run by pg_cron itself", () => {
  it("is reported failed with its error text", async () => {
    const c = live()[0]!;
    await resetCron(c);
    await scheduleJob(c, "boom", "@reboot", "select 1/0");
    const clock = new Clock(new Date());
    const { monitor } = await setup({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "live" }, clock);
    await monitor.checkHealth();
    await c.restart();
    await c.waitForLauncher();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const rows = await c.sql("select status from cron.job_run_details where status = 'failed'");
      if (rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    clock.current = new Date();
    const report = await monitor.checkHealth();
    const boom = report.jobs.find((j) => j.job_name === "boom");
    assert.equal(boom?.status, "failed");
    assert.match(boom?.error_message ?? "", /division by zero/);
    assert.deepEqual(report.events.map((e) => [e.job_name, e.to]), [["boom", "failed"]]);
  });
});
