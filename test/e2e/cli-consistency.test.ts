/**
 * The CLI speaks one way everywhere: argument errors read like every other error, an invalid
 * time zone is a failed `schedule`, every data command takes --json with snake_case keys, and
 * --help says which environment variables configure jobmon.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli, tempDir } from "../helpers/cli.js";

const env = () => ({ JOBMON_DIR: `${tempDir()}/hub`, SUPABASE_POSTGRES_URL: "postgresql://u:secret@127.0.0.1:1/postgres", JOBMON_PROJECT_NAMES: "alpha" });

function snakeCaseKeys(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => snakeCaseKeys(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => [
    ...(/^[a-z][a-z0-9_]*$/.test(key) ? [] : [`${path}.${key}`]),
    // `routed` is a map keyed by route ids (data, not names of fields).
    ...(key === "routed" ? [] : snakeCaseKeys(v, `${path}.${key}`)),
  ]);
}

describe("the CLI's conventions", () => {
  it("schedule: an invalid --timezone is exit 1 and no ✓", async () => {
    const r = await runCli(["schedule", "* * * * *", "--timezone", "Mars/Olympus"]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /✓/);
    assert.match(r.stdout, /✗ --timezone: invalid time zone "Mars\/Olympus"/);
    assert.equal((await runCli(["schedule", "* * * * *", "--timezone", "Europe/Berlin"])).code, 0);
  });

  it("argument errors carry the jobmon: prefix and exit 1; limits name their maximum", async () => {
    const bad = await runCli(["history", "alpha/x", "--limit", "1e20"], { env: env() });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^jobmon: option '--limit <n>' argument '1e20' is invalid\. --limit takes a whole number from 1 to 10000/);
    const count = await runCli(["schedule", "* * * * *", "--count", "5000"]);
    assert.equal(count.code, 1);
    assert.match(count.stderr, /^jobmon: .*--count takes a whole number from 1 to 1000/);
    const grace = await runCli(["annotate", "alpha/x", "--grace", "99999d"], { env: env() });
    assert.equal(grace.code, 1);
    assert.match(grace.stderr, /^jobmon: .*--grace takes a duration from 1s to 366d/);
  });

  it("mute and unmute take --json", async () => {
    const e = env();
    const muted = await runCli(["mute", "alpha", "--for", "1h", "--json"], { env: e });
    assert.equal(muted.code, 0, muted.stderr);
    const body = JSON.parse(muted.stdout) as { kind: string; name: string; until: string };
    assert.deepEqual([body.kind, body.name], ["project", "alpha"]);
    assert.ok(!Number.isNaN(Date.parse(body.until)));
    const unmuted = await runCli(["unmute", "alpha", "--json"], { env: e });
    assert.equal(unmuted.code, 0, unmuted.stderr);
    assert.deepEqual(JSON.parse(unmuted.stdout), { kind: "project", name: "alpha", until: null });
  });

  it("check --json keys are snake_case throughout", async () => {
    const r = await runCli(["check", "--json"], { env: { ...env(), JOBMON_PROJECT_TIMEOUT: "2s", DISCORD_WEBHOOK_URL: "http://127.0.0.1:1/api/webhooks/1/abc" } });
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.ok(report.projects, r.stderr);
    assert.deepEqual(snakeCaseKeys(report), []);
  });

  it("--help names the environment variables and the exit codes", async () => {
    for (const command of [[], ["check"], ["status"]]) {
      const r = await runCli([...command, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /SUPABASE_POSTGRES_URL/);
      assert.match(r.stdout, /JOBMON_HUB/);
      assert.match(r.stdout, /75 check skipped/);
    }
  });
});
