/**
 * The Slack and signed-webhook channels: their senders against local stand-ins that speak
 * the documented answers (test/fakes/slack.ts, test/fakes/webhook-receiver.ts), and alerts
 * routed to them by a real check against a throwaway pg_cron cluster.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { formatSlack } from "../../src/alerts/channels/slack/format.js";
import { sendSlack } from "../../src/alerts/channels/slack/send.js";
import { type WebhookMessage, formatWebhook } from "../../src/alerts/channels/webhook/body.js";
import { sendWebhook } from "../../src/alerts/channels/webhook/send.js";
import type { JobAlert } from "../../src/alerts/types.js";
import type { Db } from "../../src/db/types.js";
import { type SendOutcome, withRetries } from "../../src/lib/http.js";
import type { MonitoringAPI } from "../../src/monitor.js";
import { type FakeSlack, slackMarkup, slackVisibleText, startFakeSlack } from "../fakes/slack.js";
import { type FakeTelegram, startFakeTelegram } from "../fakes/telegram.js";
import { type FakeWebhookReceiver, startWebhookReceiver } from "../fakes/webhook-receiver.js";
import { insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { failedJob } from "../helpers/alerts.js";
import { Clock, monitorWithHub, resetCron } from "../helpers/check.js";

const SECRET = "whsec-test-0123456789abcdef0123";
const BOT_TOKEN = "7000000001:AAHfakeTokenForTestsOnly_abcdefghijk";
const CHAT = "-1001234567890";
const NASTY = "<!channel> <!here> <@U123> <#C0123|general> <https://evil.example|click> & @here";

const job = (over: Partial<JobAlert> = {}): JobAlert => failedJob({ jobName: `billing ${NASTY}`, reason: `run failed ${NASTY}`, errorMessage: `ERROR: ${NASTY}`, ...over });

function assertFailed(outcome: SendOutcome, kind: "transient" | "permanent"): void {
  assert.equal(outcome.ok, false, JSON.stringify(outcome));
  if (!outcome.ok) assert.equal(outcome.kind, kind, JSON.stringify(outcome));
}

function recordingSleep(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe("Slack sender against the fake Slack", () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await startFakeSlack();
  });
  after(async () => slack.close());
  beforeEach(() => slack.reset());

  it("delivers a formatted message: within every limit, job data inert", async () => {
    const [message] = formatSlack([job()]);
    const outcome = await sendSlack(slack.webhookUrl, message);
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(slack.posts.length, 1);
    assert.deepEqual(slackMarkup(slack.posts[0]!), [], "no mention or link formed from job data");
    assert.match(slackVisibleText(slack.posts[0]!), /&lt;!channel&gt;/);
  });

  it("waits out a 429 with Retry-After and delivers once", async () => {
    slack.respond429(2);
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(() => sendSlack(slack.webhookUrl, formatSlack([job()])[0]), { sleep });
    assert.equal(outcome.ok, true);
    assert.deepEqual(sleeps, [2000]);
    assert.equal(slack.posts.length, 1);
  });

  it("a 429 asking longer than the wait budget is not waited for", async () => {
    slack.respond429(120);
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(() => sendSlack(slack.webhookUrl, formatSlack([job()])[0]), { sleep });
    assertFailed(outcome, "transient");
    assert.deepEqual(sleeps, []);
  });

  it("500 rollup_error is transient; 404 no_service, 403 invalid_token, 410 channel_is_archived and 400 invalid_payload are permanent; no secret in any error", async () => {
    slack.failNext(1, { status: 500, body: "rollup_error" });
    assertFailed(await sendSlack(slack.webhookUrl, formatSlack([job()])[0]), "transient");

    const cases: [string, () => void, RegExp][] = [
      ["no_service", () => slack.removeHook(), /404 no_service/],
      ["channel_is_archived", () => slack.archive(), /410 channel_is_archived/],
    ];
    for (const [, arrange, expected] of cases) {
      slack.reset();
      arrange();
      const outcome = await sendSlack(slack.webhookUrl, formatSlack([job()])[0]);
      assertFailed(outcome, "permanent");
      assert.match(JSON.stringify(outcome), expected);
    }
    slack.reset();
    const wrong = slack.webhookUrl.replace(/\/[A-Za-z0-9]+$/, "/wrongSecret000000000000");
    const invalidToken = await sendSlack(wrong, formatSlack([job()])[0]);
    assertFailed(invalidToken, "permanent");
    assert.match(JSON.stringify(invalidToken), /403 invalid_token/);
    assert.doesNotMatch(JSON.stringify(invalidToken), /wrongSecret/);

    const invalid = await sendSlack(slack.webhookUrl, { blocks: "nope" });
    assertFailed(invalid, "permanent");
    const secret = slack.webhookUrl.split("/").pop()!;
    assert.ok(![invalid, invalidToken].some((o) => JSON.stringify(o).includes(secret)));
  });

  it("a timeout is transient and names no secret", async () => {
    slack.hang(1);
    const outcome = await sendSlack(slack.webhookUrl, formatSlack([job()])[0], { timeoutMs: 100 });
    assertFailed(outcome, "transient");
    assert.ok(!JSON.stringify(outcome).includes(slack.webhookUrl.split("/").pop()!));
  });

  it("120 failing jobs with 10 MB errors: every message within Slack's limits", async () => {
    const jobs = Array.from({ length: 120 }, (_, i) => job({ eventId: `e${i}`, jobName: `job-${i} ${NASTY}`, errorMessage: i === 0 ? `${NASTY} ${"x".repeat(10_000_000)}` : `ERROR ${i}` }));
    const messages = formatSlack(jobs);
    for (const message of messages) assert.equal((await sendSlack(slack.webhookUrl, message)).ok, true);
    assert.equal(slack.posts.length, messages.length);
    assert.ok(slack.posts.every((p) => slackMarkup(p).length === 0));
    const shown = slack.posts.map(slackVisibleText).join("\n");
    for (let i = 0; i < 120; i++) assert.ok(shown.includes(`job-${i} `), `job-${i} is shown`);
  });
});

describe("signed webhook sender against a verifying receiver", () => {
  let receiver: FakeWebhookReceiver;
  const message = (): WebhookMessage => formatWebhook([job()])[0]!;
  before(async () => {
    receiver = await startWebhookReceiver(SECRET);
  });
  after(async () => receiver.close());
  beforeEach(() => receiver.reset());

  it("signs the body: the receiver verifies it with its own HMAC and gets version 1", async () => {
    const outcome = await sendWebhook(receiver.url, SECRET, message());
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(receiver.received.length, 1);
    const body = receiver.received[0]!.body as Record<string, unknown>;
    assert.equal(body["version"], 1);
    assert.equal(body["type"], "jobmon.alerts");
    assert.ok(typeof body["sent_at"] === "string");
    const [change] = body["changes"] as Record<string, unknown>[];
    assert.equal(change?.["type"], "job");
    assert.equal(change?.["status"], "failed");
    assert.equal(change?.["previous_status"], "success");
    assert.equal(change?.["criticality"], "critical");
    assert.equal(change?.["job"], `billing ${NASTY}`, "JSON carries the text as it is");
    assert.match(String((change?.["links"] as Record<string, unknown>)["dashboard"]), /\/project\/abcdefghijklmnopqrst\/integrations\/cron\/jobs\/12/);
  });

  it("a request signed with another secret fails verification and is a permanent error", async () => {
    const outcome = await sendWebhook(receiver.url, "another-secret-0123456789abcdef", message());
    assertFailed(outcome, "permanent");
    assert.equal(receiver.rejected[0]?.why, "bad signature");
    assert.ok(!JSON.stringify(outcome).includes("another-secret"));
  });

  it("a replayed request (old timestamp) fails verification", async () => {
    const outcome = await sendWebhook(receiver.url, SECRET, message(), { now: () => new Date(Date.now() - 3_600_000) });
    assertFailed(outcome, "permanent");
    assert.equal(receiver.rejected[0]?.why, "stale timestamp");
  });

  it("429 with Retry-After and 5xx are retried; the message arrives once", async () => {
    receiver.respond429(3);
    receiver.failNext(1, { status: 503, body: "down" });
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(() => sendWebhook(receiver.url, SECRET, message()), { sleep, random: () => 0 });
    assert.equal(outcome.ok, true);
    assert.equal(sleeps[0], 3000);
    assert.equal(receiver.received.length, 1);
  });

  it("another 4xx is permanent; the URL's token and the secret stay out of the error", async () => {
    receiver.failNext(1, { status: 404, body: "gone" });
    const url = `${receiver.url}?token=tok-in-query-0123456789`;
    const outcome = await sendWebhook(url, SECRET, message());
    assertFailed(outcome, "permanent");
    assert.ok(!JSON.stringify(outcome).includes("tok-in-query") && !JSON.stringify(outcome).includes(SECRET));
  });

  it("a 10 MB error arrives cut, redacted, with a marker", async () => {
    const bearer = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";
    const [big] = formatWebhook([job({ errorMessage: `Authorization: Bearer ${bearer} ${"x".repeat(10_000_000)}` })]);
    assert.equal((await sendWebhook(receiver.url, SECRET, big!)).ok, true);
    const raw = receiver.received[0]!.request.body;
    assert.ok(raw.length < 20_000, `body is ${raw.length} characters`);
    assert.ok(!raw.includes(bearer.slice(0, 30)));
    assert.match(raw, /truncated/);
  });
});

// ---------------------------------------------------------------------------------------
// Routed by a real check

const clusters = usePgCronClusters(1, { quiet: true, name: "channels" });

describe("alerts routed to Slack and the signed webhook", () => {
  let c: PgCronCluster;
  let slack: FakeSlack;
  let receiver: FakeWebhookReceiver;
  let telegram: FakeTelegram;
  const hubs: Db[] = [];
  // The receiver checks timestamps against the check's clock, which signs with it.
  let clock = new Clock(new Date("2026-11-30T10:00:00Z"));
  const fastDelivery = { sleep: async () => {}, minIntervalMs: { telegram: 0, discord: 0, slack: 0, webhook: 0 }, timeoutMs: 2_000 };

  before(async () => {
    c = clusters()[0]!;
    slack = await startFakeSlack();
    receiver = await startWebhookReceiver(SECRET, () => Math.floor(clock.current.getTime() / 1000));
    telegram = await startFakeTelegram({ token: BOT_TOKEN, chats: [CHAT] });
  });
  after(async () => {
    await Promise.all(hubs.map((h) => h.close()));
    await Promise.all([slack.close(), receiver.close(), telegram.close()]);
  });

  async function setup(env: Record<string, string>): Promise<{ monitor: MonitoringAPI; hub: Db; clock: Clock }> {
    await resetCron(c);
    slack.reset();
    receiver.reset();
    telegram.reset();
    clock = new Clock(new Date("2026-11-30T10:00:00Z"));
    const result = await monitorWithHub(
      { SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "smoothed", JOBMON_PROJECT_REFS: "abcdefghijklmnopqrst", TELEGRAM_API_URL: telegram.apiUrl, ...env },
      { now: clock.now, deliver: fastDelivery },
    );
    hubs.push(result.hub);
    return { ...result, clock };
  }

  /** One job, healthy at the first check, then failing with `message`. */
  async function failingJob(monitor: MonitoringAPI, clock: Clock, name: string, criticality: "critical" | "important", message: string) {
    const jobid = await scheduleJob(c, name, "*/5 * * * *", "select 1");
    clock.set("2026-11-30T10:00:30Z");
    await monitor.checkHealth();
    await monitor.updateJob(`smoothed/${name}`, { criticality });
    await insertRun(c, { jobid, status: "failed", return_message: message, start_time: "2026-11-30T10:05:00Z", end_time: "2026-11-30T10:05:00Z" });
    clock.set("2026-11-30T10:06:00Z");
    return monitor.checkHealth();
  }

  it("SLACK_WEBHOOK_URL gets important alerts, JOBMON_WEBHOOK_URL a signed copy; markup stays inert and a 10 MB error fits", async () => {
    const { monitor, clock } = await setup({ SLACK_WEBHOOK_URL: slack.webhookUrl, JOBMON_WEBHOOK_URL: receiver.url, JOBMON_WEBHOOK_SECRET: SECRET });
    slack.respond429(1);
    const report = await failingJob(monitor, clock, "lead-import <!channel>", "important", `ERROR: <@U123> <!here> & ${"y".repeat(10_000_000)}`);
    assert.equal(report.alerts?.delivered, 2, JSON.stringify(report.alerts));
    assert.equal(slack.posts.length, 1, "the 429 was waited out, then delivered once");
    assert.deepEqual(slackMarkup(slack.posts[0]!), []);
    assert.match(slackVisibleText(slack.posts[0]!), /lead-import &lt;!channel&gt;/);
    assert.equal(receiver.received.length, 1);
    assert.equal(receiver.rejected.length, 0);
    const change = (receiver.received[0]!.body as { changes: Record<string, unknown>[] }).changes[0]!;
    assert.equal(change["job"], "lead-import <!channel>");
    assert.equal(change["criticality"], "important");
    assert.match(String(change["error"]), /truncated/);
  });

  it("a critical alert with only Slack set falls back to Slack and says so; the webhook copy is no stand-in", async () => {
    const { monitor, clock } = await setup({ SLACK_WEBHOOK_URL: slack.webhookUrl, JOBMON_WEBHOOK_URL: receiver.url, JOBMON_WEBHOOK_SECRET: SECRET });
    const report = await failingJob(monitor, clock, "billing-sync", "critical", "ERROR: boom");
    assert.equal(slack.posts.length, 1);
    assert.equal(receiver.received.length, 1);
    assert.match(report.alerts?.notes.join("\n") ?? "", /no route serves critical alerts: sent to Slack/);
  });

  it("a Slack route answering 404 no_service is marked broken and its alerts fail over to Telegram", async () => {
    const { monitor, hub, clock } = await setup({ TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_CHAT_ID: CHAT });
    await monitor.hub();
    await hub.query("delete from monitoring.alert_config");
    await hub.query("insert into monitoring.alert_config (channel, criticality, webhook_url, name) values ('slack', 'important', $1, 'ops slack')", [slack.webhookUrl]);
    await hub.query("insert into monitoring.alert_config (channel, criticality, bot_token, chat_id, name) values ('telegram', 'critical', $1, $2, 'pager')", [BOT_TOKEN, CHAT]);
    slack.removeHook();
    const report = await failingJob(monitor, clock, "lead-import", "important", "ERROR: boom");
    assert.equal(report.alerts?.broken_routes.length, 1);
    assert.match(report.alerts?.broken_routes[0]?.error ?? "", /404 no_service/);
    assert.ok(!JSON.stringify(report).includes(slack.webhookUrl.split("/").pop()!), "the Slack secret is not in the report");
    const texts = telegram.sent.map((m) => m.plainText).join("\n---\n");
    assert.match(texts, /lead-import/, "the important alert went to Telegram instead");
    assert.match(texts, /route broken/i);
  });

  it("alert_config rows: a webhook row signs with its secret; a row that does not validate is ignored and said so", async () => {
    const { monitor, hub, clock } = await setup({});
    await monitor.hub();
    await hub.query("delete from monitoring.alert_config");
    await hub.query("insert into monitoring.alert_config (channel, criticality, webhook_url, secret, name) values ('webhook', 'all', $1, $2, 'receiver')", [receiver.url, SECRET]);
    await hub.query("insert into monitoring.alert_config (channel, criticality, webhook_url, name) values ('slack', 'all', 'https://example.com/services/T1/B1/x', 'not slack')");
    const report = await failingJob(monitor, clock, "billing-sync", "critical", "ERROR: boom");
    assert.equal(receiver.received.length, 1);
    assert.match(report.alerts?.notes.join("\n") ?? "", /not slack .* is ignored: webhook_url is not a Slack incoming webhook URL/);
    const results = await monitor.testAlertRoutes();
    assert.deepEqual(results.map((r) => [r.channel, r.ok]), [["webhook", true]]);
    assert.equal(receiver.received.length, 2);
  });

  it("`alerts test` reaches Slack and the webhook", async () => {
    const { monitor } = await setup({ SLACK_WEBHOOK_URL: slack.webhookUrl, JOBMON_WEBHOOK_URL: receiver.url, JOBMON_WEBHOOK_SECRET: SECRET });
    const results = await monitor.testAlertRoutes();
    assert.deepEqual(results.map((r) => [r.channel, r.ok]), [["slack", true], ["webhook", true]]);
    assert.equal(slack.posts.length, 1);
    assert.equal(receiver.received.length, 1);
  });
});
