/**
 * The check lease (monitoring.check_lock): how long it lasts, who holds it, when another check
 * may take it over, and what an interrupted check leaves behind. In-process, on an in-memory
 * hub; the projects are stand-ins that answer, fail or hang as each test needs.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { CheckInterruptedError, checkLeaseSeconds } from "../../src/check/index.js";
import { resolveConfig } from "../../src/config.js";
import type { Db } from "../../src/db/types.js";
import type { LeaseProcess } from "../../src/hub/lock.js";
import { MonitoringAPI } from "../../src/monitor.js";
import type { ProjectConnector } from "../../src/sources/connect.js";
import { testHub } from "../helpers/hub.js";
import { until } from "../helpers/spawn-cli.js";

const ENV = { SUPABASE_POSTGRES_URL: "postgresql://jobmon:secret@127.0.0.1:9/postgres", JOBMON_PROJECT_NAMES: "alpha", JOBMON_PROJECT_TIMEOUT: "3s" };

/** This machine as the lease sees it; `alive` lists the PIDs that are running. */
function leaseProcess(host: string, pid: number, alive: number[] = [pid]): LeaseProcess {
  return { host, pid, pidNamespace: "pid:[4026531836]", isAlive: (p) => alive.includes(p) };
}

/** A project that is down: every statement fails at once (the check completes, `unreachable`). */
const down: ProjectConnector = () => project(() => Promise.reject(new Error("connection refused")));

/** A project that answers nothing until `release()`; then it fails like `down`. */
function hanging(): { connect: ProjectConnector; release: () => void } {
  let release = () => {};
  const gate = new Promise<never>((_, reject) => (release = () => reject(new Error("connection reset"))));
  gate.catch(() => undefined);
  return { connect: () => project(() => gate), release: () => release() };
}

function project(answer: () => Promise<never>): Db {
  return { dialect: "postgres", query: answer, batch: answer, exec: answer, transaction: answer, close: async () => {} };
}

interface LeaseRow {
  holder: string | null;
  acquired_at: Date | null;
  expires_at: Date | null;
  holder_host: string | null;
  holder_pid: number | null;
}

const lease = async (hub: Db): Promise<LeaseRow> =>
  (await hub.query<LeaseRow & Record<string, unknown>>("select holder::text, acquired_at, expires_at, holder_host, holder_pid from monitoring.check_lock"))[0]!;

async function holdLease(hub: Db, opts: { holder: string; host: string | null; pid: number | null; acquired: Date; expires: Date }): Promise<void> {
  await hub.query(
    `update monitoring.check_lock set holder = $1, acquired_at = $2, expires_at = $3, holder_host = $4, holder_pid = $5, holder_pid_namespace = $6 where id`,
    [opts.holder, opts.acquired, opts.expires, opts.host, opts.pid, opts.host === null ? null : "pid:[4026531836]"],
  );
}

