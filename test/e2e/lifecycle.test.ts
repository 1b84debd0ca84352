/**
 * The CLI's process lifecycle: every command ends, and closes the hub, whatever way it ends
 * (signals: test/e2e/interrupt.test.ts).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { CLI } from "../helpers/cli.js";
import { cleanUp, runCliFor, tempDir, type CliExit } from "../helpers/spawn-cli.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "lifecycle" });

/**
 * How long a process may take to exit after printing its error: closing PGlite takes a few
 * hundred ms (more on a busy machine); a process that keeps running is killed then.
 */
const PROMPT_MS = 8_000;

function assertExitedPromptly(r: CliExit, what: string): void {
  assert.equal(r.killed, false, `${what}: still running after its error (${r.stderr.trim()})`);
  assert.ok(r.stderrAt !== null, `${what}: printed no error`);
}

describe("the CLI's lifecycle", () => {
  let c: PgCronCluster;
  let project: Record<string, string>;
  let hubs = 0;

  /** A new database on the cluster for a Postgres hub. */
  async function postgresHub(): Promise<string> {
    const name = `lifecycle_hub_${++hubs}`;
    await c.sql(`create database ${name}`);
    return c.urlFor({ database: name });
  }

  before(async () => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    [c] = clusters() as [PgCronCluster];
    await scheduleJob(c, "tick", "*/5 * * * *", "select 1");
    project = { SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" };
  });
  after(cleanUp);

  const missing: [string, string[], RegExp][] = [
    ["annotate of a missing job", ["annotate", "alpha/nope", "--description", "x"], /no job named "nope" in project "alpha"/],
    ["history of a missing job", ["history", "alpha/nope"], /no job named "nope" in project "alpha"/],
    ["mute of a missing job", ["mute", "alpha/nope", "--for", "1h"], /no job named "nope" in project "alpha"/],
    ["unmute of a missing job", ["unmute", "alpha/nope"], /no job named "nope" in project "alpha"/],
  ];

  it("exits right after an error on the embedded hub, leaving it free for the next command", async () => {
    // One hub, one command after the other: a command that kept the hub open after its error
    // would hold the next one up (then fail it: the hub is in use).
    const env = { ...project, JOBMON_DIR: join(tempDir(), "hub") };
    assert.equal((await runCliFor(["discover"], { env })).code, 0);
    for (const [what, args, message] of missing) {
      const r = await runCliFor(args, { env, killAfterStderrMs: PROMPT_MS });
      assertExitedPromptly(r, what);
      assert.equal(r.code, 1, what);
      assert.match(r.stderr, message, what);
    }
    // A setting out of range is refused once the job is found: the hub is open by then.
    const r = await runCliFor(["annotate", "alpha/tick", "--grace", "99999d"], { env, killAfterStderrMs: PROMPT_MS });
    assertExitedPromptly(r, "annotate --grace 99999d");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^jobmon: /);
    const check = await runCliFor(["check"], { env });
    assert.equal(check.code, 0, check.stderr);
    assert.doesNotMatch(check.stderr, /in use|did nothing/);
  });

  it("exits right after an error on a Postgres hub", async () => {
    const env = { ...project, JOBMON_HUB_URL: await postgresHub() };
    assert.equal((await runCliFor(["discover"], { env })).code, 0);
    await Promise.all([
      ...missing.map(async ([what, args, message]) => {
        const r = await runCliFor(args, { env, killAfterStderrMs: PROMPT_MS });
        assertExitedPromptly(r, what);
        assert.equal(r.code, 1, what);
        assert.match(r.stderr, message, what);
      }),
      (async () => {
        const r = await runCliFor(["annotate", "alpha/tick", "--grace", "99999d"], { env, killAfterStderrMs: PROMPT_MS });
        assertExitedPromptly(r, "annotate --grace 99999d");
        assert.equal(r.code, 1);
      })(),
    ]);
  });
});
