/**
 * pg_net outcomes across checks, against real PostgreSQL + pg_cron, with pg_net's response
 * table made by hand (test/harness/pgnet.ts) on a quiet cluster: every run and every response
 * is placed at an exact instant relative to the database clock, so the cases where a check
 * lands a few seconds after a run, or between two answers, are reproduced exactly. (The live
 * suite in test/supabase/ runs the same cases with a real pg_net worker.)
 *
 * A check reads pg_net's responses only up to 10 s before now (settle), so an answer that
 * comes right before a check is read by a later one.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import { insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { PG_NET_RESPONSE_TABLE } from "../harness/pgnet.js";
import { monitorWithHub, resetCron } from "../helpers/check.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "netcheck" });
let c: PgCronCluster;
const hubs: Db[] = [];
after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

const post = (url: string) => `select net.http_post(url := '${url}', body := '{}'::jsonb)`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The database clock, as the checks' reads see it. */
async function dbNow(): Promise<number> {
  const [row] = await c.sql<{ now: Date }>("select now() as now");
  return row!.now.getTime();
}

let nextResponseId = 1;
async function respond(createdMs: number, fields: { status_code?: number | null; content?: string; error_msg?: string }): Promise<void> {
  await c.sql(
    "insert into net._http_response (id, status_code, content_type, content, timed_out, error_msg, created) values ($1, $2, 'application/json', $3, false, $4, $5)",
    [nextResponseId++, fields.status_code === undefined ? 200 : fields.status_code, fields.content ?? null, fields.error_msg ?? null, new Date(createdMs)],
  );
}

async function run(jobid: number, startMs: number, status: "succeeded" | "failed" = "succeeded"): Promise<void> {
  await insertRun(c, { jobid, status, return_message: "1 row", start_time: new Date(startMs), end_time: new Date(startMs + 50) });
}

/** A monitor on the real clock (the database's: the responses' bounds are read on it). */
async function monitor() {
  const result = await monitorWithHub({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "netproj", JOBMON_PROJECT_TIMEOUT: "10s" });
  hubs.push(result.hub);
  return result.monitor;
}

const statusOf = (report: { jobs: { job_name: string; status: string; reason: string }[] }, name: string) => report.jobs.find((j) => j.job_name === name);

