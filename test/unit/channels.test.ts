import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CHANNELS, noRouteHint } from "../../src/alerts/channels/index.js";
import { formatSlack } from "../../src/alerts/channels/slack/format.js";
import { escapeSlackText } from "../../src/alerts/channels/slack/markup.js";
import { slackWebhookProblem } from "../../src/lib/slack-url.js";
import { webhookSignature } from "../../src/alerts/channels/webhook/sign.js";
import { chooseRoutes, resolveRoutes, routesFromEnvironment } from "../../src/alerts/route.js";
import type { JobAlert } from "../../src/alerts/types.js";
import { resolveConfig } from "../../src/config.js";
import { redactSecrets } from "../../src/lib/redact.js";
import { slackBlocksProblem } from "../fakes/slack.js";
import { failedJob } from "../helpers/alerts.js";
import { verifyJobmonSignature } from "../fakes/webhook-receiver.js";

const SLACK = "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/abcdefghijklmnopqrstuvwx";
const SECRET = "0123456789abcdef0123456789abcdef";
const BASE = { SUPABASE_POSTGRES_URL: "postgresql://postgres:pw123456@localhost:5432/postgres" };

describe("channel registry", () => {
  it("deliver.ts names no channel: every channel-specific decision is behind the contract", () => {
    const source = readFileSync(new URL("../../src/alerts/deliver.ts", import.meta.url), "utf8");
    assert.doesNotMatch(source, /discord|telegram|slack|webhook/i);
  });

  it("lists every channel once, and the no-route hint names each one's variables", () => {
    assert.deepEqual(CHANNELS.map((c) => c.name), ["telegram", "discord", "slack", "webhook"]);
    assert.match(noRouteHint(), /TELEGRAM_BOT_TOKEN \+ TELEGRAM_CHAT_ID, DISCORD_WEBHOOK_URL, SLACK_WEBHOOK_URL and\/or JOBMON_WEBHOOK_URL \+ JOBMON_WEBHOOK_SECRET/);
  });
});

