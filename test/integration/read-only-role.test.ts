/**
 * A check as a read-only role like Supabase's supabase_read_only_user: BYPASSRLS and
 * pg_read_all_data, nothing else. Such a role sees every job and run, but NULL as the
 * backend_type of other roles' backends (pg_cron's launcher included: it runs as the bootstrap
 * superuser) and none of the superuser-only cron.* settings.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import { readProject } from "../../src/sources/project.js";
import { connectProject } from "../../src/sources/connect.js";
import { insertRun, scheduleJob, type PgCronCluster, usePgCronClusters } from "../harness/pgcron.js";
import { monitorWithHub, resetCron } from "../helpers/check.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "readonly" });
const hubs: Db[] = [];
after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

const RO = "jobmon_ro";
const PASSWORD = "ro-secret-1";

describe("a check as a read-only role (BYPASSRLS + pg_read_all_data)", () => {
  let c: PgCronCluster;
  let url: string;
  before(async () => {
    c = clusters()[0]!;
    await c.waitForLauncher();
    await c.createRole(RO, { password: PASSWORD, bypassrls: true });
    await c.sql(`grant pg_read_all_data to ${RO}`);
    url = c.urlFor({ user: RO, password: PASSWORD });
  });

  it("cannot read the launcher's backend_type, but sees its application_name", async () => {
    const db = connectProject({ name: "ro", url, ref: null } as never, 10_000);
    try {
      const rows = await db.query<{ backend_type: string | null; application_name: string }>(
        "select backend_type, application_name from pg_stat_activity where application_name = 'pg_cron scheduler'",
      );
      assert.deepEqual(rows, [{ backend_type: null, application_name: "pg_cron scheduler" }]);
      const read = await readProject(db, { window: { cursor: null, openRunIds: [] }, netCursor: null, expect: { pgCron: false, pgNet: false } });
      assert.equal(read.facts.scheduler.launcherRunning, true);
      assert.equal(read.facts.readsStats, false);
      assert.equal(read.facts.readsSettings, false);
      assert.equal(read.facts.scheduler.logRun, null);
    } finally {
      await db.close();
    }
  });

  it("judges the project ok, sees every job, and says which settings it could not read", async () => {
    await resetCron(c);
    const job = await scheduleJob(c, "nightly", "0 3 * * *", "select 1");
    await insertRun(c, { jobid: job, status: "succeeded", return_message: "1 row", start_time: new Date(Date.now() - 3_600_000), end_time: new Date(Date.now() - 3_599_000) });
    const { monitor, hub } = await monitorWithHub({ SUPABASE_POSTGRES_URL: url, JOBMON_PROJECT_NAMES: "ro" });
    hubs.push(hub);
    const report = await monitor.checkHealth();
    const project = report.projects[0];
    assert.equal(project?.status, "ok", project?.reason);
    assert.equal(report.jobs.find((j) => j.job_name === "nightly")?.status, "success");
    assert.ok(
      project?.warnings.some((w) => /^role jobmon_ro cannot read cron\.log_run \(superuser-only settings; pg_read_all_settings shows them\)/.test(w)),
      JSON.stringify(project?.warnings),
    );
    assert.ok(!project?.warnings.some((w) => /row-level security/.test(w)), "BYPASSRLS: it sees every job");
  });
});
