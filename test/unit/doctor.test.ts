import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { historyCleanupCommand, historyCleanupSql, isHistoryCleanup, judgeDoctor } from "../../src/health/doctor.js";
import { secretKinds } from "../../src/lib/redact.js";
import type { DoctorJob, DoctorRead } from "../../src/sources/doctor.js";

const NOW = Date.parse("2026-11-30T12:00:00Z") / 1000;
const DAY = 86_400;

function job(jobid: number, patch: Partial<DoctorJob> = {}): DoctorJob {
  return { jobid, jobname: `job${jobid}`, schedule: "*/5 * * * *", command: "select 1", active: true, username: "postgres", database: "postgres", database_exists: true, role_exists: true, ...patch };
}

function read(patch: Partial<DoctorRead> = {}, facts: Partial<DoctorRead["facts"]> = {}): DoctorRead {
  return {
    facts: {
      role: "postgres",
      seesAllJobs: true,
      readsSettings: true,
      readsStats: true,
      pgCronVersion: "1.6",
      cronTimezone: "GMT",
      scheduler: { launcherRunning: true, launchActiveJobs: true, logRun: true },
      pgNet: "readable",
      ...facts,
    },
    settings: { "cron.log_run": { setting: "on", unit: null }, "cron.log_statement": { setting: "off", unit: null }, "cron.max_running_jobs": { setting: "32", unit: null }, "max_worker_processes": { setting: "8", unit: null }, "pg_net.ttl": { setting: "6 hours", unit: null }, "pg_net.batch_size": { setting: "200", unit: null } },
    jobs: [job(1, { command: "delete from cron.job_run_details where end_time < now() - interval '7 days'" })],
    history: { total_bytes: 8192, estimated_rows: 10, exact_rows: 10, oldest_epoch: NOW - 3 * DAY, now_epoch: NOW, row_security: true },
    activity: [{ jobid: null, runs: 10, runs_day: 3, runs_week: 10, last_epoch: NOW, first_epoch: NOW - 3 * DAY, open_runs: 0, starting_runs: 0 }],
    peak: 1,
    role: { can_schedule: true, can_delete_history: true, read_only: false, can_create: true },
    netQueue: 0,
    ...patch,
  };
}

const ctx = { source: "postgres" as const, runHistoryDays: 30 };
const ids = (r: DoctorRead, c = ctx) => judgeDoctor(r, c).findings.map((f) => f.id);
const settings = (extra: Record<string, string>) => ({ ...(read().settings as object), ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { setting: v, unit: null }])) });

