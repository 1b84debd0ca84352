/**
 * The Edge Functions under a real Deno (`npm run functions:serve`, i.e.
 * scripts/serve-functions.mjs), against real pg_cron clusters and the Telegram/Discord
 * stand-ins; and the scheduling migration against a real pg_cron.
 *
 * One world for the whole file, since the server's environment is fixed when it starts:
 * four monitored projects (one cluster each, 50 jobs each), the hub in thordata's own
 * database (reached through SUPABASE_DB_URL, as on Supabase), critical → Telegram and
 * important/low → Discord. A second server, started once, serves a misconfigured deployment.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { migrate } from "../../src/hub/migrate.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram.js";
import { insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { type Answer, baseEnv, call, CLOCK_TICKS, cpuMs, type FunctionsServer, startFunctionsServer } from "../helpers/functions-server.js";
import { waitFor } from "../helpers/wait.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const SCHEDULE_MIGRATION = path.join(repoRoot, "supabase", "migrations", "20261130000100_schedule_check_job_health.sql");

const PROJECTS = ["smoothed", "blingsting", "scraping", "thordata"] as const;
const JOBS_PER_PROJECT = 50;
const SECRET = `fn-secret-${randomBytes(16).toString("hex")}`;
const BOT_TOKEN = "7000000001:AAF-functions_e2e_fake_bot_token";
const CHAT_ID = "-1001000000042";

/** What pg_cron's job sends (supabase/migrations/…_schedule_check_job_health.sql). */
function callAsPgCron(server: FunctionsServer): Promise<Answer> {
  return call(server, "check-job-health", { token: SECRET, raw: "{}" });
}

// ---------------------------------------------------------------------------------------

const clusters = usePgCronClusters(4, { name: "fn" });

