/**
 * Monitoring with an access token only: the projects come from the Management API's list and
 * are read through its read-only SQL endpoint (the stand-in runs that SQL on a real pg_cron
 * cluster with Supabase's roles, as `supabase_read_only_user`). The same scenarios read through
 * a Postgres URL and through the token give the same verdicts; the project list's lifecycle
 * (paused, coming up, new, gone, forbidden) is followed without false alarms.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { CheckReport } from "../../src/check/index.js";
import type { Db } from "../../src/db/types.js";
import { listProjectStates } from "../../src/hub/projects.js";
import { ManagementApi } from "../../src/sources/management-api.js";
import { type FakeManagementApi, startFakeManagementApi } from "../fakes/management-api.js";
import { insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { Clock, monitorWithHub, resetCron } from "../helpers/check.js";

const clusters = usePgCronClusters(1, { supabase: true, quiet: true, name: "token" });
const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";
const READER = "supabase_read_only_user";
const ALPHA = "tokenpathalphaaaaaaa";
const PAUSED = "tokenpathpausedaaaaa";
const COMING = "tokenpathcomingaaaaa";
const DELTA = "tokenpathdeltaaaaaaa";
const ERROR = "ERROR:  duplicate key value violates unique constraint \"leads_pkey\"\nDETAIL:  Key (id)=(42) <b>exists</b> & more";

let c: PgCronCluster;
let fake: FakeManagementApi;
const hubs: Db[] = [];

const minutes = (n: number) => n * 60_000;

/** A client that never sleeps on the wall clock (rate-limit waits are the stand-in's business). */
function apiClient(): ManagementApi {
  return new ManagementApi({ baseUrl: fake.url, accessToken: TOKEN, sleep: async () => {} });
}

async function tokenMonitorWithHub(clock: Clock, env: Record<string, string> = {}) {
  const result = await monitorWithHub({ SUPABASE_ACCESS_TOKEN: TOKEN, SUPABASE_API_URL: fake.url, ...env }, { now: clock.now, managementApi: apiClient() });
  hubs.push(result.hub);
  return result;
}

async function tokenMonitor(clock: Clock, env: Record<string, string> = {}) {
  return (await tokenMonitorWithHub(clock, env)).monitor;
}

async function urlMonitor(clock: Clock) {
  const { monitor, hub } = await monitorWithHub(
    { SUPABASE_POSTGRES_URL: c.urlFor({ user: READER }), JOBMON_PROJECT_NAMES: "alpha" },
    { now: clock.now, managementApi: null },
  );
  hubs.push(hub);
  return monitor;
}

/** What a reader compares between the two paths: each job's verdict, and each project's. */
function verdicts(report: CheckReport): unknown {
  return {
    projects: report.projects.map((p) => ({ name: p.project_name, status: p.status, reason: p.reason })),
    jobs: report.jobs.map((j) => ({ job: j.job_name, type: j.job_type, status: j.status, was: j.previous_status, reason: j.reason, error: j.error_message, last: j.last_run_at })),
    events: report.events.map((e) => `${e.job_name ?? e.project_name}: ${e.from ?? "new"} → ${e.to}`),
  };
}

