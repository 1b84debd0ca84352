import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CallerFact, evaluateFunction, type FunctionFacts } from "../../src/health/function-verdicts.js";

const T0 = new Date("2026-11-30T12:00:00Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

describe("evaluateFunction", () => {
  const NOW = at(900);
  const window = { start: at(0), end: at(840) };
  const caller = (status: string, over: Partial<CallerFact> = {}): CallerFact => ({ jobName: "sync-leads-every-5", status, reason: `${status} reason`, active: true, ...over });
  const facts = (over: Partial<FunctionFacts> = {}): FunctionFacts => ({
    slug: "sync-leads",
    status: "ACTIVE",
    schedule: null,
    callers: [],
    invocations: [],
    window,
    lastInvocation: null,
    ...over,
  });

  test("546 and 504 invocations fail the function, with the codes and their counts", () => {
    const verdict = evaluateFunction(
      facts({
        invocations: [
          { at: at(10), statusCode: 200 },
          { at: at(20), statusCode: 546, message: "POST | 546 | https://x.supabase.co/functions/v1/sync-leads" },
          { at: at(30), statusCode: 546 },
          { at: at(40), statusCode: 504, message: "POST | 504 | …" },
        ],
      }),
      NOW,
    );
    assert.equal(verdict.status, "failed");
    assert.equal(verdict.reason, "3 of 4 invocations since 2026-11-30T12:00:00Z failed: 2× 546 (resource limit), 1× 504 (timeout) (last at 2026-11-30T12:00:40Z)");
    assert.equal(verdict.errorMessage, "POST | 504 | …");
    assert.equal(verdict.failures, 3);
    assert.equal(verdict.trailingFailures, 3);
    assert.deepEqual(verdict.lastInvocation, { at: at(40), statusCode: 504 });
  });

  test("each 5xx is named as the Edge runtime means it: 500 threw, 502 crashed, 503 could not start", () => {
    const verdict = evaluateFunction(
      facts({
        invocations: [
          { at: at(10), statusCode: 500 },
          { at: at(20), statusCode: 502 },
          { at: at(30), statusCode: 503 },
          { at: at(40), statusCode: 599 },
        ],
      }),
      NOW,
    );
    assert.ok(
      verdict.reason.includes("failed: 1× 500 (threw), 1× 502 (crashed), 1× 503 (could not start), 1× 599 (last at"),
      `a status without a known meaning is shown bare: ${verdict.reason}`,
    );
  });

  test("a failure that recovered within the window is still reported", () => {
    const verdict = evaluateFunction(facts({ invocations: [{ at: at(10), statusCode: 500 }, { at: at(20), statusCode: 200 }], previousTrailingFailures: 2 }), NOW);
    assert.equal(verdict.status, "failed");
    assert.equal(verdict.trailingFailures, 0, "the success at the end resets the run of failures");
    assert.match(verdict.reason, /1× 500 .*; the latest invocation succeeded$/);
  });

  test("REMOVED and THROTTLED are failed with a reason that says which", () => {
    const removed = evaluateFunction(facts({ status: "REMOVED", callers: [caller("success")], previousTrailingFailures: 1 }), NOW);
    assert.equal(removed.status, "failed");
    assert.equal(removed.trailingFailures, 2);
    assert.match(removed.reason, /REMOVED .*called by sync-leads-every-5/);
    const throttled = evaluateFunction(facts({ status: "THROTTLED", invocations: [{ at: at(5), statusCode: 200 }] }), NOW);
    assert.equal(throttled.status, "failed");
    assert.match(throttled.reason, /THROTTLED/);
  });

  test("an idle function that no job calls is neither failed nor missed", () => {
    const verdict = evaluateFunction(facts(), NOW);
    assert.equal(verdict.status, "unknown");
    assert.equal(verdict.reason, "idle: no cron job calls it and no invocation since 2026-11-30T12:00:00Z");
  });

  test("a scheduled function whose only caller missed is missed, naming the caller", () => {
    const verdict = evaluateFunction(facts({ schedule: "*/5 * * * *", callers: [caller("missed", { reason: "expected at 12:05" })] }), NOW);
    assert.equal(verdict.status, "missed");
    assert.equal(verdict.reason, "not called on schedule: its caller sync-leads-every-5 missed (expected at 12:05)");
  });

  test("not missed while another active caller runs, nor when the caller was held back", () => {
    const two = evaluateFunction(
      facts({ schedule: "*/5 * * * *", callers: [caller("missed"), caller("success", { jobName: "backup-caller" })], lastInvocation: { at: at(-60), statusCode: 200 } }),
      NOW,
    );
    assert.equal(two.status, "success");
    const paused = evaluateFunction(facts({ schedule: "*/5 * * * *", callers: [caller("missed"), caller("paused", { active: false, jobName: "old" })] }), NOW);
    assert.equal(paused.status, "missed");
  });

  test("traffic without 5xx is success; 4xx is counted as the caller's error", () => {
    const verdict = evaluateFunction(facts({ invocations: [{ at: at(10), statusCode: 200 }, { at: at(20), statusCode: 401 }] }), NOW);
    assert.equal(verdict.status, "success");
    assert.equal(verdict.reason, "2 invocations since 2026-11-30T12:00:00Z, none failed (1 answered 4xx: a caller's error); last at 2026-11-30T12:00:20Z (401)");
  });

  test("a quiet window keeps the verdict of the latest known invocation", () => {
    const ok = evaluateFunction(facts({ callers: [caller("success")], lastInvocation: { at: at(-3600), statusCode: 200 } }), NOW);
    assert.equal(ok.status, "success");
    assert.match(ok.reason, /^no invocation since .*; the latest one, at 2026-11-30T11:00:00Z, answered 200; called by sync-leads-every-5$/);
    const bad = evaluateFunction(facts({ lastInvocation: { at: at(-3600), statusCode: 546 } }), NOW);
    assert.equal(bad.status, "failed");
    const fresh = evaluateFunction(facts({ callers: [caller("success")] }), NOW);
    assert.equal(fresh.status, "unknown");
    assert.match(fresh.reason, /^no invocation seen yet; called by/);
  });

  test("logs that could not be read are said, and do not make the function fail", () => {
    const verdict = evaluateFunction(facts({ invocations: null, window: null, logsError: "rate limited", lastInvocation: { at: at(-60), statusCode: 200 } }), NOW);
    assert.equal(verdict.status, "success");
    assert.match(verdict.reason, /could not be read this check: rate limited/);
  });
});