describe("check-job-health and send-alert under Deno", () => {
  let byProject: Record<(typeof PROJECTS)[number], PgCronCluster>;
  let hub: Db;
  let telegram: FakeTelegram;
  let discord: FakeDiscord;
  let server: FunctionsServer;

  const checkRuns = async () => Number((await hub.query<{ n: number }>("select count(*)::int as n from monitoring.check_run"))[0]?.n);
  const setCriticality = (project: string, job: string, criticality: string) =>
    hub.query("update monitoring.job_inventory set criticality = $3 where project_name = $1 and job_name = $2 returning id", [project, job, criticality]);

  before(async () => {
    const [c1, c2, c3, c4] = clusters() as [PgCronCluster, PgCronCluster, PgCronCluster, PgCronCluster];
    byProject = { smoothed: c1, blingsting: c2, scraping: c3, thordata: c4 };
    // 50 jobs per project, each due once a year, so none comes due while the tests run.
    await Promise.all(
      PROJECTS.map((name) =>
        byProject[name].sql(
          `select cron.schedule(format('%s-job-%s', $1::text, i), format('%s %s %s %s *', i % 60, i % 24, 1 + i % 28, 1 + i % 12), format('select %s', i))
             from generate_series(1, $2::int) as i`,
          [name, JOBS_PER_PROJECT],
        ),
      ),
    );
    // The hub lives in thordata's database, next to its pg_cron.
    hub = postgresDb(byProject.thordata.url, { max: 2 });
    await migrate(hub);
    telegram = await startFakeTelegram({ token: BOT_TOKEN, chats: [CHAT_ID] });
    discord = await startFakeDiscord();
    server = await startFunctionsServer({
      JOBMON_FUNCTION_SECRET: SECRET,
      // No JOBMON_HUB / JOBMON_HUB_URL: the hub is SUPABASE_DB_URL, which Supabase sets.
      SUPABASE_DB_URL: byProject.thordata.url,
      // Supabase refuses secrets named SUPABASE_*: the JOBMON_ spellings must work too.
      SUPABASE_POSTGRES_URL: byProject.smoothed.url,
      JOBMON_POSTGRES_URL_2: byProject.blingsting.url,
      JOBMON_POSTGRES_URL_3: byProject.scraping.url,
      JOBMON_POSTGRES_URL_4: byProject.thordata.url,
      JOBMON_PROJECT_NAMES: PROJECTS.join(","),
      TELEGRAM_API_URL: telegram.apiUrl,
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_CHAT_ID: CHAT_ID,
      DISCORD_WEBHOOK_URL: discord.webhookUrl,
    });
  });

  after(async () => {
    await server?.stop();
    await Promise.all([telegram?.close(), discord?.close(), hub?.close()]);
  });

  it("refuses a call without the bearer token, with a wrong one, or with another method, before doing any work", async () => {
    const before = await checkRuns();
    for (const name of ["check-job-health", "send-alert"]) {
      const none = await call(server, name, { body: {} });
      assert.equal(none.status, 401);
      assert.equal(none.json.error, "unauthorized");
      assert.equal(none.json.reason, "missing_token");
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer realm="jobmon"/);

      const wrong = await call(server, name, { token: `${SECRET.slice(0, -1)}x`, body: {} });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.json.reason, "invalid_token");
      assert.match(wrong.headers.get("www-authenticate") ?? "", /error="invalid_token"/);

      const basic = await fetch(`${server.baseUrl}/functions/v1/${name}`, { method: "POST", headers: { authorization: `Basic ${btoa(`x:${SECRET}`)}` } });
      assert.equal(basic.status, 401, "only a Bearer token is accepted");
      await basic.body?.cancel();

      for (const method of ["GET", "PUT", "DELETE"]) {
        const other = await call(server, name, { method, token: SECRET });
        assert.equal(other.status, 405, `${method} ${name}`);
        assert.equal(other.headers.get("allow"), "POST");
        assert.equal(other.json.error, "method_not_allowed");
      }
      for (const answer of [none, wrong]) assert.ok(!answer.text.includes(SECRET), "no answer repeats the secret");
    }
    assert.equal(await checkRuns(), before, "no check cycle ran");
    assert.equal(telegram.sent.length + discord.messages.length, 0, "nothing was sent");
  });

  it("answers an unknown function name with Supabase's 404", async () => {
    const answer = await call(server, "no-such-function", { token: SECRET });
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.json, { code: "NOT_FOUND", message: "Requested function was not found" });
  });

  it("runs one full cycle over the four projects for the right token and answers the check --json report", async (t) => {
    const cpuBefore = cpuMs(server.denoPid);
    const started = performance.now();
    const answer = await callAsPgCron(server);
    const wallMs = performance.now() - started;
    const cpuAfter = cpuMs(server.denoPid);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
    const report = answer.json;
    assert.deepEqual(report.projects.map((p: { project_name: string; status: string }) => [p.project_name, p.status]), PROJECTS.map((p) => [p, "ok"]));
    assert.equal(report.jobs.length, PROJECTS.length * JOBS_PER_PROJECT);
    assert.equal(report.dry_run, false);
    assert.equal(report.skipped, undefined);
    assert.ok(report.alerts, "the cycle delivered the outbox");
    const [row] = await hub.query<{ id: string }>("select id::text from monitoring.check_run where id::text = $1", [report.check_id]);
    assert.ok(row, "the cycle is recorded in the hub the function found through SUPABASE_DB_URL");
    if (cpuBefore !== null && cpuAfter !== null) {
      t.diagnostic(`server start: ${Math.round(server.bootCpuMs ?? 0)} ms CPU; first cycle (inventories ${report.jobs.length} jobs): ${Math.round(cpuAfter - cpuBefore)} ms CPU, ${Math.round(wallMs)} ms wall`);
    }
  });

  it("stays well inside the Edge runtime's 2 s CPU budget: one cycle over 4 projects × 50 jobs, each with a new run", async (t) => {
    await Promise.all(
      PROJECTS.map((name) =>
        byProject[name].sql(
          `insert into cron.job_run_details (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
           select jobid, nextval('cron.runid_seq'), 4242, database, username, command, 'succeeded', '1 row',
                  now() - interval '2 minutes', now() - interval '2 minutes' + interval '40 milliseconds'
             from cron.job where jobname like '%-job-%'`,
        ),
      ),
    );
    const cpuBefore = cpuMs(server.denoPid);
    const started = performance.now();
    const answer = await callAsPgCron(server);
    const wallMs = performance.now() - started;
    const cpuAfter = cpuMs(server.denoPid);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.jobs.length, PROJECTS.length * JOBS_PER_PROJECT);
    if (cpuBefore === null || cpuAfter === null) {
      t.diagnostic("CPU time not measured: /proc/<pid>/stat is not available here");
      return;
    }
    const cpu = cpuAfter - cpuBefore;
    t.diagnostic(
      `check-job-health, 4 projects × ${JOBS_PER_PROJECT} jobs, ${PROJECTS.length * JOBS_PER_PROJECT} new runs: ` +
        `${Math.round(cpu)} ms CPU (Deno process utime+stime from /proc, ${1000 / CLOCK_TICKS} ms resolution), ${Math.round(wallMs)} ms wall`,
    );
    assert.ok(cpu < 2000, `one cycle took ${cpu} ms of CPU: over the Edge runtime's 2 s budget`);
  });

  it("answers 409 with a JSON body when another cycle holds the hub's check lease, and does nothing", async () => {
    await hub.query("update monitoring.check_lock set holder = gen_random_uuid(), acquired_at = now(), expires_at = now() + interval '5 minutes' where id");
    try {
      const before = await checkRuns();
      const answer = await callAsPgCron(server);
      assert.equal(answer.status, 409, answer.text);
      assert.equal(answer.json.error, "check_in_progress");
      assert.match(answer.json.message, /another check is running/);
      assert.equal(answer.json.report.skipped, answer.json.message);
      assert.equal(await checkRuns(), before);
    } finally {
      await hub.query("update monitoring.check_lock set holder = null, expires_at = null where id");
    }
  });

  it("two concurrent calls send one cycle's alerts, never two", async (t) => {
    const job = "scraping-job-7";
    assert.equal((await setCriticality("scraping", job, "critical")).length, 1);
    const [source] = await byProject.scraping.sql<{ jobid: number }>("select jobid from cron.job where jobname = $1", [job]);
    await insertRun(byProject.scraping, {
      jobid: source!.jobid,
      status: "failed",
      return_message: 'ERROR:  relation "scraped_pages" does not exist',
      start_time: new Date(Date.now() - 60_000),
      end_time: new Date(Date.now() - 59_000),
    });
    telegram.reset();
    discord.reset();

    const answers = await Promise.all([callAsPgCron(server), callAsPgCron(server)]);
    const statuses = answers.map((a) => a.status).sort();
    assert.ok(statuses.every((s) => s === 200 || s === 409), `statuses: ${statuses.join(", ")}`);
    assert.ok(statuses.includes(200), "at least one call ran the cycle");
    t.diagnostic(`concurrent calls answered ${statuses.join(" and ")}`);
    const aboutJob = telegram.sent.filter((m) => m.plainText.includes(job));
    assert.equal(aboutJob.length, 1, `one Telegram message about ${job}, got ${aboutJob.length}`);
    assert.match(aboutJob[0]!.plainText, /scraped_pages/);
    assert.equal(aboutJob[0]!.chat_id, CHAT_ID);

    // And the next cycle does not announce it again.
    assert.equal((await callAsPgCron(server)).status, 200);
    assert.equal(telegram.sent.filter((m) => m.plainText.includes(job)).length, 1);
  });

  it("send-alert routes critical to Telegram and low to Discord, and says where each went", async () => {
    telegram.reset();
    discord.reset();
    const critical = await call(server, "send-alert", {
      token: SECRET,
      body: { criticality: "critical", title: "Stripe payouts stalled", message: "No payout since 06:00 <UTC> & counting", project: "smoothed", job: "payouts" },
    });
    assert.equal(critical.status, 200, critical.text);
    assert.equal(critical.json.ok, true);
    assert.match(critical.json.delivered_to.join(" "), /env:telegram/);
    assert.equal(telegram.sent.length, 1);
    assert.match(telegram.sent[0]!.plainText, /Stripe payouts stalled/);
    assert.match(telegram.sent[0]!.plainText, /No payout since 06:00 <UTC> & counting/);
    assert.equal(discord.messages.length, 0);

    const low = await call(server, "send-alert", { token: SECRET, body: { criticality: "low", title: "Weekly digest ready", message: "42 leads this week." } });
    assert.equal(low.status, 200, low.text);
    assert.match(low.json.delivered_to.join(" "), /env:discord/);
    assert.equal(discord.messages.length, 1);
    assert.match(JSON.stringify(discord.messages[0]!.embeds), /Weekly digest ready/);
    assert.equal(telegram.sent.length, 1, "the low alert did not go to Telegram");
  });

  it("send-alert rejects bad bodies with 400 and a clear JSON error, sending nothing", async () => {
    telegram.reset();
    discord.reset();
    const cases: { raw?: string; body?: unknown; status: number; error: string; mentions: RegExp }[] = [
      { raw: "{not json", status: 400, error: "invalid_json", mentions: /not valid JSON/ },
      { body: ["critical", "t", "m"], status: 400, error: "invalid_request", mentions: /JSON object/ },
      { body: { title: "t", message: "m" }, status: 400, error: "invalid_request", mentions: /criticality: must be one of critical, important, low/ },
      { body: { criticality: "urgent", title: "t", message: "m" }, status: 400, error: "invalid_request", mentions: /got "urgent"/ },
      { body: { criticality: "low", title: "  ", message: "m" }, status: 400, error: "invalid_request", mentions: /title: must be a non-empty string/ },
      { body: { criticality: "low", title: "t", message: 42 }, status: 400, error: "invalid_request", mentions: /message: must be a non-empty string/ },
      { body: { criticality: "low", title: "x".repeat(257), message: "m" }, status: 400, error: "invalid_request", mentions: /title: is 257 characters long; at most 256/ },
      { body: { criticality: "low", title: "t", message: "m", severity: "high" }, status: 400, error: "invalid_request", mentions: /severity: unknown field/ },
      { body: { criticality: "low", title: "t", message: "m", project: 7 }, status: 400, error: "invalid_request", mentions: /project: must be a non-empty string/ },
      { raw: JSON.stringify({ criticality: "low", title: "t", message: "x".repeat(70_000) }), status: 413, error: "payload_too_large", mentions: /larger than/ },
    ];
    for (const c of cases) {
      const answer = await call(server, "send-alert", { token: SECRET, ...(c.raw === undefined ? { body: c.body } : { raw: c.raw }) });
      assert.equal(answer.status, c.status, `${c.raw ?? JSON.stringify(c.body)} → ${answer.text}`);
      assert.equal(answer.json.error, c.error);
      assert.match(answer.json.message, c.mentions);
    }
    assert.equal(telegram.sent.length + discord.messages.length, 0);
  });

  // A test with an intentional failure: a job pg_cron itself runs and that fails,
  // the function called exactly as the scheduling migration calls it, the alert at Telegram.
  it("end to end: a pg_cron job that really fails reaches Telegram with its error text", async () => {
    const blingsting = byProject.blingsting;
    // @reboot: pg_cron runs it as soon as its launcher starts (test/integration/harness.test.ts).
    const jobid = await scheduleJob(blingsting, "nightly-rollup", "@reboot", "select 1/0");
    assert.equal((await callAsPgCron(server)).status, 200, "a cycle inventories the new job");
    assert.equal((await setCriticality("blingsting", "nightly-rollup", "critical")).length, 1);
    telegram.reset();

    await blingsting.restart();
    await waitFor("pg_cron to run nightly-rollup", 30_000, async () => {
      const rows = await blingsting.sql("select status from cron.job_run_details where jobid = $1 and status = 'failed'", [jobid]);
      return rows.length > 0 ? true : undefined;
    });

    const answer = await callAsPgCron(server);
    assert.equal(answer.status, 200, answer.text);
    const entry = answer.json.jobs.find((j: { project_name: string; job_name: string }) => j.project_name === "blingsting" && j.job_name === "nightly-rollup");
    assert.equal(entry?.status, "failed");
    assert.match(entry?.error_message ?? "", /division by zero/);
    const alert = telegram.sent.find((m) => m.plainText.includes("nightly-rollup"));
    assert.ok(alert, `a Telegram message about nightly-rollup; sent: ${telegram.sent.map((m) => m.plainText.slice(0, 80)).join(" | ")}`);
    assert.match(alert.plainText, /division by zero/);
    assert.match(alert.plainText, /blingsting/);
    assert.equal(alert.chat_id, CHAT_ID);
  });
});

