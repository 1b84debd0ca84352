import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactSecrets, redactUrl } from "../../src/lib/redact.js";

// A real-shaped JWT (HS256, {"role":"service_role"}); the assertions look for its pieces.
const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";

function assertNoJwt(text: string): void {
  assert.ok(!text.includes("eyJhbGci"), `JWT header left in: ${text}`);
  assert.ok(!text.includes("SflKxw"), `JWT signature left in: ${text}`);
}

describe("redactSecrets", () => {
  describe("passwords in URLs become ***", () => {
    const cases: [string, string][] = [
      ["postgresql://postgres:Zq9pw@db.abc.supabase.co:5432/postgres", "postgresql://postgres:***@db.abc.supabase.co:5432/postgres"],
      ["connect to postgres://u:secret@h failed", "connect to postgres://u:***@h failed"],
      ["redis://:onlypw@cache:6379", "redis://:***@cache:6379"],
      ["https://user:p4ss@example.com/x?y=1", "https://user:***@example.com/x?y=1"],
      // A raw '@' in the password: the last '@' before the host ends the userinfo.
      ["postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"],
      ['{"url":"postgresql://u:Zq9@h/db","email":"a@b.c"}', '{"url":"postgresql://u:***@h/db","email":"a@b.c"}'],
    ];
    for (const [input, expected] of cases) {
      it(input, () => assert.equal(redactSecrets(input), expected));
    }
  });

  it("hides a URL password holding an unencoded # or ?", () => {
    assert.equal(redactSecrets("connect postgresql://u:p#ss@h/db failed"), "connect postgresql://u:***@h/db failed");
    assert.equal(redactSecrets("connect postgresql://u:p?ss@h/db failed"), "connect postgresql://u:***@h/db failed");
  });

  it("leaves URLs without a password alone", () => {
    for (const url of ["https://example.com/a@b", "http://host:8080/path", "postgresql://u@h/db", "mailto:a@b.c", "https://x.supabase.co/functions/v1/f"]) {
      assert.equal(redactSecrets(url), url);
    }
  });

  it("redacts a bearer token inside a JSON header object inside a SQL string literal", () => {
    const command = `select net.http_post(url:='https://x.supabase.co/functions/v1/f', headers:='{"Content-Type":"application/json","Authorization":"Bearer ${JWT}"}'::jsonb)`;
    const out = redactSecrets(command);
    assertNoJwt(out);
    assert.equal(
      out,
      `select net.http_post(url:='https://x.supabase.co/functions/v1/f', headers:='{"Content-Type":"application/json","Authorization":"Bearer [redacted]"}'::jsonb)`,
    );
  });

  it("redacts Bearer tokens of any shape, anywhere, keeping the scheme", () => {
    assert.equal(redactSecrets("Authorization: Bearer abc123def"), "Authorization: Bearer [redacted]");
    assert.equal(redactSecrets("got 401 with bearer opaque-token_1.2~3+4/5=="), "got 401 with bearer [redacted]");
    assert.equal(redactSecrets(`-H 'Authorization: Bearer ${JWT}'`), "-H 'Authorization: Bearer [redacted]'");
  });

  it("redacts other Authorization schemes", () => {
    assert.equal(redactSecrets("Authorization: Basic dXNlcjpwYXNz"), "Authorization: Basic [redacted]");
    assert.equal(redactSecrets('{"authorization": "raw-token-value"}'), '{"authorization": "[redacted]"}');
  });

  it("does not mistake a SQL concatenation that reads the token from the vault for a token", () => {
    const sql = "'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')";
    assert.equal(redactSecrets(sql), sql);
  });

  it("redacts apikey headers and values in every common form", () => {
    assert.equal(redactSecrets('{"apikey": "abc123"}'), '{"apikey": "[redacted]"}');
    assert.equal(redactSecrets('{\\"apikey\\":\\"abc123\\"}'), '{\\"apikey\\":\\"[redacted]\\"}');
    assert.equal(redactSecrets("https://h/rest/v1/t?apikey=abc123&select=*"), "https://h/rest/v1/t?apikey=[redacted]&select=*");
    assert.equal(redactSecrets("curl -H 'apikey: abc123' https://h"), "curl -H 'apikey: [redacted]' https://h");
    assert.equal(redactSecrets("jsonb_build_object('apikey', 'abc123')"), "jsonb_build_object('apikey', '[redacted]')");
    assert.equal(redactSecrets("X-API-Key: abc123"), "X-API-Key: [redacted]");
    assert.equal(redactSecrets("host=db password=hunter2 user=x"), "host=db password=[redacted] user=x");
  });

  it("redacts Supabase keys and access tokens", () => {
    assert.equal(redactSecrets("key sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz used"), "key [redacted] used");
    assert.equal(redactSecrets("SUPABASE_ACCESS_TOKEN=sbp_0123456789abcdef0123456789abcdef01234567"), "SUPABASE_ACCESS_TOKEN=[redacted]");
    assert.equal(redactSecrets("token sbp_0123456789abcdef"), "token [redacted]");
  });

  it("leaves a Supabase publishable key alone: it is meant to be public", () => {
    assert.equal(redactSecrets("sb_publishable_ABCdef123_456"), "sb_publishable_ABCdef123_456");
    assert.equal(redactSecrets("anon sb_publishable_ABCdef123_456 and sb_secret_N7UND0UgjKTVK"), "anon sb_publishable_ABCdef123_456 and [redacted]");
  });

  it("redacts bare secret-shaped tokens: Stripe, Supabase, GitHub, Slack", () => {
    const tokens = [
      "sk_live_51HqLyjWDarjtT1zdp7dcXYZabc",
      "rk_live_51HqLyjWDarjtT1zdp7dcXYZabc",
      "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
      "rk_test_4eC39HqLyjWDarjtT1zdp7dc",
      "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
      "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
      "gho_16C7e42F292c6912E7710c838347Ae178B4a",
      "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789",
      "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
      "xoxp-17653672481-19874698323-19874698323-0123456789abcdef0123456789abcdef",
      "xoxa-2-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
    ];
    for (const token of tokens) {
      assert.equal(redactSecrets(`key ${token} used`), "key [redacted] used", token);
      assert.equal(redactSecrets(`{"k":"${token}"}`), '{"k":"[redacted]"}', token);
      assert.equal(redactSecrets(`curl -u ${token}: https://api.example.com`), "curl -u [redacted]: https://api.example.com", token);
    }
    // Words that merely start like a token, and prefixes named in prose, are not secrets.
    for (const text of ["keys start with sk_live_ or sk_test_", "the task_live_view table", "ask_test_runner", "xoxb- tokens", "ghp_ and github_pat_ prefixes"]) {
      assert.equal(redactSecrets(text), text);
    }
  });

  it("leaves jobmon's own prose alone: a bearer token needs a token after the word", () => {
    for (const text of [
      "every request must then carry it, as a bearer token in the Authorization header or through the login form.",
      "send `Authorization: Bearer <token>`, or sign in",
      "JOBMON_DASHBOARD_TOKEN: when set, every request must carry it (bearer or login cookie).",
      "Bearer tokens expire.",
      "expected postgresql://<user>:<password>@<host>:5432/postgres",
    ]) {
      assert.equal(redactSecrets(text), text);
    }
    assert.equal(redactSecrets("got 401 with Bearer Xyz9"), "got 401 with Bearer [redacted]");
    assert.equal(redactSecrets("Bearer abcdefghijklmnopqrstuvwxyz"), "Bearer [redacted]");
  });

  it("redacts JWT-shaped strings on their own, and a JWT cut short by an error message", () => {
    assert.equal(redactSecrets(`anon key is ${JWT}.`), "anon key is [redacted].");
    assert.equal(redactSecrets("token eyJhbGciOiJIUzI1NiIsInR5cCI6Ikp… (truncated)"), "token [redacted]… (truncated)");
  });

  it("redacts Telegram bot tokens, in API paths and bare", () => {
    assert.equal(redactSecrets(`POST https://api.telegram.org/bot${BOT_TOKEN}/sendMessage failed`), "POST https://api.telegram.org/bot[redacted]/sendMessage failed");
    assert.equal(redactSecrets(`TELEGRAM_BOT_TOKEN=${BOT_TOKEN}`), "TELEGRAM_BOT_TOKEN=[redacted]");
    assert.equal(redactSecrets(`bot token ${BOT_TOKEN} rejected`), "bot token [redacted] rejected");
  });

  it("redacts the token of a Discord webhook URL and keeps its id", () => {
    const url = "https://discord.com/api/webhooks/1100000000000000001/aBcD-efGh_ijKL0123456789xyz";
    assert.equal(redactSecrets(`POST ${url} → 404`), "POST https://discord.com/api/webhooks/1100000000000000001/[redacted] → 404");
    assert.equal(redactSecrets("https://discord.com/api/v10/webhooks/42/tok_en"), "https://discord.com/api/v10/webhooks/42/[redacted]");
  });

  it("redacts every extra secret literal of 4+ characters, also URL-encoded, longest first", () => {
    assert.equal(redactSecrets("pw is s3cr3t@/x and s3cr3t%40%2Fx", ["s3cr3t@/x"]), "pw is [redacted] and [redacted]");
    assert.equal(redactSecrets("abc and abcdef", ["abc", "abcd", "abcdef"]), "abc and [redacted]");
    assert.equal(redactSecrets("a.b*c a-b-c", ["a.b*c"]), "[redacted] a-b-c");
    // A short extra secret must not shred the markers of earlier replacements.
    assert.equal(redactSecrets(`Bearer ${JWT} and dact`, ["dact"]), "Bearer [redacted] and [redacted]");
  });

  it("leaves ordinary error messages alone", () => {
    for (const text of [
      'FATAL: password authentication failed for user "postgres"',
      "ERROR: relation \"public.orders\" does not exist",
      "could not connect to server: Connection refused",
      "Unexpected token } in JSON at position 12",
      "select * from vault.decrypted_secrets where name = 'project_url'",
      "at 12:30:00 the job ran",
    ]) {
      assert.equal(redactSecrets(text), text);
    }
  });

  it("is idempotent", () => {
    const text = [
      `postgresql://u:pw@h/db`,
      `"Authorization":"Bearer ${JWT}"`,
      "Authorization: Basic dXNlcjpwYXNz",
      '"apikey": "abc123"',
      "password=hunter2",
      `https://api.telegram.org/bot${BOT_TOKEN}/x`,
      "https://discord.com/api/webhooks/1/tok",
      "sb_secret_abc",
    ].join("\n");
    const once = redactSecrets(text, ["hunter2"]);
    assert.equal(redactSecrets(once, ["hunter2"]), once);
    assertNoJwt(once);
    assert.ok(!once.includes("hunter2") && !once.includes("abc123") && !once.includes("dXNlcjpwYXNz"));
  });

  it("redacts a 10 MB text with adversarial runs exactly (linear patterns: this would hang otherwise)", { timeout: 120_000 }, () => {
    // Each piece: [input, expected output]. Pieces are joined with newlines, which no pattern crosses.
    const pieces: [string, string][] = [
      ["a".repeat(2_200_000), "a".repeat(2_200_000)],
      ["://".repeat(400_000), "://".repeat(400_000)],
      ["://a:" + "b".repeat(1_000_000), "://a:" + "b".repeat(1_000_000)],
      [" \t".repeat(700_000) + "x", " \t".repeat(700_000) + "x"],
      ["1".repeat(800_000) + ":", "1".repeat(800_000) + ":"],
      ["-a".repeat(600_000), "-a".repeat(600_000)],
      ["password".repeat(100_000), "password".repeat(100_000)],
      ["x.eyJ".repeat(200_000), "x.eyJ".repeat(200_000)],
      [`postgresql://u:Zq9pw@h/db Bearer ${JWT} apikey=abc123`, "postgresql://u:***@h/db Bearer [redacted] apikey=[redacted]"],
      ["@".repeat(500_000), "@".repeat(500_000)],
      [`tail ${BOT_TOKEN} sb_secret_xyz`, "tail [redacted] [redacted]"],
    ];
    const input = pieces.map(([i]) => i).join("\n");
    assert.ok(input.length >= 10_000_000, `input is ${input.length} chars`);
    const expected = pieces.map(([, e]) => e).join("\n");
    const out = redactSecrets(input, ["hunter2"]);
    assert.equal(out.length, expected.length);
    assert.ok(out === expected, "the redacted 10 MB text differs from the expected one");
  });
});

