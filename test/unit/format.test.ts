import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DiscordEmbed,
  type DiscordWebhookPayload,
  formatDiscord,
  formatPlainText,
  formatTelegram,
} from "../../src/alerts/format.js";
import type { AlertEntry, JobAlert, MessageAlert, ProjectAlert } from "../../src/alerts/types.js";
import { validateDiscordPayload } from "../fakes/discord.js";
import { parseTelegramHtml } from "../fakes/telegram.js";

// ---------------------------------------------------------------------------------------
// Fixtures

const T0 = "2025-03-01T10:00:00Z";
const REF = "abcdefghijklmnopqrst";
const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const PASSWORD = "Zq9hunter2";
const FAMILY = "👨‍👩‍👧‍👦"; // one grapheme, 11 UTF-16 units (4 surrogate pairs and 3 ZWJ)

function job(over: Partial<JobAlert> = {}): JobAlert {
  return {
    kind: "job",
    eventId: "00000000-0000-4000-8000-000000000001",
    projectName: "smoothed",
    projectRef: REF,
    jobId: "job-1",
    jobName: "nightly-cleanup",
    jobType: "pg_cron",
    sourceId: "12",
    fromStatus: "success",
    toStatus: "failed",
    since: T0,
    downSeconds: null,
    criticality: "critical",
    schedule: "*/5 * * * *",
    scheduleDescription: "Every 5 minutes",
    reason: "last run failed",
    errorMessage: "ERROR: division by zero",
    reminder: false,
    ...over,
  };
}

function project(over: Partial<ProjectAlert> = {}): ProjectAlert {
  return {
    kind: "project",
    eventId: "00000000-0000-4000-8000-000000000002",
    projectName: "smoothed",
    projectRef: REF,
    fromStatus: "ok",
    toStatus: "unreachable",
    since: T0,
    downSeconds: null,
    reason: "could not connect",
    errorMessage: "connect ECONNREFUSED 10.0.0.1:5432",
    ...over,
  };
}

function message(over: Partial<MessageAlert> = {}): MessageAlert {
  return {
    kind: "message",
    eventId: "00000000-0000-4000-8000-000000000003",
    criticality: "low",
    title: "jobmon test message",
    message: "If you can read this, the route works.",
    projectName: null,
    jobName: null,
    ...over,
  };
}

/** Exactly `length` characters of hostile error text; each fragment complete (no half secret in the input). */
function nastyError(length = 12_000): string {
  const fragment = (i: number): string =>
    `ERROR ${i}: <b>bold</b> & "quoted" <script>x</script> @everyone @here \`\`\`break out\`\`\` ` +
    `Authorization: Bearer ${JWT} url postgresql://u:${PASSWORD}@db.example.com:5432/postgres\n`;
  let text = "";
  for (let i = 0; text.length + fragment(i).length <= length; i++) text += fragment(i);
  return text + ".".repeat(length - text.length);
}

