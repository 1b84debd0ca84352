/**
 * `GET /metrics` over a real pg_cron cluster and a Postgres hub: jobs scheduled with
 * cron.schedule, runs inserted into cron.job_run_details at exact instants, discovery and two
 * checks through the MonitoringAPI (alerts to a fake Discord, one of whose webhooks is gone),
 * then the exposition read back with a Prometheus text-format parser and compared with
 * `jobmon status --json` (the built CLI) and MonitoringAPI.status().
 *
 * Every schedule is placed half an hour away from the wall clock, as in dashboard.test.ts,
 * so that pg_cron itself runs none of them while the test runs: the runs are exactly those
 * inserted.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import type { CheckReport, CheckJobEntry } from "../../src/check/report.js";
import { METRICS } from "../../src/dashboard/metrics.js";
import { type Dashboard, startDashboard } from "../../src/dashboard/server.js";
import type { Db } from "../../src/db/types.js";
import { ConfigError } from "../../src/errors.js";
import { migrate } from "../../src/hub/migrate.js";
import { insertMessageEvent, planDeliveries } from "../../src/hub/outbox.js";
import type { MonitoringAPI } from "../../src/monitor.js";
import { JOB_STATUSES } from "../../src/types.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.js";
import { freePort, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { runCli } from "../helpers/cli.js";
import { addRuns, awaySchedules, fires, HOUR, type InsertedRun, type RunSpec, monitorWithHistory } from "../helpers/cron-sample.js";
import { freshHubDb } from "../helpers/hub.js";
import { type Exposition, parseExposition } from "../helpers/prometheus.js";

const TOKEN = "metrics-token-0b6e2d9c41f87a35";
const IMPORT_ERROR = 'ERROR:  duplicate key value violates unique constraint "leads_pkey"\nDETAIL:  Key (id)=(42) already exists.';
const WEIRD = 'report "daily"\nsecond line \\ end';
const DOWN_PASSWORD = "down-db-password-7f3a";
/** Every status a job row can hold: the verdicts, and `new` before the first. */
const STATUSES = [...JOB_STATUSES, "new"].sort();
const ALLOWED_LABELS = new Set(["project", "job", "type", "criticality", "status", "pg_cron_version", "route", "channel"]);

const clusters = usePgCronClusters(1, { name: "metrics" });

/** A local IPv4 address that is not loopback, when the machine has one. */
function nonLoopbackAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return null;
}

const secondsOf = (iso: string | Date) => (typeof iso === "string" ? Date.parse(iso) : iso.getTime()) / 1000;

