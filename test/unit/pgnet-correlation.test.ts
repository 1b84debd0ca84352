import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makesOneRequest } from "../../src/health/function-calls.js";
import { correlateResponses, correlationWindowMs, pgNetFailureReason, pgNetJobFailure } from "../../src/health/pgnet-correlation.js";
import type { PgNetResponse } from "../../src/sources/pgnet.js";

const T0 = new Date("2026-11-30T12:00:00Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

let nextId = 1;
function response(created: Date, fields: Partial<PgNetResponse> = {}): PgNetResponse {
  const base = { id: nextId++, created, status_code: 200, timed_out: false, error_msg: null, content_type: "application/json", content: null, content_truncated: false };
  const merged = { ...base, ...fields };
  const failed = (merged.status_code !== null && merged.status_code >= 400) || merged.error_msg !== null || merged.timed_out;
  return { ...merged, failed: fields.failed ?? failed };
}

describe("correlateResponses", () => {
  const calls = new Map<number, string[]>([
    [10, ["sync-leads"]],
    [20, ["scrape"]],
    [30, []], // posts to a non-function URL
  ]);

  test("a failed response right after one calling job's run fails that job, unambiguously", () => {
    const runs = [
      { jobid: 10, runid: 1, start: at(0), end: at(0.05) },
      { jobid: 20, runid: 2, start: at(300), end: at(300.1) },
    ];
    const failed = response(at(2), { status_code: 500, content: "boom" });
    const ok = response(at(301));
    const result = correlateResponses(runs, calls, [failed, ok]);
    assert.deepEqual(result.byJob.get(10)?.failures, [{ response: failed, ambiguous: false, candidates: [10] }]);
    assert.equal(result.byJob.get(10)?.okCount, 0);
    assert.equal(result.byJob.get(20)?.okCount, 1);
    assert.equal(result.byJob.get(20)?.failures.length, 0);
  });

  test("keeps the request-to-response duration of a successful call that is one ended run's alone", () => {
    const runs = [
      { jobid: 10, runid: 1, start: at(0), end: at(0.5) },
      { jobid: 20, runid: 2, start: at(300), end: null },
      { jobid: 30, runid: 3, start: at(600), end: at(600.1) },
      { jobid: 10, runid: 4, start: at(600), end: at(600.2) },
    ];
    const result = correlateResponses(runs, calls, [response(at(1.7)), response(at(302)), response(at(601)), response(at(3), { status_code: 500 })]);
    // Job 10: 1.2 s after its run ended; the failed call and the ambiguous one (with job 30) are not timed.
    assert.deepEqual(result.byJob.get(10)?.okDurationsMs, [1200]);
    // Job 20's run has no end yet: when its request left is unknown.
    assert.deepEqual(result.byJob.get(20)?.okDurationsMs, []);
    assert.deepEqual(result.byJob.get(30)?.okDurationsMs, []);
  });

  test("two calling jobs running together make the match ambiguous: attributed to each", () => {
    const runs = [
      { jobid: 10, runid: 1, start: at(0), end: at(0.1) },
      { jobid: 30, runid: 2, start: at(0), end: at(0.2) },
    ];
    const timeout = response(at(5.1), { status_code: null, timed_out: true, error_msg: "Timeout of 5000 ms reached" });
    const result = correlateResponses(runs, calls, [timeout, response(at(1))]);
    for (const jobid of [10, 30]) {
      assert.deepEqual(result.byJob.get(jobid)?.failures, [{ response: timeout, ambiguous: true, candidates: [10, 30] }]);
      assert.equal(result.byJob.get(jobid)?.okCount, 1);
      assert.equal(result.byJob.get(jobid)?.ambiguousOk, 1);
    }
  });

  test("a response outside every calling run's window, or before any run, is unattributed", () => {
    const runs = [
      { jobid: 10, runid: 1, start: at(0), end: at(1) },
      { jobid: 99, runid: 2, start: at(100), end: at(101) }, // not a calling job
    ];
    const before = response(at(-1), { status_code: 503 });
    const late = response(at(1 + 60 + 1), { status_code: 500 });
    const other = response(at(100.5), { status_code: 500 });
    const result = correlateResponses(runs, calls, [before, late, other, response(at(200))]);
    assert.equal(result.byJob.size, 0);
    assert.deepEqual(result.unattributedFailures, [before, late, other]);
    assert.equal(result.unattributedOk, 1);
  });

  test("the window counts from the run's end, and can be widened for slow calls", () => {
    const runs = [{ jobid: 10, runid: 1, start: at(0), end: at(120) }];
    const slow = response(at(170), { status_code: 504 });
    assert.equal(correlateResponses(runs, calls, [slow]).byJob.get(10)?.failures.length, 1);
    const slower = response(at(200), { status_code: 504 });
    assert.equal(correlateResponses(runs, calls, [slower]).unattributedFailures.length, 1);
    assert.equal(correlateResponses(runs, calls, [slower], { windowMs: 120_000 }).byJob.get(10)?.failures.length, 1);
  });

  test("two jobs firing together are told apart by request order when their runs did not overlap", () => {
    // Both fire at :00; pg_cron ran A's command, then B's: A's request has the smaller id.
    const runs = [
      { jobid: 10, runid: 1, start: at(0.1), end: at(0.12) },
      { jobid: 30, runid: 2, start: at(0.15), end: at(0.17) },
    ];
    const fromA = response(at(1), { status_code: 200 });
    const fromB = response(at(1), { status_code: 500 });
    const result = correlateResponses(runs, calls, [fromB, fromA].sort((a, b) => a.id - b.id));
    assert.equal(result.byJob.get(10)?.okCount, 1);
    assert.deepEqual(result.byJob.get(10)?.failures, []);
    assert.deepEqual(result.byJob.get(30)?.failures, [{ response: fromB, ambiguous: false, candidates: [10, 30], resolvedBy: "request order" }]);
    assert.match(pgNetJobFailure(result.byJob.get(30)!, { jobid: 30, jobNames: new Map([[10, "a"], [30, "b"]]) })?.reason ?? "", /matched to this job by time and request order \(a ran in the same window/);
  });

  test("request order decides nothing when the runs overlapped, or when more responses than runs fit", () => {
    const overlapping = [
      { jobid: 10, runid: 1, start: at(0.1), end: at(0.2) },
      { jobid: 30, runid: 2, start: at(0.15), end: at(0.25) },
    ];
    const r1 = response(at(1), { status_code: 500 });
    const r2 = response(at(1));
    assert.equal(correlateResponses(overlapping, calls, [r1, r2]).byJob.get(10)?.failures[0]?.ambiguous, true);
    const disjoint = [
      { jobid: 10, runid: 1, start: at(0.1), end: at(0.12) },
      { jobid: 30, runid: 2, start: at(0.15), end: at(0.17) },
    ];
    const third = response(at(1.5)); // a trigger's request, say
    const result = correlateResponses(disjoint, calls, [r1, r2, third]);
    assert.equal(result.byJob.get(10)?.failures[0]?.ambiguous, true);
    assert.equal(result.byJob.get(30)?.failures[0]?.ambiguous, true);
  });

  test("a run whose one request was already answered drops out: the other candidate made the response", () => {
    // 10 fires at :00, 30 at :05; 10's answer came at :00.5 (only 10 fits it), so the answer at
    // :05.5, which both fit by time, is 30's.
    const runs = [
      { jobid: 10, runid: 1, start: at(0), end: at(0.05) },
      { jobid: 30, runid: 2, start: at(5), end: at(5.05) },
    ];
    const first = response(at(0.5));
    const second = response(at(5.5), { status_code: null, error_msg: "Couldn't connect to server" });
    const result = correlateResponses(runs, calls, [first, second], { windowMs: 10_000, singleCallJobs: new Set([10, 30]) });
    assert.deepEqual(result.byJob.get(30)?.failures, [{ response: second, ambiguous: false, candidates: [10, 30], resolvedBy: "elimination" }]);
    assert.deepEqual(result.byJob.get(10)?.failures, []);
    assert.equal(result.byJob.get(10)?.okCount, 1);
    // Without knowing that 10 makes one request per run, it stays ambiguous.
    const unsure = correlateResponses(runs, calls, [first, second], { windowMs: 10_000 });
    assert.equal(unsure.byJob.get(10)?.failures[0]?.ambiguous, true);
  });

  test("makesOneRequest: one call site, no FROM or loop that could repeat it", () => {
    assert.equal(makesOneRequest("select net.http_post(url := 'https://x/functions/v1/a', body := '{}'::jsonb)"), true);
    assert.equal(
      makesOneRequest("select net.http_post(url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/a')"),
      true,
      "a sub-select for the URL is one request",
    );
    assert.equal(makesOneRequest("select net.http_post(url := 'https://x/' || id) from users"), false);
    assert.equal(makesOneRequest("select net.http_get('https://a'); select net.http_get('https://b')"), false);
    assert.equal(makesOneRequest("do $$ begin for i in 1..3 loop perform net.http_get('https://a'); end loop; end $$"), false);
    assert.equal(makesOneRequest("select 'from' as x, net.http_get('https://a') -- from t"), true, "strings and comments are not code");
    assert.equal(makesOneRequest("select 1"), false);
  });

  test("a failed run made no request: its job is no candidate", () => {
    const runs = [
      { jobid: 10, runid: 1, start: at(0), end: at(0.1) },
      { jobid: 30, runid: 2, start: at(0), end: at(0.2), failed: true },
    ];
    const result = correlateResponses(runs, calls, [response(at(1), { status_code: 500 })]);
    assert.equal(result.byJob.get(10)?.failures[0]?.ambiguous, false);
    assert.equal(result.byJob.has(30), false);
  });

  test("runs that never started explain nothing", () => {
    const result = correlateResponses([{ jobid: 10, runid: 1, start: null, end: null }], calls, [response(at(1), { status_code: 500 })]);
    assert.equal(result.unattributedFailures.length, 1);
  });
});

describe("correlationWindowMs", () => {
  test("is the longest literal timeout of the calling commands plus the worker's slack, 5 s by default", () => {
    assert.equal(correlationWindowMs(["select net.http_post(url := 'https://x')"]), 10_000);
    assert.equal(correlationWindowMs(["select net.http_post(url := 'https://x', timeout_milliseconds := 30000)", "select net.http_get('https://y', timeout_milliseconds => 1000)"]), 35_000);
    assert.equal(correlationWindowMs(["select net.http_post(url := 'https://x', timeout_milliseconds := v_timeout)"]), 60_000, "not a literal: the default window");
    assert.equal(correlationWindowMs(["-- timeout_milliseconds := 999999\nselect net.http_get('https://y')"]), 10_000, "comments do not count");
  });
});

describe("pgNetFailureReason", () => {
  test("an HTTP error names the status, its meaning for an Edge Function, and the body", () => {
    assert.equal(
      pgNetFailureReason(response(at(0), { status_code: 500, content: '{"error":"db down"}\nstack…' }), { slug: "sync-leads" }),
      'HTTP 500 from the Edge Function sync-leads (the function threw or returned an error): {"error":"db down"}',
    );
    assert.match(pgNetFailureReason(response(at(0), { status_code: 546 })), /^HTTP 546 from the Edge Function \(resource limit hit/);
    assert.match(pgNetFailureReason(response(at(0), { status_code: 502, content: "x".repeat(10), content_truncated: true }), { slug: null }), /^HTTP 502 from the called URL .*: x{10} …$/);
  });

  test("a plain URL's error status gets its HTTP meaning, not an Edge Function's", () => {
    assert.equal(pgNetFailureReason(response(at(0), { status_code: 500, content: "boom" }), { slug: null }), "HTTP 500 from the called URL (internal server error): boom");
    assert.equal(pgNetFailureReason(response(at(0), { status_code: 546 }), { slug: null }), "HTTP 546 from the called URL (server error)");
    assert.equal(pgNetFailureReason(response(at(0), { status_code: 418 }), { slug: null }), "HTTP 418 from the called URL");
  });

  test("a timeout says after how long, from pg_net's error text", () => {
    assert.equal(
      pgNetFailureReason(response(at(0), { status_code: null, timed_out: true, error_msg: "Timeout of 5000 ms reached. Total time: 5001.3 ms" })),
      "timed out after 5000 ms (pg_net's timeout_milliseconds; a slower function needs a larger one)",
    );
    assert.match(pgNetFailureReason(response(at(0), { status_code: null, timed_out: true })), /^timed out \(pg_net's request timeout, 5 s by default/);
    // pg_net 0.11: timed_out stays NULL (read as false), libcurl's text says it.
    assert.match(pgNetFailureReason(response(at(0), { status_code: null, timed_out: false, error_msg: "Timeout was reached" })), /^timed out \(pg_net's request timeout, 5 s by default.*: Timeout was reached$/);
  });

  test("a connection error gives pg_net's text, and secrets in bodies are redacted", () => {
    assert.equal(pgNetFailureReason(response(at(0), { status_code: null, error_msg: "Couldn't resolve host name" })), "the request failed: Couldn't resolve host name");
    const reason = pgNetFailureReason(response(at(0), { status_code: 401, content: '{"msg": "bad Authorization: Bearer sb_secret_abcdef0123456789"}' }), { secrets: ["topsecretvalue"] });
    assert.doesNotMatch(reason, /sb_secret_abcdef/);
    assert.match(reason, /^HTTP 401 .*unauthorized/);
  });
});

describe("pgNetJobFailure", () => {
  test("summarises a job's failures: count, latest reason, and that the match is by time", () => {
    const first = response(at(10), { status_code: 500 });
    const second = response(at(70), { status_code: 546 });
    const summary = pgNetJobFailure(
      { failures: [{ response: second, ambiguous: false, candidates: [10] }, { response: first, ambiguous: false, candidates: [10] }], okCount: 3, ambiguousOk: 0 },
      { slugs: ["sync-leads"], jobid: 10 },
    );
    assert.equal(summary?.failures, 2);
    assert.equal(summary?.at.getTime(), at(70).getTime());
    assert.match(summary?.reason ?? "", /^2 of 5 pg_net calls failed \(last at 2026-11-30T12:01:10Z\): HTTP 546 from the Edge Function sync-leads .*; matched to this job by time \(pg_net stores no URL\)$/);
  });

  test("names the other jobs when the match is ambiguous", () => {
    const failed = response(at(10), { status_code: 500 });
    const summary = pgNetJobFailure(
      { failures: [{ response: failed, ambiguous: true, candidates: [10, 30] }], okCount: 0, ambiguousOk: 0 },
      { jobid: 10, jobNames: new Map([[10, "sync-leads-job"], [30, "post-to-hooks"]]) },
    );
    assert.match(summary?.reason ?? "", /^its pg_net call failed .*ambiguous: post-to-hooks ran at the same time \(pg_net stores no URL\)$/);
  });

  test("no failure, no verdict", () => {
    assert.equal(pgNetJobFailure({ failures: [], okCount: 4, ambiguousOk: 0 }), null);
  });
});
