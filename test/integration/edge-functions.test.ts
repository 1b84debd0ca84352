import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import { ManagementApi } from "../../src/sources/management-api.js";
import { type FakeManagementApi, startFakeManagementApi } from "../fakes/management-api.js";
import { insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { Clock, monitorWithHub, resetCron } from "../helpers/check.js";

// pg_net is not packaged for Debian: the tests create net._http_response with its columns.
const clusters = usePgCronClusters(1, { quiet: true, name: "edge" });
const REF = "abcdefghijklmnopqrst";
const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";
const SERVICE_KEY = "sb_secret_Zq8fakeServiceKey0123456789";
const SYNC_ID = "11111111-1111-4111-8111-111111111111";
const ENRICH_ID = "22222222-2222-4222-8222-222222222222";
const IDLE_ID = "33333333-3333-4333-8333-333333333333";

let c: PgCronCluster;
let api: FakeManagementApi;
const hubs: Db[] = [];
after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

function callCommand(slug: string): string {
  return `select net.http_post(url := 'https://${REF}.supabase.co/functions/v1/${slug}', headers := '{"Content-Type": "application/json", "Authorization": "Bearer ${SERVICE_KEY}"}'::jsonb, body := '{}'::jsonb)`;
}

describe("Edge Functions", () => {
  before(async () => {
    c = clusters()[0]!;
    await c.sql(`create schema if not exists net;
      create table if not exists net._http_response (
        id bigint, status_code integer, content_type text, headers jsonb, content text,
        timed_out boolean, error_msg text, created timestamptz not null default now());
      create index if not exists _http_response_created_idx on net._http_response (created)`);
    api = await startFakeManagementApi({
      token: TOKEN,
      projects: {
        [REF]: {
          functions: [
            { slug: "sync-leads", id: SYNC_ID },
            { slug: "enrich", id: ENRICH_ID },
            { slug: "idle-fn", id: IDLE_ID },
          ],
        },
      },
    });
  });
  after(async () => {
    await api.close();
  });

  async function monitor(clock: Clock, env: Record<string, string> = {}) {
    const client = new ManagementApi({ accessToken: TOKEN, baseUrl: api.url, sleep: async () => {}, secrets: [] });
    const result = await monitorWithHub(
      { SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "smoothed", JOBMON_PROJECT_REFS: REF, SUPABASE_ACCESS_TOKEN: TOKEN, SUPABASE_API_URL: api.url, ...env },
      { now: clock.now, managementApi: env.SUPABASE_ACCESS_TOKEN === "" ? null : client },
    );
    hubs.push(result.hub);
    return result.monitor;
  }

  it("fails a cron job whose pg_net call got HTTP 500 and a function whose invocations returned 546; reports a missing function; leaves an idle one alone", async () => {
    await resetCron(c);
    await c.sql("delete from net._http_response");
    api.reset();
    const caller = await scheduleJob(c, "call-sync", "*/5 * * * *", callCommand("sync-leads"));
    await scheduleJob(c, "call-enrich", "*/10 * * * *", callCommand("enrich"));
    await scheduleJob(c, "call-ghost", "0 * * * *", callCommand("ghost"));

    const clock = new Clock(minutesAgo(20));
    const m = await monitor(clock);
    const first = await m.auditAllProjects();
    assert.equal(first.projects[0]?.functions, 3);
    const fn = await m.getJob("smoothed/sync-leads");
    assert.equal(fn.job_type, "edge_function");
    assert.equal(fn.schedule, "*/5 * * * *", "the function inherits its caller's schedule");
    assert.deepEqual((fn.source_meta as { called_by: string[] }).called_by, ["call-sync"]);
    // No check yet: the check below is the project's first, which reads the last hour of
    // pg_net responses (later checks read forward from where it stopped).

    // pg_cron says the run succeeded: the request was only queued. pg_net got a 500.
    const runAt = minutesAgo(6);
    await insertRun(c, { jobid: caller, status: "succeeded", return_message: "1 row", start_time: runAt, end_time: new Date(runAt.getTime() + 50) });
    await c.sql("insert into net._http_response (id, status_code, content_type, content, timed_out, error_msg, created) values (1, 500, 'application/json', $1, false, null, $2)", [
      '{"error":"upstream exploded"}',
      new Date(runAt.getTime() + 1500),
    ]);
    api.addLogs(REF, [
      { function_id: ENRICH_ID, timestamp: minutesAgo(8), status_code: 546, event_message: "POST | 546 | enrich" },
      { function_id: ENRICH_ID, timestamp: minutesAgo(7), status_code: 200, event_message: "POST | 200 | enrich" },
      { function_id: ENRICH_ID, timestamp: minutesAgo(5), status_code: 546, event_message: "POST | 546 | enrich" },
    ]);
    api.respond429(1, 1);

    clock.current = new Date();
    const report = await m.checkHealth();
    const jobs = new Map(report.jobs.map((j) => [`${j.job_type}/${j.job_name}`, j]));
    assert.equal(jobs.get("pg_cron/call-sync")?.status, "failed");
    assert.match(jobs.get("pg_cron/call-sync")?.reason ?? "", /HTTP 500/);
    assert.match(jobs.get("pg_cron/call-sync")?.reason ?? "", /by time/);
    assert.equal(jobs.get("edge_function/enrich")?.status, "failed");
    assert.match(jobs.get("edge_function/enrich")?.reason ?? "", /2× 546 \(resource limit\)/);
    assert.equal(jobs.get("pg_cron/call-ghost")?.status, "failed");
    assert.match(jobs.get("pg_cron/call-ghost")?.reason ?? "", /"ghost"/);
    const idle = jobs.get("edge_function/idle-fn");
    assert.ok(idle && idle.status !== "failed" && idle.status !== "missed", `idle function: ${idle?.status}`);
    assert.match(idle?.reason ?? "", /idle/);
    assert.ok(api.requests.some((r) => r.scripted), "a 429 from the API was waited out");
    assert.doesNotMatch(JSON.stringify(report), new RegExp(SERVICE_KEY));
    assert.doesNotMatch(JSON.stringify(report), new RegExp(TOKEN));
    const changes = report.events.map((e) => `${e.job_name}:${e.to}`).sort();
    assert.ok(changes.includes("enrich:failed") && changes.includes("call-sync:failed"), changes.join(", "));
  });

  it("reads function failures through today's logs endpoint whichever way it spells the source column; a 402 is a warning about usage", async () => {
    await resetCron(c);
    await c.sql("delete from net._http_response");
    api.reset();
    api.sourceColumn = "source_name";
    try {
      const clock = new Clock(minutesAgo(20));
      const m = await monitor(clock);
      await m.auditAllProjects();
      api.addLogs(REF, [
        { function_id: SYNC_ID, timestamp: minutesAgo(9), status_code: 500, event_message: "POST | 500 | sync-leads" },
        { function_id: ENRICH_ID, timestamp: minutesAgo(8), status_code: 546, event_message: "POST | 546 | enrich" },
      ]);
      clock.current = new Date();
      const report = await m.checkHealth();
      const jobs = new Map(report.jobs.map((j) => [j.job_name, j]));
      assert.equal(jobs.get("sync-leads")?.status, "failed");
      assert.match(jobs.get("sync-leads")?.reason ?? "", /1× 500 \(threw\)/);
      assert.equal(jobs.get("enrich")?.status, "failed");
      assert.match(jobs.get("enrich")?.reason ?? "", /546 \(resource limit\)/);
      const logRequests = api.requests.filter((r) => r.path.includes("/analytics/"));
      assert.ok(logRequests.every((r) => r.path.endsWith("/analytics/endpoints/logs")), "never logs.all");
      assert.ok(api.logQueries.some((q) => /where source_name = 'function_edge_logs'/.test(q.sql ?? "")));

      api.logsUsageExceeded = true;
      clock.current = new Date(Date.now() + 15 * 60_000);
      const later = await m.checkHealth();
      assert.equal(later.projects[0]?.status, "ok", "pg_cron is still checked");
      const warnings = later.projects[0]?.warnings.join("\n") ?? "";
      assert.match(warnings, /Edge Function logs not read: .*organisation .*exceeded its usage quota/);
      assert.doesNotMatch(warnings, /analytics:read/);
    } finally {
      api.sourceColumn = "source";
    }
  });

  it("marks a function that disappeared removed, like a cron job", async () => {
    await resetCron(c);
    api.reset();
    const clock = new Clock(new Date());
    const m = await monitor(clock);
    await m.auditAllProjects();
    api.setFunctions(REF, [{ slug: "sync-leads", id: SYNC_ID }]);
    const report = await m.auditAllProjects();
    assert.deepEqual(report.projects[0]?.removed.sort(), ["enrich", "idle-fn"]);
    assert.ok((await m.getJob("smoothed/enrich")).removed_at);
  });

  it("without SUPABASE_ACCESS_TOKEN, checks pg_cron as before and says once that Edge Functions were skipped", async () => {
    await resetCron(c);
    await scheduleJob(c, "plain", "*/5 * * * *", "select 1");
    const clock = new Clock(new Date());
    const m = await monitor(clock, { SUPABASE_ACCESS_TOKEN: "" });
    const report = await m.auditAllProjects();
    assert.equal(report.notes.filter((n) => /SUPABASE_ACCESS_TOKEN/.test(n)).length, 1);
    assert.equal(report.projects[0]?.functions, null);
    assert.equal(report.projects[0]?.jobs, 1);
  });

  it("reports a rejected token as such, and still checks pg_cron", async () => {
    await resetCron(c);
    await scheduleJob(c, "plain", "*/5 * * * *", "select 1");
    const clock = new Clock(new Date());
    const bad = new ManagementApi({ accessToken: "sbp_wrongwrongwrongwrong", baseUrl: api.url, sleep: async () => {} });
    const result = await monitorWithHub(
      { SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "smoothed", JOBMON_PROJECT_REFS: REF },
      { now: clock.now, managementApi: bad },
    );
    hubs.push(result.hub);
    const report = await result.monitor.checkHealth();
    assert.equal(report.projects[0]?.status, "ok");
    assert.match(report.projects[0]?.warnings.join("\n") ?? "", /SUPABASE_ACCESS_TOKEN/);
    assert.match(report.projects[0]?.warnings.join("\n") ?? "", /reject|401|Unauthorized/i);
    assert.equal(report.jobs.find((j) => j.job_name === "plain")?.job_type, "pg_cron");
  });
});
