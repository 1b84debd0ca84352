/**
 * The Discord and Telegram senders against local stand-ins that speak the documented
 * shapes, and the stand-ins themselves (they must reject what the real
 * services reject, or they prove nothing). Loopback HTTP only; no wall-clock waits beyond a
 * few tens of milliseconds: retries take an injected `sleep`.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { redactDiscordWebhook, sendDiscord } from "../../src/alerts/channels/discord/send.js";
import { type SendOutcome, parseRetryAfterMs, withRetries } from "../../src/lib/http.js";
import { redactTelegramToken, sendTelegram } from "../../src/alerts/channels/telegram/send.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.js";
import { type FakeTelegram, parseTelegramHtml, startFakeTelegram } from "../fakes/telegram.js";

const PAYLOAD = { content: "jobmon test", allowed_mentions: { parse: [] } };

function recordingSleep(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

function assertFailed(outcome: SendOutcome, kind: "transient" | "permanent"): asserts outcome is Extract<SendOutcome, { ok: false }> {
  assert.equal(outcome.ok, false, `expected a ${kind} failure, got ${JSON.stringify(outcome)}`);
  if (!outcome.ok) assert.equal(outcome.kind, kind, `expected ${kind}, got ${JSON.stringify(outcome)}`);
}

/** Polls (every 5 ms, up to 2 s) instead of sleeping a guessed amount. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail("condition not met within 2 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function assertNoSecret(outcome: unknown, secret: string): void {
  const text = JSON.stringify(outcome);
  assert.ok(!text.includes(secret), `secret leaked: ${text}`);
  assert.ok(!text.includes(encodeURIComponent(secret)), `secret leaked (URL-encoded): ${text}`);
}

// ---------------------------------------------------------------------------------------

describe("Discord sender against the fake Discord", () => {
  let discord: FakeDiscord;
  before(async () => {
    discord = await startFakeDiscord();
  });
  after(async () => {
    await discord.close();
  });
  beforeEach(() => discord.reset());

  test("posts JSON with wait=true and returns the saved message's id", async () => {
    const outcome = await sendDiscord(discord.webhookUrl, PAYLOAD);
    assert.equal(outcome.ok, true);
    assert.equal(discord.messages.length, 1);
    const [message] = discord.messages;
    assert.ok(outcome.ok && outcome.messageId === message?.id && outcome.status === 200);
    const request = discord.requests[0];
    assert.equal(request?.method, "POST");
    assert.equal(request?.query["wait"], "true");
    assert.match(String(request?.headers["content-type"]), /^application\/json/);
    assert.deepEqual(message?.allowedMentions, { parse: [] });
    assert.deepEqual(message?.mentions, []);
  });

  test("a webhook URL that already has a query keeps it and gains wait=true", async () => {
    const outcome = await sendDiscord(`${discord.webhookUrl}?thread_id=42`, PAYLOAD);
    assert.equal(outcome.ok, true);
    assert.deepEqual(discord.requests[0]?.query, { thread_id: "42", wait: "true" });
  });

  test("a 429 is waited out and the message is delivered exactly once", async () => {
    discord.respond429(0.05);
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(() => sendDiscord(discord.webhookUrl, PAYLOAD), { sleep });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.attempts, 2);
    assert.equal(discord.requests.length, 2);
    assert.equal(discord.messages.length, 1);
    // Body says 0.05 s, the header (whole seconds, as Discord sends it) says 1 s: the larger wins.
    assert.deepEqual(sleeps, [1000]);
  });

  test("retry_after from the body is used when there is no Retry-After header (real sleep, 50 ms)", async () => {
    discord.respond429(0.05, 1, { retryAfterHeader: null });
    const first = await sendDiscord(discord.webhookUrl, PAYLOAD);
    assertFailed(first, "transient");
    assert.equal(first.kind === "transient" ? first.retryAfterMs : undefined, 50);

    discord.respond429(0.05, 1, { retryAfterHeader: null });
    const started = Date.now();
    const outcome = await withRetries(() => sendDiscord(discord.webhookUrl, PAYLOAD));
    assert.equal(outcome.ok, true);
    assert.ok(Date.now() - started >= 45, "the default sleep really waited retry_after");
    assert.equal(discord.messages.length, 1);
  });

  test("a Retry-After header larger than retry_after wins", async () => {
    discord.respond429(0.05, 1, { retryAfterHeader: "3" });
    const outcome = await sendDiscord(discord.webhookUrl, PAYLOAD);
    assertFailed(outcome, "transient");
    assert.equal(outcome.kind === "transient" ? outcome.retryAfterMs : undefined, 3000);
    assert.equal(outcome.status, 429);
  });

  test("two 500s then success: retried with backoff, delivered once", async () => {
    discord.failNext(2, { status: 500, body: { message: "500: Internal Server Error", code: 0 } });
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(() => sendDiscord(discord.webhookUrl, PAYLOAD), { sleep, random: () => 0 });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.attempts, 3);
    assert.equal(discord.requests.length, 3);
    assert.equal(discord.messages.length, 1);
    assert.deepEqual(sleeps, [250, 500]);
  });

  test("a deleted webhook (404 Unknown Webhook) is permanent and not retried", async () => {
    const url = discord.addWebhook("1100000000000000777", "doomed-token-0123456789-abcdefghijklmnop");
    discord.deleteWebhook("1100000000000000777");
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(() => sendDiscord(url, PAYLOAD), { sleep });
    assertFailed(outcome, "permanent");
    assert.equal(outcome.status, 404);
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(discord.requests.length, 1);
    assert.match(outcome.error, /Unknown Webhook/);
    assert.match(outcome.error, /10015/);
    assert.match(outcome.error, /no longer exists/);
    assertNoSecret(outcome, "doomed-token-0123456789-abcdefghijklmnop");
  });

  test("a wrong webhook token (401 Invalid Webhook Token) is permanent", async () => {
    const wrong = `${discord.baseUrl}/api/webhooks/1100000000000000001/not-the-token-abcdefghijklmnopqrstuvwxyz`;
    const outcome = await withRetries(() => sendDiscord(wrong, PAYLOAD), { sleep: async () => {} });
    assertFailed(outcome, "permanent");
    assert.equal(outcome.status, 401);
    assert.equal(outcome.attempts, 1);
    assert.match(outcome.error, /50027/);
    assertNoSecret(outcome, "not-the-token-abcdefghijklmnopqrstuvwxyz");
  });

  test("a payload Discord rejects (400) is permanent and the error names the field", async () => {
    const outcome = await withRetries(() => sendDiscord(discord.webhookUrl, { content: "x".repeat(2001) }), { sleep: async () => {} });
    assertFailed(outcome, "permanent");
    assert.equal(outcome.status, 400);
    assert.equal(outcome.attempts, 1);
    assert.match(outcome.error, /50035/);
    assert.match(outcome.error, /"content"/);
    assert.match(outcome.error, /formatting bug/);
    assert.equal(discord.messages.length, 0);
  });

  test("no answer within the timeout is transient", async () => {
    discord.hang(1);
    const started = Date.now();
    const outcome = await sendDiscord(discord.webhookUrl, PAYLOAD, { timeoutMs: 100 });
    assertFailed(outcome, "transient");
    assert.match(outcome.error, /timed out/);
    assert.ok(Date.now() - started < 2000);
    assertNoSecret(outcome, discord.tokenOf() ?? "missing");
  });

  test("a slow answer after the timeout: the client gave up, yet the fake saved the message", async () => {
    discord.hang(1, { delayMs: 100 });
    const outcome = await sendDiscord(discord.webhookUrl, PAYLOAD, { timeoutMs: 30 });
    assertFailed(outcome, "transient");
    assert.equal(discord.messages.length, 0);
    await waitFor(() => discord.requests[0]?.status !== undefined);
    assert.equal(discord.messages.length, 1, "why a timeout may still mean delivered (at most once more)");
  });

  test("a refused connection is transient", async () => {
    const gone = await startFakeDiscord();
    const url = gone.webhookUrl;
    await gone.close();
    const outcome = await sendDiscord(url, PAYLOAD, { timeoutMs: 2000 });
    assertFailed(outcome, "transient");
    assert.match(outcome.error, /ECONNREFUSED|fetch failed/);
  });

  test("the webhook token never appears in an error, whatever failed", async () => {
    const token = discord.tokenOf() ?? "missing";
    const outcomes: SendOutcome[] = [];
    discord.failNext(1, { status: 500, body: `upstream echoed ${discord.webhookUrl}` });
    outcomes.push(await sendDiscord(discord.webhookUrl, PAYLOAD));
    discord.failNext(1, { status: 400, body: { message: `bad ${discord.webhookUrl}`, code: 50035, errors: {} } });
    outcomes.push(await sendDiscord(discord.webhookUrl, PAYLOAD));
    discord.respond429(0.01);
    outcomes.push(await sendDiscord(discord.webhookUrl, PAYLOAD));
    discord.hang(1);
    outcomes.push(await sendDiscord(discord.webhookUrl, PAYLOAD, { timeoutMs: 50 }));
    // Deno's fetch puts the URL in its error message.
    const denoLikeFetch = (async (input: RequestInfo | URL) => {
      throw new TypeError(`error sending request for url (${String(input)}): connection refused`);
    }) as typeof fetch;
    outcomes.push(await sendDiscord(discord.webhookUrl, PAYLOAD, { fetch: denoLikeFetch }));
    outcomes.push(await sendDiscord(`htp:/nonsense/api/webhooks/1/${token}`, PAYLOAD));
    outcomes.push(await sendDiscord(discord.webhookUrl.replace("/api/webhooks/", "/api/v10/webhooks/").replace(token, `${token}x`), PAYLOAD));

    assert.equal(outcomes.length, 7);
    for (const outcome of outcomes) {
      assert.equal(outcome.ok, false, JSON.stringify(outcome));
      assertNoSecret(outcome, token);
      assertNoSecret(outcome, `${token}x`);
    }
    assert.match(JSON.stringify(outcomes[0]), /\/api\/webhooks\/1100000000000000001\/\[redacted\]/);
  });
});

describe("the fake Discord enforces Discord's rules", () => {
  let discord: FakeDiscord;
  before(async () => {
    discord = await startFakeDiscord();
  });
  after(async () => {
    await discord.close();
  });
  beforeEach(() => discord.reset());

  const long = (n: number): string => "x".repeat(n);
  const cases: [string, unknown, RegExp][] = [
    ["content over 2000", { content: long(2001) }, /"content":\{"_errors":\[\{"code":"BASE_TYPE_MAX_LENGTH"/],
    ["11 embeds", { embeds: Array.from({ length: 11 }, () => ({ title: "t" })) }, /"embeds":\{"_errors"/],
    ["title over 256", { embeds: [{ title: long(257) }] }, /"0":\{"title"/],
    ["description over 4096", { embeds: [{ description: long(4097) }] }, /"description"/],
    ["26 fields", { embeds: [{ fields: Array.from({ length: 26 }, () => ({ name: "n", value: "v" })) }] }, /"fields":\{"_errors"/],
    ["field name over 256", { embeds: [{ fields: [{ name: long(257), value: "v" }] }] }, /"fields":\{"0":\{"name"/],
    ["field value over 1024", { embeds: [{ fields: [{ name: "n", value: long(1025) }] }] }, /"fields":\{"0":\{"value"/],
    ["empty field value", { embeds: [{ fields: [{ name: "n", value: "" }] }] }, /"value":\{"_errors":\[\{"code":"BASE_TYPE_REQUIRED"/],
    ["footer over 2048", { embeds: [{ footer: { text: long(2049) } }] }, /"footer":\{"text"/],
    ["embed text over 6000 in total", { embeds: [{ description: long(3001) }, { description: long(3000) }] }, /MAX_EMBED_SIZE_EXCEEDED/],
    ["neither content nor embeds", { allowed_mentions: { parse: [] } }, /"code":50006/],
    ["blank content only", { content: "" }, /"code":50006/],
    ["bad allowed_mentions", { content: "x", allowed_mentions: { parse: ["everybody"] } }, /allowed_mentions/],
  ];
  for (const [name, payload, expected] of cases) {
    test(`rejects ${name} with 400 and Discord's error body`, async () => {
      const outcome = await sendDiscord(discord.webhookUrl, payload);
      assertFailed(outcome, "permanent");
      assert.equal(outcome.status, 400);
      assert.equal(discord.messages.length, 0);
      assert.match(JSON.stringify(discord.requests[0]?.responseBody), expected);
    });
  }

  test("accepts a payload exactly at every limit", async () => {
    const payload = {
      content: long(2000),
      embeds: [
        {
          title: long(256),
          description: long(4096),
          fields: [{ name: long(256), value: long(1024) }],
          footer: { text: long(6000 - 256 - 4096 - 256 - 1024) },
          color: 0xff0000,
          timestamp: "2026-11-30T04:00:00.000Z",
        },
      ],
      allowed_mentions: { parse: [] },
    };
    const outcome = await sendDiscord(discord.webhookUrl, payload);
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(discord.messages.length, 1);
  });

  test("without wait=true an invalid payload gets 204, no error, and is not saved", async () => {
    const response = await fetch(discord.webhookUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ content: long(2001) }),
    });
    assert.equal(response.status, 204);
    assert.equal(discord.messages.length, 0);
  });

  test("records who a message would ping: everyone without allowed_mentions, no one with parse: []", async () => {
    await sendDiscord(discord.webhookUrl, { content: "@everyone look <@123>" });
    await sendDiscord(discord.webhookUrl, { content: "@everyone look <@123>", allowed_mentions: { parse: [] } });
    assert.deepEqual(discord.messages[0]?.mentions, ["@everyone", "<@123>"]);
    assert.deepEqual(discord.messages[1]?.mentions, []);
  });

  test("the optional bucket answers 429 with Retry-After and X-RateLimit headers; waiting it out delivers", async () => {
    let clock = 1_800_000_000_000;
    const limited = await startFakeDiscord({ rateLimit: { limit: 2, windowMs: 2000 }, now: () => clock });
    try {
      const sleeps: number[] = [];
      const sleep = async (ms: number): Promise<void> => {
        sleeps.push(ms);
        clock += ms;
      };
      for (let i = 0; i < 3; i++) {
        const outcome = await withRetries(() => sendDiscord(limited.webhookUrl, { content: `message ${i}` }), { sleep });
        assert.equal(outcome.ok, true, JSON.stringify(outcome));
      }
      assert.equal(limited.messages.length, 3);
      assert.equal(limited.requests.length, 4);
      const throttled = limited.requests[2];
      assert.equal(throttled?.status, 429);
      assert.deepEqual(throttled?.responseBody, { message: "You are being rate limited.", retry_after: 2, global: false });
      assert.deepEqual(sleeps, [2000]);
    } finally {
      await limited.close();
    }
  });
});

// ---------------------------------------------------------------------------------------

const BOT_TOKEN = "7012345678:AAH-fake_bot_token_for_tests_0123456789";

describe("Telegram sender against the fake Bot API", () => {
  let telegram: FakeTelegram;
  before(async () => {
    telegram = await startFakeTelegram({
      token: BOT_TOKEN,
      chats: { "-1001": {}, "42": { blocked: true }, "-5": { migrateTo: "-1005" }, "-1005": {}, "-6": { migrateTo: "-7" }, "-7": { migrateTo: "-8" } },
    });
  });
  after(async () => {
    await telegram.close();
  });
  beforeEach(() => telegram.reset());

  test("sends HTML with link previews off and returns the message id", async () => {
    const outcome = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "<b>job failed</b> &amp; more");
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(telegram.sent.length, 1);
    const [sent] = telegram.sent;
    assert.ok(outcome.ok && outcome.messageId === String(sent?.message_id));
    assert.equal(sent?.chat_id, "-1001");
    assert.equal(sent?.parse_mode, "HTML");
    assert.deepEqual(sent?.link_preview_options, { is_disabled: true });
    assert.equal(sent?.plainText, "job failed & more");
    assert.equal(telegram.requests[0]?.path, `/bot${BOT_TOKEN}/sendMessage`);
  });

  test("a trailing slash on the API base does not double the slash", async () => {
    const outcome = await sendTelegram(`${telegram.apiUrl}/`, BOT_TOKEN, "-1001", "hi");
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
  });

  test("a 429 is waited out (parameters.retry_after) and the message is delivered once", async () => {
    telegram.respond429(0.05);
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(() => sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "hi"), { sleep });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.attempts, 2);
    assert.deepEqual(sleeps, [50]);
    assert.equal(telegram.requests.length, 2);
    assert.equal(telegram.sent.length, 1);
  });

  test("chat not found is permanent and not retried", async () => {
    const outcome = await withRetries(() => sendTelegram(telegram.apiUrl, BOT_TOKEN, "-999", "hi"), { sleep: async () => {} });
    assertFailed(outcome, "permanent");
    assert.equal(outcome.status, 400);
    assert.equal(outcome.attempts, 1);
    assert.match(outcome.error, /chat not found/);
    assert.equal(telegram.requests.length, 1);
  });

  test("a bot blocked by the user is permanent", async () => {
    const outcome = await withRetries(() => sendTelegram(telegram.apiUrl, BOT_TOKEN, "42", "hi"), { sleep: async () => {} });
    assertFailed(outcome, "permanent");
    assert.equal(outcome.status, 403);
    assert.equal(outcome.attempts, 1);
    assert.match(outcome.error, /bot was blocked by the user/);
  });

  test("migrate_to_chat_id is followed once and the new chat id is reported", async () => {
    const outcome = await withRetries(() => sendTelegram(telegram.apiUrl, BOT_TOKEN, "-5", "hi"), { sleep: async () => {} });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(outcome.migratedChatId, "-1005");
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(telegram.requests.map((r) => (r.json as { chat_id: string }).chat_id), ["-5", "-1005"]);
    assert.equal(telegram.sent.length, 1);
    assert.equal(telegram.sent[0]?.chat_id, "-1005");
  });

  test("a second migration in a row is not chased", async () => {
    const outcome = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-6", "hi");
    assertFailed(outcome, "permanent");
    assert.equal(outcome.migratedChatId, "-7");
    assert.equal(telegram.requests.length, 2);
    assert.equal(telegram.sent.length, 0);
  });

  test("a migration whose resend fails still reports the new chat id, and retrying delivers once", async () => {
    telegram.migrateChat("-11", "-1011");
    // The resend to the new id gets a 502 the first `failures` times.
    const flakyNewChat = (failures: number): typeof fetch => {
      let left = failures;
      return (async (input: RequestInfo | URL, init?: RequestInit) => {
        const body = JSON.parse(String(init?.body)) as { chat_id: string };
        if (body.chat_id === "-1011" && left-- > 0) return new Response("Bad Gateway", { status: 502 });
        return fetch(input, init);
      }) as typeof fetch;
    };

    const once = flakyNewChat(1);
    const delivered = await withRetries(() => sendTelegram(telegram.apiUrl, BOT_TOKEN, "-11", "hi", { fetch: once }), { sleep: async () => {} });
    assert.equal(delivered.ok, true, JSON.stringify(delivered));
    assert.equal(delivered.attempts, 2);
    assert.equal(delivered.migratedChatId, "-1011");
    assert.equal(telegram.sent.length, 1);

    const always = flakyNewChat(Infinity);
    const failed = await withRetries(() => sendTelegram(telegram.apiUrl, BOT_TOKEN, "-11", "hi", { fetch: always }), { sleep: async () => {} });
    assertFailed(failed, "transient");
    assert.equal(failed.attempts, 4);
    assert.equal(failed.migratedChatId, "-1011", "the caller can store the new id even though nothing was delivered");
    assert.equal(telegram.sent.length, 1);
  });

  test("a wrong bot token (401) is permanent and neither token leaks", async () => {
    const wrong = "7012345678:AAH-wrong_token_value_abcdefghijklmnopq";
    const outcome = await withRetries(() => sendTelegram(telegram.apiUrl, wrong, "-1001", "hi"), { sleep: async () => {} });
    assertFailed(outcome, "permanent");
    assert.equal(outcome.status, 401);
    assert.equal(outcome.attempts, 1);
    assert.match(outcome.error, /Unauthorized/);
    assertNoSecret(outcome, wrong);
    assertNoSecret(outcome, BOT_TOKEN);
  });

  test("a 404 (malformed token) is permanent", async () => {
    telegram.failNext(1, { status: 404, body: { ok: false, error_code: 404, description: "Not Found" } });
    const outcome = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "hi");
    assertFailed(outcome, "permanent");
    assert.equal(outcome.status, 404);
  });

  test("invalid HTML is rejected by the fake and reported as a formatting bug", async () => {
    for (const text of ["<b>unclosed", "x < y", "a &nbsp; b", "<p>para</p>", "<b>x</i>", "AT&T"]) {
      telegram.reset();
      const outcome = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", text);
      assertFailed(outcome, "permanent");
      assert.equal(outcome.status, 400, text);
      assert.match(outcome.error, /can't parse entities/, text);
      assert.match(outcome.error, /formatting bug/, text);
      assert.equal(telegram.sent.length, 0, text);
    }
  });

  test("length is counted after entity parsing: 4096 shown characters pass, 4097 do not, nothing is empty", async () => {
    const ok = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", `<b>${"&amp;".repeat(4096)}</b>`);
    assert.equal(ok.ok, true, JSON.stringify(ok).slice(0, 300));
    const tooLong = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "&amp;".repeat(4097));
    assertFailed(tooLong, "permanent");
    assert.match(tooLong.error, /message is too long/);
    const empty = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "<b> </b>");
    assertFailed(empty, "permanent");
    assert.match(empty.error, /message text is empty/);
  });

  test("5xx, timeouts and refused connections are transient", async () => {
    telegram.failNext(1, { status: 502, body: "<html>Bad Gateway</html>" });
    assertFailed(await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "hi"), "transient");
    telegram.hang(1);
    const timedOut = await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "hi", { timeoutMs: 80 });
    assertFailed(timedOut, "transient");
    assert.match(timedOut.error, /timed out/);
    const gone = await startFakeTelegram({ token: BOT_TOKEN });
    const goneUrl = gone.apiUrl;
    await gone.close();
    assertFailed(await sendTelegram(goneUrl, BOT_TOKEN, "-1001", "hi", { timeoutMs: 2000 }), "transient");
  });

  test("the bot token never appears in an error, even when the fetch error quotes the URL", async () => {
    const denoLikeFetch = (async (input: RequestInfo | URL) => {
      throw new TypeError(`error sending request for url (${String(input)}): dns error`);
    }) as typeof fetch;
    const outcomes: SendOutcome[] = [
      await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "hi", { fetch: denoLikeFetch }),
      await sendTelegram("not a url", BOT_TOKEN, "-1001", "hi"),
    ];
    telegram.failNext(1, { status: 500, body: { ok: false, error_code: 500, description: `Internal: /bot${BOT_TOKEN}/sendMessage` } });
    outcomes.push(await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "hi"));
    telegram.hang(1);
    outcomes.push(await sendTelegram(telegram.apiUrl, BOT_TOKEN, "-1001", "hi", { timeoutMs: 50 }));
    for (const outcome of outcomes) {
      assert.equal(outcome.ok, false);
      assertNoSecret(outcome, BOT_TOKEN);
      assertNoSecret(outcome, BOT_TOKEN.split(":")[1] ?? "missing");
    }
    assert.match(JSON.stringify(outcomes[0]), /dns error/, "the useful part of the error survives redaction");
  });
});

describe("the fake Telegram's HTML parser (tdlib rules)", () => {
  test("accepts every supported tag, quoted attributes and numeric entities", () => {
    const html =
      '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>' +
      '<span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler><a href="https://x.test/?a=1&amp;b=2">link</a>' +
      '<code>c</code><pre><code class="language-sql">select 1</code></pre><blockquote expandable>q</blockquote>' +
      "&lt;&gt;&amp;&quot;&#65;&#x42;";
    assert.deepEqual(parseTelegramHtml(html), { ok: true, text: 'bsieunskdpqlinkcselect 1q<>&"AB' });
  });

  test("rejects what Telegram rejects, with tdlib's wording", () => {
    assert.deepEqual(parseTelegramHtml("a <br> b"), { ok: false, error: 'Unsupported start tag "br" at byte offset 2' });
    assert.deepEqual(parseTelegramHtml("<b>x</i>"), { ok: false, error: 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"' });
    assert.deepEqual(parseTelegramHtml("</b>"), { ok: false, error: "Unexpected end tag at byte offset 0" });
    assert.deepEqual(parseTelegramHtml("<b>x"), { ok: false, error: `Can't find end tag corresponding to start tag "b"` });
    assert.equal(parseTelegramHtml('<span class="x">y</span>').ok, false);
    assert.equal(parseTelegramHtml("é <b").ok, false);
  });

  test("a bare & is literal for Telegram but rejected by default by the fake", () => {
    assert.equal(parseTelegramHtml("AT&T").ok, false);
    assert.deepEqual(parseTelegramHtml("AT&T", { strictAmpersands: false }), { ok: true, text: "AT&T" });
  });
});

// ---------------------------------------------------------------------------------------

describe("withRetries", () => {
  const transient = (retryAfterMs?: number): SendOutcome =>
    retryAfterMs === undefined ? { ok: false, kind: "transient", error: "boom" } : { ok: false, kind: "transient", error: "slow down", retryAfterMs };

  test("backs off exponentially with jitter and stops after maxAttempts", async () => {
    const low = recordingSleep();
    const outcome = await withRetries(async () => transient(), { sleep: low.sleep, random: () => 0 });
    assert.equal(outcome.attempts, 4);
    assertFailed(outcome, "transient");
    assert.deepEqual(low.sleeps, [250, 500, 1000]);
    const high = recordingSleep();
    await withRetries(async () => transient(), { sleep: high.sleep, random: () => 1 });
    assert.deepEqual(high.sleeps, [500, 1000, 2000]);
  });

  test("stops when the next wait would exceed the budget", async () => {
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(async () => transient(), { sleep, random: () => 1, maxWaitMs: 1000, maxAttempts: 10 });
    assert.equal(outcome.attempts, 2);
    assert.deepEqual(sleeps, [500]);
  });

  test("a retry_after beyond the budget is not waited for: the outbox keeps the message", async () => {
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(async () => transient(60_000), { sleep });
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(outcome.ok === false && outcome.kind === "transient" ? outcome.retryAfterMs : undefined, 60_000);
  });

  test("a permanent failure is returned at once", async () => {
    const { sleeps, sleep } = recordingSleep();
    const outcome = await withRetries(async () => ({ ok: false, kind: "permanent", error: "gone" }), { sleep });
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(sleeps, []);
  });

  test("a migratedChatId seen on an earlier attempt is kept in the final result", async () => {
    const outcomes: SendOutcome[] = [
      { ok: false, kind: "transient", error: "502 after migrating", migratedChatId: "-1009" },
      { ok: true, status: 200, messageId: "7" },
    ];
    const outcome = await withRetries(async (attempt) => outcomes[attempt - 1] ?? transient(), { sleep: async () => {} });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.migratedChatId, "-1009");
  });

  test("a sender that throws counts as transient and is retried", async () => {
    let n = 0;
    const outcome = await withRetries(
      async () => {
        if (++n === 1) throw new Error("bug");
        return { ok: true, status: 200 };
      },
      { sleep: async () => {} },
    );
    assert.equal(outcome.ok, true);
    assert.equal(outcome.attempts, 2);
  });
});

describe("redaction of channel credentials", () => {
  test("any Discord webhook path loses its token, and so does the route's token wherever it appears", () => {
    assert.equal(
      redactDiscordWebhook("POST https://discord.com/api/webhooks/123/AbC-token_x?wait=true and /api/v10/webhooks/9/zzz"),
      "POST https://discord.com/api/webhooks/123/[redacted]?wait=true and /api/v10/webhooks/9/[redacted]",
    );
    assert.equal(redactDiscordWebhook("body echoed s3cr3t-tok", "https://discord.com/api/webhooks/1/s3cr3t-tok"), "body echoed [redacted]");
  });

  test("any Telegram bot path or token-shaped string loses the token, and so does the route's token", () => {
    assert.equal(redactTelegramToken(`url (https://api.telegram.org/bot${BOT_TOKEN}/sendMessage)`), "url (https://api.telegram.org/bot[redacted]/sendMessage)");
    assert.equal(redactTelegramToken(`token ${BOT_TOKEN} here`), "token [redacted] here");
    assert.equal(redactTelegramToken("odd token short-tok here", "short-tok"), "odd token [redacted] here");
  });
});

describe("parseRetryAfterMs", () => {
  test("reads delta-seconds (fractional too) and HTTP dates, ignores junk", () => {
    assert.equal(parseRetryAfterMs("2"), 2000);
    assert.equal(parseRetryAfterMs("0.05"), 50);
    assert.equal(parseRetryAfterMs("Wed, 21 Oct 2026 07:28:05 GMT", Date.parse("2026-10-21T07:28:00Z")), 5000);
    assert.equal(parseRetryAfterMs("soon"), undefined);
    assert.equal(parseRetryAfterMs("-3"), undefined);
    assert.equal(parseRetryAfterMs(null), undefined);
  });
});
