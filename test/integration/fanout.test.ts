import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { migrate } from "../../src/hub/migrate.js";
import { MonitoringAPI } from "../../src/monitor.js";
import { FakeHttpServer, type FakeReply, type RecordedRequest } from "../fakes/http-server.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.js";
import { insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { runCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

// The hub: a cluster of the pinned set (pg_cron 1.6.4, pg_net 0.11.0, pgmq 1.4.4 available),
// its `postgres` database as on Supabase (pg_net works there). The projects: a quiet cluster,
// named N times (projects may share a cluster: what counts is connections, rows and jobs).
const hubs = usePgCronClusters(1, { set: "pinned", name: "fanout-hub", settings: { max_connections: 60 } });
const sources = usePgCronClusters(1, { quiet: true, name: "fanout-src", settings: { max_connections: 60 } });
const SECRET = "fanout-test-secret-0123456789";

/** Stands in for the functions gateway: records the worker calls pg_net makes, answers 200. */
class FunctionCalls extends FakeHttpServer {
  constructor() {
    super();
  }
  protected handle(_request: RecordedRequest): FakeReply {
    return { status: 200, body: { worker: "idle" } };
  }
}

describe("a fanned-out check cycle (pgmq queue, per-cycle claims, pg_net workers)", () => {
  let hubCluster: PgCronCluster;
  let src: PgCronCluster;
  let hub: Db;
  let calls: FunctionCalls;
  let discord: FakeDiscord;
  let heartbeat: FunctionCalls;
  const projectNames = Array.from({ length: 7 }, (_, i) => `p${i + 1}`);

  before(async () => {
    hubCluster = hubs()[0]!;
    src = sources()[0]!;
    await src.waitForLauncher();
    await hubCluster.sql("create extension if not exists pgmq");
    hub = postgresDb(hubCluster.url, { max: 6 });
    await migrate(hub);
    calls = await new FunctionCalls().listen();
    heartbeat = await new FunctionCalls().listen();
    discord = await startFakeDiscord();
    const failing = await scheduleJob(src, "nightly-export", "0 3 * * *", "select 1");
    await scheduleJob(src, "refresh", "0 0 1 1 *", "select 2");
    await insertRun(src, { jobid: failing, status: "failed", return_message: "ERROR:  disk full", start_time: new Date(Date.now() - 60_000), end_time: new Date(Date.now() - 59_000) });
  });
  after(async () => {
    await hub?.close();
    await calls?.close();
    await heartbeat?.close();
    await discord?.close();
  });

  function env(extra: Record<string, string> = {}): Record<string, string> {
    const e: Record<string, string> = {
      JOBMON_HUB_URL: hubCluster.url,
      JOBMON_PROJECT_NAMES: projectNames.join(","),
      JOBMON_FANOUT: "on",
      JOBMON_FANOUT_BATCH: "3",
      JOBMON_PROJECT_TIMEOUT: "5s",
      DISCORD_WEBHOOK_URL: discord.webhookUrl,
      JOBMON_HEARTBEAT_URL: `${heartbeat.baseUrl}/ping`,
      ...extra,
    };
    projectNames.forEach((_, i) => (e[i === 0 ? "SUPABASE_POSTGRES_URL" : `SUPABASE_POSTGRES_URL_${i + 1}`] = src.url));
    return e;
  }
  const monitor = (extra: Record<string, string> = {}) => new MonitoringAPI({ env: env(extra), hub, deliver: { minIntervalMs: { discord: 0 } } });
  const call = () => ({ functionsUrl: calls.baseUrl, bearer: SECRET });

  it("plans batches into the queue, starts one worker per batch through pg_net, and checks every project exactly once though a worker died", async () => {
    const m = monitor();
    const plan = await m.planCheckCycle(call());
    assert.equal(plan.kind, "planned");
    if (plan.kind !== "planned") return;
    assert.deepEqual([plan.projects, plan.batches, plan.workers], [7, 3, 3]);

    // pg_net (the hub's background worker) posted the three worker calls, with the bearer.
    await waitFor("three worker calls through pg_net", 20_000, async () => (calls.requests.length >= 3 ? true : undefined));
    assert.equal(calls.requests.length, 3);
    for (const r of calls.requests) {
      assert.equal(r.path, "/functions/v1/check-job-health");
      assert.equal(r.headers.authorization, `Bearer ${SECRET}`);
      assert.deepEqual(r.json, { worker: true, cycle: plan.cycle });
    }

    // A `jobmon check` meanwhile is told a check runs: the cycle holds the lease.
    const cli = await monitor().checkHealth();
    assert.match(cli.skipped ?? "", /another check is running/);

    // Worker 1 dies after claiming its batch: it read the message and claimed, then vanished.
    const [dead] = await hub.query<{ msg_id: number; message: { batch: number; projects: { name: string }[] } }>("select msg_id, message from pgmq.read('jobmon_check', 60, 1)");
    assert.ok(dead);
    const deadNames = dead.message.projects.map((p) => p.name);
    await hub.query(
      "update monitoring.check_cycle_project set claimed_by = 'dead', claimed_until = now() + interval '60 seconds', claims = claims + 1 where cycle_id = $1 and project_name in (select jsonb_array_elements_text($2::text::jsonb))",
      [plan.cycle, JSON.stringify(deadNames)],
    );

    // Workers 2 and 3 check the other batches; a fourth finds nothing visible.
    const w2 = await m.runCycleWorker({ workerId: "w2" });
    const w3 = await m.runCycleWorker({ workerId: "w3" });
    assert.equal(w2.kind, "checked");
    assert.equal(w3.kind, "checked");
    assert.equal((await m.runCycleWorker({ workerId: "w4" })).kind, "idle");
    assert.ok(w2.kind === "checked" && !w2.completed && w3.kind === "checked" && !w3.completed, "the dead worker's batch is still unchecked");
    const progress = (await m.cycles(1))[0]!;
    assert.deepEqual([progress.status, progress.checked, progress.claimed], ["running", 4, 3]);

    // The resume function sees nothing to do while the dead worker's message is hidden.
    const [{ calls: none }] = (await hub.query<{ calls: number }>("select monitoring.resume_check_cycles($1, $2, 20, 0) as calls", [calls.baseUrl, SECRET])) as [{ calls: number }];
    assert.equal(none, 0);

    // Time passes: the dead worker's message and claims run out (moved by hand, not slept).
    await hub.query("update pgmq.q_jobmon_check set vt = now() - interval '1 second' where msg_id = $1", [dead.msg_id]);
    await hub.query("update monitoring.check_cycle_project set claimed_until = now() - interval '1 second' where claimed_by = 'dead'");
    const before = calls.requests.length;
    const [{ calls: one }] = (await hub.query<{ calls: number }>("select monitoring.resume_check_cycles($1, $2, 20, 0) as calls", [calls.baseUrl, SECRET])) as [{ calls: number }];
    assert.equal(one, 1, "one worker started for the message that is visible again");
    await waitFor("the resumed worker's call", 20_000, async () => (calls.requests.length > before ? true : undefined));
    assert.deepEqual(calls.requests.at(-1)?.json, { worker: true });

    const w5 = await m.runCycleWorker({ workerId: "w5" });
    assert.equal(w5.kind, "checked");
    if (w5.kind !== "checked") return;
    assert.equal(w5.reads, 2, "the message was read before, by the worker that died");
    assert.deepEqual(w5.checked.sort(), deadNames.sort());
    assert.equal(w5.completed, true);
    assert.equal(w5.heartbeat, "ok");
    assert.equal(heartbeat.requests.length, 1, "the heartbeat is pinged once, when the whole cycle completes");

    // Every project checked exactly once in the cycle: one check id each, and one health-log
    // row per job per project, across the workers' check runs.
    const rows = await hub.query<{ project_name: string; checked: boolean; check_id: string | null }>(
      "select project_name, checked_at is not null as checked, check_id::text from monitoring.check_cycle_project where cycle_id = $1 order by project_name",
      [plan.cycle],
    );
    assert.deepEqual(rows.map((r) => [r.project_name, r.checked]), projectNames.map((n) => [n, true]));
    const checkIds = [...new Set(rows.map((r) => r.check_id))];
    assert.equal(checkIds.length, 3, "three batches recorded, by three workers");
    const perProject = await hub.query<{ project_name: string; n: number }>(
      `select j.project_name, count(*)::int as n from monitoring.job_health_log l join monitoring.job_inventory j on j.id = l.job_inventory_id
        where l.check_id::text in (select jsonb_array_elements_text($1::text::jsonb)) and l.run_id is null group by j.project_name order by 1`,
      [JSON.stringify(checkIds)],
    );
    assert.deepEqual(perProject.map((r) => [r.project_name, r.n]), projectNames.map((n) => [n, 2]));

    // Every alert event delivered exactly once.
    const events = await hub.query<{ id: string }>(
      "select id::text from monitoring.alert_event where check_id::text in (select jsonb_array_elements_text($1::text::jsonb))",
      [JSON.stringify(checkIds)],
    );
    assert.equal(events.length, 7, "nightly-export failed in each of the 7 projects");
    const deliveries = await hub.query<{ event_id: string; n: number }>(
      "select event_id::text, count(*)::int as n from monitoring.alert_delivery where status = 'delivered' group by event_id",
    );
    assert.deepEqual(new Set(deliveries.map((d) => d.event_id)), new Set(events.map((e) => e.id)));
    assert.ok(deliveries.every((d) => d.n === 1));
    const embeds = discord.messages.flatMap((msg) => msg.embeds.map((e) => JSON.stringify(e)));
    for (const name of projectNames) assert.equal(embeds.filter((e) => e.includes(`${name} / nightly-export`)).length, 1, `${name}'s alert sent once`);

    // The cycle's report, in check --json's shape.
    const report = await m.cycleReport(plan.cycle);
    assert.ok(report && "cycle" in report);
    const cycle = (report as { cycle: { status: string; checked: number; claims: number; unchecked: string[] } }).cycle;
    assert.deepEqual([cycle.status, cycle.checked, cycle.claims, cycle.unchecked], ["completed", 7, 10, []]);
    assert.equal(report.projects.length, 7);
    assert.equal(report.jobs.length, 14);
    assert.equal(report.jobs.filter((j) => j.status === "failed").length, 7);
    assert.equal(report.events.length, 7);

    // The lease is free again: the next CLI check runs.
    assert.equal((await monitor().checkHealth({ dryRun: true })).skipped, undefined);
  });

  it("does not check a batch again when its worker recorded it but died before archiving the message", async () => {
    const m = monitor();
    const plan = await m.planCheckCycle(call());
    assert.equal(plan.kind, "planned");
    if (plan.kind !== "planned") return;
    const first = await m.runCycleWorker({ workerId: "a" });
    assert.equal(first.kind, "checked");
    if (first.kind !== "checked") return;
    // The same batch's message, back in the queue as if the archive had never happened (the
    // other batches are kept hidden meanwhile, so the next worker reads it).
    await hub.query("update pgmq.q_jobmon_check set vt = now() + interval '1 hour' where message->>'cycle' = $1", [plan.cycle]);
    await hub.query("select pgmq.send('jobmon_check', message) from pgmq.a_jobmon_check where message->>'cycle' = $1 and (message->>'batch')::int = $2", [plan.cycle, first.batch]);
    const logBefore = await hub.query<{ n: number }>("select count(*)::int as n from monitoring.job_health_log");
    const again = await m.runCycleWorker({ workerId: "b" });
    assert.equal(again.kind, "checked");
    if (again.kind !== "checked") return;
    assert.equal(again.batch, first.batch);
    assert.deepEqual(again.checked, []);
    assert.deepEqual(again.alreadyChecked.sort(), first.checked.sort());
    const logAfter = await hub.query<{ n: number }>("select count(*)::int as n from monitoring.job_health_log");
    assert.equal(logAfter[0]!.n, logBefore[0]!.n, "nothing recorded for a batch already checked");
    assert.equal((await hub.query("select 1 from pgmq.q_jobmon_check where message->>'cycle' = $1 and (message->>'batch')::int = $2", [plan.cycle, first.batch])).length, 0, "its message archived");

    await hub.query("update pgmq.q_jobmon_check set vt = now() where message->>'cycle' = $1", [plan.cycle]);
    while ((await m.runCycleWorker()).kind !== "idle");
    assert.equal((await m.cycles(1))[0]!.status, "completed");
  });

  it("closes a cycle at its deadline, reports the projects no worker checked, and alerts them once", async () => {
    const m = monitor();
    const plan = await m.planCheckCycle(call());
    assert.equal(plan.kind, "planned");
    if (plan.kind !== "planned") return;
    await m.runCycleWorker({ workerId: "only" });
    // Its deadline passes with two batches unchecked.
    await hub.query("update monitoring.check_cycle set deadline = now() - interval '1 second' where id = $1", [plan.cycle]);
    const sent = discord.messages.length;
    const w = await m.runCycleWorker({ workerId: "late" });
    assert.equal(w.kind, "idle", "the cycle's messages were archived when it closed");
    assert.equal(w.closed.length, 1);
    assert.equal(w.closed[0]!.summary.unchecked.length, 4);
    const cycle = (await m.cycles(1))[0]!;
    assert.equal(cycle.status, "incomplete");
    const alert = discord.messages.slice(sent).map((msg) => JSON.stringify(msg.payload)).join("\n");
    assert.match(alert, /4 project\(s\) unchecked/);
    for (const name of w.closed[0]!.summary.unchecked) assert.match(alert, new RegExp(`\\b${name}\\b`));
    const report = (await m.cycleReport(plan.cycle))!;
    assert.equal(report.projects.filter((p) => p.status === "unknown" && /no worker reached it/.test(p.reason)).length, 4);
    // Closed once: a second look finds nothing more to close, and sends nothing more.
    assert.equal((await m.runCycleWorker()).closed.length, 0);
    assert.equal(discord.messages.slice(sent).length, 1);
    // `jobmon cycles` shows it (the CLI reads the same hub), and its report.
    const listed = await runCli(["cycles"], { env: { JOBMON_HUB_URL: hubCluster.url } });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /incomplete\W+3\/7\W+3 \(3 started\)/);
    assert.match(listed.stdout, new RegExp(`4 unchecked: ${w.closed[0]!.summary.unchecked.join(", ")}`));
    const cliReport = await runCli(["cycles", "--report", plan.cycle], { env: { JOBMON_HUB_URL: hubCluster.url } });
    assert.equal(cliReport.code, 0, cliReport.stderr);
    assert.deepEqual(JSON.parse(cliReport.stdout).cycle.unchecked, w.closed[0]!.summary.unchecked);
    const bad = await runCli(["cycles", "--report", "yesterday"], { env: { JOBMON_HUB_URL: hubCluster.url } });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--report takes a cycle id/);

    // The lease was released: the next cycle plans.
    assert.equal((await m.planCheckCycle(call())).kind, "planned");
    while ((await m.runCycleWorker()).kind !== "idle");
  });

  it("checks in one invocation, and says how to enable Supabase Queues, when the hub has no pgmq", async () => {
    await hubCluster.sql("create database nopgmq");
    const db = postgresDb(hubCluster.urlFor({ database: "nopgmq" }), { max: 2 });
    try {
      const m = new MonitoringAPI({ env: env({ JOBMON_HUB_URL: hubCluster.urlFor({ database: "nopgmq" }) }), hub: db });
      const plan = await m.planCheckCycle(call());
      assert.equal(plan.kind, "single");
      assert.match(plan.kind === "single" ? (plan.note ?? "") : "", /Supabase Queues .*create extension pgmq/);
      // With JOBMON_FANOUT=auto and few projects, no note: one invocation is what suits them.
      const auto = await new MonitoringAPI({ env: env({ JOBMON_FANOUT: "auto" }), hub: db }).planCheckCycle(call());
      assert.deepEqual(auto, { kind: "single", note: null });
      // Past the size where fan-out starts, the automatic mode says what it is missing.
      await db.query("insert into monitoring.job_inventory (project_name, job_type, job_name) select 'big', 'pg_cron', 'job-' || g from generate_series(1, 2001) g");
      const big = await new MonitoringAPI({ env: env({ JOBMON_FANOUT: "auto" }), hub: db }).planCheckCycle(call());
      assert.equal(big.kind, "single");
      assert.match(big.kind === "single" ? (big.note ?? "") : "", /^2001 jobs are more than one invocation checks well; fan-out needs Supabase Queues/);
    } finally {
      await db.close();
    }
  });
});
