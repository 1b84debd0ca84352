import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";

function configError(env: Record<string, string>): ConfigError {
  try {
    resolveConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected resolveConfig to throw");
}

describe("resolveConfig", () => {
  it("reads SUPABASE_POSTGRES_URL, _2 … _N in numeric order, for any N", () => {
    const env: Record<string, string> = { SUPABASE_POSTGRES_URL: "postgresql://u:p@h1:5432/postgres" };
    for (let n = 2; n <= 12; n++) env[`SUPABASE_POSTGRES_URL_${n}`] = `postgresql://u:p@h${n}:5432/postgres`;
    const config = resolveConfig(env);
    assert.equal(config.projects.length, 12);
    assert.deepEqual(
      config.projects.map((p) => new URL(p.url ?? "").hostname),
      Array.from({ length: 12 }, (_, i) => `h${i + 1}`),
    );
    assert.equal(config.projects[9]?.envVar, "SUPABASE_POSTGRES_URL_10");
  });

  it("names projects from JOBMON_PROJECT_NAMES, else from the ref in the URL, else project_N", () => {
    const named = resolveConfig({
      SUPABASE_POSTGRES_URL: "postgresql://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres",
      SUPABASE_POSTGRES_URL_2: "postgresql://postgres.qrstuvwxyzabcdefghij:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres",
      SUPABASE_POSTGRES_URL_3: "postgresql://u:pw@127.0.0.1:5433/postgres",
    });
    assert.deepEqual(
      named.projects.map((p) => [p.name, p.ref]),
      [
        ["abcdefghijklmnopqrst", "abcdefghijklmnopqrst"],
        ["qrstuvwxyzabcdefghij", "qrstuvwxyzabcdefghij"],
        ["project_3", null],
      ],
    );
    const withNames = resolveConfig({
      SUPABASE_POSTGRES_URL: "postgresql://u:p@h1/postgres",
      SUPABASE_POSTGRES_URL_2: "postgresql://u:p@h2/postgres",
      JOBMON_PROJECT_NAMES: "smoothed, blingsting",
      JOBMON_PROJECT_REFS: "abcdefghijklmnopqrst,",
    });
    assert.deepEqual(withNames.projects.map((p) => [p.name, p.ref]), [["smoothed", "abcdefghijklmnopqrst"], ["blingsting", null]]);
  });

  it("uses JOBMON_HUB as a project name, JOBMON_HUB_URL as a URL, else the embedded hub", () => {
    const base = { SUPABASE_POSTGRES_URL: "postgresql://u:p@h1/postgres", JOBMON_PROJECT_NAMES: "thordata" };
    assert.deepEqual(resolveConfig({ ...base, JOBMON_HUB: "thordata" }).hub, {
      kind: "postgres",
      url: "postgresql://u:p@h1/postgres",
      source: "JOBMON_HUB=thordata",
      projectName: "thordata",
    });
    assert.equal(resolveConfig({ ...base, JOBMON_HUB_URL: "postgres://x:y@hub/db" }).hub.kind, "postgres");
    assert.deepEqual(resolveConfig(base).hub, { kind: "embedded", dir: ".jobmon" });
  });

  it("treats empty values as unset", () => {
    const config = resolveConfig({ SUPABASE_POSTGRES_URL: "", DISCORD_WEBHOOK_URL: "  " });
    assert.equal(config.projects.length, 0);
    assert.equal(config.discord.webhookUrl, null);
  });

  const malformed: [string, Record<string, string>, RegExp][] = [
    ["a URL that does not parse", { SUPABASE_POSTGRES_URL_2: "x", SUPABASE_POSTGRES_URL: "not a url" }, /^SUPABASE_POSTGRES_URL: not a valid URL/],
    ["a non-Postgres scheme", { SUPABASE_POSTGRES_URL: "mysql://u:p@h/db" }, /^SUPABASE_POSTGRES_URL: expected a postgresql:\/\/ URL/],
    ["a gap in the numbering", { SUPABASE_POSTGRES_URL: "postgresql://h/db", SUPABASE_POSTGRES_URL_3: "postgresql://h/db" }, /^SUPABASE_POSTGRES_URL_3: is set but SUPABASE_POSTGRES_URL_2 is not/],
    ["too few names", { SUPABASE_POSTGRES_URL: "postgresql://h/db", SUPABASE_POSTGRES_URL_2: "postgresql://h/db", JOBMON_PROJECT_NAMES: "one" }, /^JOBMON_PROJECT_NAMES: lists 1 name/],
    ["a name with a slash", { SUPABASE_POSTGRES_URL: "postgresql://h/db", JOBMON_PROJECT_NAMES: "a/b" }, /^JOBMON_PROJECT_NAMES: "a\/b" is not a valid project name/],
    ["a duplicate name", { SUPABASE_POSTGRES_URL: "postgresql://h/db", SUPABASE_POSTGRES_URL_2: "postgresql://h/db", JOBMON_PROJECT_NAMES: "a,a" }, /^JOBMON_PROJECT_NAMES: the project name "a" is used twice/],
    ["an unknown hub project", { SUPABASE_POSTGRES_URL: "postgresql://h/db", JOBMON_HUB: "thordata" }, /^JOBMON_HUB: "thordata" is not one of the configured projects \(project_1\)/],
    ["both hub variables", { JOBMON_HUB: "a", JOBMON_HUB_URL: "postgresql://h/db" }, /^JOBMON_HUB_URL: set either JOBMON_HUB/],
    ["a bad hub URL", { JOBMON_HUB_URL: "http://h/db" }, /^JOBMON_HUB_URL: expected a postgresql:\/\//],
    ["a Discord webhook that is not a URL", { DISCORD_WEBHOOK_URL: "discord.com/api/webhooks/1/x" }, /^DISCORD_WEBHOOK_URL: not a valid http\(s\) URL/],
    ["a malformed Telegram token", { TELEGRAM_BOT_TOKEN: "abc" }, /^TELEGRAM_BOT_TOKEN: expected a bot token/],
    ["a malformed Telegram chat id", { TELEGRAM_CHAT_ID: "my chat" }, /^TELEGRAM_CHAT_ID: expected a numeric chat id/],
    ["a bad reminder duration", { JOBMON_REMIND_CRITICAL: "often" }, /^JOBMON_REMIND_CRITICAL: "often" is not a duration/],
    ["a bad retention", { JOBMON_RETENTION_DAYS: "-3" }, /^JOBMON_RETENTION_DAYS: "-3" is not a whole number/],
    ["a bad project ref", { SUPABASE_POSTGRES_URL: "postgresql://h/db", JOBMON_PROJECT_REFS: "NOT A REF" }, /^JOBMON_PROJECT_REFS: "NOT A REF" is not a Supabase project ref/],
  ];
  for (const [what, env, message] of malformed) {
    it(`rejects ${what} with a message naming the variable`, () => {
      const error = configError(env);
      assert.match(error.message, message);
    });
  }

  it("never repeats a URL's password in an error", () => {
    const error = configError({ SUPABASE_POSTGRES_URL: "mysql://admin:hunter2secret@h/db" });
    assert.doesNotMatch(error.message, /hunter2secret/);
    const unparsable = configError({ SUPABASE_POSTGRES_URL: "postgresql://admin:hunter2secret@h:notaport/db" });
    assert.doesNotMatch(unparsable.message, /hunter2secret/);
  });

  describe("a URL whose password holds an unencoded # / ? (or @) is rejected without printing the password", () => {
    const passwords = ["Hunter#2secret", "Hunter/2secret", "Hunter?2secret", "Hun#ter/2se?cret", "12#Hunter2secret", "1/Hunter2secret", "p@ss#Hunter2secret", "p@s/Hunter2secret"];
    const variables: [string, Record<string, string>][] = [
      ["SUPABASE_POSTGRES_URL", {}],
      ["SUPABASE_POSTGRES_URL_2", { SUPABASE_POSTGRES_URL: "postgresql://u:p@h1/postgres" }],
      ["JOBMON_HUB_URL", {}],
      ["JOBMON_POSTGRES_URL", {}],
    ];
    for (const password of passwords) {
      for (const [variable, others] of variables) {
        it(`${variable} with ${password}`, () => {
          const error = configError({ ...others, [variable]: `postgresql://postgres.abcdefghijklmnopqrst:${password}@aws-0-eu-west-1.pooler.supabase.com:6543/postgres` });
          const named = variable === "JOBMON_POSTGRES_URL" ? "SUPABASE_POSTGRES_URL" : variable;
          assert.match(error.message, new RegExp(`^${named}: `));
          for (const piece of ["Hunter", "2secret", "ss#", "s/H"]) assert.ok(!error.message.includes(piece), `"${piece}" in: ${error.message}`);
          assert.match(error.message, /percent-encode/);
          assert.match(error.message, /# → %23, \/ → %2F, \? → %3F, @ → %40/);
        });
      }
    }

    it("the hub fallback variable too", () => {
      assert.throws(() => resolveConfig({ SUPABASE_DB_URL: "postgresql://u:Hunter#2secret@h/db" }, { hubFallbackVariable: "SUPABASE_DB_URL" }), (e: unknown) => e instanceof ConfigError && e.variable === "SUPABASE_DB_URL" && !e.message.includes("Hunter") && /%23/.test(e.message));
    });

    it("an unparsable value is not echoed at all when it does not even look like a URL", () => {
      const error = configError({ SUPABASE_POSTGRES_URL: "Hunter2secret" });
      assert.match(error.message, /^SUPABASE_POSTGRES_URL: not a valid URL/);
      assert.ok(!error.message.includes("Hunter2secret"), error.message);
    });

    it("an http(s) URL with credentials holding an unencoded character", () => {
      const error = configError({ JOBMON_HEARTBEAT_URL: "https://user:Hunter#2secret@hc.example.com/ping" });
      assert.match(error.message, /^JOBMON_HEARTBEAT_URL: /);
      assert.ok(!error.message.includes("Hunter") && !error.message.includes("2secret"), error.message);
    });

    it("still accepts a percent-encoded password, and collects it decoded for redaction", () => {
      const config = resolveConfig({ SUPABASE_POSTGRES_URL: "postgresql://u:Hun%23ter%2F2%3Fs%40cret@h/db" });
      assert.ok(config.secrets.includes("Hun#ter/2?s@cret"));
    });
  });

  it("collects the secrets to redact: URL passwords and tokens", () => {
    const config = resolveConfig({
      SUPABASE_POSTGRES_URL: "postgresql://u:p%40ssw0rd@h/db",
      TELEGRAM_BOT_TOKEN: "123456:ABCdef_ghi",
      SUPABASE_ACCESS_TOKEN: "sbp_0123456789abcdef",
    });
    assert.ok(config.secrets.includes("p@ssw0rd"));
    assert.ok(config.secrets.includes("123456:ABCdef_ghi"));
    assert.ok(config.secrets.includes("sbp_0123456789abcdef"));
  });

  it("accepts JOBMON_ spellings of the SUPABASE_ names that Supabase secrets refuse", () => {
    const config = resolveConfig({
      JOBMON_POSTGRES_URL: "postgresql://u:p@h1/postgres",
      JOBMON_POSTGRES_URL_2: "postgresql://u:p@h2/postgres",
      JOBMON_ACCESS_TOKEN: "sbp_0123456789abcdef",
    });
    assert.deepEqual(config.projects.map((p) => new URL(p.url ?? "").hostname), ["h1", "h2"]);
    assert.equal(config.managementApi.accessToken, "sbp_0123456789abcdef");
    const clash = configError({ JOBMON_POSTGRES_URL: "postgresql://h1/db", SUPABASE_POSTGRES_URL: "postgresql://h2/db" });
    assert.match(clash.message, /^JOBMON_POSTGRES_URL: both JOBMON_POSTGRES_URL and SUPABASE_POSTGRES_URL are set/);
  });

  it("parses reminder durations per criticality", () => {
    const config = resolveConfig({ JOBMON_REMIND_CRITICAL: "4h", JOBMON_REMIND_LOW: "1d" });
    assert.deepEqual(config.reminders, { critical: 14400, low: 86400 });
  });
});