describe("a misconfigured deployment", () => {
  let server: FunctionsServer;
  const HUB_PASSWORD = "hub-pw-5f2b9c0e7d";

  before(async () => {
    server = await startFunctionsServer({
      JOBMON_FUNCTION_SECRET: SECRET,
      // Not a Postgres URL, and with a password in it.
      JOBMON_HUB_URL: `mysql://postgres:${HUB_PASSWORD}@127.0.0.1:9/postgres`,
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_CHAT_ID: CHAT_ID,
    });
  });

  after(async () => {
    await server?.stop();
  });

  it("answers 500 with a JSON error that names the variable and carries no secret", async () => {
    for (const answer of [
      await callAsPgCron(server),
      await call(server, "send-alert", { token: SECRET, body: { criticality: "critical", title: "t", message: "m" } }),
    ]) {
      assert.equal(answer.status, 500, answer.text);
      assert.equal(answer.json.error, "configuration");
      assert.match(answer.json.message, /^JOBMON_HUB_URL: expected a postgresql:\/\/ URL/);
      for (const secret of [HUB_PASSWORD, SECRET, BOT_TOKEN]) assert.ok(!answer.text.includes(secret), "the answer leaks no secret");
    }
    for (const secret of [HUB_PASSWORD, SECRET, BOT_TOKEN]) assert.ok(!server.output().includes(secret), "the function's log leaks no secret");
    assert.match(server.output(), /check-job-health: JOBMON_HUB_URL:/, "the failure is in the function's log");
  });
});