describe("jobmon serve: GET /metrics for Prometheus", () => {
  let one: PgCronCluster;
  let hub: Db;
  let hubUrl: string;
  let discord: FakeDiscord;
  let monitor: MonitoringAPI;
  let dashboard: Dashboard;
  let report: CheckReport;
  let env: Record<string, string>;
  let goodRoute: string;
  let goneRoute: string;
  const runs = new Map<string, InsertedRun[]>();

  async function scrape(base = dashboard.url, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; body: string; m: Exposition }> {
    const res = await fetch(`${base}metrics`, { headers });
    const body = await res.text();
    return { status: res.status, type: res.headers.get("content-type"), body, m: res.status === 200 ? parseExposition(body) : parseExposition("") };
  }

  before(async () => {
    [one] = clusters() as [PgCronCluster];
    const fresh = await freshHubDb("postgres", () => one);
    hub = fresh.db;
    hubUrl = fresh.url as string;
    await migrate(hub);
    discord = await startFakeDiscord();
    goodRoute = randomUUID();
    goneRoute = randomUUID();
    await hub.query("insert into monitoring.alert_config (id, channel, criticality, webhook_url, name) values ($1, 'discord', 'all', $2, 'ops'), ($3, 'discord', 'all', $4, 'old')", [
      goodRoute, discord.webhookUrl, goneRoute, discord.url("1100000000000000999"),
    ]);

    const { t0, hourly, daily, lastHourly, lastDaily } = awaySchedules();
    const later: (() => Promise<void>)[] = [];
    const plan = (name: string, jobid: number, specs: RunSpec[]) => later.push(async () => void runs.set(name, await addRuns(one, jobid, specs)));
    plan("sync", await scheduleJob(one, "sync", hourly, "select 1"), fires(lastHourly, HOUR, 12).map((at) => ({ at, status: "succeeded", seconds: 3 })));
    plan("imports", await scheduleJob(one, "imports", hourly, "select app.import_leads()"), fires(lastHourly, HOUR, 8).map((at, i) => (i < 2 ? { at, status: "failed", message: IMPORT_ERROR, seconds: 7 } : { at, status: "succeeded" })));
    plan("enrich", await scheduleJob(one, "enrich", hourly, "select 1"), fires(new Date(lastHourly.getTime() - 3 * HOUR), HOUR, 3).map((at) => ({ at, status: "succeeded", seconds: 40 })));
    plan("rebuild", await scheduleJob(one, "rebuild", daily, "select 1"), fires(lastDaily, 24 * HOUR, 3).map((at, i) => ({ at, status: i === 0 ? "running" : "succeeded", seconds: 240 })));
    plan(WEIRD, await scheduleJob(one, WEIRD, hourly, "select 1"), fires(lastHourly, HOUR, 3).map((at) => ({ at, status: "succeeded", seconds: 1 })));
    const digest = await scheduleJob(one, "digest", "0 8 * * 1", "select 1");
    await one.sql("update cron.job set active = false where jobid = $1", [digest]);

    env = {
      SUPABASE_POSTGRES_URL: one.url,
      SUPABASE_POSTGRES_URL_2: `postgresql://postgres:${DOWN_PASSWORD}@127.0.0.1:${await freePort()}/postgres`,
      JOBMON_PROJECT_NAMES: "alpha,down",
      JOBMON_PROJECT_TIMEOUT: "5s",
    };
    monitor = await monitorWithHistory(env, hub, t0, later);
    await monitor.updateJob("alpha/imports", { criticality: "critical" });
    await monitor.updateJob("alpha/enrich", { criticality: "low" });
    await monitor.mute("alpha/rebuild", 3600);
    report = await monitor.checkHealth();
    assert.deepEqual(
      Object.fromEntries(report.jobs.map((j) => [j.job_name, j.status])),
      { sync: "success", imports: "failed", enrich: "missed", rebuild: "stuck", digest: "paused", [WEIRD]: "success" },
      "the check judged the sample as intended",
    );
    // One alert waiting on the good route, one that no route took.
    const waiting = randomUUID();
    await insertMessageEvent(hub, waiting, "important", "alpha", { kind: "message", eventId: waiting, criticality: "important", title: "queued", message: "waits", projectName: "alpha", jobName: null }, new Date());
    await planDeliveries(hub, [{ event_id: waiting, route_id: goodRoute, channel: "discord", fallback_from: null }], new Date());
    const unrouted = randomUUID();
    await insertMessageEvent(hub, unrouted, "low", null, { kind: "message", eventId: unrouted, criticality: "low", title: "unrouted", message: "no route", projectName: null, jobName: null }, new Date());
    dashboard = await startDashboard({ monitor, port: 0 });
  });

  after(async () => {
    await dashboard?.close();
    await discord?.close();
    await hub?.close();
  });

  it("answers in Prometheus' text format, and every job's status agrees with `jobmon status --json` and status()", async () => {
    const { status, type, m } = await scrape();
    assert.equal(status, 200);
    assert.equal(type, "text/plain; version=0.0.4; charset=utf-8");
    const cli = await runCli(["status", "--json"], { env: { ...env, JOBMON_HUB_URL: hubUrl } });
    assert.equal(cli.code, 0, cli.stderr);
    const entries = JSON.parse(cli.stdout) as CheckJobEntry[];
    assert.deepEqual(entries, (await monitor.status()).jobs, "the CLI and the library agree");
    assert.equal(entries.length, 6);

    const jobs = new Set(m.select("jobmon_job_status").map((s) => `${s.labels.project}/${s.labels.type}/${s.labels.job}`));
    assert.deepEqual([...jobs].sort(), entries.map((e) => `${e.project_name}/${e.job_type}/${e.job_name}`).sort(), "one job per status entry, no other");
    for (const e of entries) {
      const series = m.select("jobmon_job_status", { project: e.project_name, job: e.job_name, type: e.job_type });
      assert.deepEqual(series.map((s) => s.labels.status).sort(), STATUSES, e.job_name);
      assert.deepEqual(series.filter((s) => s.value === 1).map((s) => s.labels.status), [e.status], `${e.job_name} is ${e.status}`);
      assert.ok(series.every((s) => s.labels.criticality === (e.criticality ?? "important")), e.job_name);
      assert.equal(m.value("jobmon_job_muted", { job: e.job_name }), e.muted ? 1 : 0, e.job_name);
    }
    assert.equal(m.value("jobmon_job_muted", { job: "rebuild" }), 1);
    assert.equal(m.value("jobmon_job_status", { job: "imports", status: "failed", criticality: "critical" }), 1);
  });

  it("times each job's last success, last run and its duration, and counts its failures in a row, as the runs were inserted", async () => {
    const { m } = await scrape();
    const rows = new Map((await monitor.listJobs({ includeRemoved: false })).map((r) => [r.job_name, r]));
    const latest = (name: string, status = "succeeded") => runs.get(name)?.filter((r) => r.status === status).at(-1);
    for (const name of ["sync", "imports", "enrich", WEIRD]) {
      assert.equal(m.value("jobmon_job_last_success_timestamp_seconds", { job: name }), secondsOf(latest(name)?.end as Date), name);
      assert.equal(m.value("jobmon_job_last_run_timestamp_seconds", { job: name }), secondsOf(rows.get(name)?.last_run_at as Date), name);
      assert.equal(m.value("jobmon_job_consecutive_failures", { job: name }), rows.get(name)?.consecutive_failures, name);
    }
    assert.equal(m.value("jobmon_job_last_run_duration_seconds", { job: "sync" }), 3);
    assert.equal(m.value("jobmon_job_last_run_duration_seconds", { job: "imports" }), 7, "the latest (failed) run's duration");
    assert.equal(m.value("jobmon_job_last_run_duration_seconds", { job: "enrich" }), 40);
    assert.equal(m.value("jobmon_job_consecutive_failures", { job: "imports" }), 2);
    assert.deepEqual(m.select("jobmon_job_last_success_timestamp_seconds", { job: "digest" }), [], "never ran: absent");
  });

  it("says which project is up, its status and pg_cron version, and what the latest check did", async () => {
    const { m } = await scrape();
    const { projects } = await monitor.status();
    assert.equal(m.value("jobmon_project_up", { project: "alpha" }), 1);
    assert.equal(m.value("jobmon_project_up", { project: "down" }), 0);
    for (const p of projects) {
      assert.equal(m.value("jobmon_project_status", { project: p.project_name, status: p.status }), 1, p.project_name);
      assert.equal(m.value("jobmon_project_last_check_timestamp_seconds", { project: p.project_name }), secondsOf(p.last_checked_at as Date));
    }
    assert.equal(m.value("jobmon_project_info", { project: "alpha" }), 1);
    assert.equal(m.select("jobmon_project_info", { project: "alpha" })[0]?.labels.pg_cron_version, one.pgCronVersion);

    // The check records itself when it has read every project; its report ends later, after delivery.
    const [run] = await hub.query<{ started_at: Date; finished_at: Date }>("select started_at, finished_at from monitoring.check_run where id = $1", [report.check_id]);
    assert.equal(run?.started_at.toISOString(), report.started_at, "the run starts when the check took its lease");
    assert.equal(m.value("jobmon_last_check_timestamp_seconds"), secondsOf(run?.finished_at as Date));
    assert.ok(secondsOf(run?.finished_at as Date) <= secondsOf(report.finished_at));
    const took = ((run?.finished_at.getTime() ?? 0) - Date.parse(report.started_at)) / 1000;
    assert.ok(took > 0);
    assert.ok(Math.abs(m.value("jobmon_last_check_duration_seconds") - took) < 1e-6, "from the lease to the projects read");
    assert.equal(m.value("jobmon_last_check_success"), 1);
    assert.deepEqual([m.value("jobmon_last_check_projects"), m.value("jobmon_last_check_jobs"), m.value("jobmon_last_check_alert_events")], [report.projects.length, report.jobs.length, report.events.length]);
    assert.equal(m.value("jobmon_check_runs_total", { status: "completed" }), 2);
    assert.equal(m.value("jobmon_check_runs_total", { status: "failed" }), 0);
  });

  it("counts each route's alerts as the delivery list has them, its backlog, whether it is broken, and alerts no route took", async () => {
    const { m } = await scrape();
    const deliveries = await monitor.alertDeliveries(1000);
    const count = (route: string, ...statuses: string[]) => deliveries.filter((d) => d.route_id === route && statuses.includes(d.status)).length;
    for (const route of [goodRoute, goneRoute]) {
      assert.equal(m.value("jobmon_alerts_sent_total", { route, channel: "discord" }), count(route, "delivered"), route);
      assert.equal(m.value("jobmon_alerts_failed_total", { route, channel: "discord" }), count(route, "failed"), route);
      assert.equal(m.value("jobmon_alert_outbox_pending", { route, channel: "discord" }), count(route, "pending", "sending"), route);
    }
    assert.ok(m.value("jobmon_alerts_sent_total", { route: goodRoute }) >= 2, "the first failures and the broken-route message went out");
    assert.ok(m.value("jobmon_alerts_failed_total", { route: goneRoute }) >= 1);
    assert.equal(m.value("jobmon_alert_outbox_pending", { route: goodRoute }), 1);
    assert.deepEqual([m.value("jobmon_alert_route_broken", { route: goodRoute }), m.value("jobmon_alert_route_broken", { route: goneRoute })], [0, 1]);
    const unrouted = (await monitor.waitingAlerts(1000)).filter((w) => w.status === "unrouted").length;
    assert.equal(m.value("jobmon_alert_outbox_unrouted"), unrouted);
    assert.equal(unrouted, 1);
  });

  it("keeps labels bounded: known names only, no error text, password or run id; a job name with quotes and a newline reads back unchanged", async () => {
    const { body, m } = await scrape();
    for (const [name, family] of m.families) {
      assert.ok(name in METRICS, `${name} is documented`);
      assert.ok(family.help.length > 0);
    }
    const runIds = new Set((await monitor.listJobs()).flatMap((r) => r.recent_runs.map((x) => String(x.runid))));
    for (const s of m.series) {
      for (const [label, value] of Object.entries(s.labels)) {
        assert.ok(ALLOWED_LABELS.has(label), `${s.name} has label ${label}`);
        assert.ok(!value.includes("duplicate key") && !value.includes("ECONNREFUSED") && !value.includes(DOWN_PASSWORD), `${s.name}{${label}} holds no error text`);
        assert.ok(!runIds.has(value), `${s.name}{${label}} holds no run id`);
      }
    }
    assert.ok(!body.includes(DOWN_PASSWORD) && !body.includes("duplicate key"));
    assert.equal(m.value("jobmon_job_status", { job: WEIRD, status: "success" }), 1);
    assert.ok(body.includes('job="report \\"daily\\"\\nsecond line \\\\ end"'), "escaped as the format requires");
    const jobs = (await monitor.status()).jobs.length;
    assert.equal(m.select("jobmon_job_status").length, STATUSES.length * jobs, "one series per status a job, whatever happened to it");
  });

  it("holds /metrics to the dashboard's token rule off loopback: 401 without the bearer token, the same exposition with it", async () => {
    await assert.rejects(startDashboard({ monitor, host: "0.0.0.0", port: 0 }), (e: unknown) => e instanceof ConfigError && e.variable === "JOBMON_DASHBOARD_TOKEN");
    const host = nonLoopbackAddress() ?? "127.0.0.1";
    const guarded = await startDashboard({ monitor, host, port: 0, token: TOKEN });
    try {
      assert.ok(guarded.tokenRequired);
      const refused = await fetch(`${guarded.url}metrics`);
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get("www-authenticate"), 'Bearer realm="jobmon"');
      assert.match(refused.headers.get("content-type") ?? "", /^text\/plain/);
      assert.match(await refused.text(), /JOBMON_DASHBOARD_TOKEN/);
      assert.equal((await scrape(guarded.url, { Authorization: `Bearer ${TOKEN}x` })).status, 401);
      const allowed = await scrape(guarded.url, { Authorization: `Bearer ${TOKEN}` });
      assert.equal(allowed.status, 200);
      assert.deepEqual([...allowed.m.families.keys()], [...(await scrape()).m.families.keys()]);
      assert.ok(!allowed.body.includes(TOKEN));
    } finally {
      await guarded.close();
    }
  });
});
