/**
 * `jobmon doctor` against a real pg_cron 1.6.4 + pg_net 0.11 cluster with Supabase's roles,
 * set up to show each condition: every finding is found as postgres, the read-only role
 * degrades to "cannot see" findings and cannot fix, and the history cleanup fix schedules a
 * job whose command deletes old runs in batches and leaves recent ones.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import { HISTORY_CLEANUP_JOB, judgeDoctor } from "../../src/health/doctor.js";
import { connectProject } from "../../src/sources/connect.js";
import { readDoctor } from "../../src/sources/doctor.js";
import { DoctorFixRefusedError } from "../../src/sources/doctor-fix.js";
import { insertRun, scheduleJob, type PgCronCluster, usePgCronClusters } from "../harness/pgcron.js";
import { HttpTarget } from "../harness/http-target.js";
import { monitorWithHub } from "../helpers/check.js";
import { waitFor } from "../helpers/wait.js";

const clusters = usePgCronClusters(1, {
  set: "pinned",
  supabase: true,
  quiet: true,
  name: "doctor",
  settings: {
    "cron.log_run": false,
    "cron.log_statement": true,
    "cron.use_background_workers": true,
    "cron.max_running_jobs": 3,
    max_worker_processes: 4,
    "pg_net.ttl": "5 min",
    "pg_net.batch_size": 50,
  },
});
const hubs: Db[] = [];
after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

const DAY = 86_400_000;
const SECRET = "sb_secret_abcdefghijklmnop1234";

async function audit(c: PgCronCluster, user: string) {
  const db = connectProject({ name: "doctor", source: "postgres", url: c.urlFor({ user }), ref: null, envVar: "X" }, 20_000);
  try {
    const read = await readDoctor(db);
    return { read, judgement: judgeDoctor(read, { source: "postgres", runHistoryDays: 30 }) };
  } finally {
    await db.close();
  }
}

describe("jobmon doctor on a real cluster", () => {
  let c: PgCronCluster;
  const ids: Record<string, number> = {};
  before(async () => {
    c = clusters()[0]!;
    const as = { as: "postgres" };
    // Jobs at business hours (read in GMT), on weekdays of a month that is far away.
    ids.morning = await scheduleJob(c, "morning-report", "0 9 1 1 *", "select 1", as);
    ids.lunch = await scheduleJob(c, "lunch-sync", "30 12 1 1 *", "select 2", as);
    ids.evening = await scheduleJob(c, "evening-digest", "0 17 1 1 *", "select 3", as);
    ids.dupA = await scheduleJob(c, "dup-a", "0 10 1 1 *", "select 42", as);
    ids.dupB = await scheduleJob(c, "dup-b", "0 10 1 1 *", "select 42", as);
    ids.never = await scheduleJob(c, "feb-31", "0 0 31 2 *", "select 4", as);
    ids.secret = await scheduleJob(
      c,
      "call-fn",
      "0 11 1 1 *",
      `select net.http_post(url := 'https://x.supabase.co/functions/v1/f', headers := '{"Authorization": "Bearer ${SECRET}"}'::jsonb)`,
      as,
    );
    ids.gone = await scheduleJob(c, "gone-db", "0 13 1 1 *", "select 5", as);
    ids.ghost = await scheduleJob(c, "ghost-role", "0 14 1 1 *", "select 6", as);
    ids.old = await scheduleJob(c, "old-off", "0 15 1 1 *", "select 7", as);
    await c.sql("update cron.job set database = 'no_such_db' where jobid = $1", [ids.gone]);
    await c.sql("update cron.job set username = 'no_such_role' where jobid = $1", [ids.ghost]);
    await c.sql("select cron.alter_job($1, active := false)", [ids.old]);

    const now = Date.now();
    // 25 old runs (40 days ago) and 5 recent ones; 3 running now (max_running_jobs is 3), one of them starting.
    for (let i = 0; i < 25; i++) await insertRun(c, { jobid: ids.old!, status: "succeeded", start_time: new Date(now - 40 * DAY), end_time: new Date(now - 40 * DAY + 1000) });
    for (let i = 0; i < 5; i++) await insertRun(c, { jobid: ids.morning!, status: "succeeded", start_time: new Date(now - 3_600_000 - i * 1000), end_time: new Date(now - 3_500_000) });
    for (let i = 0; i < 2; i++) await insertRun(c, { jobid: ids.lunch!, status: "running", start_time: new Date(now - 60_000) });
    await insertRun(c, { jobid: ids.evening!, status: "starting" });
  });

  it("finds each condition, as postgres", async () => {
    const { read, judgement } = await audit(c, "postgres");
    const found = new Map(judgement.findings.map((f) => [f.id, f]));
    const expected = [
      "cron-log-run-off",
      "cron-log-statement",
      "cron-worker-slots",
      "cron-max-running-jobs",
      "cron-timezone",
      `job-missing-database:${ids.gone}`,
      `job-missing-role:${ids.ghost}`,
      `job-inactive:${ids.old}`,
      `job-duplicate:${ids.dupB}`,
      `job-never-fires:${ids.never}`,
      `job-inline-secret:${ids.secret}`,
      "pg-net-ttl",
      "pg-net-batch-size",
      "run-history-cleanup",
    ];
    for (const id of expected) assert.ok(found.has(id), `${id} in ${[...found.keys()].join(", ")}`);
    assert.equal(found.get("cron-log-statement")?.severity, "warning", "a command carries a secret");
    assert.match(found.get(`job-inline-secret:${ids.secret}`)!.what, /bearer token|Authorization header|prefix/);
    assert.doesNotMatch(JSON.stringify(judgement), new RegExp(SECRET), "the secret is never printed");
    assert.equal(found.get("run-history-cleanup")?.fixable, true);
    assert.equal(judgement.history?.rows, 33);
    assert.equal(judgement.history?.rows_exact, true);
    assert.equal(judgement.history?.runs_last_day, 5);
    assert.ok((judgement.history?.oldest_age_days ?? 0) >= 39);
    assert.equal(typeof read.netQueue, "number", "pg_net's queue is counted");
    assert.deepEqual(judgement.writable, { ok: true, reason: null });
    assert.ok(!found.has("role-settings-hidden") && !found.has("role-row-security"), "postgres reads settings and bypasses RLS");
  });

  it("finds a backlog in pg_net's queue: requests pg_net's worker has not taken yet", async () => {
    // The worker takes one batch (pg_net.batch_size = 50) and waits for its answers: towards a
    // server that never answers, the other 150 requests wait in the queue until the timeout.
    const target = await HttpTarget.start();
    try {
      await c.sql(`select net.http_get(url := '${target.url("/hang")}', timeout_milliseconds := 30000) from generate_series(1, 200)`);
      await waitFor("pg_net's worker to take its first batch", 15_000, async () => {
        const queued = Number((await c.sql<{ n: string }>("select count(*) as n from net.http_request_queue"))[0]?.n);
        return queued <= 150 ? queued : undefined;
      });
      const { read, judgement } = await audit(c, "postgres");
      assert.ok(typeof read.netQueue === "number" && read.netQueue > 50, `queued: ${String(read.netQueue)}`);
      const backlog = judgement.findings.find((f) => f.id === "pg-net-queue");
      assert.ok(backlog, `pg-net-queue in ${judgement.findings.map((f) => f.id).join(", ")}`);
      assert.match(backlog.what, /net\.http_request_queue holds \d+ requests not yet sent, more than one round of pg_net\.batch_size \(50\)/);
    } finally {
      await target.close();
      await c.sql("delete from net.http_request_queue");
    }
  });

  it("as supabase_read_only_user: says what it cannot see, and can only report", async (t) => {
    const started = Date.now();
    const { judgement } = await audit(c, "supabase_read_only_user");
    t.diagnostic(`read in ${Date.now() - started} ms`);
    const ids = judgement.findings.map((f) => f.id);
    assert.ok(ids.includes("role-settings-hidden"), ids.join(", "));
    assert.ok(ids.includes("role-stats-hidden"));
    assert.ok(ids.includes("role-read-only"));
    assert.ok(!ids.includes("cron-log-run-off"), "the hidden setting is not guessed");
    assert.ok(ids.includes("run-history-cleanup"), "the history is still judged");
    assert.equal(judgement.writable.ok, false);
    assert.match(judgement.writable.reason ?? "", /lacks CREATE on the database: a read-only role/);
  });

  it("--fix refuses a read-only role, and schedules a cleanup that deletes old runs in batches and keeps recent ones", async () => {
    const ro = await monitorWithHub({ SUPABASE_POSTGRES_URL: c.urlFor({ user: "supabase_read_only_user" }), JOBMON_PROJECT_NAMES: "doc" });
    hubs.push(ro.hub);
    await assert.rejects(ro.monitor.doctorFixPlan("run-history-cleanup"), (error: unknown) => error instanceof DoctorFixRefusedError && /can only report/.test(error.message));

    const { monitor, hub } = await monitorWithHub({ SUPABASE_POSTGRES_URL: c.urlFor({ user: "postgres" }), JOBMON_PROJECT_NAMES: "doc", JOBMON_RUN_HISTORY_DAYS: "30" });
    hubs.push(hub);
    await assert.rejects(monitor.doctorFixPlan("cron-log-run-off"), /has no fix jobmon applies/);
    const plan = await monitor.doctorFixPlan("run-history-cleanup");
    assert.match(plan.sql, /cron\.schedule\('jobmon-history-cleanup'/);
    await monitor.applyDoctorFix(plan);
    const [job] = await c.sql("select jobid, username, command from cron.job where jobname = $1", [HISTORY_CLEANUP_JOB]);
    assert.equal(job.username, "postgres", "the cleanup runs as the role that scheduled it");

    // 25,000 more old runs: the command deletes them 10,000 at a time, until none is left.
    await c.sql(`insert into cron.job_run_details (jobid, runid, database, username, command, status, start_time, end_time)
      select ${ids.old}, nextval('cron.runid_seq'), 'postgres', 'postgres', 'select 7', 'succeeded', now() - interval '45 days', now() - interval '45 days' from generate_series(1, 25000)`);
    await c.sql("create table public.cleanup_log (deleted bigint)");
    await c.sql("create function public.cleanup_count() returns trigger language plpgsql security definer as $$ begin insert into public.cleanup_log select count(*) from gone; return null; end $$");
    await c.sql("create trigger cleanup_count after delete on cron.job_run_details referencing old table as gone for each statement execute function public.cleanup_count()");
    await c.sqlAs("postgres", job.command);
    const batches = (await c.sql<{ deleted: number }>("select deleted from public.cleanup_log")).map((r) => Number(r.deleted));
    assert.deepEqual(batches, [10_000, 10_000, 5_025, 0], "batches of at most 10,000, then a last pass that finds none");
    // The recent runs stay (pg_cron's launcher may have marked the open ones failed meanwhile).
    const [left] = await c.sql("select count(*)::int as n, bool_and(end_time is null or end_time > now() - interval '30 days') as recent from cron.job_run_details");
    assert.deepEqual({ ...left }, { n: 8, recent: true });

    const after = await monitor.doctor();
    const ids2 = after.projects[0]!.findings.map((f) => f.id);
    assert.ok(!ids2.includes("run-history-cleanup"), "the cleanup job is seen");
    assert.deepEqual(after.projects[0]!.history?.cleanup_jobs, [HISTORY_CLEANUP_JOB]);
  });
});
