import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  addDurations,
  DURATION_WINDOW,
  durationsAfter,
  durationsView,
  type DurationWindow,
  formatMs,
  jobDurations,
  judgeSlow,
  percentiles,
  type SlowSettings,
  slowThreshold,
} from "../../src/health/durations.js";
import { evaluateJob, type JobFacts, type RunFact } from "../../src/health/evaluate.js";
import { transition } from "../../src/health/transitions.js";

const at = (iso: string) => new Date(iso);
const project = { pgCronVersion: "1.6", timezone: "GMT" };
const MINUTE = 60_000;
const DEFAULTS: SlowSettings = { slowFactor: null, slowAfterSeconds: null };

/** `n` runs of `ms` each, as the hub would keep them. */
function history(n: number, ms: number | ((i: number) => number)): DurationWindow {
  return addDurations(undefined, Array.from({ length: n }, (_, i) => (typeof ms === "number" ? ms : ms(i)))) as DurationWindow;
}

/** A run that started at `start` and took `ms` (still running when `ms` is null). */
function run(runid: number, start: string, ms: number | null, status = ms === null ? "running" : "succeeded"): RunFact {
  const startTime = at(start);
  return { runid, status, startTime, endTime: ms === null ? null : new Date(startTime.getTime() + ms), message: null, seenAt: startTime };
}

function job(facts: Partial<JobFacts>, runs: DurationWindow | undefined, settings = DEFAULTS, previouslySlow: string | null = null): JobFacts {
  return {
    schedule: "0 * * * *",
    active: true,
    expectedSince: at("2026-11-01T00:00:00Z"),
    graceSeconds: null,
    maxRuntimeSeconds: null,
    lastFinishedRun: null,
    runs: [],
    durations: { runs, settings, previouslySlow },
    ...facts,
  };
}

