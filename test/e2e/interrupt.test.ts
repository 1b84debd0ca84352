/**
 * A check stopped by a signal: it records that it was interrupted, frees its lease and the
 * hub, exits 128 + the signal's number, and never sends an alert twice. A check killed outright
 * (SIGKILL) leaves its lease behind, and the next check takes it over at once.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord.js";
import { insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { startDelayProxy, type DelayProxy } from "../harness/proxy.js";
import { CLI } from "../helpers/cli.js";
import { cleanUp, runCliFor, startCli, tempDir, until } from "../helpers/spawn-cli.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "interrupt" });

/** How long a check may take to stop once signalled, its in-flight request aside. */
const STOP_MS = 8_000;

describe("an interrupted check", () => {
  let c: PgCronCluster;
  let proxy: DelayProxy;
  /** The project as the interrupted check sees it: far away (every round trip ≈ 1.5 s). */
  let slow: string;
  const open: { close(): Promise<void> }[] = [];
  let hubs = 0;

  async function postgresHub(): Promise<{ url: string; db: Db }> {
    const name = `interrupt_hub_${++hubs}`;
    await c.sql(`create database ${name}`);
    const url = c.urlFor({ database: name });
    const db = postgresDb(url, { max: 1 });
    open.push(db);
    return { url, db };
  }

  before(async () => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    [c] = clusters() as [PgCronCluster];
    const broken = await scheduleJob(c, "broken", "*/5 * * * *", "select 1/0");
    await insertRun(c, { jobid: broken, status: "failed", return_message: "ERROR:  division by zero", start_time: new Date(Date.now() - 60_000), end_time: new Date(Date.now() - 59_000) });
    proxy = await startDelayProxy({ host: "127.0.0.1", port: c.port }, 750);
    open.push(proxy);
    const url = new URL(c.url);
    url.port = String(proxy.port);
    slow = url.toString();
  });
  after(async () => {
    await cleanUp();
    await Promise.all(open.map((o) => o.close()));
  });

  /** Starts a check against the slow project and signals it once it is reading the project. */
  async function interruptCollection(env: Record<string, string>, signal: NodeJS.Signals) {
    const connections = proxy.stats.connections;
    const check = startCli(["check"], { env: { ...env, SUPABASE_POSTGRES_URL: slow, JOBMON_PROJECT_TIMEOUT: "60s" }, killAfterMs: 120_000 });
    await until("the check to connect to the project", 90_000, () => proxy.stats.connections > connections || check.child.exitCode !== null);
    const signalledAt = performance.now();
    check.child.kill(signal);
    const exit = await check.exit;
    return { ...exit, pid: check.child.pid, stopMs: performance.now() - signalledAt };
  }

  it("on SIGINT mid-collection (embedded hub): exits 130 at once, and the next check runs at once", async () => {
    const env = { JOBMON_PROJECT_NAMES: "alpha", JOBMON_DIR: join(tempDir(), "hub") };
    const r = await interruptCollection(env, "SIGINT");
    assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal}): ${r.stderr}`);
    assert.ok(r.stopMs < STOP_MS, `stopped ${Math.round(r.stopMs)} ms after SIGINT`);
    assert.match(r.stderr, /interrupted/);

    const next = await runCliFor(["check", "--json"], { env: { ...env, SUPABASE_POSTGRES_URL: c.url } });
    assert.equal(next.code, 0, next.stderr);
    assert.equal(JSON.parse(next.stdout).skipped, undefined, "the lease was free");
    assert.doesNotMatch(next.stderr, /did nothing|in use/);
  });

  it("on SIGTERM mid-collection (Postgres hub): exits 143, records the run as interrupted, frees the lease; the next check runs", async () => {
    const hub = await postgresHub();
    const env = { JOBMON_PROJECT_NAMES: "alpha", JOBMON_HUB_URL: hub.url };
    const r = await interruptCollection(env, "SIGTERM");
    assert.equal(r.code, 143, `exit ${r.code} (signal ${r.signal}): ${r.stderr}`);
    assert.ok(r.stopMs < STOP_MS, `stopped ${Math.round(r.stopMs)} ms after SIGTERM`);

    const [lease] = await hub.db.query<{ holder: string | null }>("select holder::text from monitoring.check_lock");
    assert.equal(lease?.holder, null, "the lease is free");
    const runs = await hub.db.query<{ status: string; error: string | null }>("select status, error from monitoring.check_run");
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.status, "failed");
    assert.match(runs[0]?.error ?? "", /interrupted.*SIGTERM/);

    const next = await runCliFor(["check"], { env: { ...env, SUPABASE_POSTGRES_URL: c.url } });
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /did nothing/);
  });

  it("after SIGKILL mid-collection, the next check takes over the dead process's lease at once and says so", async () => {
    const hub = await postgresHub();
    const env = { JOBMON_PROJECT_NAMES: "alpha", JOBMON_HUB_URL: hub.url };
    const r = await interruptCollection(env, "SIGKILL");
    assert.equal(r.signal, "SIGKILL");
    const [lease] = await hub.db.query<{ holder: string | null }>("select holder::text from monitoring.check_lock");
    assert.notEqual(lease?.holder, null, "the killed check could not release its lease");

    const next = await runCliFor(["check", "--json"], { env: { ...env, SUPABASE_POSTGRES_URL: c.url } });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`took over the check lease of check ${lease!.holder}.*PID ${r.pid}.*no longer running`));
    const report = JSON.parse(next.stdout);
    assert.equal(report.skipped, undefined);
    assert.deepEqual(report.jobs.map((j: { job_name: string }) => j.job_name), ["broken"]);
  });

  describe("while sending alerts", () => {
    let discord: FakeDiscord;
    before(async () => {
      discord = await startFakeDiscord();
      open.push(discord);
    });

    it("on SIGINT waits for the message in flight, records it delivered, sends nothing more, and never sends it again", async () => {
      const hub = await postgresHub();
      // Two projects (the same cluster twice): two alerts, one message each.
      const env = {
        SUPABASE_POSTGRES_URL: c.url,
        SUPABASE_POSTGRES_URL_2: c.url,
        JOBMON_PROJECT_NAMES: "smoothed,blingsting",
        JOBMON_HUB_URL: hub.url,
        DISCORD_WEBHOOK_URL: discord.webhookUrl,
      };
      // Discord is slow to answer the first message (it saves it all the same).
      discord.hang(1, { delayMs: 2_500 });
      const check = startCli(["check"], { env, killAfterMs: 120_000 });
      await until("the first message to reach Discord", 90_000, () => discord.requests.length > 0 || check.child.exitCode !== null);
      check.child.kill("SIGINT");
      const r = await check.exit;
      assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal}): ${r.stderr}`);
      // (The fake saves the message when it answers, whether or not the sender still listens.)
      await until("Discord to answer the first message", 10_000, () => discord.requests[0]?.status !== undefined);
      assert.equal(discord.messages.length, 1, "the message in flight arrived");
      assert.equal(discord.requests.length, 1, "nothing was sent after the signal");

      const deliveries = async () =>
        hub.db.query<{ project_name: string; status: string }>(
          "select e.project_name, d.status from monitoring.alert_delivery d join monitoring.alert_event e on e.id = d.event_id order by d.status",
        );
      assert.deepEqual((await deliveries()).map((d) => d.status), ["delivered", "pending"]);

      // Long after (past any stale-claim period), the next check sends what was left, once.
      await hub.db.query("update monitoring.alert_delivery set claimed_at = claimed_at - interval '1 day', created_at = created_at - interval '1 hour'");
      const next = await runCliFor(["check"], { env });
      assert.equal(next.code, 0, next.stderr);
      const sentTo = (project: string) => discord.messages.filter((m) => JSON.stringify(m.payload).includes(project)).length;
      assert.deepEqual([sentTo("smoothed"), sentTo("blingsting")], [1, 1], "each alert arrived exactly once");
      assert.deepEqual((await deliveries()).map((d) => d.status), ["delivered", "delivered"]);
    });
  });
});
