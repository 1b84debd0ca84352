import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DiscordEmbed, type DiscordWebhookPayload, formatDiscord } from "../../src/alerts/channels/discord/format.js";
import { formatPlainText } from "../../src/alerts/channels/index.js";
import { formatTelegram } from "../../src/alerts/channels/telegram/format.js";
import type { AlertEntry, JobAlert, MessageAlert, ProjectAlert } from "../../src/alerts/types.js";
import { batches } from "../../src/alerts/deliver.js";
import type { ClaimedDelivery } from "../../src/hub/outbox.js";
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
// Checkers, written from docs/platform.md independently of the formatter

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

/** The job names a compact Discord message lists, line by line, in order. */
function compactDiscordNames(payloads: readonly DiscordWebhookPayload[]): string[] {
  return payloads.flatMap((p) =>
    p.embeds.flatMap((e) => (e.description ?? "").split("\n").map((line) => /^\[?\*\*(.+?)\*\*/.exec(line)?.[1] ?? `unparsed line: ${line}`)),
  );
}


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

  it("keeps ten changes with 12,000-character errors in one message of detailed embeds sharing the 6000 total", () => {
    const jobs = Array.from({ length: 10 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: nastyError() }));
    const payloads = formatDiscord(jobs);
    assert.equal(payloads.length, 1);
    const [payload] = payloads as [DiscordWebhookPayload];
    assertDiscordLimits(payload);
    assertNoSecrets(JSON.stringify(payloads));
    assert.deepEqual(payload.embeds.map((e) => e.title), jobs.map((j) => `🔴 smoothed / ${j.jobName}: failed`));
    assert.ok(payload.embeds.reduce((sum, e) => sum + embedText(e), 0) > 6000 - 10, "budget left unused");
    for (const embed of payload.embeds) {
      const code = codeBlock(embed);
      assert.match(code, MARKER);
      assert.ok(code.length >= 250, `an error got only ${code.length} characters`);
    }
  });
  it("puts 40 failing jobs in ONE compact message: an embed per status, a line per job, where to find the details", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, sourceId: String(i + 1) }));
    const payloads = formatDiscord(jobs);
    assert.equal(payloads.length, 1);
    const [payload] = payloads as [DiscordWebhookPayload];
    assertDiscordLimits(payload);
    assert.equal(payload.content, "🔴 **smoothed**: 40 jobs failing");
    assert.deepEqual(payload.embeds.map((e) => [e.title, e.color]), [["🔴 Failed (40)", 0xe74c3c]]);
    const embed = payload.embeds[0] as DiscordEmbed;
    // Forty linked names would not fit 6000 characters: the title links the project's jobs instead.
    assert.equal(embed.url, `https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs`);
    const lines = (embed.description ?? "").split("\n");
    assert.equal(lines[0], `**job-0** · critical · since <t:${Date.parse(T0) / 1000}:R> · ERROR: division by zero`);
    assert.deepEqual(compactDiscordNames(payloads), jobs.map((j) => j.jobName));
    assert.equal(embed.footer?.text, "Full details: jobmon status --project smoothed · jobmon history smoothed/<job>");
  });

  it("links each job name of a compact message to its dashboard page while that still fits one message", () => {
    const jobs = Array.from({ length: 15 }, (_, i) => job({ jobName: `job-${i}`, sourceId: String(i + 1) }));
    const [payload, ...rest] = formatDiscord(jobs);
    assert.equal(rest.length, 0);
    assertDiscordLimits(payload as DiscordWebhookPayload);
    const lines = (payload?.embeds[0]?.description ?? "").split("\n");
    assert.equal(lines.length, 15);
    assert.equal(lines[0], `[**job-0**](https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs/1) · critical · since <t:${Date.parse(T0) / 1000}:R> · ERROR: division by zero`);
    for (const [i, line] of lines.entries()) assert.ok(line.startsWith(`[**job-${i}**](https://`), line);
    // Without a project ref there is nothing to link to.
    const unlinked = formatDiscord(jobs.map((j) => ({ ...j, projectRef: null })));
    assert.equal(unlinked[0]?.embeds[0]?.url, undefined);
    assert.ok(!(unlinked[0]?.embeds[0]?.description ?? "").includes("](http"));
  });

  it("groups a compact message by status, worst first and coloured, with reminders together and recoveries' downtime", () => {
    const jobs = [
      ...Array.from({ length: 5 }, (_, i) => job({ jobName: `f-${i}` })),
      ...Array.from({ length: 3 }, (_, i) => job({ jobName: `m-${i}`, toStatus: "missed", errorMessage: null, reason: "expected at 10:05 plus 2m grace" })),
      ...Array.from({ length: 2 }, (_, i) => job({ jobName: `r-${i}`, toStatus: "success", fromStatus: "failed", downSeconds: 8100, errorMessage: null })),
      job({ jobName: "still-f", reminder: true }),
      job({ jobName: "still-m", toStatus: "missed", reminder: true, errorMessage: null, reason: "no run since 09:00" }),
    ];
    const [payload, ...rest] = formatDiscord(jobs);
    assert.equal(rest.length, 0);
    assertDiscordLimits(payload as DiscordWebhookPayload);
    assert.deepEqual(payload?.embeds.map((e) => [e.title, e.color]), [
      ["🔴 Failed (5)", 0xe74c3c],
      ["🟠 Missed a run (3)", 0xe67e22],
      ["🔴 Still down (2)", 0xe74c3c],
      ["✅ Recovered (2)", 0x2ecc71],
    ]);
    const text = payload?.embeds.map((e) => e.description).join("\n") ?? "";
    const at = `<t:${Date.parse(T0) / 1000}:R>`;
    assert.ok(text.includes(`**m-0**](`) && text.includes(`· critical · since ${at} · expected at 10:05 plus 2m grace`), text);
    assert.ok(text.includes(`· critical · still missing runs since ${at} · no run since 09:00`), text);
    assert.ok(text.endsWith(`\n[**r-1**](https://supabase.com/dashboard/project/${REF}/integrations/cron/jobs/12) · critical · recovered ${at}, down 2h 15m`), text);
    assert.equal(payload?.content, "🔴 **smoothed**: 5 jobs failing, 3 missed, 1 still failing, 1 still missing runs, 2 recovered");
  });

  it("keeps 40 jobs with 12,000-character hostile errors in one compact message: escaped, pinging no one, leaking no secret", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, sourceId: String(i + 1), errorMessage: nastyError() }));
    const payloads = formatDiscord(jobs);
    assert.equal(payloads.length, 1);
    payloads.forEach(assertDiscordLimits);
    const json = JSON.stringify(payloads);
    assertNoSecrets(json);
    assert.ok(!/@(everyone|here)/.test(json), "@everyone/@here shown without a zero-width space");
    assert.deepEqual(compactDiscordNames(payloads), jobs.map((j) => j.jobName));
    for (const line of (payloads[0]?.embeds[0]?.description ?? "").split("\n")) {
      assert.ok(line.includes(" · ERROR 0: \\<b\\>bold\\</b\\> & \"quoted\" \\<script\\>"), line);
      assert.ok(line.endsWith("…") && !line.endsWith(" …"), `the first line is cut with a marker: ${line}`);
    }
  });

  it("splits 400 jobs into several compact messages at line boundaries, naming every job exactly once", () => {
    const jobs = Array.from({ length: 400 }, (_, i) => job({ jobName: `job-${i}`, sourceId: String(i + 1), errorMessage: `ERROR: job ${i} failed: ${"x".repeat(100)}` }));
    const payloads = formatDiscord(jobs);
    payloads.forEach(assertDiscordLimits);
    assert.ok(payloads.length >= 2 && payloads.length <= 10, `${payloads.length} messages`);
    assert.deepEqual(compactDiscordNames(payloads), jobs.map((j) => j.jobName));
    payloads.forEach((p, i) => {
      assert.equal(p.content, `🔴 **smoothed**: 400 jobs failing (part ${i + 1} of ${payloads.length})`);
      assert.equal(p.embeds[0]?.title, i === 0 ? "🔴 Failed (400)" : "🔴 Failed (400, continued)");
      assert.ok(p.embeds.at(-1)?.footer?.text.startsWith("Full details: "));
    });
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

  it("keeps eight changes with 12,000-character errors in one detailed message, each error cut to share it", () => {
    const jobs = Array.from({ length: 8 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: nastyError() }));
    const messages = formatTelegram(jobs);
    assert.equal(messages.length, 1);
    const text = assertTelegramMessage(messages[0] as string);
    assertNoSecrets(messages.join("\n"));
    const pres = [...(messages[0] as string).matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((x) => x[1] as string);
    assert.equal(pres.length, 8);
    for (const pre of pres) {
      assert.match(pre, MARKER);
      assert.ok(telegramText(pre).length >= 250, "an error got too little room");
    }
    // Room is kept for the widest header the group could get (" (part 8 of 8)").
    assert.ok(text.length > 4096 - 30, `budget left unused: ${text.length}`);
  });
  it("puts 40 failing jobs in ONE compact message: a line per job, each linked, and where to find the details", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, sourceId: String(i + 1), errorMessage: `ERROR: job ${i} failed: ${"x".repeat(100)}` }));
    const messages = formatTelegram(jobs);
    assert.equal(messages.length, 1);
    const html = messages[0] as string;
    assertTelegramMessage(html);
    const lines = html.split("\n");
    assert.deepEqual(lines.slice(0, 3), ["🔴 <b>smoothed</b>: 40 jobs failing", "", "<b>🔴 Failed (40)</b>"]);
    assert.match(
      lines[3] as string,
      new RegExp(`^• <a href="https://supabase\\.com/dashboard/project/${REF}/integrations/cron/jobs/1"><b>job-0</b></a> · critical · since 2025-03-01 10:00Z · ERROR: job 0 failed: x+…$`),
    );
    assert.deepEqual([...html.matchAll(/<b>(job-\d+)<\/b>/g)].map((x) => x[1]), jobs.map((j) => j.jobName));
    assert.equal(lines.at(-1), "Full details: <code>jobmon status --project smoothed</code> · <code>jobmon history smoothed/&lt;job&gt;</code>");
  });

  it("keeps 40 jobs with 12,000-character hostile errors in one compact message: escaped, leaking no secret", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: nastyError() }));
    const messages = formatTelegram(jobs);
    assert.equal(messages.length, 1);
    const text = assertTelegramMessage(messages[0] as string);
    assertNoSecrets(messages.join("\n"));
    assert.ok(!messages[0]?.includes("<pre>"));
    assert.ok(messages[0]?.includes(" · ERROR 0: &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"), messages[0]?.slice(0, 400));
    assert.equal(text.match(/ · ERROR 0: <b>bold<\/b> & "quoted"/g)?.length, 40, "every line shows its error as typed");
  });

  it("splits 400 jobs into several compact messages at line boundaries, naming every job exactly once", () => {
    const jobs = Array.from({ length: 400 }, (_, i) => job({ jobName: `job-${i}`, sourceId: String(i + 1), errorMessage: `ERROR: job ${i} failed: ${"x".repeat(100)}` }));
    const messages = formatTelegram(jobs);
    messages.forEach(assertTelegramMessage);
    assert.ok(messages.length >= 2 && messages.length <= 12, `${messages.length} messages`);
    assert.deepEqual(messages.flatMap((m) => [...m.matchAll(/<b>(job-\d+)<\/b>/g)].map((x) => x[1])), jobs.map((j) => j.jobName));
    messages.forEach((m, i) => {
      const title = i === 0 ? "<b>🔴 Failed (400)</b>" : "<b>🔴 Failed (400, continued)</b>";
      assert.ok(m.startsWith(`🔴 <b>smoothed</b>: 400 jobs failing (part ${i + 1} of ${messages.length})\n\n${title}\n• `), m.slice(0, 200));
      assert.ok(m.includes("\nFull details: <code>jobmon status"));
    });
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

describe("choosing between the detailed and the compact layout", () => {
  /** A mixed group: every status, reminders, recoveries, long and short errors. */
  function mixed(n: number): JobAlert[] {
    const statuses = ["failed", "missed", "stuck", "success", "unknown", "failed", "paused"] as const;
    return Array.from({ length: n }, (_, i) =>
      job({
        eventId: `e-${i}`,
        jobName: `job-${i}`,
        sourceId: String(i + 1),
        toStatus: statuses[i % statuses.length],
        reminder: i % 11 === 10,
        downSeconds: 600,
        errorMessage: i % 4 === 0 ? nastyError(1000) : `ERROR: job ${i} failed`,
      }),
    );
  }

  it("never gives fewer messages for more changes, so that delivery's prefix search holds", () => {
    const entries = mixed(90);
    let discord = 0;
    let telegram = 0;
    for (let n = 1; n <= entries.length; n++) {
      const d = formatDiscord(entries.slice(0, n)).length;
      const t = formatTelegram(entries.slice(0, n)).length;
      assert.ok(d >= discord && t >= telegram, `${n} changes: ${d} Discord / ${t} Telegram messages, ${discord} / ${telegram} for one fewer`);
      discord = d;
      telegram = t;
    }
    assert.ok(discord >= 2 && telegram >= 2, "the sweep reaches a split on both channels");
  });

  it("lets delivery send 400 changes as few one-message batches that carry every change once", () => {
    const entries = mixed(400);
    const deliveries = entries.map((payload, i) => ({ id: `d-${i}`, payload }) as unknown as ClaimedDelivery);
    for (const format of [(e: AlertEntry[]): unknown[] => formatDiscord(e), (e: AlertEntry[]): unknown[] => formatTelegram(e)]) {
      const sent = batches(deliveries, format);
      assert.ok(sent.length >= 2 && sent.length <= 12, `${sent.length} batches`);
      assert.equal(new Set(sent.map((b) => b.deliveries)).size, sent.length, "one message per batch");
      assert.deepEqual(sent.flatMap((b) => b.deliveries.map((d) => d.id)), deliveries.map((d) => d.id));
    }
  });

  it("redacts before cutting: a token at the start of an error's first line is never partly shown", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: `${JWT}${"x".repeat(i)} rejected\nAuthorization: Bearer ${JWT}` }));
    const discord = formatDiscord(jobs);
    const telegram = formatTelegram(jobs);
    assert.equal(discord.length, 1);
    assert.equal(telegram.length, 1);
    assertNoSecrets(JSON.stringify(discord));
    assertNoSecrets(telegram.join("\n"));
    assert.equal(discord[0]?.embeds[0]?.description?.match(/ · \\\[redacted\\\]x* rejected(\n|$)/g)?.length, 40);
    assert.equal(telegram[0]?.match(/ · \[redacted\]x* rejected\n/g)?.length, 40);
  });

  it("keeps compact messages valid with names, instants and errors beyond every limit", () => {
    const huge = `${"😀".repeat(10_000)} ${JWT}`;
    const jobs = Array.from({ length: 30 }, (_, i) =>
      job({ jobName: i % 2 === 0 ? FAMILY.repeat(500) : " ", since: i % 3 === 0 ? "not <an> instant & more".repeat(10) : T0, errorMessage: huge, reason: huge, projectRef: i % 5 === 0 ? null : REF }),
    );
    const payloads = formatDiscord(jobs);
    const messages = formatTelegram(jobs);
    payloads.forEach(assertDiscordLimits);
    assert.ok(payloads.every((p) => p.embeds.some((e) => e.title?.startsWith("🔴 Failed (30"))), "compact");
    const text = messages.map(assertTelegramMessage).join("\n");
    assert.ok(text.includes("• (unnamed job) · critical · since 2025-03-01 10:00Z · 😀"), text.slice(0, 500));
    assert.ok(text.includes(" · critical · since not <an> instant & more"), "an unparsable instant is shown as given, escaped");
    const plain = formatPlainText(jobs);
    for (const out of [JSON.stringify(payloads), messages.join(""), plain]) assert.ok(!LONE_SURROGATE.test(out));
  });

  it("is deterministic and does not touch its input", () => {
    const entries = mixed(60).map((e) => Object.freeze(e));
    assert.deepEqual(formatDiscord(entries), formatDiscord(entries));
    assert.deepEqual(formatTelegram(entries), formatTelegram(entries));
  });
});