describe("redactUrl", () => {
  it("replaces the password and keeps the rest of the URL as written", () => {
    assert.equal(redactUrl("postgresql://postgres.abc:Zq9pw@aws-0-eu.pooler.supabase.com:6543/postgres?sslmode=require"), "postgresql://postgres.abc:***@aws-0-eu.pooler.supabase.com:6543/postgres?sslmode=require");
    assert.equal(redactUrl("postgresql://u:p@ss@h/db"), "postgresql://u:***@h/db");
    assert.equal(redactUrl("postgresql://u:p%40ss@h/db"), "postgresql://u:***@h/db");
  });

  it("hides a password holding an unencoded # / ? whatever the parser would make of it", () => {
    assert.equal(redactUrl("postgresql://u:pa#ss@h/db"), "postgresql://u:***@h/db");
    assert.equal(redactUrl("postgresql://u:pa/ss@h/db"), "postgresql://u:***@h/db");
    assert.equal(redactUrl("postgresql://u:pa?ss@h:5432/db"), "postgresql://u:***@h:5432/db");
    assert.equal(redactUrl("postgresql://u:12#ss@h/db"), "postgresql://u:***@h/db");
    assert.equal(redactUrl("postgresql://u:p@ss#x@h/db"), "postgresql://u:***@h/db");
    // An '@' in the path is no password; after a port it is taken for one (better hidden than printed).
    assert.equal(redactUrl("https://example.com/users/@me"), "https://example.com/users/@me");
    assert.equal(redactUrl("https://example.com:8443/path?q=1#top"), "https://example.com:8443/path?q=1#top");
    assert.equal(redactUrl("https://example.com:8443/users/@me"), "https://example.com:***@me");
  });

  it("also hides tokens that are not passwords", () => {
    assert.equal(redactUrl("https://discord.com/api/webhooks/123/abcDEF"), "https://discord.com/api/webhooks/123/[redacted]");
    assert.equal(redactUrl(`https://api.telegram.org/bot${BOT_TOKEN}/getMe`), "https://api.telegram.org/bot[redacted]/getMe");
  });

  it("tolerates malformed input and never throws", () => {
    assert.equal(redactUrl("postgresql://u:pw with space@h"), "postgresql://u:***@h");
    assert.equal(redactUrl("not a url"), "not a url");
    assert.equal(redactUrl(""), "");
    assert.equal(redactUrl("://:@"), "://:@");
    assert.equal(redactUrl("postgresql://u:pw@"), "postgresql://u:***@");
    assert.equal(redactUrl(undefined as unknown as string), "undefined");
    assert.doesNotThrow(() => redactUrl({ toString: () => { throw new Error("x"); } } as unknown as string));
  });
});
