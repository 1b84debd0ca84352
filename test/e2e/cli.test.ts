import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { HUB_MIGRATIONS } from "../../src/hub/migrations.generated.js";
import { freePort, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
import { CLI, runCli, tempDir } from "../helpers/cli.js";
import { postgresHubEnv } from "../helpers/hub.js";

const clusters = usePgCronClusters(2, { quiet: true, name: "cli" });

describe("the jobmon CLI", () => {
  let one: PgCronCluster;
  let two: PgCronCluster;
  let env: Record<string, string>;

  before(async () => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    [one, two] = clusters() as [PgCronCluster, PgCronCluster];
    await scheduleJob(one, "sync-leads", "*/5 * * * *", "select 1");
    await scheduleJob(one, "nightly 'export' ✓", "0 3 * * *", "select 2");
    await scheduleJob(two, "crm-refresh", "0 * * * *", "select net.http_post(url := 'https://x.supabase.co/functions/v1/refresh', headers := '{\"Authorization\": \"Bearer sb_secret_abcdefghijklmnop1234\"}'::jsonb)");
    env = { SUPABASE_POSTGRES_URL: one.url, SUPABASE_POSTGRES_URL_2: two.url, JOBMON_PROJECT_NAMES: "smoothed,blingsting" };
  });

  it("prints help", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    for (const command of ["migrate", "discover", "jobs", "annotate", "check", "status", "history", "mute"]) assert.match(r.stdout, new RegExp(`\\b${command}\\b`));
  });

  it("migrate, discover, jobs --json: every job of both projects with the documented columns; annotations persist", async () => {
    const cwd = tempDir();
    const migrate = await runCli(["migrate"], { env, cwd });
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, new RegExp(`Applied ${HUB_MIGRATIONS.length} migration\\(s\\) to the embedded hub in \\.jobmon`));
    assert.match((await runCli(["migrate"], { env, cwd })).stdout, /up to date/);

    const discover = await runCli(["discover"], { env, cwd });
    assert.equal(discover.code, 0, discover.stderr);
    // The version the cluster reports, whatever extension set the harness runs.
    assert.match(discover.stdout, new RegExp(`smoothed: pg_cron ${escapeRegExp(one.pgCronVersion)}.*2 job\\(s\\): 2 new`));
    assert.match(discover.stdout, /blingsting: .*1 job\(s\): 1 new/);

    const jobs = await runCli(["jobs", "--json"], { env, cwd });
    assert.equal(jobs.code, 0, jobs.stderr);
    const rows = JSON.parse(jobs.stdout) as Record<string, unknown>[];
    assert.deepEqual(rows.map((r) => `${r.project_name}/${r.job_name}`).sort(), ["blingsting/crm-refresh", "smoothed/nightly 'export' ✓", "smoothed/sync-leads"]);
    for (const column of ["id", "project_name", "job_type", "job_name", "schedule", "description", "success_criteria", "criticality", "last_seen_at", "created_at", "updated_at"]) {
      assert.ok(column in rows[0]!, `column ${column}`);
    }
    assert.doesNotMatch(jobs.stdout, /sb_secret_abcdefghijklmnop1234/, "the bearer key in a command is redacted");

    const annotate = await runCli(["annotate", "smoothed/nightly 'export' ✓", "--description", "Exports the day", "--criticality", "critical", "--grace", "10m", "--max-runtime", "2h", "--failure-threshold", "3", "--slow-factor", "2.5", "--slow-after", "20m"], { env, cwd });
    assert.equal(annotate.code, 0, annotate.stderr);
    await runCli(["discover"], { env, cwd });
    const after = JSON.parse((await runCli(["jobs", "--json", "--project", "smoothed"], { env, cwd })).stdout) as Record<string, unknown>[];
    const nightly = after.find((r) => r.job_name === "nightly 'export' ✓")!;
    assert.equal(nightly.description, "Exports the day");
    assert.equal(nightly.criticality, "critical");
    assert.equal(nightly.grace_seconds, 600);
    assert.equal(nightly.max_runtime_seconds, 7200);
    assert.equal(nightly.failure_threshold, 3);
    assert.equal(nightly.slow_factor, 2.5);
    assert.equal(nightly.slow_after_seconds, 1200);
    assert.deepEqual(nightly.durations, {});
    const off = await runCli(["annotate", "smoothed/sync-leads", "--slow-factor", "0"], { env, cwd });
    assert.equal(off.code, 0, off.stderr);

    const table = await runCli(["jobs"], { env, cwd });
    assert.match(table.stdout, /p50 \/ p95/);
    assert.match(table.stdout, /sync-leads/);
    assert.match(table.stdout, /Exports the day/);
  });

  it("rejects an invalid option value, naming the option, and changes nothing", async () => {
    const cwd = tempDir();
    // The embedded hub is not the subject here: a Postgres hub spares each process PGlite's start.
    const hub = await postgresHubEnv(one);
    await runCli(["discover"], { env: { ...env, ...hub }, cwd });
    const before = (await runCli(["jobs", "--json"], { env: { ...env, ...hub }, cwd })).stdout;
    for (const args of [
      ["annotate", "smoothed/sync-leads", "--criticality", "urgent"],
      ["annotate", "smoothed/sync-leads", "--grace", "soon"],
      ["annotate", "smoothed/sync-leads", "--failure-threshold", "0"],
      ["annotate", "smoothed/sync-leads", "--slow-factor", "-1"],
      ["annotate", "smoothed/sync-leads", "--slow-factor", "101"],
      ["annotate", "smoothed/sync-leads", "--slow-after", "0s"],
    ]) {
      const r = await runCli(args, { env: { ...env, ...hub }, cwd });
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, new RegExp(args[2]!.replace(/-/g, "\\-")), `names ${args[2]}`);
    }
    const unknown = await runCli(["annotate", "smoothed/nope", "--criticality", "low"], { env: { ...env, ...hub }, cwd });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no job named "nope" in project "smoothed"/);
    assert.equal((await runCli(["jobs", "--json"], { env: { ...env, ...hub }, cwd })).stdout, before);
  });

  it("exits non-zero naming the variable for malformed configuration, without printing a password", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ SUPABASE_POSTGRES_URL: "mysql://root:t0ps3cret@h/db" }, /SUPABASE_POSTGRES_URL: expected a postgresql:\/\/ URL/],
      [{ SUPABASE_POSTGRES_URL: one.url, JOBMON_PROJECT_NAMES: "a,b" }, /JOBMON_PROJECT_NAMES: lists 2 name/],
      [{ SUPABASE_POSTGRES_URL: one.url, JOBMON_HUB: "thordata" }, /JOBMON_HUB: "thordata" is not one of the configured projects/],
      [{ TELEGRAM_CHAT_ID: "not a chat" }, /TELEGRAM_CHAT_ID/],
    ];
    for (const [vars, message] of cases) {
      const r = await runCli(["jobs"], { env: vars });
      assert.equal(r.code, 2, JSON.stringify(vars));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr + r.stdout, /t0ps3cret/);
    }
  });

  it("reads .env from the working directory", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, ".env"), `SUPABASE_POSTGRES_URL=${one.url}\nJOBMON_PROJECT_NAMES=fromdotenv\n`);
    const r = await runCli(["discover", "--json"], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).projects[0].project_name, "fromdotenv");
  });

  it("reports an unreachable project by name, audits the others, and never prints its password", async () => {
    const port = await freePort();
    const r = await runCli(["discover"], {
      env: { ...env, ...(await postgresHubEnv(one)), SUPABASE_POSTGRES_URL_3: `postgresql://postgres:N3verPrint3d@127.0.0.1:${port}/postgres`, JOBMON_PROJECT_NAMES: "smoothed,blingsting,scraping", JOBMON_PROJECT_TIMEOUT: "5s" },
    });
    assert.equal(r.code, 1, "discovery could not audit every project");
    assert.match(r.stdout, /scraping: unreachable/);
    assert.match(r.stdout, /smoothed: pg_cron/);
    assert.doesNotMatch(r.stdout + r.stderr, /N3verPrint3d/);
  });

  it("check --json gives the report shape; status, history, mute and unmute work", async () => {
    const cwd = tempDir();
    // The embedded hub is not the subject here: a Postgres hub spares each process PGlite's start.
    const hub = await postgresHubEnv(one);
    const check = await runCli(["check", "--json"], { env: { ...env, ...hub }, cwd });
    assert.equal(check.code, 0, check.stderr);
    const report = JSON.parse(check.stdout);
    for (const key of ["started_at", "finished_at", "projects", "jobs"]) assert.ok(key in report, key);
    assert.deepEqual(report.projects.map((p: { project_name: string; status: string }) => [p.project_name, p.status]), [["smoothed", "ok"], ["blingsting", "ok"]]);
    for (const key of ["id", "project_name", "job_type", "job_name", "status", "previous_status", "reason", "error_message", "last_run_at"]) assert.ok(key in report.jobs[0], key);

    const status = await runCli(["status", "--json"], { env: { ...env, ...hub }, cwd });
    assert.equal(JSON.parse(status.stdout).length, 3);
    for (const entry of JSON.parse(status.stdout) as { durations?: Record<string, unknown> }[]) assert.deepEqual(Object.keys(entry.durations ?? {}), ["runs", "net"]);
    const history = await runCli(["history", "smoothed/sync-leads", "--json"], { env: { ...env, ...hub }, cwd });
    assert.equal(history.code, 0, history.stderr);
    assert.equal(JSON.parse(history.stdout).length, 1);

    assert.match((await runCli(["mute", "smoothed", "--for", "2h"], { env: { ...env, ...hub }, cwd })).stdout, /Muted project smoothed until/);
    assert.match((await runCli(["mute", "blingsting/crm-refresh", "--for", "30m"], { env: { ...env, ...hub }, cwd })).stdout, /Muted job blingsting\/crm-refresh/);
    const muted = JSON.parse((await runCli(["status", "--json"], { env: { ...env, ...hub }, cwd })).stdout) as { muted: boolean }[];
    assert.ok(muted.every((j) => j.muted));
    assert.match((await runCli(["unmute", "smoothed"], { env: { ...env, ...hub }, cwd })).stdout, /Unmuted project smoothed/);
    const bad = await runCli(["mute", "smoothed", "--for", "forever"], { env: { ...env, ...hub }, cwd });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--for/);
  });

  it("explains a schedule in words with its next fire times, and rejects what pg_cron rejects", async () => {
    const ok = await runCli(["schedule", "0 9 * * 1-5", "--after", "2026-11-27T00:00:00Z", "--count", "2"]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /At 09:00, Monday through Friday \(GMT\)/);
    assert.match(ok.stdout, /2026-11-27T09:00:00.000Z\n\s+2026-11-30T09:00:00.000Z/);
    const json = JSON.parse((await runCli(["schedule", "30 seconds", "--pg-cron", "1.5", "--json", "--after", "2026-11-30T00:00:00Z", "--count", "2"])).stdout);
    assert.equal(json.kind, "interval");
    assert.equal(json.intervalSeconds, 30);
    const bad = await runCli(["schedule", "5/15 * * * *"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /rejects "5\/15 \* \* \* \*"/);
    const badAfter = await runCli(["schedule", "* * * * *", "--after", "yesterday"]);
    assert.notEqual(badAfter.code, 0);
    assert.match(badAfter.stderr, /--after/);
  });

  it("is importable as a library: import { MonitoringAPI, explainSchedule } from \"jobmon\"", async () => {
    const lib = await import("jobmon");
    assert.equal(typeof lib.MonitoringAPI, "function");
    assert.equal(lib.explainSchedule("@hourly", { after: "2026-11-30T10:30:00Z", count: 1 }).next[0], "2026-11-30T11:00:00.000Z");
    const monitor = new lib.MonitoringAPI({ env: { JOBMON_DIR: join(tempDir(), "hub") } });
    try {
      assert.deepEqual(await monitor.listJobs(), []);
    } finally {
      await monitor.close();
    }
  });

  it("runs two migrations of the embedded hub at the same moment safely", async () => {
    const cwd = tempDir();
    const [a, b] = await Promise.all([runCli(["migrate"], { cwd }), runCli(["migrate"], { cwd })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const applied = [a.stdout, b.stdout].filter((s) => /Applied/.test(s));
    assert.equal(applied.length, 1, "one applied, the other found it up to date");
  });
});
