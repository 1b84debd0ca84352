import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { judgeNetCalls, type NetCallsInput, netCallsState } from "../../src/health/net-calls.js";
import type { PgNetResponse } from "../../src/sources/pgnet.js";

const T0 = new Date("2026-11-30T12:00:00Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
let nextId = 1;
function response(created: Date, status: number | null = 200, error_msg: string | null = null): PgNetResponse {
  const failed = (status !== null && status >= 400) || error_msg !== null;
  return { id: nextId++, created, status_code: status, timed_out: false, error_msg, content_type: null, content: null, content_truncated: false, failed };
}
const calls = new Map<number, string[]>([[1, []], [2, []]]);
const run = (jobid: number, runid: number, s: number) => ({ jobid, runid, start: at(s), end: at(s + 0.05) });
const base = (over: Partial<NetCallsInput>): NetCallsInput => ({ calls, runs: [], state: { runs: [], latest: {} }, read: null, windowMs: 20_000, firstCheck: false, ...over });

describe("judgeNetCalls", () => {
  test("carries the runs whose answers may still come, and matches them at the next check", () => {
    // Check 1 at +5 s reads responses up to -5 s: the run at 0 has no answer yet.
    const first = judgeNetCalls(base({ runs: [run(1, 10, 0)], read: { responses: [], upper: at(-5) } }));
    assert.deepEqual(first.state.runs.map((r) => r.runid), [10]);
    assert.equal(first.byJob.size, 0);
    // Check 2 reads no new run, but the answer to run 10.
    const second = judgeNetCalls(base({ state: first.state, read: { responses: [response(at(1), 500)], upper: at(30) } }));
    assert.equal(second.byJob.get(1)?.failure?.fresh, true);
    assert.match(second.byJob.get(1)?.failure?.reason ?? "", /^its pg_net call failed .*HTTP 500 from the called URL \(internal server error\)/);
    assert.deepEqual(second.unattributedFailures, []);
    // Run 10's window (end + 20 s) is behind the bound read up to: it is not carried further.
    assert.deepEqual(second.state.runs, []);
  });

  test("keeps the latest known call until a newer one is read, counting failed calls in a row", () => {
    const s1 = judgeNetCalls(base({ runs: [run(1, 10, 0)], read: { responses: [response(at(1), 503)], upper: at(40) } }));
    assert.equal(s1.state.latest["1"]?.streak, 1);
    const s2 = judgeNetCalls(base({ state: s1.state, runs: [run(1, 11, 60)], read: { responses: [], upper: at(55) } }));
    assert.equal(s2.byJob.get(1)?.failure?.fresh, false);
    assert.match(s2.byJob.get(1)?.failure?.reason ?? "", /^its latest pg_net call failed \(at 2026-11-30T12:00:01Z\): HTTP 503 .*no newer call's answer has been read yet$/);
    const s3 = judgeNetCalls(base({ state: s2.state, read: { responses: [response(at(61), 500)], upper: at(100) } }));
    assert.equal(s3.byJob.get(1)?.failure?.streak, 2);
    const s4 = judgeNetCalls(base({ state: s3.state, runs: [run(1, 12, 120)], read: { responses: [response(at(121), 200)], upper: at(160) } }));
    assert.equal(s4.byJob.get(1)?.failure, null);
    assert.equal(s4.state.latest["1"]?.failed, false);
    assert.equal(s4.state.latest["1"]?.streak, 0);
  });

  test("on a first check only each job's latest call counts", () => {
    const runs = [run(1, 1, 0), run(1, 2, 60), run(1, 3, 120)];
    const responses = [response(at(1), 500), response(at(61), 500), response(at(121), 200)];
    const judged = judgeNetCalls(base({ state: null, firstCheck: true, runs, read: { responses, upper: at(200) } }));
    assert.equal(judged.byJob.get(1)?.failure, null, "the failures healed before jobmon looked");
    const failing = judgeNetCalls(base({ state: null, firstCheck: true, runs, read: { responses: [response(at(1), 200), response(at(121), 500)], upper: at(200) } }));
    assert.match(failing.byJob.get(1)?.failure?.reason ?? "", /^its pg_net call failed/);
  });

  test("forgets jobs that no longer call pg_net, and reads a stored state leniently", () => {
    const judged = judgeNetCalls(base({ state: { runs: [], latest: { "9": { at: at(0).toISOString(), failed: true, reason: "x", errorMessage: null, streak: 1 } } } }));
    assert.deepEqual(judged.state.latest, {});
    assert.deepEqual(netCallsState({}), { runs: [], latest: {} });
    assert.deepEqual(netCallsState(null), { runs: [], latest: {} });
    assert.deepEqual(netCallsState({ runs: "nope", latest: 3 }), { runs: [], latest: {} });
  });

  test("without a read (pg_net failed to answer) the state stands", () => {
    const state = { runs: [{ jobid: 1, runid: 5, start: at(0).toISOString(), end: at(0.05).toISOString() }], latest: { "1": { at: at(1).toISOString(), failed: true, reason: "HTTP 500", errorMessage: null, streak: 3 } } };
    const judged = judgeNetCalls(base({ state, read: null }));
    assert.deepEqual(judged.state, state);
    assert.equal(judged.byJob.get(1)?.failure?.streak, 3);
  });
});