describe("jobmon doctor's judgement", () => {
  it("a healthy project has no finding", () => {
    assert.deepEqual(ids(read()), []);
  });

  it("run history: no cleanup job is a fixable finding with size, growth and the batched cleanup SQL", () => {
    const r = read({ jobs: [job(1)], history: { total_bytes: 300 * 1024 ** 2, estimated_rows: 2_000_000, exact_rows: null, oldest_epoch: NOW - 400 * DAY, now_epoch: NOW, row_security: true }, activity: [{ jobid: null, runs: 70_000, runs_day: 10_000, runs_week: 70_000, last_epoch: NOW, first_epoch: NOW - 7 * DAY, open_runs: 0, starting_runs: 0 }] });
    const j = judgeDoctor(r, ctx);
    const f = j.findings.find((x) => x.id === "run-history-cleanup")!;
    assert.equal(f.severity, "warning");
    assert.equal(f.fixable, true);
    assert.match(f.what, /about 2,000,000 rows \(300\.0 MB\), about 10,000 new runs a day, the oldest from 400 days ago/);
    assert.equal(f.fix, historyCleanupSql(30));
    assert.deepEqual(j.history, { bytes: 300 * 1024 ** 2, rows: 2_000_000, rows_exact: false, runs_last_day: 10_000, runs_last_week: 70_000, oldest_age_days: 400, cleanup_jobs: [] });
    assert.ok(ids(read()).every((id) => id !== "run-history-cleanup"), "a job deleting from cron.job_run_details is a cleanup");
  });

  it("run history: a cleanup that does not reach old rows", () => {
    const r = read({ history: { total_bytes: 8192, estimated_rows: 10, exact_rows: 10, oldest_epoch: NOW - 90 * DAY, now_epoch: NOW, row_security: true } });
    assert.ok(ids(r).includes("run-history-not-cleaned"));
  });

  it("the cleanup SQL deletes by runid in batches of 10,000 until none is left, under its own name", () => {
    const sql = historyCleanupSql(14);
    assert.match(sql, /^select cron\.schedule\('jobmon-history-cleanup', '17 3 \* \* \*', \$jobmon\$do \$cleanup\$/);
    assert.match(historyCleanupCommand(14), /where end_time < now\(\) - interval '14 days'\s+order by runid limit 10000/);
    assert.match(historyCleanupCommand(14), /exit when deleted = 0;\s+commit;/);
    assert.ok(isHistoryCleanup(historyCleanupCommand(14)));
    assert.ok(isHistoryCleanup('DELETE FROM "cron"."job_run_details" WHERE true'));
    assert.ok(!isHistoryCleanup("select * from cron.job_run_details"));
    assert.throws(() => historyCleanupCommand(0));
  });

  it("cron.log_run off is critical; cron.log_statement on is a warning when a command carries a secret", () => {
    assert.ok(ids(read({ settings: settings({ "cron.log_run": "off" }) })).includes("cron-log-run-off"));
    const plain = judgeDoctor(read({ settings: settings({ "cron.log_statement": "on" }) }), ctx).findings.find((f) => f.id === "cron-log-statement");
    assert.equal(plain?.severity, "info");
    const leaky = read({ settings: settings({ "cron.log_statement": "on" }), jobs: [...(read().jobs as DoctorJob[]), job(2, { command: "select net.http_get('https://x.co', headers := '{\"apikey\": \"abcdefgh12345678\"}'::jsonb)" })] });
    assert.equal(judgeDoctor(leaky, ctx).findings.find((f) => f.id === "cron-log-statement")?.severity, "warning");
  });

  it("background workers: too few max_worker_processes for cron.max_running_jobs", () => {
    assert.ok(ids(read({ settings: settings({ "cron.use_background_workers": "on", "cron.max_running_jobs": "8", max_worker_processes: "8" }) })).includes("cron-worker-slots"));
    assert.ok(!ids(read({ settings: settings({ "cron.use_background_workers": "on", "cron.max_running_jobs": "6", max_worker_processes: "8" }) })).includes("cron-worker-slots"));
    assert.ok(!ids(read({ settings: settings({ "cron.use_background_workers": "off", "cron.max_running_jobs": "8", max_worker_processes: "8" }) })).includes("cron-worker-slots"));
  });

  it("cron.max_running_jobs saturated: open runs now, or the peak of the last day", () => {
    const open = read({ settings: settings({ "cron.max_running_jobs": "2" }), activity: [{ jobid: null, runs: 3, runs_day: 1, runs_week: 1, last_epoch: NOW, first_epoch: NOW, open_runs: 2, starting_runs: 1 }], peak: 1 });
    const f = judgeDoctor(open, ctx).findings.find((x) => x.id === "cron-max-running-jobs");
    assert.match(f?.what ?? "", /2 runs open now \(1 waiting in starting\)/);
    assert.ok(ids(read({ settings: settings({ "cron.max_running_jobs": "2" }), peak: 2 })).includes("cron-max-running-jobs"));
    assert.ok(!ids(read({ settings: settings({ "cron.max_running_jobs": "2" }), peak: 1 })).includes("cron-max-running-jobs"));
  });

  it("cron.timezone: GMT with most fixed-hour jobs in business hours is stated as a guess", () => {
    const jobs = [job(1, { command: "delete from cron.job_run_details" }), job(2, { schedule: "0 9 * * 1-5" }), job(3, { schedule: "30 12 * * *" }), job(4, { schedule: "0 17 * * 1-5" })];
    const f = judgeDoctor(read({ jobs }), ctx).findings.find((x) => x.id === "cron-timezone");
    assert.match(f?.what ?? "", /cron\.timezone is GMT, and 3 of the 3 active jobs with fixed hours .*\(a guess/);
    assert.ok(!ids(read({ jobs }, { cronTimezone: "Europe/Berlin" })).includes("cron-timezone"));
    assert.ok(!ids(read({ jobs: [...jobs, job(5, { schedule: "0 2 * * *" }), job(6, { schedule: "0 23 * * *" })] })).includes("cron-timezone"));
  });

  it("jobs: missing database or role, inactive for 30 days, duplicates, never firing", () => {
    const jobs = [
      job(1, { command: "delete from cron.job_run_details" }),
      job(2, { database_exists: false, database: "gone" }),
      job(3, { role_exists: false, username: "ghost" }),
      job(4, { active: false }),
      job(5, { active: false }),
      job(6, { schedule: "0 3 * * *", command: "select 9" }),
      job(7, { schedule: "0 3 * * *", command: " select 9 " }),
      job(8, { schedule: "0 0 31 2 *" }),
      job(9, { schedule: "61 * * * *" }),
    ];
    const activity = [...(read().activity as never[]), { jobid: 5, runs: 1, runs_day: 1, runs_week: 1, last_epoch: NOW - DAY, first_epoch: NOW - DAY, open_runs: 0, starting_runs: 0 }];
    const found = ids(read({ jobs, activity }));
    for (const id of ["job-missing-database:2", "job-missing-role:3", "job-inactive:4", "job-duplicate:7", "job-never-fires:8", "job-never-fires:9"]) assert.ok(found.includes(id), `${id} in ${found.join(", ")}`);
    assert.ok(!found.includes("job-inactive:5"), "ran yesterday");
    assert.ok(!found.includes("job-duplicate:6"), "the first of the pair is kept");
  });

  it("jobs: a URL with an inline secret names the kind, never the value", () => {
    const secret = "sb_secret_abcdefghijklmnop1234";
    const jobs = [job(1, { command: "delete from cron.job_run_details" }), job(2, { command: `select net.http_post(url := 'https://x.supabase.co/functions/v1/f', headers := '{"Authorization": "Bearer ${secret}"}'::jsonb)` }), job(3, { command: "select 'token: abcdefghijkl'" })];
    const j = judgeDoctor(read({ jobs }), ctx);
    const f = j.findings.find((x) => x.id === "job-inline-secret:2");
    assert.match(f?.what ?? "", /calls a URL with an Authorization header/);
    assert.ok(!j.findings.some((x) => x.id === "job-inline-secret:3"), "no URL call");
    assert.doesNotMatch(JSON.stringify(j), /abcdefghijklmnop1234/);
    assert.deepEqual(secretKinds("postgresql://u:pw@h/db"), ["a password in a URL"]);
    assert.deepEqual(secretKinds("a bearer token in the header"), []);
  });

  it("pg_net: ttl shorter than the check interval, small batch_size, a backlog", () => {
    assert.ok(ids(read({ settings: settings({ "pg_net.ttl": "5 min" }) })).includes("pg-net-ttl"));
    assert.ok(!ids(read({ settings: settings({ "pg_net.ttl": "1 hour" }) })).includes("pg-net-ttl"));
    assert.ok(ids(read({ settings: settings({ "pg_net.ttl": "00:10:00" }) })).includes("pg-net-ttl"));
    assert.ok(ids(read({ settings: settings({ "pg_net.batch_size": "50" }) })).includes("pg-net-batch-size"));
    const backlog = judgeDoctor(read({ netQueue: 5_000 }), ctx).findings.find((f) => f.id === "pg-net-queue");
    assert.equal(backlog?.severity, "warning");
    assert.ok(!ids(read({ netQueue: 100 })).includes("pg-net-queue"));
  });

  it("the monitoring role: what it cannot see, and that it can only report", () => {
    const ro = read({ settings: { max_worker_processes: { setting: "8", unit: null } }, role: { can_schedule: true, can_delete_history: true, read_only: false, can_create: false } }, { role: "supabase_read_only_user", readsSettings: false, readsStats: false });
    const j = judgeDoctor(ro, ctx);
    assert.deepEqual(j.findings.map((f) => f.id).sort(), ["role-read-only", "role-settings-hidden", "role-stats-hidden"]);
    assert.equal(j.writable.ok, false);
    assert.ok(ids(read({}, { seesAllJobs: false })).includes("role-row-security"));
    const api = judgeDoctor(read(), { ...ctx, source: "api" });
    assert.match(api.writable.reason ?? "", /Management API's read-only SQL endpoint/);
    assert.ok(judgeDoctor(read({ role: { can_schedule: true, can_delete_history: true, read_only: true, can_create: true } }), ctx).writable.reason?.includes("read-only"));
  });

  it("a part that could not be read is a 'cannot see' finding, redacted", () => {
    const j = judgeDoctor(read({ jobs: new Error("permission denied for table job (password=hunter2hunter2)"), netQueue: new Error("permission denied for schema net") }), ctx);
    const found = j.findings.map((f) => f.id);
    assert.ok(found.includes("cannot-see-jobs") && found.includes("cannot-see-pg-net-queue"), found.join(", "));
    assert.doesNotMatch(JSON.stringify(j), /hunter2hunter2/);
  });
});