describe("the check lease", () => {
  let shared: Db | undefined;
  /** One hub for the file (a new one costs a second), emptied for each test. */
  async function setup(options: { connect: ProjectConnector; process?: LeaseProcess; env?: Record<string, string> }) {
    const hub = (shared ??= await testHub());
    const monitor = new MonitoringAPI({ env: options.env ?? ENV, hub, connect: options.connect, managementApi: null, leaseProcess: options.process ?? leaseProcess("box", 4242) });
    await monitor.migrate();
    await hub.exec(`
      delete from monitoring.check_run; delete from monitoring.alert_event; delete from monitoring.job_health_log;
      delete from monitoring.job_inventory; delete from monitoring.project_state;
      update monitoring.check_lock set holder = null, acquired_at = null, expires_at = null, holder_host = null, holder_pid = null, holder_pid_namespace = null;`);
    return { hub, monitor };
  }
  after(async () => {
    await shared?.close();
  });

  it("lasts as long as the longest possible check, from JOBMON_PROJECT_TIMEOUT, and names its process", async () => {
    assert.equal(checkLeaseSeconds(resolveConfig({ ...ENV, JOBMON_PROJECT_TIMEOUT: "5m" })) - checkLeaseSeconds(resolveConfig(ENV)), 297);
    assert.ok(checkLeaseSeconds(resolveConfig(ENV)) < 120, "not a fixed ten minutes");
    // Through an access token: the project list, then the projects in rounds of 16.
    const token = resolveConfig({ SUPABASE_ACCESS_TOKEN: "sbp_0123456789abcdef0123456789abcdef01234567" });
    const oneRound = checkLeaseSeconds(token, 16);
    assert.ok(oneRound > checkLeaseSeconds(resolveConfig(ENV)), "the project list and the Edge Function calls count");
    assert.equal(checkLeaseSeconds(token, 0), oneRound);
    const round = checkLeaseSeconds(token, 17) - oneRound;
    assert.ok(round >= 20, "a second round of projects adds at least a project's timeout");
    assert.equal(checkLeaseSeconds(token, 40), oneRound + 2 * round, "40 projects: three rounds");
    const project = hanging();
    const { hub, monitor } = await setup({ connect: project.connect });
    const check = monitor.checkHealth();
    await until("the check to take the lease", 5_000, async () => (await lease(hub)).holder !== null);
    const held = await lease(hub);
    assert.equal((held.expires_at!.getTime() - held.acquired_at!.getTime()) / 1000, checkLeaseSeconds(monitor.config));
    assert.equal(held.holder_host, "box");
    assert.equal(held.holder_pid, 4242);
    project.release();
    await check;
    assert.equal((await lease(hub)).holder, null, "released when the check ends");
  });

  it("an interrupted check records its run as interrupted, releases the lease and rejects", async () => {
    const project = hanging();
    const { hub, monitor } = await setup({ connect: project.connect, env: { ...ENV, JOBMON_PROJECT_TIMEOUT: "60s" } });
    const stop = new AbortController();
    const check = monitor.checkHealth({ signal: stop.signal });
    await until("the check to take the lease", 5_000, async () => (await lease(hub)).holder !== null);
    const { holder } = await lease(hub);
    const started = performance.now();
    stop.abort("SIGINT");
    await assert.rejects(check, (e: unknown) => e instanceof CheckInterruptedError && /interrupted by SIGINT/.test(e.message));
    assert.ok(performance.now() - started < 1_000, "without waiting for the project");
    assert.equal((await lease(hub)).holder, null);
    const runs = await hub.query<{ id: string; status: string; error: string }>("select id::text, status, error from monitoring.check_run");
    assert.deepEqual(runs.map((r) => [r.id, r.status]), [[holder, "failed"]]);
    assert.match(runs[0]!.error, /interrupted by SIGINT while reading the projects/);
    assert.equal((await monitor.listJobs()).length, 0, "nothing else was recorded");
    project.release();
  });

  it("is taken over at once when its holder's process (on this host) is gone, saying so", async () => {
    const { hub, monitor } = await setup({ connect: down, process: leaseProcess("box", 4242, [4242]) });
    const acquired = new Date(Date.now() - 5_000);
    await holdLease(hub, { holder: "00000000-0000-4000-8000-000000000001", host: "box", pid: 999_999, acquired, expires: new Date(Date.now() + 600_000) });
    const report = await monitor.checkHealth();
    assert.equal(report.skipped, undefined);
    assert.match(report.lease_takeover ?? "", /took over the check lease of check 00000000-0000-4000-8000-000000000001 \(PID 999999 on box, started .*\): that process is no longer running/);
    const [abandoned] = await hub.query<{ status: string; error: string; started_at: Date }>("select status, error, started_at from monitoring.check_run where id = '00000000-0000-4000-8000-000000000001'");
    assert.equal(abandoned?.status, "failed");
    assert.equal(abandoned?.started_at.getTime(), acquired.getTime());
    assert.match(abandoned?.error ?? "", /abandoned/);
    assert.equal((await lease(hub)).holder, null);
  });

  it("is kept while its holder runs, or runs elsewhere, until it expires; then it is taken over, saying so", async () => {
    const { hub, monitor } = await setup({ connect: down, process: leaseProcess("box", 4242, [4242, 5151]) });
    const acquired = new Date(Date.now() - 5_000);
    const expires = new Date(Date.now() + 600_000);
    for (const [host, pid, why] of [["box", 5151, "a live process on this host"], ["elsewhere", 999_999, "a process on another host"], [null, null, "an Edge Function"]] as const) {
      await holdLease(hub, { holder: "00000000-0000-4000-8000-000000000002", host, pid, acquired, expires });
      const report = await monitor.checkHealth();
      assert.match(report.skipped ?? "", /another check is running/, why);
    }
    // The same lease, past the longest check its holder could run.
    await holdLease(hub, { holder: "00000000-0000-4000-8000-000000000002", host: "elsewhere", pid: 999_999, acquired, expires: new Date(Date.now() - 1_000) });
    const report = await monitor.checkHealth();
    assert.equal(report.skipped, undefined);
    assert.match(report.lease_takeover ?? "", /took over the check lease of check 00000000-0000-4000-8000-000000000002 \(PID 999999 on elsewhere, .*\): it expired at .*, past the longest that check could run/);
  });

  it("a check that lost its lease (it ran past it and another check took over) records nothing", async () => {
    const project = hanging();
    const { hub, monitor } = await setup({ connect: project.connect });
    const check = monitor.checkHealth();
    await until("the check to take the lease", 5_000, async () => (await lease(hub)).holder !== null);
    await holdLease(hub, { holder: "00000000-0000-4000-8000-000000000003", host: "elsewhere", pid: 1, acquired: new Date(), expires: new Date(Date.now() + 600_000) });
    project.release();
    await assert.rejects(check, /lost its lease/);
    assert.equal((await lease(hub)).holder, "00000000-0000-4000-8000-000000000003", "the other check's lease stands");
    assert.equal((await hub.query("select 1 from monitoring.project_state")).length, 0, "nothing recorded");
  });
});