describe("formatPlainText", () => {
  it("mirrors the compact layout for a group the channel would send compact", () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job({ jobName: `job-${i}`, errorMessage: i === 0 ? nastyError() : "ERROR: division by zero" }));
    const text = formatPlainText(jobs);
    assertNoSecrets(text);
    assert.ok(text.startsWith("🔴 smoothed: 40 jobs failing\n\n🔴 Failed (40)\n• job-0 · critical · since 2025-03-01 10:00Z · ERROR 0: <b>bold</b> & \"quoted\""), text.slice(0, 300));
    assert.ok(text.includes("\n• job-39 · critical · since 2025-03-01 10:00Z · ERROR: division by zero\n"));
    assert.ok(text.endsWith("\n\nFull details: jobmon status --project smoothed · jobmon history smoothed/<job>"));
    assert.ok(!text.includes("Open in Supabase dashboard"));
  });

  it("mirrors the channel it is asked about: twelve short changes fit one detailed Telegram message, not one Discord message", () => {
    const jobs = Array.from({ length: 12 }, (_, i) => job({ jobName: `job-${i}` }));
    assert.equal(formatTelegram(jobs).length, 1);
    assert.ok(formatTelegram(jobs)[0]?.includes("<pre>"));
    assert.ok(formatPlainText(jobs).includes("\n\n🔴 job-0 failed (was success)\n"));
    assert.ok(formatPlainText(jobs, { channel: "discord" }).includes("\n\n🔴 Failed (12)\n• job-0 · critical · "));
  });


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
