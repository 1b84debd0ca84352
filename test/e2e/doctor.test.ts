/**
 * `jobmon doctor` through the built CLI: the text report, --json, and --fix (refused without a
 * confirmation and on a read-only role; applied with --yes).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { before, describe, it } from "node:test";
import { insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { CLI, runCli } from "../helpers/cli.js";
import { startDashboard } from "../../src/dashboard/server.js";
import { monitorWithHub } from "../helpers/check.js";
import { postgresHubEnv } from "../helpers/hub.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "doctor-cli" });
const RO = "jobmon_doctor_ro";

describe("jobmon doctor (CLI)", () => {
  let c: PgCronCluster;
  let env: Record<string, string>;
  before(async () => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    c = clusters()[0]!;
    const jobid = await scheduleJob(c, "sync-leads", "*/5 * * * *", "select 1");
    await scheduleJob(c, "sync-leads-again", "*/5 * * * *", "select 1");
    const day = 86_400_000;
    for (let i = 0; i < 3; i++) await insertRun(c, { jobid, status: "succeeded", start_time: new Date(Date.now() - 50 * day), end_time: new Date(Date.now() - 50 * day) });
    await c.createRole(RO, { password: "ro-pass-1234", bypassrls: true });
    await c.sql(`grant pg_read_all_data to ${RO}`);
    // The doctor's findings are the project's: the hub is a Postgres one, not the subject here.
    env = { SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha", ...(await postgresHubEnv(c)) };
  });

  it("prints each finding with why and the fix, and --json the same report", async () => {
    const text = await runCli(["doctor"], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^alpha: pg_cron .*, read as postgres; 0 critical, \d+ warning, \d+ info$/m);
    assert.match(text.stdout, /run history: 3 rows, .* no cleanup job/);
    assert.match(text.stdout, /• run-history-cleanup \(jobmon doctor --fix applies it\)\n {4}cron\.job_run_details holds 3 rows/);
    assert.match(text.stdout, /⚠ job-duplicate:2\n .*same schedule and command/);
    assert.match(text.stdout, /fix: select cron\.schedule\('jobmon-history-cleanup'/);

    const json = await runCli(["doctor", "--json"], { env });
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { projects: { project_name: string; findings: { id: string; fixable: boolean; severity: string }[]; writable: { ok: boolean } }[] };
    const [alpha] = report.projects;
    assert.equal(alpha?.project_name, "alpha");
    assert.deepEqual(alpha?.findings.find((f) => f.id === "run-history-cleanup")?.fixable, true);
    assert.ok(alpha?.findings.some((f) => f.id === "job-duplicate:2"));
    assert.equal(alpha?.writable.ok, true);
  });

  it("--fix refuses without a confirmation and on a read-only role, and applies with --yes", async () => {
    const unconfirmed = await runCli(["doctor", "--fix", "run-history-cleanup"], { env });
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stdout, /This SQL will run:\nselect cron\.schedule\('jobmon-history-cleanup', '17 3 \* \* \*', \$jobmon\$do \$cleanup\$\n/);
    assert.match(unconfirmed.stderr, /not confirmed \(no terminal to ask on\): nothing was changed; run again with --yes/);
    assert.equal((await c.sql("select count(*)::int as n from cron.job where jobname = 'jobmon-history-cleanup'"))[0].n, 0);

    const ro = await runCli(["doctor", "--fix", "run-history-cleanup", "--yes"], { env: { ...env, SUPABASE_POSTGRES_URL: c.urlFor({ user: RO, password: "ro-pass-1234" }) } });
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /^jobmon: cannot fix run-history-cleanup on alpha: role jobmon_doctor_ro lacks CREATE on the database: a read-only role, the doctor can only report/);
    assert.doesNotMatch(ro.stderr, /ro-pass-1234/);

    const notFixable = await runCli(["doctor", "--fix", "job-duplicate:2", "--yes"], { env });
    assert.equal(notFixable.code, 1);
    assert.match(notFixable.stderr, /has no fix jobmon applies/);

    const applied = await runCli(["doctor", "--fix", "run-history-cleanup", "--yes"], { env });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /✓ applied run-history-cleanup on alpha \(schedule \d+\)/);
    const [job] = await c.sql("select schedule, command from cron.job where jobname = 'jobmon-history-cleanup'");
    assert.equal(job.schedule, "17 3 * * *");
    assert.match(job.command, /interval '30 days'/);
    const after = JSON.parse((await runCli(["doctor", "--json"], { env })).stdout) as { projects: { findings: { id: string }[] }[] };
    assert.ok(!after.projects[0]!.findings.some((f) => f.id === "run-history-cleanup"));
  });

  it("the dashboard's /doctor page and /api/doctor show the same findings", async () => {
    const { monitor, hub } = await monitorWithHub(env);
    const dashboard = await startDashboard({ monitor, port: 0 });
    try {
      const api = (await (await fetch(`${dashboard.url}api/doctor`)).json()) as { projects: { findings: { id: string }[] }[] };
      assert.ok(api.projects[0]!.findings.some((f) => f.id === "job-duplicate:2"));
      const page = await fetch(`${dashboard.url}doctor`);
      assert.equal(page.status, 200);
      const body = await page.text();
      assert.match(body, /<code>job-duplicate:2<\/code>/);
      assert.match(body, /same schedule and command/);
      assert.match(await (await fetch(dashboard.url)).text(), /<a href="\/doctor">/);
    } finally {
      await dashboard.close();
      await monitor.close();
      await hub.close();
    }
  });
});
