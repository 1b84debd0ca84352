import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import {
  insertRun,
  reapOrphanedClusters,
  scheduleJob,
  startPgCronCluster,
  usePgCronClusters,
  type ExtensionSet,
  type PgCronCluster,
} from "../harness/pgcron.js";
import { waitFor } from "../helpers/wait.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const harnessUrl = new URL("../harness/pgcron.ts", import.meta.url).href;

/** Resolves to the error of a connection attempt, or "connected" with the role it got. */
async function connectAs(url: string): Promise<{ user: string } | { code: string | undefined; message: string }> {
  const db = postgresDb(url, { connectTimeoutSeconds: 5 });
  try {
    const [row] = await db.query<{ user: string }>("select current_user as user");
    return { user: row!.user };
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  } finally {
    await db.close();
  }
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}


/** A separate Node process that starts a cluster and then idles, as a test file would. */
async function spawnClusterOwner(): Promise<{ child: ChildProcess; port: number; dataDir: string }> {
  const script = `
    const { startPgCronCluster } = await import(${JSON.stringify(harnessUrl)});
    const cluster = await startPgCronCluster({ name: "owner" });
    console.log(JSON.stringify({ port: cluster.port, dataDir: cluster.dataDir }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    child.once("exit", (code) => reject(new Error(`cluster owner exited early with ${code}: ${out}`)));
  });
  return { child, ...(JSON.parse(line) as { port: number; dataDir: string }) };
}

/** pg_extension.extversion of pg_cron per extension set: 1.4-1 on Debian, "1.6" for every 1.6.x. */
const PG_CRON_EXTVERSION: Record<ExtensionSet, RegExp> = { debian: /^1\.4/, pinned: /^1\.6$/, latest: /^1\.6$/ };

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));

describe("pg_cron test harness", () => {
  const clusters = usePgCronClusters(2, { name: "harness" });

  test("two clusters start on their own loopback ports with pg_cron preloaded and running", async (t) => {
    const [a, b] = clusters() as [PgCronCluster, PgCronCluster];
    t.diagnostic(`startup: ${a.startupMs} ms and ${b.startupMs} ms (parallel, template cached or built)`);
    assert.notEqual(a.port, b.port);
    for (const cluster of [a, b]) {
      assert.notEqual(cluster.port, 5432);
      assert.equal(cluster.host, "127.0.0.1");
      // The set they were started with: no StartOptions.set, so JOBMON_TEST_SET or debian.
      assert.equal(cluster.set, process.env.JOBMON_TEST_SET || "debian");
      assert.match(cluster.pgCronVersion, PG_CRON_EXTVERSION[cluster.set]);
      const [row] = await cluster.sql("select inet_server_addr()::text as addr, current_setting('shared_preload_libraries') as libs");
      assert.equal(row.addr, "127.0.0.1/32");
      assert.equal(row.libs, cluster.pgNetVersion === null ? "pg_cron" : "pg_cron,pg_net");
      await cluster.waitForLauncher();
    }
    // One pg_cron per server: a job scheduled on one is not on the other.
    const jobid = await scheduleJob(a, "only-on-a", "0 0 1 1 *", "select 1");
    assert.equal((await a.sql("select jobname from cron.job where jobid = $1", [jobid]))[0]?.jobname, "only-on-a");
    assert.deepEqual(await b.sql("select jobid from cron.job where jobname = 'only-on-a'"), []);
  });

  test("every TCP connection needs the role's password, the superuser's included", async () => {
    const [a] = clusters() as [PgCronCluster];
    await a.createRole("alice", { password: "correct horse" });

    assert.deepEqual(await connectAs(a.urlFor({ user: "alice", password: "correct horse" })), { user: "alice" });
    assert.deepEqual(await connectAs(a.url), { user: "postgres" });

    const wrong = await connectAs(a.urlFor({ user: "alice", password: "battery staple" }));
    assert.equal("code" in wrong && wrong.code, "28P01"); // invalid_password
    const wrongSuperuser = await connectAs(a.urlFor({ user: "postgres", password: "nope" }));
    assert.equal("code" in wrongSuperuser && wrongSuperuser.code, "28P01");
    assert.ok("message" in (await connectAs(a.urlFor({ user: "alice" }))), "no password must not connect");
  });

  // pg_cron 1.4 only starts cron-syntax runs when a minute boundary passes
  // (StartAllPendingRuns returns while MinutesPassed(lastMinute, now) == 0), so a
  // '* * * * *' job scheduled now runs at the next minute, up to 60 s away. Jobs
  // scheduled '@reboot' run in the launcher's first loop after it starts: a server
  // restart (well under a second) makes pg_cron run them for real, through the same
  // libpq connection and job_run_details bookkeeping as any other run.
  test("pg_cron itself runs a failing job and records it as failed with the error", async () => {
    const [, b] = clusters() as [PgCronCluster, PgCronCluster];
    const boom = await scheduleJob(b, "boom", "@reboot", "select 1/0");
    // A non-superuser's job too: pg_cron connects as that role over the trusted socket.
    await b.createRole("scheduler", { password: "s" });
    await b.sql("grant usage on schema cron to scheduler");
    const asScheduler = postgresDb(b.urlFor({ user: "scheduler", password: "s" }));
    const [fine] = await asScheduler.query<{ jobid: number }>("select cron.schedule('fine', '@reboot', 'select 1') as jobid");
    await asScheduler.close();

    await b.restart();
    const rows = await waitFor("both @reboot runs to finish", 30_000, async () => {
      const found = await b.sql(
        "select * from cron.job_run_details where jobid in ($1, $2) and status in ('succeeded', 'failed') order by jobid",
        [boom, fine!.jobid],
      );
      return found.length === 2 ? found : undefined;
    });

    const failed = rows.find((r) => r.jobid === boom);
    assert.equal(failed.status, "failed");
    assert.match(failed.return_message, /^ERROR: +division by zero/);
    assert.equal(failed.username, "postgres");
    assert.equal(failed.command, "select 1/0");
    assert.ok(failed.start_time instanceof Date && failed.end_time instanceof Date);
    assert.ok(failed.end_time >= failed.start_time);

    const succeeded = rows.find((r) => r.jobid === fine!.jobid);
    assert.equal(succeeded.status, "succeeded");
    assert.equal(succeeded.return_message, "1 row");
    assert.equal(succeeded.username, "scheduler");
  });

  test("insertRun writes runs at exact instants and keeps pg_cron's own runids after explicit ones", async () => {
    const [a] = clusters() as [PgCronCluster];
    const jobid = await scheduleJob(a, "exact", "0 0 1 1 *", "select 42");
    const start = new Date("2028-02-29T23:59:00.250Z");
    const runid = await insertRun(a, {
      jobid, runid: 1000, status: "succeeded", return_message: "1 row", start_time: start, end_time: "2028-03-01T00:00:01Z",
    });
    assert.equal(runid, 1000);
    const next = await insertRun(a, { jobid: 999_999, status: "failed", return_message: "ERROR:  boom" });
    assert.ok(next > 1000, `runid ${next} should follow 1000`);

    const [row] = await a.sql("select * from cron.job_run_details where runid = 1000");
    assert.equal(row.command, "select 42"); // from cron.job
    assert.equal(row.username, "postgres");
    assert.equal(row.start_time.toISOString(), start.toISOString());
    assert.equal(row.end_time.toISOString(), "2028-03-01T00:00:01.000Z");
    const [orphan] = await a.sql("select command, database, start_time from cron.job_run_details where runid = $1", [next]);
    assert.deepEqual(orphan, { command: "select 1", database: "postgres", start_time: null });
  });

  test("settings reach the server, and stop() shuts it down and removes its directory", async (t) => {
    const cluster = await startPgCronCluster({
      name: "settings",
      settings: { "cron.log_run": false, "cron.max_running_jobs": 3, "cron.log_statement": "off" },
    });
    t.diagnostic(`startup with a cached template: ${cluster.startupMs} ms`);
    try {
      const [row] = await cluster.sql(
        `select current_setting('cron.log_run') as log_run, current_setting('cron.max_running_jobs') as max_jobs,
                current_setting('cron.log_statement') as log_statement`,
      );
      assert.deepEqual(row, { log_run: "off", max_jobs: "3", log_statement: "off" });
      assert.ok(await portAcceptsConnections(cluster.port));
    } finally {
      const stoppedAt = performance.now();
      await cluster.stop();
      t.diagnostic(`stop: ${Math.round(performance.now() - stoppedAt)} ms`);
    }
    assert.equal(await portAcceptsConnections(cluster.port), false);
    assert.equal(fs.existsSync(cluster.dataDir), false);
    await cluster.stop(); // idempotent
  });

  test("a test process interrupted with SIGINT stops its clusters on the way out", async () => {
    const { child, port, dataDir } = await spawnClusterOwner();
    assert.ok(await portAcceptsConnections(port));
    const exit = exited(child);
    child.kill("SIGINT");
    assert.equal(await exit, 128 + 2);
    assert.equal(await portAcceptsConnections(port), false);
    assert.equal(fs.existsSync(dataDir), false);
  });

  test("clusters of a process killed with SIGKILL are reaped by the next harness", async () => {
    const { child, port, dataDir } = await spawnClusterOwner();
    const exit = exited(child);
    child.kill("SIGKILL");
    assert.equal(await exit, "SIGKILL");
    // Another test process may reap it first; either way it must end up gone.
    await reapOrphanedClusters();
    assert.equal(await portAcceptsConnections(port), false);
    assert.equal(fs.existsSync(dataDir), false);
  });
});

describe("a quiet cluster (StartOptions.quiet)", () => {
  const clusters = usePgCronClusters(1, { name: "quiet", quiet: true });

  test("pg_cron's launcher runs and tries its jobs, but no command runs and no run row stays", async () => {
    const [q] = clusters() as [PgCronCluster];
    const jobid = await scheduleJob(q, "would-write", "@reboot", "create table ran_for_real ()");
    const mine = await insertRun(q, { jobid, status: "succeeded", return_message: "1 row", start_time: "2026-11-30T09:00:00Z", end_time: "2026-11-30T09:00:01Z" });
    await q.restart(); // @reboot: the launcher starts the job at once
    await q.waitForLauncher();
    const dropped = await waitFor("the launcher's run of the @reboot job", 30_000, async () => {
      const rows = await q.sql("select jobid from public.jobmon_harness_dropped_runs where jobid = $1", [jobid]);
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(dropped[0].jobid, jobid);
    const runs = await q.sql("select runid from cron.job_run_details");
    assert.deepEqual(runs.map((r) => r.runid), [mine], "only the test's own run");
    const [ran] = await q.sql("select to_regclass('public.ran_for_real') as t");
    assert.equal(ran.t, null, "the job's command did not run");
  });
});