describe("pg_net outcomes across checks", () => {
  before(async () => {
    c = clusters()[0]!;
    await c.waitForLauncher();
    await c.sql(PG_NET_RESPONSE_TABLE);
  });
  beforeEach(async () => {
    await resetCron(c);
    await c.sql("delete from net._http_response");
  });

  it("keeps each job's request-to-response durations of its successful calls, apart from its runs'", async () => {
    const job = await scheduleJob(c, "timed", "*/30 * * * *", post("http://127.0.0.1:9/ok"));
    const mon = await monitor();
    const t0 = await dbNow();
    // Runs take 50 ms; the answers come 950 ms and 1,450 ms after the runs end; a failed call is not timed.
    await run(job, t0 - 130_000);
    await respond(t0 - 129_000, { status_code: 200 });
    await run(job, t0 - 70_000);
    await respond(t0 - 68_500, { status_code: 200 });
    await mon.checkHealth();
    const t1 = await dbNow();
    await run(job, t1 - 40_000);
    await respond(t1 - 39_000, { status_code: 500 });
    await mon.checkHealth();
    const [entry] = (await mon.status()).jobs;
    assert.deepEqual(entry?.durations?.net, { count: 2, window: 2, p50_ms: 950, p95_ms: 1450, max_ms: 1450 });
    assert.equal(entry?.durations?.runs?.p50_ms, 50);
  });

  it("reports a failure answered in the seconds before a check, at the next check (not lost)", async () => {
    const job = await scheduleJob(c, "pinger", "*/30 * * * *", post("http://127.0.0.1:9/fail"));
    const mon = await monitor();
    // An earlier run that succeeded and was answered, read by the first check.
    const t0 = await dbNow();
    await run(job, t0 - 70_000);
    await respond(t0 - 69_000, { status_code: 200 });
    const first = await mon.checkHealth();
    assert.equal(statusOf(first, "pinger")?.status, "success");

    // A run 3 s ago whose call failed 2 s ago: inside the settle window of the next check.
    const t1 = await dbNow();
    await run(job, t1 - 3_000);
    await respond(t1 - 2_000, { status_code: 500, content: '{"error":"upstream down"}' });
    const second = await mon.checkHealth();
    assert.equal(statusOf(second, "pinger")?.status, "success", "the answer is too recent to be read yet");

    // Later, with no new run: the answer is read, and matched to the run the previous check read.
    await sleep(9_000);
    const third = await mon.checkHealth();
    assert.equal(statusOf(third, "pinger")?.status, "failed");
    assert.match(statusOf(third, "pinger")?.reason ?? "", /HTTP 500 from the called URL \(internal server error\): \{"error":"upstream down"\}/);
    assert.deepEqual(third.projects[0]?.warnings, [], "no failure is left unattributed");
  });

  it("keeps a job failed while its latest known call failed (no flapping between checks)", async () => {
    const job = await scheduleJob(c, "always-fails", "*/30 * * * *", post("http://127.0.0.1:9/fail"));
    const mon = await monitor();
    const t0 = await dbNow();
    await run(job, t0 - 100_000);
    await respond(t0 - 99_000, { status_code: 500 });
    const first = await mon.checkHealth();
    assert.equal(statusOf(first, "always-fails")?.status, "failed");

    // A new run that pg_cron calls succeeded (the request was only queued); its answer is not in yet.
    await run(job, (await dbNow()) - 1_000);
    const second = await mon.checkHealth();
    assert.equal(statusOf(second, "always-fails")?.status, "failed", "the latest known call failed");
    assert.match(statusOf(second, "always-fails")?.reason ?? "", /^its latest pg_net call failed \(at .*\): HTTP 500 .*no newer call's answer has been read yet/);

    // Nothing new at all: still failed, and no event was emitted for it after the first.
    const third = await mon.checkHealth();
    assert.equal(statusOf(third, "always-fails")?.status, "failed");
    const events = [...second.events, ...third.events].filter((e) => e.job_name === "always-fails");
    assert.deepEqual(events, []);
  });

  it("recovers when a newer call is known to have succeeded", async () => {
    const job = await scheduleJob(c, "heals", "*/30 * * * *", post("http://127.0.0.1:9/x"));
    const mon = await monitor();
    const t0 = await dbNow();
    await run(job, t0 - 100_000);
    await respond(t0 - 99_000, { status_code: 503 });
    assert.equal(statusOf(await mon.checkHealth(), "heals")?.status, "failed");
    // A newer call, answered 200: the job is healthy again, and says so once.
    await run(job, t0 - 40_000);
    await respond(t0 - 39_000, { status_code: 200 });
    const healed = await mon.checkHealth();
    assert.equal(statusOf(healed, "heals")?.status, "success");
    assert.ok(healed.events.some((e) => e.job_name === "heals" && e.from === "failed" && e.to === "success"));
    const after = await mon.checkHealth();
    assert.equal(statusOf(after, "heals")?.status, "success");
    assert.deepEqual(after.events.filter((e) => e.job_name === "heals"), []);
  });

  it("on a first check, matches each response to the run that made it, not to another job's latest run", async () => {
    // a500 calls a URL that answers 500 every minute; closed calls a closed port every two minutes.
    const a500 = await scheduleJob(c, "a500", "* * * * *", post("http://127.0.0.1:9/fail"));
    const closed = await scheduleJob(c, "closed", "*/2 * * * *", post("http://127.0.0.1:1/"));
    const t = await dbNow();
    for (const ago of [240, 180, 120, 60]) {
      await run(a500, t - ago * 1000);
      await respond(t - ago * 1000 + 1_000, { status_code: 500, content: "boom" });
    }
    await run(closed, t - 150_000);
    await respond(t - 149_500, { status_code: null, error_msg: "Couldn't connect to server" });
    // a500's latest run is 3 s old: its answer is not read by this check.
    await run(a500, t - 3_000);

    const report = await (await monitor()).checkHealth();
    const a = statusOf(report, "a500");
    const b = statusOf(report, "closed");
    assert.equal(a?.status, "failed", "a500's own 500s are its own");
    assert.match(a?.reason ?? "", /HTTP 500 .*: boom/);
    assert.equal(b?.status, "failed");
    assert.match(b?.reason ?? "", /Couldn't connect to server/);
    assert.doesNotMatch(b?.reason ?? "", /HTTP 500/, "no 500 of a500's is blamed on closed");
    assert.deepEqual(report.projects[0]?.warnings, [], "every failure has its job");
  });

  it("does not blame a job whose run failed (its request was rolled back)", async () => {
    const ok = await scheduleJob(c, "posts-ok", "* * * * *", post("http://127.0.0.1:9/ok"));
    const broken = await scheduleJob(c, "broken", "* * * * *", post("http://127.0.0.1:9/x"));
    const t = await dbNow();
    await run(ok, t - 60_000);
    await run(broken, t - 60_000, "failed");
    await respond(t - 59_000, { status_code: 502 });
    const report = await (await monitor()).checkHealth();
    assert.match(statusOf(report, "posts-ok")?.reason ?? "", /HTTP 502 .*matched to this job by time/);
    assert.doesNotMatch(statusOf(report, "posts-ok")?.reason ?? "", /ambiguous/);
    assert.doesNotMatch(statusOf(report, "broken")?.reason ?? "", /HTTP 502/);
  });
});