describe("monitoring with an access token only", () => {
  before(async () => {
    c = clusters()[0]!;
    fake = await startFakeManagementApi({
      token: TOKEN,
      projects: {
        [ALPHA]: { name: "alpha", database: c.urlFor({ user: READER }) },
        [PAUSED]: { name: "Old Landing Page", status: "INACTIVE" },
        [COMING]: { name: "restoring", status: "COMING_UP" },
      },
    });
  });
  after(async () => {
    await Promise.all(hubs.map((h) => h.close()));
    await fake.close();
  });
  beforeEach(async () => {
    await resetCron(c);
    fake.reset();
  });

  it("gives the same verdicts as the Postgres URL, check after check", async () => {
    const t0 = new Date(Date.now() - minutes(30));
    const hourly = await scheduleJob(c, "hourly-report", "0 * * * *", "select 1");
    const dedupe = await scheduleJob(c, "dedupe-leads", "*/5 * * * *", "select 1");
    const minutely = await scheduleJob(c, "sync 'quoted' <b>", "* * * * *", "select 1");
    await insertRun(c, { jobid: hourly, status: "succeeded", start_time: new Date(t0.getTime() - minutes(10)), end_time: new Date(t0.getTime() - minutes(10) + 1234) });
    await insertRun(c, { jobid: dedupe, status: "failed", start_time: new Date(t0.getTime() - minutes(2)), end_time: new Date(t0.getTime() - minutes(2) + 50), return_message: ERROR });
    await insertRun(c, { jobid: minutely, status: "succeeded", start_time: new Date(t0.getTime() - 30_000), end_time: new Date(t0.getTime() - 29_000) });

    const clock = new Clock(t0);
    const byUrl = await urlMonitor(clock);
    const byToken = await tokenMonitor(clock, { JOBMON_PROJECTS: ALPHA });
    await byUrl.auditAllProjects();
    await byToken.auditAllProjects();
    const first = [await byUrl.checkHealth(), await byToken.checkHealth()];
    assert.deepEqual(verdicts(first[1]!), verdicts(first[0]!));
    assert.equal(first[0]!.jobs.find((j) => j.job_name === "dedupe-leads")?.status, "failed");
    assert.equal(first[1]!.jobs.find((j) => j.job_name === "dedupe-leads")?.error_message, ERROR, "the error text arrives as it was, newlines and markup");

    // Ten minutes on: the minutely job stopped (missed), dedupe recovered, one run still going.
    await insertRun(c, { jobid: dedupe, status: "succeeded", start_time: new Date(t0.getTime() + minutes(9)), end_time: new Date(t0.getTime() + minutes(9) + 80) });
    await insertRun(c, { jobid: hourly, status: "running", start_time: new Date(t0.getTime() + minutes(9)), end_time: null });
    clock.current = new Date(t0.getTime() + minutes(10));
    const second = [await byUrl.checkHealth(), await byToken.checkHealth()];
    assert.deepEqual(verdicts(second[1]!), verdicts(second[0]!));
    const statuses = new Map(second[1]!.jobs.map((j) => [j.job_name, j.status]));
    assert.equal(statuses.get("sync 'quoted' <b>"), "missed");
    assert.equal(statuses.get("dedupe-leads"), "success");

    // The token path's cost: a steady check is one read-only call for the project, plus the
    // project list and its Edge Function list.
    const api = second[1]!.management_api;
    assert.ok(api, "the report says what the check cost");
    assert.equal(api.by_endpoint["query"], 1, JSON.stringify(api));
    assert.equal(api.by_endpoint["projects"], 1);
    assert.ok(api.lowest_remaining && api.lowest_remaining.remaining > 0 && api.lowest_remaining.limit === 120, JSON.stringify(api.lowest_remaining));
    assert.equal(second[0]!.management_api, undefined, "no API, no API figures");
  });

  it("finds every active project, skips the paused and the starting ones, adds a new one, and lets a removed one go quietly", async () => {
    const dedupe = await scheduleJob(c, "dedupe-leads", "*/5 * * * *", "select 1");
    await scheduleJob(c, "nightly", "0 3 * * *", "select 1");
    const t0 = new Date(Date.now() - minutes(30));
    await insertRun(c, { jobid: dedupe, status: "failed", start_time: new Date(t0.getTime() - minutes(1)), end_time: new Date(t0.getTime() - minutes(1) + 40), return_message: ERROR });
    const clock = new Clock(t0);
    const { monitor: m, hub } = await tokenMonitorWithHub(clock);

    const discovery = await m.auditAllProjects();
    assert.deepEqual(
      discovery.projects.map((p) => [p.project_name, p.status]).sort(),
      [["Old-Landing-Page", "paused"], ["alpha", "ok"], ["restoring", "skipped"]],
    );
    assert.equal(discovery.projects.find((p) => p.project_name === "alpha")?.jobs, 2);

    const first = await m.checkHealth();
    const projects = new Map(first.projects.map((p) => [p.project_name, p]));
    assert.equal(projects.get("alpha")?.status, "ok");
    assert.equal(projects.get("Old-Landing-Page")?.status, "paused");
    assert.match(projects.get("Old-Landing-Page")?.reason ?? "", /paused in Supabase \(INACTIVE\)/);
    assert.equal(projects.get("restoring")?.status, "unknown");
    assert.match(projects.get("restoring")?.reason ?? "", /coming up/);
    const failed = first.jobs.find((j) => j.job_name === "dedupe-leads");
    assert.equal(failed?.status, "failed");
    assert.equal(failed?.error_message, ERROR);
    assert.deepEqual(first.events.map((e) => `${e.project_name}/${e.job_name ?? ""}:${e.to}`), ["alpha/dedupe-leads:failed"], "nothing alarms about the paused or the starting project");
    assert.ok((await listProjectStates(hub)).every((s) => s.project_name !== "restoring"), "a starting project leaves no state behind");

    // A project created between two checks is watched from the next one, with an info line.
    fake.addProject(DELTA, { name: "delta", database: c.urlFor({ user: READER }) });
    clock.current = new Date(t0.getTime() + minutes(5));
    const second = await m.checkHealth();
    assert.ok(second.notes?.some((n) => /found project delta \(tokenpathdeltaaaaaaa\)/.test(n)), JSON.stringify(second.notes));
    assert.equal(second.projects.find((p) => p.project_name === "delta")?.status, "ok");
    assert.deepEqual((await m.listJobs({ project: "delta" })).map((j) => j.job_name).sort(), ["dedupe-leads", "nightly"]);
    assert.ok(second.events.every((e) => e.project_name !== "delta" || e.to === "failed"), "a new project's jobs are judged, not announced as new");

    // A project that leaves the list: removed with its jobs, kept in the hub, nothing alerted.
    fake.removeProject(ALPHA);
    clock.current = new Date(t0.getTime() + minutes(120));
    const third = await m.checkHealth();
    assert.equal(third.projects.find((p) => p.project_name === "alpha")?.status, "removed");
    assert.ok(third.events.every((e) => e.project_name !== "alpha"), `no alert for a removed project: ${JSON.stringify(third.events)}`);
    const kept = await m.listJobs({ project: "alpha", includeRemoved: true });
    assert.equal(kept.length, 2);
    assert.ok(kept.every((j) => j.removed_at !== null), "its jobs are marked removed, not deleted");
    assert.ok(third.jobs.every((j) => j.project_name !== "alpha"), "and no longer judged");

    // Paused: restored later, read again.
    fake.setProjectStatus(PAUSED, "ACTIVE_HEALTHY");
    fake.forbidProject(DELTA);
    clock.current = new Date(t0.getTime() + minutes(135));
    const fourth = await m.checkHealth();
    const delta = fourth.projects.find((p) => p.project_name === "delta");
    assert.equal(delta?.status, "unreachable", "a project the token may no longer read is unreachable");
    assert.match(delta?.reason ?? "", /403/);
    assert.ok(fourth.events.some((e) => e.project_name === "delta" && e.to === "unreachable"));
    assert.notEqual(fourth.projects.find((p) => p.project_name === "Old-Landing-Page")?.status, "paused");
  });

  it("JOBMON_PROJECTS narrows the list by ref or name and leaves out `!` entries", async () => {
    const clock = new Clock(new Date());
    const only = await (await tokenMonitor(clock, { JOBMON_PROJECTS: "alpha,restoring,nosuchproject" })).checkHealth();
    assert.deepEqual(only.projects.map((p) => p.project_name).sort(), ["alpha", "restoring"]);
    assert.ok(only.notes?.some((n) => /JOBMON_PROJECTS names "nosuchproject"/.test(n)));
    const except = await (await tokenMonitor(clock, { JOBMON_PROJECTS: `!${ALPHA},!restoring` })).checkHealth();
    assert.deepEqual(except.projects.map((p) => p.project_name), ["Old-Landing-Page"]);
  });

  it("a project list that cannot be read leaves the projects found earlier to be read as they were", async () => {
    const clock = new Clock(new Date());
    const m = await tokenMonitor(clock, { JOBMON_PROJECTS: ALPHA });
    await m.checkHealth();
    fake.failNext(4, { status: 503, body: { message: "Service Unavailable" } });
    const report = await m.checkHealth();
    assert.ok(report.notes?.some((n) => /project list could not be read/.test(n)), JSON.stringify(report.notes));
    assert.equal(report.projects.find((p) => p.project_name === "alpha")?.status, "ok");
  });
});