function assertNoSecrets(text: string): void {
  for (const piece of [PASSWORD, "Zq9", "u:Z", "eyJhbGci", "eyJyb2xl", "SflKxw"]) {
    assert.ok(!text.includes(piece), `secret piece ${JSON.stringify(piece)} leaked`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// ---------------------------------------------------------------------------------------
// Checkers, written from PLATFORM.md independently of the formatter

function embedText(embed: DiscordEmbed): number {
  let total = (embed.title ?? "").length + (embed.description ?? "").length;
  for (const f of embed.fields ?? []) total += f.name.length + f.value.length;
  return total + (embed.footer?.text ?? "").length + (embed.author?.name ?? "").length;
}

function assertDiscordLimits(payload: DiscordWebhookPayload): void {
  const where = (s: string): string => `${s} in ${JSON.stringify(payload).slice(0, 200)}…`;
  assert.deepEqual(payload.allowed_mentions, { parse: [] }, where("allowed_mentions"));
  assert.ok((payload.content ?? "").length <= 2000, where("content > 2000"));
  assert.ok(payload.embeds.length >= 1 || (payload.content ?? "").trim() !== "", where("empty message"));
  assert.ok(payload.embeds.length <= 10, where("more than 10 embeds"));
  let total = 0;
  for (const embed of payload.embeds) {
    assert.ok((embed.title ?? "").length <= 256, where("title > 256"));
    assert.ok((embed.description ?? "").length <= 4096, where("description > 4096"));
    assert.ok((embed.fields ?? []).length <= 25, where("more than 25 fields"));
    for (const f of embed.fields ?? []) {
      assert.ok(f.name.trim() !== "" && f.name.length <= 256, where(`field name ${JSON.stringify(f.name)}`));
      assert.ok(f.value.trim() !== "" && f.value.length <= 1024, where(`field value ${JSON.stringify(f.value.slice(0, 50))} (${f.value.length})`));
    }
    assert.ok((embed.footer?.text ?? "").length <= 2048, where("footer > 2048"));
    assert.ok((embed.author?.name ?? "").length <= 256, where("author > 256"));
    if (embed.url !== undefined) assert.match(new URL(embed.url).protocol, /^https?:$/);
    if (embed.color !== undefined) assert.ok(Number.isInteger(embed.color) && embed.color >= 0 && embed.color <= 0xffffff);
    total += embedText(embed);
  }
  assert.ok(total <= 6000, where(`embed text ${total} > 6000`));
  assert.ok(!LONE_SURROGATE.test(JSON.stringify(payload).replace(/\\u[0-9a-f]{4}/g, "")), where("lone surrogate"));
  assert.ok(!LONE_SURROGATE.test(JSON.stringify(payload)), where("lone surrogate"));
  // The shared fake Discord must accept it too.
  assert.equal(validateDiscordPayload(JSON.parse(JSON.stringify(payload))), null);
}

const TELEGRAM_TAG = /^<(?:(b|i|code|pre)|a href="([^"<>]*)")>|^<\/(b|i|code|pre|a)>/;
const TELEGRAM_ENTITY = /^&(amp|lt|gt|quot);/;
const DECODED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"' };

/** Parses our Telegram HTML strictly (only the tags we promise, balanced, all text escaped) into its visible text. */
function telegramText(html: string): string {
  const stack: string[] = [];
  let out = "";
  let i = 0;
  while (i < html.length) {
    const c = html[i] as string;
    if (c === "<") {
      const m = TELEGRAM_TAG.exec(html.slice(i));
      assert.ok(m !== null, `unexpected markup at ${i}: ${JSON.stringify(html.slice(i, i + 40))}`);
      const open = m[1] ?? (m[2] !== undefined ? "a" : undefined);
      if (open !== undefined) {
        assert.ok(!stack.includes("pre") && !stack.includes("code"), `tag <${open}> inside code/pre`);
        stack.push(open);
      } else {
        assert.equal(stack.pop(), m[3], `unbalanced </${m[3]}> at ${i}`);
      }
      i += m[0].length;
    } else if (c === "&") {
      const m = TELEGRAM_ENTITY.exec(html.slice(i, i + 6));
      assert.ok(m !== null, `bare & at ${i}: ${JSON.stringify(html.slice(i, i + 20))}`);
      out += DECODED[m[1] as string];
      i += m[0].length;
    } else {
      assert.ok(c !== ">" && c !== '"', `unescaped ${c} at ${i}: ${JSON.stringify(html.slice(Math.max(0, i - 20), i + 20))}`);
      out += c;
      i++;
    }
  }
  assert.deepEqual(stack, [], "unclosed tags");
  return out;
}

function assertTelegramMessage(html: string): string {
  const text = telegramText(html);
  assert.ok(text.length <= 4096, `visible length ${text.length} > 4096`);
  assert.ok(text.trim().length > 0, "empty message");
  assert.ok(html.length <= 4 * 4096 + 2000, `raw length ${html.length} is unreasonable`);
  assert.ok(!LONE_SURROGATE.test(html), "lone surrogate");
  // The shared fake Telegram (tdlib's parser rules) must accept it and see the same text.
  const parsed = parseTelegramHtml(html);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
  assert.equal(parsed.text, text);
  return text;
}

/** The content of the (single) code block of an embed description. */
function codeBlock(embed: DiscordEmbed): string {
  const m = /```\n([\s\S]*)\n```$/.exec(embed.description ?? "");
  assert.ok(m !== null, `no code block in ${JSON.stringify(embed.description?.slice(0, 100))}`);
  return m[1] as string;
}

const MARKER = /… \[truncated (\d{1,3}(?:,\d{3})*) chars\]$/;

// ---------------------------------------------------------------------------------------

describe("formatDiscord", () => {
  it("keeps a 12,000-character hostile error within every limit, pings no one and leaks no secret", () => {
    const payloads = formatDiscord([job({ errorMessage: nastyError() })]);
    assert.equal(payloads.length, 1);
    const [payload] = payloads as [DiscordWebhookPayload];
    assertDiscordLimits(payload);
    assert.equal(payload.embeds.length, 1);
    const json = JSON.stringify(payloads);
    assertNoSecrets(json);
    assert.ok(!/@(everyone|here)/.test(json), "@everyone/@here shown without a zero-width space");
    const embed = payload.embeds[0] as DiscordEmbed;
    // The error's own ``` cannot close the block: exactly the two fences remain.
    assert.equal((embed.description ?? "").match(/```/g)?.length, 2);
    const code = codeBlock(embed);
    assert.match(code, MARKER);
    assert.ok(code.includes("<b>bold</b> & \"quoted\""), "error text is shown as typed inside the code block");
    assert.ok(code.includes("Bearer [redacted]") && code.includes("postgresql://u:***@db.example.com"));
    assert.ok(code.length > 3000, `the error got only ${code.length} characters of a 4096 description`);
  });

  it("colours embeds by status and puts the dashboard link on the title", () => {
    const colour = (e: AlertEntry): number | undefined => formatDiscord([e])[0]?.embeds[0]?.color;
    assert.equal(colour(job({ toStatus: "failed" })), 0xe74c3c);
    assert.equal(colour(job({ toStatus: "stuck" })), 0xe74c3c);
    assert.equal(colour(job({ toStatus: "missed" })), 0xe67e22);
    assert.equal(colour(job({ toStatus: "unknown" })), 0x95a5a6);
    assert.equal(colour(job({ toStatus: "success", fromStatus: "failed", downSeconds: 60 })), 0x2ecc71);
    assert.equal(colour(project({ toStatus: "unreachable" })), 0x992d22);
    assert.equal(colour(project({ toStatus: "scheduler_down" })), 0x992d22);
    assert.equal(colour(message({ criticality: "critical" })), 0xe74c3c);
    assert.equal(colour(message({ criticality: "low" })), 0x3498db);
    const embed = formatDiscord([job()])[0]?.embeds[0];
    assert.equal(embed?.url, `https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs/12?child-label=nightly-cleanup`);
  });

  it("shows project, type, status with the previous one, since (ISO and Discord timestamp), criticality and schedule", () => {
    const [payload] = formatDiscord([job()]);
    const embed = payload?.embeds[0] as DiscordEmbed;
    assert.equal(embed.title, "🔴 smoothed / nightly-cleanup: failed");
    const fields = Object.fromEntries((embed.fields ?? []).map((f) => [f.name, f.value]));
    assert.deepEqual(fields, {
      Project: `smoothed · \`${REF}\``,
      Type: "pg\\_cron · jobid 12",
      Status: "failed (was success)",
      Since: `2025-03-01T10:00:00Z · <t:${Date.parse(T0) / 1000}:R>`,
      Criticality: "critical",
      Schedule: "`*/5 * * * *` — Every 5 minutes",
    });
    assert.equal(embed.description, "last run failed\n```\nERROR: division by zero\n```");
    assert.equal(payload?.content, "🔴 **smoothed**: 1 job failing");
  });

  it("packs 40 failing jobs into 4 messages of 10 embeds (Discord's per-message maximum)", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, sourceId: String(i + 1) }));
    const payloads = formatDiscord(jobs);
    payloads.forEach(assertDiscordLimits);
    assert.deepEqual(payloads.map((p) => p.embeds.length), [10, 10, 10, 10]);
    assert.deepEqual(payloads.map((p) => p.content), [1, 2, 3, 4].map((n) => `🔴 **smoothed**: 40 jobs failing (part ${n} of 4)`));
    assert.deepEqual(payloads.flatMap((p) => p.embeds.map((e) => e.title)), jobs.map((j) => `🔴 smoothed / ${j.jobName.replace("-", "-")}: failed`));
  });

  it("packs 40 jobs with 12,000-character errors into as few messages as the 6000 total allows, each error still readable", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: nastyError() }));
    const payloads = formatDiscord(jobs);
    payloads.forEach(assertDiscordLimits);
    assertNoSecrets(JSON.stringify(payloads));
    // Errors are cut to share the 6000 total, so the 10-embed maximum is still reached.
    assert.deepEqual(payloads.map((p) => p.embeds.length), [10, 10, 10, 10]);
    for (const p of payloads) assert.ok(p.embeds.reduce((sum, e) => sum + embedText(e), 0) > 6000 - 10, "budget left unused");
    for (const embed of payloads.flatMap((p) => p.embeds)) {
      const code = codeBlock(embed);
      assert.match(code, MARKER);
      assert.ok(code.length >= 250, `an error got only ${code.length} characters`);
    }
  });

  it("escapes markup in names and reasons and defuses mentions", () => {
    const [payload] = formatDiscord([job({ jobName: '<script>&"', reason: "**bold** _it_ [x](https://evil.example) ||spoiler||\n# heading\n> quote @everyone <@123>" })]);
    assertDiscordLimits(payload as DiscordWebhookPayload);
    const embed = payload?.embeds[0] as DiscordEmbed;
    assert.equal(embed.title, '🔴 smoothed / \\<script\\>&": failed');
    assert.equal(embed.url, `https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs/12?child-label=%3Cscript%3E%26%22`);
    assert.ok(
      embed.description?.startsWith(
        "\\*\\*bold\\*\\* \\_it\\_ \\[x\\](https://evil.example) \\|\\|spoiler\\|\\|\n\\# heading\n\\> quote @\u200beveryone \\<@123\\>",
      ),
      embed.description,
    );
  });

  it("says a recovered job recovered and how long it was down", () => {
    const [payload] = formatDiscord([job({ toStatus: "success", fromStatus: "failed", downSeconds: 8100, reason: "last run succeeded", errorMessage: null })]);
    const embed = payload?.embeds[0] as DiscordEmbed;
    assert.equal(embed.title, "✅ smoothed / nightly-cleanup recovered");
    assert.equal(embed.description, "Recovered after being down 2h 15m.\nlast run succeeded");
    assert.equal(embed.fields?.find((f) => f.name === "Down for")?.value, "2h 15m");
    assert.equal(payload?.content, "✅ **smoothed**: 1 job recovered");
  });

  it("says a reminder's job is still failing, and since when", () => {
    const [payload] = formatDiscord([job({ reminder: true })], { now: "2025-03-01T14:10:00Z" });
    const embed = payload?.embeds[0] as DiscordEmbed;
    assert.equal(embed.title, "🔴 smoothed / nightly-cleanup: still failing");
    assert.ok(embed.description?.startsWith("Still failing since 2025-03-01T10:00:00Z (for 4h 10m)\n"), embed.description);
    assert.equal(payload?.content, "🔴 **smoothed**: 1 job still failing");
  });

  it("sends a project-level alert in its own message, never mixed with job changes", () => {
    const payloads = formatDiscord([job({ jobName: "a" }), project(), job({ jobName: "b", toStatus: "missed" }), message()]);
    payloads.forEach(assertDiscordLimits);
    assert.equal(payloads.length, 3);
    assert.deepEqual(payloads[0]?.embeds.map((e) => e.title), ["🛑 smoothed: project unreachable"]);
    assert.equal(payloads[0]?.embeds[0]?.url, `https://supabase.com/dashboard/project/${REF}`);
    assert.deepEqual(payloads[1]?.embeds.map((e) => e.title), ["🔴 smoothed / a: failed", "🟠 smoothed / b: missed a run"]);
    assert.equal(payloads[1]?.content, "🔴 **smoothed**: 1 job failing, 1 missed");
    assert.deepEqual(payloads[2]?.embeds.map((e) => e.title), ["🔵 jobmon test message"]);
  });

  it("never cuts an emoji or a grapheme in half", () => {
    for (const errorMessage of [FAMILY.repeat(1500), `a${"😀".repeat(6000)}`, "😀".repeat(6000)]) {
      const payloads = formatDiscord([job({ errorMessage, jobName: "😀".repeat(300) })]);
      payloads.forEach(assertDiscordLimits);
      const code = codeBlock(payloads[0]?.embeds[0] as DiscordEmbed).replace(MARKER, "");
      assert.equal(code.replace(/^a/, "").replaceAll(FAMILY, "").replaceAll("😀", ""), "", "a partial grapheme was left");
    }
  });

  it("never sends an empty field value", () => {
    const payloads = formatDiscord([job({ projectName: "", jobName: " ", reason: "", errorMessage: "  \n ", schedule: "", scheduleDescription: null, projectRef: null, sourceId: null })]);
    payloads.forEach(assertDiscordLimits);
    assert.equal(payloads[0]?.embeds[0]?.url, undefined);
  });

  it("survives a 10 MB error and names and reasons beyond every limit", { timeout: 120_000 }, () => {
    const huge = `${nastyError(5_000_000)}${" ".repeat(2_000_000)}\n${nastyError(3_000_000)}`;
    const payloads = formatDiscord([job({ errorMessage: huge, reason: nastyError(20_000), jobName: "j".repeat(5000), projectName: "p".repeat(5000), scheduleDescription: "d".repeat(5000) })], {
      username: "u".repeat(200),
    });
    payloads.forEach(assertDiscordLimits);
    assertNoSecrets(JSON.stringify(payloads));
    assert.ok((payloads[0]?.username ?? "").length <= 80);
  });

  it("sets the webhook username, unless Discord would reject it", () => {
    assert.equal(formatDiscord([job()], { username: "jobmon" })[0]?.username, "jobmon");
    assert.equal(formatDiscord([job()], { username: "jobmon-Discord" })[0]?.username, undefined);
    assert.equal(formatDiscord([job()])[0]?.username, undefined);
  });

  it("is deterministic and does not touch its input", () => {
    const entries = [Object.freeze(job({ errorMessage: nastyError() })), Object.freeze(project()), Object.freeze(message())];
    assert.deepEqual(formatDiscord(entries), formatDiscord(entries));
    assert.deepEqual(formatDiscord([]), []);
  });
});

