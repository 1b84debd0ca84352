import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import type { MonitoringAPI } from "../../src/monitor.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.js";
import { type FakeTelegram, startFakeTelegram } from "../fakes/telegram.js";
import { insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { Clock, monitorWithHub, resetCron } from "../helpers/check.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "alerts" });
const BOT_TOKEN = "7000000001:AAHfakeTokenForTestsOnly_abcdefghijk";
const CHAT = "-1001234567890";
const BEARER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";

let c: PgCronCluster;
let discord: FakeDiscord;
let telegram: FakeTelegram;
const hubs: Db[] = [];

after(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

const fastDelivery = { sleep: async () => {}, minIntervalMs: { telegram: 0, discord: 0 }, timeoutMs: 2_000 };

async function setup(clock: Clock, env: Record<string, string> = {}): Promise<{ monitor: MonitoringAPI; hub: Db }> {
  const result = await monitorWithHub(
    {
      SUPABASE_POSTGRES_URL: c.url,
      JOBMON_PROJECT_NAMES: "smoothed",
      JOBMON_PROJECT_REFS: "abcdefghijklmnopqrst",
      DISCORD_WEBHOOK_URL: discord.webhookUrl,
      TELEGRAM_API_URL: telegram.apiUrl,
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_CHAT_ID: CHAT,
      ...env,
    },
    { now: clock.now, deliver: fastDelivery },
  );
  hubs.push(result.hub);
  return result;
}

/** Two jobs, both healthy at the first check; criticalities set by hand. */
async function twoJobs(monitor: MonitoringAPI, clock: Clock): Promise<{ critical: number; important: number }> {
  const critical = await scheduleJob(c, "billing-sync", "*/5 * * * *", "select 1");
  const important = await scheduleJob(c, "lead-import", "*/5 * * * *", "select 1");
  clock.set("2026-11-30T10:00:30Z");
  await monitor.checkHealth();
  await monitor.updateJob("smoothed/billing-sync", { criticality: "critical" });
  await monitor.updateJob("smoothed/lead-import", { criticality: "important" });
  return { critical, important };
}

async function failBoth(ids: { critical: number; important: number }, at: string, message = "ERROR:  relation \"invoices\" does not exist") {
  for (const jobid of [ids.critical, ids.important]) {
    await insertRun(c, { jobid, status: "failed", return_message: message, start_time: at, end_time: at });
  }
}

async function succeedBoth(ids: { critical: number; important: number }, at: string) {
  for (const jobid of [ids.critical, ids.important]) await insertRun(c, { jobid, status: "succeeded", return_message: "1 row", start_time: at, end_time: at });
}

describe("alerting", () => {
  before(async () => {
    c = clusters()[0]!;
    discord = await startFakeDiscord();
    telegram = await startFakeTelegram({ token: BOT_TOKEN, chats: [CHAT] });
  });
  after(async () => {
    await discord.close();
    await telegram.close();
  });

  async function fresh() {
    await resetCron(c);
    discord.reset();
    telegram.reset();
  }

  it("routes critical to Telegram and important to Discord, once each, through 429s, with recovery notices", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock);
    const ids = await twoJobs(monitor, clock);

    await failBoth(ids, "2026-11-30T10:05:00Z");
    discord.respond429(0.05);
    telegram.respond429(1);
    clock.set("2026-11-30T10:06:00Z");
    const report = await monitor.checkHealth();
    assert.equal(report.alerts?.delivered, 2);
    assert.equal(telegram.sent.length, 1);
    assert.equal(discord.messages.length, 1);
    assert.match(telegram.sent[0]!.plainText, /billing-sync/);
    assert.doesNotMatch(telegram.sent[0]!.plainText, /lead-import/);
    assert.match(telegram.sent[0]!.plainText, /relation "invoices" does not exist/);
    assert.match(JSON.stringify(discord.messages[0]!.embeds), /lead-import/);
    assert.doesNotMatch(JSON.stringify(discord.messages[0]!.embeds), /billing-sync/);
    assert.equal(telegram.requests.filter((r) => r.scripted).length, 1, "the 429 was retried");

    clock.set("2026-11-30T10:07:00Z");
    await monitor.checkHealth();
    assert.equal(telegram.sent.length, 1, "no resend when nothing changed");
    assert.equal(discord.messages.length, 1);

    await succeedBoth(ids, "2026-11-30T10:10:00Z");
    clock.set("2026-11-30T10:11:00Z");
    await monitor.checkHealth();
    assert.equal(telegram.sent.length, 2);
    assert.equal(discord.messages.length, 2);
    assert.match(telegram.sent[1]!.plainText, /recovered/i);
    assert.match(telegram.sent[1]!.plainText, /5m/, "says how long it was down");
  });

  it("keeps an alert through a whole-cycle outage and delivers it on the next check, once", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock);
    const ids = await twoJobs(monitor, clock);
    await failBoth(ids, "2026-11-30T10:05:00Z");
    discord.failNext(10, { status: 500, body: { message: "Internal Server Error" } });
    clock.set("2026-11-30T10:06:00Z");
    const first = await monitor.checkHealth();
    assert.equal(discord.messages.length, 0);
    assert.equal(first.alerts?.pending, 1);
    assert.match(first.alerts?.notes.join("\n") ?? "", /retried next cycle/);

    discord.reset();
    clock.set("2026-11-30T10:07:00Z");
    const second = await monitor.checkHealth();
    assert.equal(discord.messages.length, 1);
    assert.equal(second.alerts?.pending, 0);
    clock.set("2026-11-30T10:08:00Z");
    await monitor.checkHealth();
    assert.equal(discord.messages.length, 1, "delivered exactly once");
  });

  it("marks a route broken on a permanent 404, moves its alert to another route and says so there", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const gone = await startFakeDiscord({ webhooks: [{ id: "1100000000000000009", token: "soon-deleted-token-0123456789abcdefghij" }] });
    try {
      const { monitor } = await setup(clock, { DISCORD_WEBHOOK_URL: gone.webhookUrl });
      const ids = await twoJobs(monitor, clock);
      gone.deleteWebhook("1100000000000000009");
      await failBoth(ids, "2026-11-30T10:05:00Z");
      clock.set("2026-11-30T10:06:00Z");
      const report = await monitor.checkHealth();
      assert.equal(report.alerts?.broken_routes.length, 1);
      assert.match(report.alerts?.broken_routes[0]?.error ?? "", /404|Unknown Webhook/);
      assert.doesNotMatch(JSON.stringify(report), /soon-deleted-token/);
      const texts = telegram.sent.map((m) => m.plainText).join("\n---\n");
      assert.match(texts, /lead-import/, "the important alert went to Telegram instead");
      assert.match(texts, /route broken/i, "Telegram was told");
      const attempts = gone.requests.length;
      await succeedBoth(ids, "2026-11-30T10:10:00Z");
      clock.set("2026-11-30T10:11:00Z");
      await monitor.checkHealth();
      assert.equal(gone.requests.length, attempts, "the broken route is not used again");
      const deliveries = await monitor.alertDeliveries(50);
      assert.ok(deliveries.some((d) => d.route_id === "env:discord" && d.status === "failed"));
    } finally {
      await gone.close();
    }
  });

  it("falls back to another route when none serves a criticality, and says so", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock, { TELEGRAM_BOT_TOKEN: "", TELEGRAM_CHAT_ID: "" });
    const ids = await twoJobs(monitor, clock);
    await failBoth(ids, "2026-11-30T10:05:00Z");
    clock.set("2026-11-30T10:06:00Z");
    const report = await monitor.checkHealth();
    assert.equal(discord.messages.length, 1, "one message carries both");
    assert.match(JSON.stringify(discord.messages[0]!.embeds), /billing-sync/);
    assert.match(report.alerts?.notes.join("\n") ?? "", /no route serves critical alerts/);
  });

  it("routes through alert_config rows instead of the environment when any is enabled", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const other = await startFakeDiscord({ webhooks: [{ id: "1100000000000000007", token: "config-row-token-0123456789abcdefghijkl" }] });
    try {
      const { monitor, hub } = await setup(clock);
      await monitor.hub(); // migrated on first use
      await hub.query("insert into monitoring.alert_config (channel, criticality, webhook_url) values ('discord', 'all', $1)", [other.webhookUrl]);
      const ids = await twoJobs(monitor, clock);
      await failBoth(ids, "2026-11-30T10:05:00Z");
      clock.set("2026-11-30T10:06:00Z");
      await monitor.checkHealth();
      assert.equal(other.messages.length, 1);
      assert.equal(telegram.sent.length, 0);
      assert.equal(discord.messages.length, 0);
    } finally {
      await other.close();
    }
  });

  it("says once per cycle that no route exists, keeps the alerts, and sends them when a route appears", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor, hub } = await setup(clock, { DISCORD_WEBHOOK_URL: "", TELEGRAM_BOT_TOKEN: "", TELEGRAM_CHAT_ID: "" });
    const ids = await twoJobs(monitor, clock);
    await failBoth(ids, "2026-11-30T10:05:00Z");
    clock.set("2026-11-30T10:06:00Z");
    const report = await monitor.checkHealth();
    const notes = report.alerts?.notes.filter((n) => /no alert route is configured/.test(n)) ?? [];
    assert.equal(notes.length, 1);
    await hub.query("insert into monitoring.alert_config (channel, criticality, webhook_url) values ('discord', 'all', $1)", [discord.webhookUrl]);
    clock.set("2026-11-30T10:07:00Z");
    await monitor.checkHealth();
    assert.equal(discord.messages.length, 1);
    assert.match(JSON.stringify(discord.messages[0]!.embeds), /billing-sync/);
  });

  it("sends nothing for a muted job but keeps tracking its state", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock);
    const ids = await twoJobs(monitor, clock);
    await monitor.mute("smoothed/billing-sync", 3600);
    await monitor.mute("smoothed/lead-import", 3600);
    await failBoth(ids, "2026-11-30T10:05:00Z");
    clock.set("2026-11-30T10:06:00Z");
    const report = await monitor.checkHealth();
    assert.equal(telegram.sent.length + discord.messages.length, 0);
    assert.ok(report.events.every((e) => e.muted));
    const status = await monitor.status();
    assert.ok(status.jobs.every((j) => j.status === "failed" && j.muted));
  });

  it("keeps a huge error with markup, @everyone and a token within every limit, escaped, silent and redacted", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock);
    const ids = await twoJobs(monitor, clock);
    const huge = `ERROR:  <b>boom</b> & more @everyone Authorization: Bearer ${BEARER} ${"x".repeat(12_000)}`;
    await failBoth(ids, "2026-11-30T10:05:00Z", huge);
    clock.set("2026-11-30T10:06:00Z");
    await monitor.checkHealth();
    assert.equal(discord.messages.length, 1, "the Discord fake accepted it: every limit held");
    assert.equal(telegram.sent.length, 1, "the Telegram fake parsed it: escaped and within 4096");
    assert.deepEqual(discord.messages[0]!.mentions, []);
    assert.match(telegram.sent[0]!.plainText, /<b>boom<\/b> & more/);
    const everything = JSON.stringify(discord.requests) + JSON.stringify(telegram.requests);
    assert.doesNotMatch(everything, new RegExp(BEARER.slice(0, 30)));
    assert.match(everything, /truncated/);
  });

  it("follows Telegram's migrate_to_chat_id and keeps using the new chat", async () => {
    await fresh();
    telegram.migrateChat(CHAT, "-1009999999999");
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock);
    const ids = await twoJobs(monitor, clock);
    await failBoth(ids, "2026-11-30T10:05:00Z");
    clock.set("2026-11-30T10:06:00Z");
    await monitor.checkHealth();
    await succeedBoth(ids, "2026-11-30T10:10:00Z");
    clock.set("2026-11-30T10:11:00Z");
    await monitor.checkHealth();
    assert.deepEqual(telegram.sent.map((m) => m.chat_id), ["-1009999999999", "-1009999999999"]);
    assert.equal(telegram.requests.filter((r) => JSON.stringify(r.json).includes(CHAT)).length, 1, "the old id is tried once only");
  });

  it("reminds while a critical job stays down when JOBMON_REMIND_CRITICAL is set", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock, { JOBMON_REMIND_CRITICAL: "1h" });
    const ids = await twoJobs(monitor, clock);
    await failBoth(ids, "2026-11-30T10:05:00Z");
    clock.set("2026-11-30T10:06:00Z");
    await monitor.checkHealth();
    await failBoth(ids, "2026-11-30T11:05:00Z");
    clock.set("2026-11-30T11:07:00Z");
    await monitor.checkHealth();
    assert.equal(telegram.sent.length, 2);
    assert.match(telegram.sent[1]!.plainText, /still/i);
    assert.equal(discord.messages.length, 1, "no reminders for important jobs unless configured");
  });

  it("pings JOBMON_HEARTBEAT_URL (GET) after every completed check, and not after a dry run", async () => {
    await fresh();
    const { createServer } = await import("node:http");
    const pings: string[] = [];
    const server = createServer((req, res) => {
      pings.push(`${req.method} ${req.url}`);
      res.end("OK");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as import("node:net").AddressInfo).port;
    try {
      const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
      const { monitor } = await setup(clock, { JOBMON_HEARTBEAT_URL: `http://127.0.0.1:${port}/ping/abc` });
      await scheduleJob(c, "a", "*/5 * * * *", "select 1");
      const report = await monitor.checkHealth();
      assert.equal(report.heartbeat, "ok");
      await monitor.checkHealth({ dryRun: true });
      assert.deepEqual(pings, ["GET /ping/abc"]);
    } finally {
      server.close();
    }
  });

  it("`alerts test` reaches every route and reports each result", async () => {
    await fresh();
    const clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const { monitor } = await setup(clock);
    const results = await monitor.testAlertRoutes();
    assert.deepEqual(results.map((r) => [r.channel, r.ok]), [["telegram", true], ["discord", true]]);
    assert.equal(telegram.sent.length, 1);
    assert.equal(discord.messages.length, 1);
  });
});
