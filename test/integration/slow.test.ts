import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import { InvalidSettingError } from "../../src/hub/inventory.js";
import { insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { Clock, monitorWithHub, resetCron } from "../helpers/check.js";
import { freshHubDb, HUB_KINDS, type HubKind } from "../helpers/hub.js";

// Run durations and the `slow` status on a real pg_cron: the runs are inserted at exact
// instants into a quiet cluster (its launcher starts nothing), the clock is pinned.
const quiet = usePgCronClusters(1, { quiet: true, name: "slow" });
const hubs: Db[] = [];
after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

const TEN_MINUTES = 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** `n` successful runs of `job` every ten minutes from `from`, each taking `seconds`. */
async function history(c: PgCronCluster, job: number, from: string, n: number, seconds: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const start = Date.parse(from) + i * TEN_MINUTES;
    await insertRun(c, { jobid: job, status: "succeeded", return_message: "1 row", start_time: iso(start), end_time: iso(start + seconds * 1000) });
  }
}

/**
 * A job every ten minutes in project alpha, checked at 06:35 (its first check), then 20 runs
 * of 20 s (06:40 to 09:50) read by a check at 09:55: the history the rule needs. The
 * threshold is then max(3 × 20 s, 20 s + 1 min) = 80 s.
 */
async function watchedJob(c: PgCronCluster, name: string, kind: HubKind) {
  await resetCron(c);
  const job = await scheduleJob(c, name, "*/10 * * * *", "select 1");
  const clock = new Clock(new Date("2026-11-30T06:35:00Z"));
  const { db } = await freshHubDb(kind, () => c);
  const { monitor, hub } = await monitorWithHub({ SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha", JOBMON_PROJECT_TIMEOUT: "10s" }, { now: clock.now, hub: db });
  hubs.push(hub);
  await monitor.checkHealth();
  await history(c, job, "2026-11-30T06:40:00Z", 20, 20);
  clock.set("2026-11-30T09:55:00Z");
  const usual = await monitor.checkHealth();
  return { job, clock, monitor, hub, usual };
}

for (const kind of HUB_KINDS) describe(`slow: a run far longer than the job's usual durations (${kind} hub)`, () => {
  let c: PgCronCluster;
  before(async () => {
    c = quiet()[0]!;
    await c.waitForLauncher();
  });

  it("turns a job slow and back with an alert each way, a run still going is slow before it ends, and stuck wins", async () => {
    const { job, clock, monitor, hub, usual } = await watchedJob(c, "rollup", kind);
    assert.equal(usual.jobs[0]?.status, "success");
    const [status] = (await monitor.status()).jobs;
    assert.deepEqual(status?.durations, { runs: { count: 20, window: 20, p50_ms: 20_000, p95_ms: 20_000, max_ms: 20_000 }, net: null });

    // A run of 3 minutes: slow, announced.
    await insertRun(c, { jobid: job, status: "succeeded", return_message: "1 row", start_time: "2026-11-30T10:00:00Z", end_time: "2026-11-30T10:03:00Z" });
    clock.set("2026-11-30T10:04:00Z");
    const slow = await monitor.checkHealth();
    assert.equal(slow.jobs[0]?.status, "slow");
    assert.match(slow.jobs[0]?.reason ?? "", /^run \d+ took 3m 00s; usual p95 20s over 20 runs; slow above 1m 20s$/);
    assert.deepEqual(slow.events.map((e) => [e.type, e.from, e.to]), [["down", null, "slow"]]);
    const [event] = await hub.query<{ to_status: string; criticality: string }>("select to_status, criticality from monitoring.alert_event where check_id = $1", [slow.check_id]);
    assert.deepEqual(event, { to_status: "slow", criticality: "important" });

    // Nothing new: still slow, nothing said.
    clock.set("2026-11-30T10:06:00Z");
    const still = await monitor.checkHealth();
    assert.equal(still.jobs[0]?.status, "slow");
    assert.deepEqual(still.events, []);

    // A normal run: success, with a recovery notice.
    await insertRun(c, { jobid: job, status: "succeeded", return_message: "1 row", start_time: "2026-11-30T10:10:00Z", end_time: "2026-11-30T10:10:21Z" });
    clock.set("2026-11-30T10:11:00Z");
    const back = await monitor.checkHealth();
    assert.equal(back.jobs[0]?.status, "success");
    assert.deepEqual(back.events.map((e) => [e.type, e.from, e.to]), [["recovery", "slow", "success"]]);

    // A run still going past the threshold is slow before it ends …
    await insertRun(c, { jobid: job, status: "running", start_time: "2026-11-30T10:20:00Z" });
    clock.set("2026-11-30T10:22:00Z");
    const running = await monitor.checkHealth();
    assert.equal(running.jobs[0]?.status, "slow");
    assert.match(running.jobs[0]?.reason ?? "", /^run \d+ has been running for 2m 00s; usual p95 21s over 22 runs; slow above 1m 21s$/);
    // (p95 of 22 is the 21st: the 21-second run; the slow one is the 22nd, the max.)
    assert.deepEqual(running.events.map((e) => [e.type, e.to]), [["down", "slow"]]);
    // … and stuck once past the max runtime (30 minutes by default): stuck wins.
    clock.set("2026-11-30T10:51:00Z");
    const stuck = await monitor.checkHealth();
    assert.equal(stuck.jobs[0]?.status, "stuck");
    assert.deepEqual(stuck.events.map((e) => [e.type, e.from, e.to]), [["down", "slow", "stuck"]]);

    // The hub keeps 22 durations (the failed and unfinished runs never enter), the slow one included.
    const [row] = await hub.query<{ durations: { runs: { count: number; recent: number[] } } }>("select durations from monitoring.job_inventory where job_name = 'rollup'");
    assert.equal(row?.durations.runs.count, 22);
    assert.equal(row?.durations.runs.recent.length, 22);
  });

  it("honours --slow-factor and --slow-after set through updateJob, and refuses values out of range", async () => {
    const { job, clock, monitor } = await watchedJob(c, "export", kind);

    // Factor 0: the rule is off, a 3-minute run is fine.
    const off = await monitor.updateJob("alpha/export", { slow_factor: 0 });
    assert.equal(off.slow_factor, 0);
    await insertRun(c, { jobid: job, status: "succeeded", start_time: "2026-11-30T10:00:00Z", end_time: "2026-11-30T10:03:00Z" });
    clock.set("2026-11-30T10:04:00Z");
    assert.equal((await monitor.checkHealth()).jobs[0]?.status, "success");

    // An absolute threshold of 30 s: a 40-second run is slow, whatever the durations say.
    const absolute = await monitor.updateJob("alpha/export", { slow_factor: null, slow_after_seconds: 30 });
    assert.deepEqual([absolute.slow_factor, absolute.slow_after_seconds], [null, 30]);
    await insertRun(c, { jobid: job, status: "succeeded", start_time: "2026-11-30T10:10:00Z", end_time: "2026-11-30T10:10:40Z" });
    clock.set("2026-11-30T10:11:00Z");
    const slow = await monitor.checkHealth();
    assert.equal(slow.jobs[0]?.status, "slow");
    assert.match(slow.jobs[0]?.reason ?? "", /^run \d+ took 40s; slow after 30s, set for this job; usual p95 20s over 21 runs$/);
    assert.deepEqual(slow.events.map((e) => [e.type, e.to]), [["down", "slow"]]);

    // A factor of 10 over a p95 of 20 s: 200 s; a 40-second run is normal again.
    await monitor.updateJob("alpha/export", { slow_factor: 10, slow_after_seconds: null });
    await insertRun(c, { jobid: job, status: "succeeded", start_time: "2026-11-30T10:20:00Z", end_time: "2026-11-30T10:20:40Z" });
    clock.set("2026-11-30T10:21:00Z");
    const normal = await monitor.checkHealth();
    assert.equal(normal.jobs[0]?.status, "success");
    assert.deepEqual(normal.events.map((e) => [e.type, e.from, e.to]), [["recovery", "slow", "success"]]);

    for (const patch of [{ slow_factor: -1 }, { slow_factor: 101 }, { slow_after_seconds: 0 }]) {
      await assert.rejects(monitor.updateJob("alpha/export", patch), InvalidSettingError, JSON.stringify(patch));
    }
  });
});