describe("formatTelegram", () => {
  it("keeps a 12,000-character hostile error within 4096 visible characters, escaped, balanced, with no secret", () => {
    const messages = formatTelegram([job({ errorMessage: nastyError() })]);
    assert.equal(messages.length, 1);
    const html = messages[0] as string;
    const text = assertTelegramMessage(html);
    assertNoSecrets(messages.join("\n"));
    assert.ok(html.includes("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &lt;script&gt;"));
    assert.ok(text.includes('<b>bold</b> & "quoted" <script>x</script> @everyone'), "the error shows as typed");
    const pre = /<pre>([\s\S]*)<\/pre>/.exec(html)?.[1] ?? "";
    assert.match(pre, MARKER);
    assert.ok(text.length > 3500, `only ${text.length} of 4096 characters used`);
  });

  it("shows the change line by line, with a dashboard link", () => {
    const [html] = formatTelegram([job()]);
    assert.equal(
      html,
      [
        "🔴 <b>smoothed</b>: 1 job failing",
        "",
        "🔴 <b>nightly-cleanup</b> failed (was success)",
        "<i>smoothed · pg_cron · critical · since 2025-03-01T10:00:00Z</i>",
        "Schedule: <code>*/5 * * * *</code> — Every 5 minutes",
        "last run failed",
        "<pre>ERROR: division by zero</pre>",
        `<a href="https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs/12?child-label=nightly-cleanup">Open in Supabase dashboard</a>`,
      ].join("\n"),
    );
  });

  it("splits 40 failing jobs at job boundaries into as few messages as 4096 characters allow", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: `ERROR: job ${i} failed: ${"x".repeat(100)}` }));
    const messages = formatTelegram(jobs);
    const texts = messages.map(assertTelegramMessage);
    assert.ok(messages.length >= 2, "40 jobs do not fit one message");
    // Every job exactly once, in order.
    const names = messages.flatMap((m) => [...m.matchAll(/<b>(job-\d+)<\/b>/g)].map((x) => x[1]));
    assert.deepEqual(names, jobs.map((j) => j.jobName));
    // As few as possible: the first job of the next message would not have fitted.
    for (let i = 0; i + 1 < messages.length; i++) {
      const nextFirstBlock = (messages[i + 1] as string).split("\n\n")[1] as string;
      assert.ok((texts[i] as string).length + 2 + telegramText(nextFirstBlock).length > 4096, `message ${i + 1} had room for one more job`);
    }
    messages.forEach((m, i) => assert.ok(m.startsWith(`🔴 <b>smoothed</b>: 40 jobs failing (part ${i + 1} of ${messages.length})\n\n`)));
  });

  it("splits 40 jobs with 12,000-character errors, cutting each error with a marker", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: nastyError() }));
    const messages = formatTelegram(jobs);
    messages.forEach(assertTelegramMessage);
    assertNoSecrets(messages.join("\n"));
    const pres = messages.flatMap((m) => [...m.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((x) => x[1] as string));
    assert.equal(pres.length, 40);
    for (const pre of pres) {
      assert.match(pre, MARKER);
      assert.ok(telegramText(pre).length >= 250, "an error got too little room");
    }
    // ~200 characters of fixed text per job plus the 300-character minimum error share: 8 jobs per 4096.
    assert.deepEqual(messages.map((m) => m.match(/<pre>/g)?.length), [8, 8, 8, 8, 8]);
    for (const m of messages) assert.ok(telegramText(m).length > 4096 - 10, "budget left unused");
  });

  it("escapes a job name with markup", () => {
    const [html] = formatTelegram([job({ jobName: '<script>&"', projectName: "a&b" })]);
    const text = assertTelegramMessage(html as string);
    assert.ok(html?.includes("<b>&lt;script&gt;&amp;&quot;</b> failed"));
    assert.ok(html?.startsWith("🔴 <b>a&amp;b</b>: 1 job failing"));
    assert.ok(html?.includes("child-label=%3Cscript%3E%26%22"));
    assert.ok(text.includes('<script>&" failed'));
  });

  it("says a recovered job recovered and how long it was down", () => {
    const [html] = formatTelegram([job({ toStatus: "success", fromStatus: "failed", downSeconds: 8100, since: "2025-03-01T12:15:00Z", errorMessage: null, reason: "last run succeeded" })]);
    assertTelegramMessage(html as string);
    assert.ok(html?.includes("✅ <b>nightly-cleanup</b> recovered after being down 2h 15m (was failed)"), html);
    assert.ok(html?.includes("at 2025-03-01T12:15:00Z"));
    assert.ok(html?.startsWith("✅ <b>smoothed</b>: 1 job recovered"));
  });

  it("says a reminder's job is still failing since when (and for how long when `now` is given)", () => {
    const [withNow] = formatTelegram([job({ reminder: true })], { now: new Date("2025-03-01T14:10:00Z") });
    assert.ok(withNow?.includes("<b>nightly-cleanup</b> still failing since 2025-03-01T10:00:00Z (for 4h 10m)"), withNow);
    const [without] = formatTelegram([job({ reminder: true })]);
    assert.ok(without?.includes("<b>nightly-cleanup</b> still failing since 2025-03-01T10:00:00Z\n"), without);
  });

  it("sends a project-level alert in its own message", () => {
    const messages = formatTelegram([job({ jobName: "a" }), project({ toStatus: "scheduler_down", fromStatus: "ok" }), job({ jobName: "b" })]);
    messages.forEach(assertTelegramMessage);
    assert.equal(messages.length, 2);
    assert.ok(messages[0]?.startsWith("🛑 <b>smoothed</b>: pg_cron scheduler down\n\n"));
    assert.ok(!messages[0]?.includes("<b>a</b>") && !messages[0]?.includes("<b>b</b>"));
    assert.ok(messages[0]?.includes(`href="https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs"`));
    assert.ok(messages[1]?.includes("<b>a</b>") && messages[1]?.includes("<b>b</b>") && !messages[1]?.includes("scheduler"));
  });

  it("says a project is back and how long it was down", () => {
    const [html] = formatTelegram([project({ toStatus: "ok", fromStatus: "unreachable", downSeconds: 600, errorMessage: null, reason: "connected" })]);
    assertTelegramMessage(html as string);
    assert.ok(html?.includes("✅ <b>smoothed</b>: project back to normal (was unreachable)"), html);
    assert.ok(html?.includes("<i>recovered after being down 10m · at 2025-03-01T10:00:00Z</i>"), html);
  });

  it("never cuts an emoji or a grapheme in half", () => {
    for (const errorMessage of [FAMILY.repeat(1500), `a${"😀".repeat(6000)}`, "😀".repeat(6000)]) {
      const [html] = formatTelegram([job({ errorMessage, jobName: "😀".repeat(300) })]);
      assertTelegramMessage(html as string);
      const pre = (/<pre>([\s\S]*)<\/pre>/.exec(html as string)?.[1] ?? "").replace(MARKER, "");
      assert.ok(pre.length > 1000);
      assert.equal(pre.replace(/^a/, "").replaceAll(FAMILY, "").replaceAll("😀", ""), "", "a partial grapheme was left");
    }
  });

  it("keeps escape-heavy text within the raw-size bound", () => {
    const [html] = formatTelegram([job({ errorMessage: '"'.repeat(20_000) })]);
    assertTelegramMessage(html as string);
    assert.ok((html as string).length <= 4 * 4096 + 1000, `raw ${html?.length}`);
  });

  it("formats ad-hoc messages on their own, escaped", () => {
    const [html] = formatTelegram([message({ title: "Route <broken>", message: "Discord answered 404 & stopped", projectName: "smoothed", criticality: "critical" })]);
    assertTelegramMessage(html as string);
    assert.equal(
      html,
      "🔴 <b>smoothed</b>: Route &lt;broken&gt;\n\n🔴 <b>Route &lt;broken&gt;</b>\n<i>critical · smoothed</i>\nDiscord answered 404 &amp; stopped",
    );
  });

  it("survives a 10 MB error", { timeout: 120_000 }, () => {
    const messages = formatTelegram([job({ errorMessage: `${nastyError(6_000_000)}${"&<>\"".repeat(1_000_000)}` })]);
    messages.forEach(assertTelegramMessage);
    assertNoSecrets(messages.join(""));
  });
});

describe("formatPlainText", () => {
  it("renders every section without markup, redacted, errors cut at a readable length", () => {
    const text = formatPlainText([job({ jobName: '<script>&"', errorMessage: nastyError() }), project()]);
    assertNoSecrets(text);
    assert.ok(text.startsWith("🛑 smoothed: project unreachable\n\n🛑 smoothed: project unreachable (was ok)\n"), text.slice(0, 200));
    assert.ok(text.includes('\n\n🔴 smoothed: 1 job failing\n\n🔴 <script>&" failed (was success)\n'));
    assert.match(text, /\n {4}.*… \[truncated \d{1,2},\d{3} chars\]\n/);
    assert.ok(text.includes(`Open in Supabase dashboard: https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs/12?child-label=%3Cscript%3E%26%22`));
  });

  it("is empty for no entries", () => {
    assert.equal(formatPlainText([]), "");
  });
});