describe("durations: the bounded window", () => {
  it("keeps at most DURATION_WINDOW durations, the latest, and counts every one", () => {
    let window: DurationWindow | undefined;
    for (let i = 0; i < 1_000; i++) window = addDurations(window, [i]);
    assert.equal(window?.recent.length, DURATION_WINDOW);
    assert.equal(window?.count, 1_000);
    assert.equal(window?.recent[0], 800);
    assert.equal(window?.recent.at(-1), 999);
    assert.equal(window?.max, 999);
    // One batch larger than the window keeps its tail.
    const batch = addDurations(undefined, Array.from({ length: 450 }, (_, i) => i));
    assert.deepEqual([batch?.recent.length, batch?.count, batch?.recent[0]], [200, 450, 250]);
    // The stored JSON is bounded too: 200 integers.
    assert.ok(JSON.stringify(window).length < 2_000, String(JSON.stringify(window).length));
  });

  it("gives nearest-rank p50, p95 and max", () => {
    assert.deepEqual(percentiles([]), { p50: 0, p95: 0, max: 0 });
    assert.deepEqual(percentiles([5]), { p50: 5, p95: 5, max: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.deepEqual(percentiles(hundred), { p50: 50, p95: 95, max: 100 });
    // p95 of 20 runs is the 19th: one outlier does not move it.
    assert.deepEqual(percentiles([...Array.from({ length: 19 }, () => 1000), 60_000]), { p50: 1000, p95: 1000, max: 60_000 });
  });

  it("adds nothing for no new durations and returns the same window", () => {
    const w = history(3, 10);
    assert.equal(addDurations(w, []), w);
    assert.equal(addDurations(undefined, []), undefined);
  });

  it("reads what the hub holds, and anything else as nothing kept", () => {
    assert.deepEqual(jobDurations(null), {});
    assert.deepEqual(jobDurations({ runs: { recent: "x" } }), {});
    const stored = JSON.parse(JSON.stringify(durationsAfter({}, [1000, 3000], [200], "run 9 took 1m 00s"))) as unknown;
    const read = jobDurations(stored);
    assert.deepEqual(read.runs?.recent, [1000, 3000]);
    assert.equal(read.net?.count, 1);
    assert.equal(read.slow, "run 9 took 1m 00s");
    assert.deepEqual(durationsView(stored), {
      runs: { count: 2, window: 2, p50_ms: 1000, p95_ms: 3000, max_ms: 3000 },
      net: { count: 1, window: 1, p50_ms: 200, p95_ms: 200, max_ms: 200 },
    });
    assert.deepEqual(durationsView({}), { runs: null, net: null });
  });

  it("keeps runs and pg_net calls apart, and forgets `slow` once a run was not", () => {
    const after = durationsAfter({ runs: history(2, 10), slow: "x" }, [20], [5, 6], null);
    assert.deepEqual(after.runs?.recent, [10, 10, 20]);
    assert.deepEqual(after.net?.recent, [5, 6]);
    assert.equal(after.slow, undefined);
  });

  it("formats durations as the reasons give them", () => {
    assert.equal(formatMs(850), "850ms");
    assert.equal(formatMs(42_000), "42s");
    assert.equal(formatMs(63_000), "1m 03s");
    assert.equal(formatMs(852_000), "14m 12s");
    assert.equal(formatMs(7_500_000), "2h 5m");
  });
});

describe("slowThreshold: max(factor × p95, p95 + floor) once 20 runs are known", () => {
  it("needs at least 20 successful runs", () => {
    assert.equal(slowThreshold(undefined, DEFAULTS), null);
    assert.equal(slowThreshold(history(19, MINUTE), DEFAULTS), null);
    assert.equal(slowThreshold(history(20, MINUTE), DEFAULTS)?.ms, 3 * MINUTE);
  });

  it("uses the factor for long jobs and the one-minute floor for short ones", () => {
    assert.equal(slowThreshold(history(50, 10 * MINUTE), DEFAULTS)?.ms, 30 * MINUTE);
    assert.equal(slowThreshold(history(50, 2_000), DEFAULTS)?.ms, 62_000);
    assert.equal(slowThreshold(history(50, 10 * MINUTE), { slowFactor: 1.5, slowAfterSeconds: null })?.ms, 15 * MINUTE);
    assert.equal(slowThreshold(history(50, 10 * MINUTE), { slowFactor: 1, slowAfterSeconds: null })?.ms, 11 * MINUTE);
  });

  it("takes an absolute threshold without any history, and factor 0 turns the rule off", () => {
    assert.equal(slowThreshold(undefined, { slowFactor: null, slowAfterSeconds: 600 })?.ms, 600_000);
    assert.match(slowThreshold(undefined, { slowFactor: null, slowAfterSeconds: 600 })?.basis() ?? "", /^slow after 10m 00s, set for this job$/);
    assert.equal(slowThreshold(history(50, MINUTE), { slowFactor: 0, slowAfterSeconds: null }), null);
    assert.equal(slowThreshold(history(50, MINUTE), { slowFactor: 0, slowAfterSeconds: 600 }), null);
  });

  it("says the figures: the usual p95 and how many runs it is over", () => {
    const t = slowThreshold(history(312, (i) => (i % 2 ? 63_000 : 30_000)), DEFAULTS);
    assert.equal(t?.basis(), "usual p95 1m 03s over the latest 200 of 312 runs; slow above 3m 09s");
    assert.equal(slowThreshold(history(20, 63_000), DEFAULTS)?.basis(), "usual p95 1m 03s over 20 runs; slow above 3m 09s");
  });
});

describe("judgeSlow", () => {
  const threshold = slowThreshold(history(312, 63_000), DEFAULTS);
  const now = at("2026-11-30T10:30:00Z");

  it("judges the latest finished run, and a normal one clears an earlier slow one", () => {
    const slow = judgeSlow({ threshold, finished: [run(1, "2026-11-30T10:00:00Z", 852_000)], open: [], now, previouslySlow: null });
    assert.equal(slow.finding?.reason, "run 1 took 14m 12s; usual p95 1m 03s over the latest 200 of 312 runs; slow above 3m 09s");
    assert.equal(slow.latestSlow, slow.finding?.reason);
    const normal = judgeSlow({ threshold, finished: [run(1, "2026-11-30T10:00:00Z", 852_000), run(2, "2026-11-30T10:20:00Z", 60_000)], open: [], now, previouslySlow: "x" });
    assert.deepEqual(normal, { finding: null, latestSlow: null });
  });

  it("keeps the previous slow run while no newer run has finished", () => {
    const kept = judgeSlow({ threshold, finished: [], open: [], now, previouslySlow: "run 1 took 14m 12s" });
    assert.equal(kept.finding?.reason, "run 1 took 14m 12s");
    assert.equal(kept.latestSlow, "run 1 took 14m 12s");
  });

  it("does not judge a failed run (failed says more, and never enters the durations)", () => {
    const failed = judgeSlow({ threshold, finished: [run(1, "2026-11-30T10:00:00Z", 852_000, "failed")], open: [], now, previouslySlow: null });
    assert.deepEqual(failed, { finding: null, latestSlow: null });
  });

  it("calls a run still going slow once it is past the threshold", () => {
    const young = judgeSlow({ threshold, finished: [], open: [run(5, "2026-11-30T10:28:00Z", null)], now, previouslySlow: null });
    assert.equal(young.finding, null);
    const old = judgeSlow({ threshold, finished: [], open: [run(5, "2026-11-30T10:20:00Z", null)], now, previouslySlow: null });
    assert.equal(old.finding?.running, true);
    assert.match(old.finding?.reason ?? "", /^run 5 has been running for 10m 00s; usual p95 1m 03s/);
  });
});

describe("evaluateJob: the slow verdict", () => {
  const usual = history(40, 63_000);
  const now = at("2026-11-30T10:30:00Z");

  it("is slow when the latest run took more than max(3 × p95, p95 + 1m)", () => {
    const v = evaluateJob(job({ runs: [run(7, "2026-11-30T10:10:00Z", 190_000)] }, usual), project, now);
    assert.equal(v.status, "slow");
    assert.equal(v.reason, "run 7 took 3m 10s; usual p95 1m 03s over 40 runs; slow above 3m 09s");
    assert.equal(v.runAt?.toISOString(), "2026-11-30T10:10:00.000Z");
    assert.equal(v.latestSlow, v.reason);
    assert.equal(evaluateJob(job({ runs: [run(7, "2026-11-30T10:10:00Z", 189_000)] }, usual), project, now).status, "success");
  });

  it("is never slow before 20 runs of history, nor with factor 0", () => {
    const runs = [run(7, "2026-11-30T10:10:00Z", 3_600_000 - 1)];
    assert.equal(evaluateJob(job({ runs, maxRuntimeSeconds: 7200 }, history(19, 1000)), project, now).status, "success");
    assert.equal(evaluateJob(job({ runs, maxRuntimeSeconds: 7200 }, usual, { slowFactor: 0, slowAfterSeconds: null }), project, now).status, "success");
    assert.equal(evaluateJob(job({ runs, maxRuntimeSeconds: 7200 }, usual, { slowFactor: 0, slowAfterSeconds: 60 }), project, now).status, "success");
  });

  it("honours the per-job overrides: a factor, and an absolute threshold", () => {
    const runs = [run(7, "2026-11-30T10:10:00Z", 150_000)];
    assert.equal(evaluateJob(job({ runs }, usual), project, now).status, "success");
    assert.equal(evaluateJob(job({ runs }, usual, { slowFactor: 2, slowAfterSeconds: null }), project, now).status, "slow");
    const absolute = evaluateJob(job({ runs }, history(3, 1000), { slowFactor: null, slowAfterSeconds: 120 }), project, now);
    assert.equal(absolute.status, "slow");
    assert.equal(absolute.reason, "run 7 took 2m 30s; slow after 2m 00s, set for this job; usual p95 1s over 3 runs");
  });

  it("reports a run still going slow before it ends, and stuck wins past the max runtime", () => {
    const slow = evaluateJob(job({ runs: [run(8, "2026-11-30T10:20:00Z", null)], lastFinishedRun: run(6, "2026-11-30T10:15:00Z", 60_000) }, usual), project, now);
    assert.equal(slow.status, "slow");
    assert.match(slow.reason, /^run 8 has been running for 10m 00s; usual p95 1m 03s over 40 runs; slow above 3m 09s$/);
    const stuck = evaluateJob(job({ runs: [run(8, "2026-11-30T09:50:00Z", null)], maxRuntimeSeconds: 1800 }, usual), project, now);
    assert.equal(stuck.status, "stuck");
  });

  it("lets failed and missed win over slow", () => {
    const failed = evaluateJob(job({ runs: [run(7, "2026-11-30T10:00:00Z", 900_000), run(8, "2026-11-30T10:25:00Z", 1000, "failed")] }, usual), project, now);
    assert.equal(failed.status, "failed");
    const missed = evaluateJob(job({ lastFinishedRun: run(6, "2026-11-30T08:00:00Z", 60_000) }, usual, DEFAULTS, "run 6 took 20m 00s"), project, now);
    assert.equal(missed.status, "missed");
  });

  it("stays slow while no newer run finished, and is success once a normal run finished", () => {
    const kept = evaluateJob(job({ lastFinishedRun: run(7, "2026-11-30T10:25:00Z", 900_000) }, usual, DEFAULTS, "run 7 took 15m 00s"), project, now);
    assert.deepEqual([kept.status, kept.reason], ["slow", "run 7 took 15m 00s"]);
    const normal = evaluateJob(job({ runs: [run(9, "2026-11-30T10:25:00Z", 60_000)] }, usual, DEFAULTS, "run 7 took 15m 00s"), project, now);
    assert.equal(normal.status, "success");
    assert.equal(normal.latestSlow, null);
  });

  it("is announced as a down status, and recovery follows a normal run", () => {
    const down = transition({ state: { status: "success", statusSince: now, downSince: null, alertedStatus: null, alertedAt: null }, status: "slow", now });
    assert.equal(down.event?.type, "down");
    const back = transition({ state: down.next, status: "success", now: at("2026-11-30T10:45:00Z") });
    assert.equal(back.event?.type, "recovery");
    assert.equal(back.event?.type === "recovery" ? back.event.downSeconds : null, 900);
  });
});