describe("environment routing", () => {
  const routes = (env: Record<string, string>) => routesFromEnvironment(resolveConfig({ ...BASE, ...env }));
  const ids = (criticality: "critical" | "important" | "low", env: Record<string, string>) => {
    const choice = chooseRoutes(criticality, routes(env), new Set());
    return { to: choice.routes.map((r) => r.id), fallback: choice.fallbackFrom };
  };
  const all = { TELEGRAM_BOT_TOKEN: "123456:abcdefghijklmnop", TELEGRAM_CHAT_ID: "-100123", DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/1/tok", SLACK_WEBHOOK_URL: SLACK, JOBMON_WEBHOOK_URL: "https://example.com/hook", JOBMON_WEBHOOK_SECRET: SECRET };

  it("keeps the default routing when only Telegram and Discord are set", () => {
    const env = { TELEGRAM_BOT_TOKEN: all.TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID: all.TELEGRAM_CHAT_ID, DISCORD_WEBHOOK_URL: all.DISCORD_WEBHOOK_URL };
    assert.deepEqual(ids("critical", env), { to: ["env:telegram"], fallback: null });
    assert.deepEqual(ids("important", env), { to: ["env:discord"], fallback: null });
  });

  it("Slack is a chat route like Discord; the webhook gets a copy of everything and stands in for nothing", () => {
    assert.deepEqual(ids("critical", all), { to: ["env:telegram", "env:webhook"], fallback: null });
    assert.deepEqual(ids("low", all), { to: ["env:discord", "env:slack", "env:webhook"], fallback: null });
    assert.deepEqual(ids("critical", { SLACK_WEBHOOK_URL: SLACK, JOBMON_WEBHOOK_URL: all.JOBMON_WEBHOOK_URL, JOBMON_WEBHOOK_SECRET: SECRET }), {
      to: ["env:slack", "env:webhook"],
      fallback: "critical",
    });
    assert.deepEqual(ids("critical", { JOBMON_WEBHOOK_URL: all.JOBMON_WEBHOOK_URL, JOBMON_WEBHOOK_SECRET: SECRET }), { to: ["env:webhook"], fallback: null });
  });

  it("validates SLACK_WEBHOOK_URL's shape and the webhook secret, never repeating a secret", () => {
    assert.throws(() => resolveConfig({ ...BASE, SLACK_WEBHOOK_URL: "https://example.com/services/T1/B1/secretvalue123" }), (e: Error) => /SLACK_WEBHOOK_URL: not a Slack incoming webhook URL/.test(e.message) && !e.message.includes("secretvalue123"));
    assert.throws(() => resolveConfig({ ...BASE, JOBMON_WEBHOOK_URL: "https://example.com/hook" }), /JOBMON_WEBHOOK_SECRET: is required/);
    assert.throws(() => resolveConfig({ ...BASE, JOBMON_WEBHOOK_URL: "https://example.com/hook", JOBMON_WEBHOOK_SECRET: "short" }), /at least 16/);
    const config = resolveConfig({ ...BASE, ...all });
    assert.ok(config.secrets.includes("abcdefghijklmnopqrstuvwx") && config.secrets.includes(SECRET));
    assert.equal(slackWebhookProblem("http://hooks.slack.com/services/T1/B1/x"), slackWebhookProblem("nope"), "http is refused for Slack's host");
    assert.equal(slackWebhookProblem(SLACK), null);
  });

  it("an alert_config row that does not validate is ignored, with a reason that names no secret", () => {
    const problems: string[] = [];
    const config = resolveConfig(BASE);
    const rows = [
      { id: "1", channel: "slack", criticality: "all", webhook_url: "https://example.com/x/secretvalue123", bot_token: null, chat_id: null, enabled: true, name: "bad slack" },
      { id: "2", channel: "webhook", criticality: "all", webhook_url: "https://example.com/hook", bot_token: null, chat_id: null, secret: "short", enabled: true, name: "bad hook" },
      { id: "3", channel: "pigeon", criticality: "all", webhook_url: null, bot_token: null, chat_id: null, enabled: true, name: null },
    ];
    assert.deepEqual(resolveRoutes(rows, config, problems), []);
    assert.equal(problems.length, 3);
    assert.ok(problems.every((p) => !p.includes("secretvalue123") && !p.includes("short\"")));
  });
});

describe("Slack formatting", () => {
  const job = (over: Partial<JobAlert> = {}): JobAlert =>
    failedJob({ jobName: "<!channel> <@U123> & `x`", schedule: null, reason: "<https://evil.example|click here>", errorMessage: "```\n<!here>\n```", ...over });


  it("escapes &, < and > (and defuses bare @here and backticks) in all job data", () => {
    assert.equal(escapeSlackText("<!channel> & <@U1>"), "&lt;!channel&gt; &amp; &lt;@U1&gt;");
    const all = JSON.stringify(formatSlack([job()]));
    assert.doesNotMatch(all, /<!channel>|<!here>|<@U123>|<https:\/\/evil/);
    assert.match(all, /&lt;!channel&gt;/);
  });

  it("keeps every message within the block limits, whatever the size", () => {
    const huge = "é".repeat(5_000_000);
    for (const entries of [[job({ errorMessage: huge, reason: huge, jobName: huge })], Array.from({ length: 400 }, (_, i) => job({ eventId: `e${i}`, jobName: `job-${i}`, errorMessage: huge }))]) {
      for (const message of formatSlack(entries)) {
        assert.equal(slackBlocksProblem(message.blocks), null);
        const total = message.text.length + message.blocks.reduce((n, b) => n + ("text" in b ? b.text.text.length : b.elements.reduce((m, e) => m + e.text.length, 0)), 0);
        assert.ok(total <= 40_000, `${total} characters`);
      }
    }
  });

  it("redacts a Slack webhook URL's secret wherever it appears", () => {
    assert.equal(redactSecrets(`POST ${SLACK}`), "POST https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/[redacted]");
  });
});

describe("webhook signature", () => {
  it("is sha256=<hex HMAC-SHA256 of '<timestamp>.<body>'>, verifiable with node:crypto", async () => {
    const body = JSON.stringify({ version: 1, changes: [] });
    const signature = await webhookSignature(SECRET, 1_700_000_000, body);
    assert.match(signature, /^sha256=[0-9a-f]{64}$/);
    const headers = { "x-jobmon-timestamp": "1700000000", "x-jobmon-signature": signature };
    assert.deepEqual(verifyJobmonSignature(SECRET, headers, body, 1_700_000_100), { ok: true });
    assert.equal(verifyJobmonSignature(`${SECRET}x`, headers, body, 1_700_000_100).ok, false);
    assert.equal(verifyJobmonSignature(SECRET, headers, `${body} `, 1_700_000_100).ok, false);
    assert.equal(verifyJobmonSignature(SECRET, headers, body, 1_700_001_000).ok, false, "too old");
  });
});
