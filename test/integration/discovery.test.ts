import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testHub } from "../helpers/hub.js";
import type { Db } from "../../src/db/types.js";
import { MonitoringAPI } from "../../src/monitor.js";
import { freePort, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";

const clusters = usePgCronClusters(2);
let one: PgCronCluster;
let two: PgCronCluster;
const hubs: Db[] = [];

after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

async function api(env: Record<string, string>): Promise<MonitoringAPI> {
  const hub = await testHub();
  hubs.push(hub);
  return new MonitoringAPI({ env, hub });
}

describe("discovery of pg_cron jobs", () => {
  before(async () => {
    [one, two] = clusters() as [PgCronCluster, PgCronCluster];
    await one.sql(`select cron.schedule('sync-leads', '*/5 * * * *', 'select 1')`);
    await one.sql(`select cron.schedule($1, '0 3 * * *', 'select 2')`, [`it's "quoted"`]);
    await one.sql(`select cron.schedule($1, '30 2 * * 1-5', 'select 3')`, ["Überprüfung ✓ 日本"]);
    await one.sql(`select cron.schedule('15 * * * *', 'vacuum')`); // unnamed
    await one.createRole("alice", { password: "alice-pw" });
    const [owned] = await one.sql(`select cron.schedule('alices-job', '0 * * * *', 'select 4') as jobid`);
    await one.sql(`update cron.job set username = 'alice' where jobid = $1`, [owned.jobid]);
    await two.sql(`select cron.schedule('crm-nightly', '0 1 * * *', $1)`, [
      `select net.http_post(url := 'https://x.supabase.co/functions/v1/nightly', headers := '{"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl"}'::jsonb)`,
    ]);
  });

  it("inventories every job of both projects, with stable names for unnamed jobs and other roles' jobs", async () => {
    const monitor = await api({
      SUPABASE_POSTGRES_URL: one.url,
      SUPABASE_POSTGRES_URL_2: two.url,
      JOBMON_PROJECT_NAMES: "smoothed,blingsting",
    });
    const report = await monitor.auditAllProjects();
    assert.deepEqual(report.projects.map((p) => [p.project_name, p.status, p.jobs]), [["smoothed", "ok", 5], ["blingsting", "ok", 1]]);
    assert.match(report.projects[0]?.pg_cron_version ?? "", /^1\.\d/);
    assert.equal(report.projects[0]?.timezone, "GMT");
    assert.equal(report.projects[0]?.sees_all_jobs, true);
    assert.deepEqual(report.projects[0]?.warnings, []);

    const jobs = await monitor.listJobs();
    const byName = new Map(jobs.map((j) => [`${j.project_name}/${j.job_name}`, j]));
    const unnamed = jobs.find((j) => j.command === "vacuum");
    assert.ok(unnamed, "the unnamed job is listed");
    assert.equal(unnamed.job_name, `job_${unnamed.source_id}`);
    assert.equal(byName.get(`smoothed/it's "quoted"`)?.schedule, "0 3 * * *");
    assert.equal(byName.get("smoothed/Überprüfung ✓ 日本")?.schedule, "30 2 * * 1-5");
    assert.equal(byName.get("smoothed/alices-job")?.run_as, "alice");
    assert.equal(byName.get("blingsting/crm-nightly")?.job_type, "pg_cron");
    assert.equal(byName.get("smoothed/sync-leads")?.active, true);
    assert.equal(byName.get("smoothed/sync-leads")?.database_name, "postgres");
  });

  it("keeps annotations across re-discovery, picks up a changed schedule and marks a removed job", async () => {
    const monitor = await api({ SUPABASE_POSTGRES_URL: two.url, JOBMON_PROJECT_NAMES: "crm" });
    await two.sql(`select cron.schedule('short-lived', '*/10 * * * *', 'select 5')`);
    await monitor.auditAllProjects();
    await monitor.updateJob("crm/crm-nightly", { description: "Nightly CRM export", criticality: "critical", success_criteria: "file lands" });

    await two.sql(`select cron.schedule('crm-nightly', '0 2 * * *', 'select 6')`); // same name: pg_cron updates it
    await two.sql(`select cron.unschedule('short-lived')`);
    const report = await monitor.auditAllProjects();
    assert.deepEqual(report.projects[0]?.changed, ["crm-nightly"]);
    assert.deepEqual(report.projects[0]?.removed, ["short-lived"]);

    const nightly = await monitor.getJob("crm/crm-nightly");
    assert.equal(nightly.schedule, "0 2 * * *");
    assert.equal(nightly.command, "select 6");
    assert.equal(nightly.description, "Nightly CRM export");
    assert.equal(nightly.criticality, "critical");
    assert.equal(nightly.success_criteria, "file lands");
    const removed = await monitor.getJob("crm/short-lived");
    assert.ok(removed.removed_at instanceof Date, "the removed job stays, marked removed");
  });

  it("warns, naming BYPASSRLS, when the role cannot see every job", async () => {
    await one.createRole("watcher", { password: "watcher-pw" });
    await one.sql("grant usage on schema cron to watcher; grant select on all tables in schema cron to watcher");
    const monitor = await api({ SUPABASE_POSTGRES_URL: one.urlFor({ user: "watcher", password: "watcher-pw" }) });
    const report = await monitor.auditAllProjects();
    const project = report.projects[0];
    assert.equal(project?.status, "ok");
    assert.equal(project?.sees_all_jobs, false);
    assert.equal(project?.jobs, 0, "pg_cron's RLS hides the other roles' jobs");
    assert.match(project?.warnings.join("\n") ?? "", /BYPASSRLS/);
  });

  it("reports an unreachable project by name, audits the others, and never shows its password", async () => {
    const closedPort = await freePort();
    const monitor = await api({
      SUPABASE_POSTGRES_URL: `postgresql://postgres:s3cr3t-closed-port@127.0.0.1:${closedPort}/postgres`,
      SUPABASE_POSTGRES_URL_2: one.urlFor({ user: "postgres", password: "wrong-s3cr3t-pw" }),
      SUPABASE_POSTGRES_URL_3: two.url,
      JOBMON_PROJECT_NAMES: "down,badauth,up",
      JOBMON_PROJECT_TIMEOUT: "5s",
    });
    const report = await monitor.auditAllProjects();
    assert.deepEqual(report.projects.map((p) => [p.project_name, p.status]), [["down", "unreachable"], ["badauth", "unreachable"], ["up", "ok"]]);
    assert.match(report.projects[0]?.error ?? "", /ECONNREFUSED|connect/i);
    assert.match(report.projects[1]?.error ?? "", /password authentication failed/);
    const text = JSON.stringify(report);
    assert.doesNotMatch(text, /s3cr3t-closed-port|wrong-s3cr3t-pw/);
    assert.ok((await monitor.listJobs({ project: "up" })).length >= 1);
  });

  it("gives up on a project that does not answer within its timeout", async () => {
    // A listener that accepts connections and never speaks: a hung server.
    const net = await import("node:net");
    const sockets: import("node:net").Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as import("node:net").AddressInfo).port;
    try {
      const monitor = await api({
        SUPABASE_POSTGRES_URL: `postgresql://postgres:pw-hung@127.0.0.1:${port}/postgres`,
        SUPABASE_POSTGRES_URL_2: two.url,
        JOBMON_PROJECT_NAMES: "hung,up",
        JOBMON_PROJECT_TIMEOUT: "1s",
      });
      const started = Date.now();
      const report = await monitor.auditAllProjects();
      assert.equal(report.projects[0]?.status, "unreachable");
      assert.equal(report.projects[1]?.status, "ok");
      assert.ok(Date.now() - started < 10_000, "bounded by the project timeout, not by the hung server");
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