describe("a deployment without JOBMON_FUNCTION_SECRET", () => {
  let server: FunctionsServer;
  before(async () => {
    server = await startFunctionsServer({ JOBMON_HUB_URL: "postgres://postgres:pw@127.0.0.1:9/postgres" });
  });
  after(async () => {
    await server?.stop();
  });

  it("refuses every call with 401 and says which secret to set", async () => {
    for (const token of [null, "anything-at-all-long-enough"]) {
      for (const name of ["check-job-health", "send-alert"]) {
        const answer = await call(server, name, { token, raw: "{}" });
        assert.equal(answer.status, 401);
        assert.equal(answer.json.reason, "not_configured");
        assert.match(answer.json.message, /supabase secrets set JOBMON_FUNCTION_SECRET=/);
      }
    }
  });
});

describe("the scheduling migration (supabase/migrations/…_schedule_check_job_health.sql)", () => {
  const PROJECT_URL = "https://abcdefghijklmnopqrst.supabase.co";
  const migrationSql = fs.readFileSync(SCHEDULE_MIGRATION, "utf8");
  let cluster: PgCronCluster;
  let db: Db;

  before(() => {
    // thordata's cluster: the hub's pg_cron is where this migration runs. The function
    // tests above are done with it.
    cluster = (clusters() as PgCronCluster[])[3]!;
    db = postgresDb(cluster.url, { max: 1 });
  });
  after(async () => {
    await cluster.sql("select cron.unschedule(jobid) from cron.job where jobname = 'jobmon-check-job-health'");
    await db?.close();
  });

  const scheduled = () => cluster.sql<{ jobid: number; schedule: string; command: string; active: boolean; database: string }>(
    "select jobid, schedule, command, active, database from cron.job where jobname = 'jobmon-check-job-health'",
  );

  it("is not a hub migration, so `jobmon migrate` never embeds it", () => {
    assert.ok(!migrationSql.startsWith("-- jobmon:hub"));
  });

  it("refuses to schedule anything where neither pg_net nor a net.http_post exists", async () => {
    await assert.rejects(db.exec(migrationSql), /pg_net is not available/);
    assert.deepEqual(await scheduled(), []);
  });

  it("schedules check-job-health every 15 minutes once, however often it runs, calling it with the Vault secrets and a 60 s timeout", async () => {
    // Neither pg_net nor Vault is packaged for Debian: stand-ins with their real signatures.
    await cluster.sql("create schema net");
    await cluster.sql("create table net.calls (url text, body jsonb, params jsonb, headers jsonb, timeout_milliseconds int)");
    await cluster.sql(`
      create function net.http_post(url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
                                    headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
                                    timeout_milliseconds integer default 5000)
      returns bigint language sql as $$
        insert into net.calls values (url, body, params, headers, timeout_milliseconds);
        select count(*) from net.calls;
      $$`);
    await cluster.sql("create schema vault");
    await cluster.sql("create table vault.decrypted_secrets (name text primary key, decrypted_secret text)");
    await cluster.sql("insert into vault.decrypted_secrets values ('jobmon_project_url', $1), ('jobmon_function_secret', $2), ('anon_key', 'not-this-one'), ('publishable_key', 'nor-this-one')", [PROJECT_URL, SECRET]);

    await db.exec(migrationSql);
    const [first] = await scheduled();
    assert.ok(first);
    assert.equal(first.schedule, "*/15 * * * *");
    assert.equal(first.active, true);
    assert.equal(first.database, "postgres");

    await db.exec(migrationSql);
    const again = await scheduled();
    assert.equal(again.length, 1, "running it twice keeps one job");
    assert.equal(again[0]?.jobid, first.jobid);

    await cluster.sql(first.command);
    const calls = await cluster.sql<{ url: string; body: unknown; headers: Record<string, string>; timeout_milliseconds: number }>("select * from net.calls");
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.url, `${PROJECT_URL}/functions/v1/check-job-health`);
    assert.deepEqual(calls[0]!.headers, { "Content-Type": "application/json", Authorization: `Bearer ${SECRET}` });
    assert.deepEqual(calls[0]!.body, {});
    assert.ok(calls[0]!.timeout_milliseconds >= 30_000, "longer than pg_net's 5 s default");
    assert.equal(calls[0]!.timeout_milliseconds, 60_000);
  });

  it("names the same Vault secrets as docs/deploy.md", () => {
    const guide = fs.readFileSync(path.join(repoRoot, "docs", "deploy.md"), "utf8");
    for (const name of ["jobmon_project_url", "jobmon_function_secret"]) {
      assert.match(migrationSql, new RegExp(`name = '${name}'`));
      assert.match(guide, new RegExp(`vault\\.create_secret\\([^)]*'${name}'\\)`));
    }
  });
});

