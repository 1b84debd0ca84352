import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SAMPLE_BEARER_TOKENS, SAMPLE_PG_CRON_VERSION, SAMPLE_PROJECTS, SAMPLE_SERVICE_ROLE_JWT, sampleJobs, sampleProjectData, WATCHING_SECONDS } from "../../src/demo/sample.js";
import { evaluateJob, type RunFact } from "../../src/health/evaluate.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.js";
import { type FakeTelegram, startFakeTelegram } from "../fakes/telegram.js";
import { CLI, runCli, tempDir } from "../helpers/cli.js";

/**
 * `jobmon demo` from the built CLI, as a new user runs it: a fresh directory, no
 * configuration, no database server.
 */

// Whole tokens, and the JWT's payload and signature on their own (a partial leak is a leak).
const SECRETS = [...SAMPLE_BEARER_TOKENS, ...SAMPLE_SERVICE_ROLE_JWT.split(".").slice(1)];

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows a sample bearer token (${secret.slice(0, 12)}…)`);
}

/** The text between two headings of the demo's report. */
function section(text: string, from: string, to?: string): string {
  const start = text.indexOf(from);
  assert.ok(start >= 0, `the report has a "${from}" section`);
  const end = to === undefined ? text.length : text.indexOf(to, start);
  assert.ok(end > start, `the report has a "${to}" section after "${from}"`);
  return text.slice(start, end);
}

/** A row of a status table: `│ <job> │ <status> │`. */
function statusRow(job: string, status: string): RegExp {
  return new RegExp(`│ ${job} +│ ${status} +│`);
}

/** A table's rows (not its header), each as its cells' text. */
function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("│ "))
    .slice(1)
    .map((line) => line.split("│").slice(1, -1).map((cell) => cell.trim()).slice(0, 3));
}

describe("jobmon demo", () => {
  before(() => assert.ok(existsSync(CLI), "the CLI is built (npm run build)"));

  it("the sample tells the same story whatever the time it runs at (judged as a first check 30 s later)", () => {
    const expected = { healthy: "success", failed: "failed", missed: "missed", stuck: "stuck", paused: "paused" } as const;
    const start = Date.parse("2026-02-27T22:58:59.900Z"); // across a day, a month end and many hour boundaries
    const instants = [...Array.from({ length: 330 }, (_, i) => start + i * 7 * 60_000 + (i % 60) * 1000), Date.parse("2026-11-30T06:00:00.000Z"), Date.parse("2026-12-31T23:59:59.999Z")];
    for (const at of instants) {
      const sampleAt = new Date(at);
      const now = new Date(at + 30_000);
      const jobs = sampleJobs(sampleAt);
      for (const project of SAMPLE_PROJECTS) {
        const data = sampleProjectData(project, sampleAt);
        for (const job of jobs.filter((j) => j.project === project)) {
          const runs: RunFact[] = data.runs
            .filter((r) => r.jobid === job.jobid)
            .map((r) => ({ runid: r.runid, status: r.status, startTime: new Date(r.start_time), endTime: r.end_time === null ? null : new Date(r.end_time), message: r.return_message, seenAt: now }));
          // A first check counts each job's latest finished run and its open ones (src/check/judge.ts).
          const finished = runs.filter((r) => r.status !== "running");
          const firstCheck = [...finished.slice(-1), ...runs.filter((r) => r.status === "running")];
          const verdict = evaluateJob(
            { schedule: job.schedule, active: job.story.kind !== "paused", expectedSince: new Date(at - WATCHING_SECONDS * 1000), graceSeconds: null, maxRuntimeSeconds: null, lastFinishedRun: null, runs: firstCheck },
            { pgCronVersion: SAMPLE_PG_CRON_VERSION, timezone: "GMT" },
            now,
          );
          assert.equal(verdict.status, expected[job.story.kind], `${project}/${job.jobname} at ${sampleAt.toISOString()}: ${verdict.reason}`);
        }
        // The Edge Function's HTTP 500 is the latest response jobmon reads (the last hour, up to 10 s ago).
        const failing = jobs.find((j) => j.project === project && j.http?.failLatest);
        if (failing) {
          const readable = data.responses.filter((r) => Date.parse(r.created) >= now.getTime() - 3_600_000 && Date.parse(r.created) <= now.getTime() - 10_000);
          assert.equal(readable.at(-1)?.status_code, 500, `${project}/${failing.jobname} at ${sampleAt.toISOString()}`);
        }
      }
    }
  });

  it("with an empty environment and no server, shows failed, missed, stuck and paused jobs and the alerts it would send to Telegram and Discord, and sends nothing", async () => {
    const cwd = tempDir();
    const r = await runCli(["demo"], { cwd, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);

    const inventory = section(r.stdout, "1. Inventory", "2. Health check");
    assert.match(inventory, /10 jobs in 3 projects/);
    assert.match(inventory, /Bearer \[redacted\]/, "the Edge Function call's command is shown, redacted");

    const check = section(r.stdout, "2. Health check", "3. Alerts");
    assert.match(check, statusRow("dedupe-leads", "failed"));
    assert.match(check, statusRow("sync-hubspot-contacts", "missed"));
    assert.match(check, statusRow("scrape-competitor-prices", "stuck"));
    assert.match(check, statusRow("purge-soft-deleted", "paused"));
    assert.match(check, statusRow("import-leads", "success"));
    assert.match(check, statusRow("refresh-deal-scores", "success"), "the 30 seconds job is healthy");

    const alerts = section(r.stdout, "3. Alerts it would send (nothing was sent)");
    const telegram = section(alerts, "━━ Telegram", "━━ Discord");
    const discord = section(alerts, "━━ Discord");
    assert.match(telegram, /for critical · not configured · 2 messages/);
    assert.match(telegram, /dedupe-leads failed/);
    assert.match(telegram, /duplicate key value violates unique constraint "leads_email_key"/);
    assert.match(telegram, /scrape-competitor-prices stuck/);
    assert.match(discord, /for important, low · not configured/);
    assert.match(discord, /sync-hubspot-contacts missed a run/);
    assert.doesNotMatch(discord, /dedupe-leads|scrape-competitor-prices/, "critical alerts go to Telegram only");

    assertNoSecret(r.stdout, "stdout");
    assertNoSecret(r.stderr, "stderr");
    const hub = /an embedded PGlite hub in (\S+) \(deleted at the end\)/.exec(r.stdout)?.[1];
    assert.ok(hub, "the report says where the hub was");
    assert.ok(!existsSync(hub), "the temporary hub is deleted");
    assert.ok(!existsSync(join(cwd, ".jobmon")), "nothing is left in the working directory");
  });

  describe("--keep --send --json, then jobmon status in the same directory", () => {
    const BOT_TOKEN = "123456789:AAEdemoTestTokenAAAAAAAAAAAAAAAAAAAA";
    const CHAT = "-1001234567890";
    let telegram: FakeTelegram;
    let discord: FakeDiscord;
    before(async () => {
      telegram = await startFakeTelegram({ token: BOT_TOKEN, chats: [CHAT] });
      discord = await startFakeDiscord();
    });
    after(async () => {
      await telegram.close();
      await discord.close();
    });

    it("sends the alerts through the configured routes, prints { inventory, check, alerts }, and leaves a hub jobmon status reads", async () => {
      const cwd = tempDir();
      const env = { TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_CHAT_ID: CHAT, TELEGRAM_API_URL: telegram.apiUrl, DISCORD_WEBHOOK_URL: discord.webhookUrl };
      const r = await runCli(["demo", "--keep", "--send", "--json"], { cwd, env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as {
        inventory: { project_name: string; job_name: string; command: string | null; criticality: string | null }[];
        check: { jobs: { project_name: string; job_name: string; status: string; reason: string }[] };
        alerts: { sent: boolean; routes_configured: boolean; delivery: { delivered: number; pending: number } };
      };
      assert.deepEqual(Object.keys(report).sort(), ["alerts", "check", "inventory"]);
      assert.equal(report.inventory.length, 10);
      assert.ok(report.inventory.every((j) => j.criticality !== null), "every job was annotated with a criticality");
      const statuses = Object.fromEntries(report.check.jobs.map((j) => [`${j.project_name}/${j.job_name}`, j]));
      assert.equal(statuses["demo-leads/dedupe-leads"]?.status, "failed");
      assert.equal(statuses["demo-leads/enrich-lead"]?.status, "failed", "the Edge Function's HTTP 500 fails its caller");
      assert.match(statuses["demo-leads/enrich-lead"]?.reason ?? "", /HTTP 500 from the Edge Function enrich-lead/);
      assert.equal(statuses["demo-crm/sync-hubspot-contacts"]?.status, "missed");
      assert.equal(statuses["demo-scraping/scrape-competitor-prices"]?.status, "stuck");
      assert.equal(statuses["demo-crm/purge-soft-deleted"]?.status, "paused");

      assert.equal(report.alerts.sent, true);
      assert.equal(report.alerts.routes_configured, true);
      assert.equal(report.alerts.delivery.pending, 0);
      const telegramText = telegram.sent.map((m) => m.plainText).join("\n");
      assert.equal(telegram.sent.length, 2, "one Telegram message per project with a critical change");
      assert.match(telegramText, /dedupe-leads/);
      assert.match(telegramText, /scrape-competitor-prices/);
      const discordText = JSON.stringify(discord.messages.map((m) => m.payload));
      assert.match(discordText, /sync-hubspot-contacts/);
      assert.doesNotMatch(discordText, /dedupe-leads|scrape-competitor-prices/);
      for (const [text, where] of [[r.stdout, "stdout"], [r.stderr, "stderr"], [telegramText, "Telegram"], [discordText, "Discord"]] as const) assertNoSecret(text, where);

      const status = await runCli(["status", "--json"], { cwd });
      assert.equal(status.code, 0, status.stderr);
      const jobs = JSON.parse(status.stdout) as { project_name: string; job_name: string; status: string }[];
      assert.deepEqual(
        jobs.map((j) => `${j.project_name}/${j.job_name}`).sort(),
        report.inventory.map((j) => `${j.project_name}/${j.job_name}`).sort(),
        "jobmon status shows the demo's jobs, with no project configured",
      );
      assert.equal(jobs.find((j) => j.job_name === "scrape-competitor-prices")?.status, "stuck");

      // The table view: the jobs that are not healthy, worst first, and a count of the rest.
      const table = await runCli(["status"], { cwd });
      assert.equal(table.code, 0, table.stderr);
      assert.deepEqual(tableRows(table.stdout), [
        ["demo-leads", "dedupe-leads", "failed"],
        ["demo-leads", "enrich-lead", "failed"],
        ["demo-scraping", "scrape-competitor-prices", "stuck"],
        ["demo-crm", "sync-hubspot-contacts", "missed"],
      ]);
      assert.match(table.stdout, /^6 other jobs: 5 healthy, 1 paused, in 3 projects; --all lists every job$/m);
      assert.match(table.stdout, /^demo-leads: ok/m, "every project's state");
      const failed = await runCli(["status", "--status", "failed"], { cwd });
      assert.equal(failed.code, 0, failed.stderr);
      assert.deepEqual(tableRows(failed.stdout), [
        ["demo-leads", "dedupe-leads", "failed"],
        ["demo-leads", "enrich-lead", "failed"],
      ]);
      const limited = await runCli(["jobs", "--project", "demo-crm", "--limit", "1"], { cwd });
      assert.equal(limited.code, 0, limited.stderr);
      assert.deepEqual(tableRows(limited.stdout), [["demo-crm", "pg_cron", "purge-soft-deleted"]]);
      assert.match(limited.stdout, /^… 2 more jobs not shown \(--limit 1\)/m);
      const unknown = await runCli(["jobs", "--project", "demo-crm,demo-nope"], { cwd });
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stdout, "");
      assert.match(unknown.stderr, /^jobmon: --project: no project is named "demo-nope"; the projects are demo-crm, demo-leads, demo-scraping$/m);
    });
  });
});
