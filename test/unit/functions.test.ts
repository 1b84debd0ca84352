import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type CallerFact,
  correlateResponses,
  correlationWindowMs,
  evaluateFunction,
  type FunctionFacts,
  functionCallsByJob,
  functionCallsInCommand,
  functionCallTargets,
  makesHttpRequest,
  makesOneRequest,
  misconfiguredCalls,
  pgNetFailureReason,
  pgNetJobFailure,
  stripSqlComments,
} from "../../src/health/functions.js";
import type { PgNetResponse } from "../../src/sources/pgnet.js";

const REF = "abcdefghijklmnopqrst";
const T0 = new Date("2026-11-30T12:00:00Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

// ---------------------------------------------------------------------------------------

describe("functionCallsInCommand", () => {
  const calls: [string, string, string[]][] = [
    [
      "a literal project URL (the typical net.http_post command)",
      `select net.http_post(url := 'https://${REF}.supabase.co/functions/v1/sync-leads', headers := '{"Content-Type": "application/json", "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.x.y"}'::jsonb, body := '{}'::jsonb) as request_id;`,
      ["sync-leads"],
    ],
    [
      "a query string after the slug",
      `select net.http_post('https://${REF}.supabase.co/functions/v1/scrape_daily?mode=full&limit=50')`,
      ["scrape_daily"],
    ],
    [
      "a sub-path after the slug (functions route internally)",
      `select net.http_get('https://${REF}.supabase.co/functions/v1/api/leads/refresh')`,
      ["api"],
    ],
    [
      "a URL built from a Vault secret (the documented scheduling example)",
      `select net.http_post(
         url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/send-digest',
         headers := jsonb_build_object('Content-type', 'application/json',
           'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'anon_key')),
         body := concat('{"time": "', now(), '"}')::jsonb
       ) as request_id;`,
      ["send-digest"],
    ],
    [
      "a host assembled in SQL",
      `select net.http_post('https://' || current_setting('app.ref') || '.supabase.co/functions/v1/nightly-report')`,
      ["nightly-report"],
    ],
    [
      "a dollar-quoted string",
      `select net.http_post($u$https://${REF}.supabase.co/functions/v1/crm-sync$u$, body := $b\${"full": true}$b$::jsonb)`,
      ["crm-sync"],
    ],
    [
      "a URL inside a double-quoted JSON value",
      `select my_dispatch('{"url": "https://${REF}.supabase.co/functions/v1/hooks-relay", "retries": 3}'::jsonb)`,
      ["hooks-relay"],
    ],
    [
      "a self-hosted gateway with a port",
      `select net.http_post('http://kong:8000/functions/v1/local-job')`,
      ["local-job"],
    ],
    [
      "a do block calling two functions, one of them twice",
      `do $$
       begin
         perform net.http_post('https://${REF}.supabase.co/functions/v1/a1');
         perform net.http_post('https://${REF}.supabase.co/functions/v1/B_2');
         perform net.http_post('https://${REF}.supabase.co/functions/v1/a1');
       end $$;`,
      ["a1", "B_2"],
    ],
    ["uppercase scheme and host", `select net.http_post('HTTPS://${REF.toUpperCase()}.SUPABASE.CO/functions/v1/Upper-Case')`, ["Upper-Case"]],
  ];
  for (const [name, command, expected] of calls) {
    test(`finds the slug: ${name}`, () => {
      assert.deepEqual(functionCallsInCommand(command), expected);
    });
  }

  const nonCalls: [string, string][] = [
    ["no HTTP at all", "select cleanup_sessions()"],
    ["a REST call, not a function", `select net.http_get('https://${REF}.supabase.co/rest/v1/functions?select=*')`],
    ["a storage path that merely contains functions/v1", `select net.http_get('https://${REF}.supabase.co/storage/v1/object/public/functions/v1/logo.png')`],
    ["a slug taken from a variable (unknowable)", `select net.http_post((select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/' || fn_name) from jobs_to_call`],
    ["a format() template", `select net.http_post(format('%s/functions/v1/%s', base_url, slug)) from config`],
    ["a placeholder slug", `select net.http_post('https://${REF}.supabase.co/functions/v1/{slug}')`],
    ["another API version", `select net.http_post('https://${REF}.supabase.co/functions/v2/sync-leads')`],
    ["a call commented out with --", `-- select net.http_post('https://${REF}.supabase.co/functions/v1/old-sync');\nselect 1`],
    ["a call commented out with /* */ (nested)", `/* disabled /* nested */ select net.http_post('https://${REF}.supabase.co/functions/v1/old-sync') */ select 1`],
    ["a commented-out call inside a do block", `do $$ begin\n  -- perform net.http_post('https://${REF}.supabase.co/functions/v1/old-sync');\n  perform 1;\nend $$`],
    ["the path without a slug", `select net.http_post('https://${REF}.supabase.co/functions/v1/')`],
  ];
  for (const [name, command] of nonCalls) {
    test(`finds nothing: ${name}`, () => {
      assert.deepEqual(functionCallsInCommand(command), []);
    });
  }

  test("'--' inside a string is not a comment", () => {
    assert.deepEqual(functionCallsInCommand(`select net.http_post('https://${REF}.supabase.co/functions/v1/x--y', body := '{"a": "--"}')`), ["x--y"]);
    assert.equal(stripSqlComments("select '--not a comment' -- a comment\n, 2"), "select '--not a comment' \n, 2");
  });

  test("escaped quotes do not end a string early", () => {
    assert.deepEqual(functionCallsInCommand(`select net.http_post('https://${REF}.supabase.co/functions/v1/it''s-x'), E'\\'-- still a string', '/functions/v1/e-str'`), ["it", "e-str"]);
  });

  test("a call to another project's function is left out when the project ref is given, and keeps its ref", () => {
    const command = `select net.http_post('https://otherprojectref000000.supabase.co/functions/v1/remote'), net.http_post('https://${REF}.supabase.co/functions/v1/local')`;
    assert.deepEqual(functionCallTargets(command), [
      { slug: "remote", ref: "otherprojectref000000" },
      { slug: "local", ref: REF },
    ]);
    assert.deepEqual(functionCallsInCommand(command, REF), ["local"]);
    assert.deepEqual(functionCallsInCommand(command), ["remote", "local"]);
    // A Vault-built URL has no visible ref: it is assumed to be this project.
    assert.deepEqual(functionCallsInCommand("select net.http_post(url || '/functions/v1/v')", REF), ["v"]);
  });

  test("a pathological command is scanned in linear time", () => {
    const big = `select ${"'/functions/v1/".repeat(20_000)} ${"$".repeat(50_000)} ${"-".repeat(1)}`;
    const started = performance.now();
    functionCallsInCommand(big);
    assert.ok(performance.now() - started < 1000);
  });
});

describe("functionCallsByJob and makesHttpRequest", () => {
  test("lists jobs that call a function or send any pg_net request, and nothing else", () => {
    const jobs = [
      { jobid: 1, command: `select net.http_post('https://${REF}.supabase.co/functions/v1/sync-leads')` },
      { jobid: 2, command: "select net.http_post('https://hooks.example.com/ingest', body := '{}'::jsonb)" },
      { jobid: 3, command: "vacuum analyze leads" },
      { jobid: 4, command: "select extensions.http_post('https://hooks.example.com/x', '', 'text/plain')" },
      { jobid: 5, command: "select supabase_functions.http_request('https://hooks.example.com/y', 'POST', '{}', '{}', '1000')" },
    ];
    assert.deepEqual(
      [...functionCallsByJob(jobs, REF).entries()],
      [
        [1, ["sync-leads"]],
        [2, []],
        [5, []],
      ],
    );
    assert.equal(makesHttpRequest("select NET . HTTP_GET ('x')"), true);
    assert.equal(makesHttpRequest("-- select net.http_get('x')\nselect 1"), false);
  });
});

describe("misconfiguredCalls", () => {
  test("names the slug a job calls that the project does not have, or has as REMOVED", () => {
    const calls = new Map([
      [1, ["sync-leads"]],
      [2, ["sync-lead", "scrape"]],
      [3, []],
      [4, ["gone"]],
    ]);
    const out = misconfiguredCalls(calls, [
      { slug: "sync-leads", status: "ACTIVE" },
      { slug: "scrape", status: "THROTTLED" },
      { slug: "gone", status: "REMOVED" },
    ]);
    assert.deepEqual(out.map((m) => [m.jobid, m.slug]), [
      [2, "sync-lead"],
      [4, "gone"],
    ]);
    assert.match(out[0]?.reason ?? "", /"sync-lead".*does not have/);
    assert.match(out[1]?.reason ?? "", /"gone".*REMOVED/);
  });

  test("accepts plain slugs", () => {
    assert.deepEqual(misconfiguredCalls(new Map([[7, ["a", "b"]]]), ["a"]).map((m) => m.slug), ["b"]);
  });
});

// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------

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