describe("the functions' deno.json", () => {
  it("maps every package the bundle imports, at package.json's version ranges", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const { EXTERNAL_PACKAGES } = (await import(pathToFileURL(path.join(repoRoot, "scripts", "build-functions.mjs")).href)) as { EXTERNAL_PACKAGES: string[] };
    for (const fn of ["check-job-health", "send-alert"]) {
      const config = JSON.parse(fs.readFileSync(path.join(repoRoot, "supabase", "functions", fn, "deno.json"), "utf8")) as { imports: Record<string, string> };
      assert.deepEqual(Object.keys(config.imports).sort(), [...EXTERNAL_PACKAGES].sort(), fn);
      for (const name of EXTERNAL_PACKAGES) assert.equal(config.imports[name], `npm:${name}@${pkg.dependencies[name]}`, `${fn}: ${name}`);
    }
  });
});

describe("deno check", () => {
  const deno = path.join(path.dirname(createRequire(import.meta.url).resolve("deno/package.json")), process.platform === "win32" ? "deno.exe" : "deno");
  const check = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      execFile(deno, ["check", ...args], { cwd: repoRoot, env: { ...baseEnv() } }, (error, stdout, stderr) =>
        error ? reject(new Error(`deno check ${args.join(" ")} failed:\n${stdout}${stderr}`)) : resolve(),
      );
    });

  it("type-checks both functions against the bundle, and the bundle's sources (with src/) under Deno's types", async () => {
    const fn = (name: string) => path.join("supabase", "functions", name);
    await Promise.all([
      check(["--config", path.join(fn("check-job-health"), "deno.json"), path.join(fn("check-job-health"), "index.ts")]),
      check(["--config", path.join(fn("send-alert"), "deno.json"), path.join(fn("send-alert"), "index.ts")]),
      // src/ imports `./x.js` for `./x.ts` (Node ESM style): Deno's sloppy imports resolve it.
      check(["--unstable-sloppy-imports", ...fs.readdirSync(fn("_shared")).filter((f) => f.endsWith(".ts")).map((f) => path.join(fn("_shared"), f))]),
    ]);
  });
});
