import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  functionCallsByJob,
  functionCallsInCommand,
  functionCallTargets,
  makesHttpRequest,
  misconfiguredCalls,
  stripSqlComments,
} from "../../src/health/function-calls.js";

const REF = "abcdefghijklmnopqrst";

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
