/**
 * A check that did nothing — another check holds the lease, or another process the embedded
 * hub — is not a success: it exits 75 (EX_TEMPFAIL), says why on stderr and pings no heartbeat.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import lockfile from "proper-lockfile";
import { postgresDb } from "../../src/db/postgres.js";
import { scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { CLI } from "../helpers/cli.js";
import { cleanUp, runCliFor, tempDir } from "../helpers/spawn-cli.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "skipped" });

/** EX_TEMPFAIL: the check did nothing; try again later. */
const SKIPPED = 75;

/** A heartbeat endpoint that counts its pings. */
async function heartbeatServer(): Promise<{ url: string; pings: () => number; close: () => Promise<void> }> {
  let pings = 0;
  const server = http.createServer((req, res) => {
    pings++;
    req.resume();
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`,
    pings: () => pings,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("a check that did nothing", () => {
  let c: PgCronCluster;
  let project: Record<string, string>;

  before(async () => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    [c] = clusters() as [PgCronCluster];
    await scheduleJob(c, "tick", "*/5 * * * *", "select 1");
    project = { SUPABASE_POSTGRES_URL: c.url, JOBMON_PROJECT_NAMES: "alpha" };
  });
  after(cleanUp);

  it("when another check holds the lease (Postgres hub): exits 75, says so on stderr, pings no heartbeat, still prints --json", async () => {
    const beat = await heartbeatServer();
    await c.sql("create database skipped_hub");
    const url = c.urlFor({ database: "skipped_hub" });
    const hub = postgresDb(url, { max: 1 });
    try {
      const env = { ...project, JOBMON_HUB_URL: url, JOBMON_HEARTBEAT_URL: beat.url };
      assert.equal((await runCliFor(["migrate"], { env })).code, 0);
      // Another check, started a moment ago, is running.
      await hub.query("update monitoring.check_lock set holder = gen_random_uuid(), acquired_at = now(), expires_at = now() + interval '10 minutes' where id");
      const [plain, json] = await Promise.all([runCliFor(["check"], { env }), runCliFor(["check", "--json"], { env })]);
      assert.equal(plain.code, SKIPPED, plain.stdout + plain.stderr);
      assert.match(plain.stderr, /another check is running.*did nothing/);
      assert.equal(plain.stdout, "", "nothing on stdout: the check did no work");
      assert.equal(json.code, SKIPPED);
      assert.match(JSON.parse(json.stdout).skipped, /another check is running/);
      assert.equal(beat.pings(), 0, "the heartbeat says the monitor works: not after a check that did nothing");

      await hub.query("update monitoring.check_lock set holder = null, expires_at = null where id");
      const ran = await runCliFor(["check"], { env });
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(beat.pings(), 1, "a check that ran pings the heartbeat");
    } finally {
      await hub.close();
      await beat.close();
    }
  });

  it("when another process holds the embedded hub: exits 75, says so on stderr, pings no heartbeat, still prints --json", async () => {
    const beat = await heartbeatServer();
    const dir = join(tempDir(), "hub");
    mkdirSync(dir, { recursive: true });
    // Another jobmon process holds the embedded hub (the lock file src/node/embedded-hub.ts takes).
    const release = await lockfile.lock(dir, { lockfilePath: `${dir}/hub.lock`, stale: 30_000, update: 5_000 });
    try {
      const env = { ...project, JOBMON_DIR: dir, JOBMON_HEARTBEAT_URL: beat.url };
      const [plain, json] = await Promise.all([runCliFor(["check"], { env }), runCliFor(["check", "--json"], { env })]);
      assert.equal(plain.code, SKIPPED, plain.stdout + plain.stderr);
      assert.match(plain.stderr, /in use by another jobmon process.*did nothing/);
      assert.equal(plain.stdout, "");
      assert.equal(json.code, SKIPPED);
      assert.match(JSON.parse(json.stdout).skipped, /in use by another jobmon process/);
      assert.equal(beat.pings(), 0);
    } finally {
      await release();
      await beat.close();
    }
  });
});
