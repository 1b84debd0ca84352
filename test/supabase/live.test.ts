/**
 * The live suite: jobmon against pg_cron and pg_net as Supabase runs them, with nothing
 * staged. pg_cron's own launcher runs the jobs and pg_net's own worker makes their HTTP calls
 * (against a local server that answers 200, 500, slowly or never, and a closed port), on both
 * 1.6 extension sets (pg_cron 1.6.4 + pg_net 0.11.0 as Supabase pins them; 1.6.7 + 0.20.5,
 * the latest tags), under Supabase's role model.
 *
 * Four checkers watch each cluster at once, each with its own hub: as `postgres` and as
 * `supabase_read_only_user`, each directly and through PgBouncer in transaction mode (each
 * hub is a database in the same cluster, reached the same way). Checks land at chosen
 * points of the minute: seconds after the jobs' runs (inside pg_net's settle window), on the
 * very minute boundary the jobs fire on, and between. After every check, every verdict of
 * every checker is held to what really happened; the suite counts the wrong ones (none is
 * allowed) and prints its figures.
 *
 * pg_net stores no URL: a response is matched to a run by time (health/pgnet-correlation.ts). The
 * pg_net jobs here fire at different points of the minute, as a team that wants each call's
 * outcome told apart should schedule them; two calls made at the very same instant can only
 * be reported as ambiguous (test/unit/pgnet-correlation.test.ts covers that case).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { MonitoringAPI } from "../../src/monitor.js";
import type { CheckReport } from "../../src/check/index.js";
import { closedPort, HttpTarget } from "../harness/http-target.js";
import { type ExtensionSet, type PgCronCluster, startPgCronCluster } from "../harness/pgcron.js";
import { startPgBouncer } from "../harness/pgbouncer.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Waits until the wall clock's second of the minute, modulo `modulo`, is `second` (±0.5 s). */
async function untilSecond(second: number, modulo = 60): Promise<void> {
  const now = Date.now();
  const inPeriod = (now / 1000) % modulo;
  await sleep(((second - inPeriod + modulo) % modulo) * 1000);
}

/** The instant `second` seconds into the minute that starts `minutes` minutes after `from`'s minute. */
function atMinute(from: number, minutes: number, second: number): number {
  return Math.floor(from / 60_000) * 60_000 + minutes * 60_000 + second * 1000;
}

interface Checker {
  label: string;
  monitor: MonitoringAPI;
  hub: Db;
  readOnly: boolean;
  /** Each job's statuses, check after check. */
  history: Map<string, string[]>;
}

interface Expectation {
  /** Statuses a verdict may have at any check. */
  allowed: readonly string[];
  /** The status it must have at the last check. */
  final: string;
  /** The status it must have at the last check if pg_cron ran it by then (a job that rarely fires). */
  finalIfRan?: string;
  /** Its reason must match this once it is failed (its own failure, not another job's). */
  failedReason?: RegExp;
  /** Its reason must never match this. */
  never?: RegExp;
  /** Once failed, it stays failed: its pg_net calls keep failing. */
  sticky?: boolean;
}

const FAILURES = { http500: /HTTP 500 from the called URL/, refused: /Couldn't connect to server/, timeout: /timed out/ };
const anyOtherFailure = (mine: RegExp) => new RegExp(Object.values(FAILURES).filter((r) => r !== mine).map((r) => r.source).join("|"));

interface Figures {
  checks: number;
  runs: number;
  runsFailed: number;
  netResponses: number;
  netResponsesFailed: number;
  httpRequests: number;
  wrongVerdicts: number;
}

async function liveRun(set: Exclude<ExtensionSet, "debian">): Promise<{ figures: Figures; wrong: string[] }> {
  const cluster: PgCronCluster = await startPgCronCluster({ set, supabase: true, name: `live-${set}` });
  const target = await HttpTarget.start();
  const open: { close?: () => Promise<void>; stop?: () => Promise<void> }[] = [];
  try {
    await cluster.waitForLauncher();
    const closed = await closedPort();
    const pw = cluster.passwords;
    const bouncer = await startPgBouncer({
      target: { host: cluster.host, port: cluster.port },
      users: { postgres: pw.postgres as string, supabase_read_only_user: pw.supabase_read_only_user as string },
    });
    open.push(bouncer);
    // Each checker's hub: a database of its own in the same cluster, owned by postgres, reached
    // the way the checker reaches the project (directly, or through the pooler).
    for (const name of ["hub_direct_pg", "hub_direct_ro", "hub_pooled_pg", "hub_pooled_ro"]) await cluster.sql(`create database ${name} owner postgres`);
    const directHub = (database: string) => postgresDb(cluster.urlFor({ user: "postgres", database }), { max: 2 });
    const pooledHub = (database: string) => postgresDb(bouncer.url("postgres", undefined, database), { max: 2 });

    const checkers: Checker[] = [];
    const addChecker = async (label: string, projectUrl: string, readOnly: boolean, hub: Db) => {
      open.push(hub);
      const monitor = new MonitoringAPI({ env: { SUPABASE_POSTGRES_URL: projectUrl, JOBMON_PROJECT_NAMES: "live", JOBMON_PROJECT_TIMEOUT: "15s" }, hub });
      checkers.push({ label: `${set}/${label}`, monitor, hub, readOnly, history: new Map() });
    };
    await Promise.all([
      addChecker("postgres direct", cluster.urlFor({ user: "postgres" }), false, directHub("hub_direct_pg")),
      addChecker("read-only direct", cluster.urlFor({ user: "supabase_read_only_user" }), true, directHub("hub_direct_ro")),
      addChecker("postgres pooled", bouncer.url("postgres"), false, pooledHub("hub_pooled_pg")),
      addChecker("read-only pooled", bouncer.url("supabase_read_only_user"), true, pooledHub("hub_pooled_ro")),
    ]);

    const schedule = (name: string, when: string, command: string) =>
      cluster.sqlAs("postgres", "select cron.schedule($1, $2, $3) as jobid", [name, when, command]);
    const netGet = (url: string) => `select net.http_get(${quote(url)})`;
    const netPost = (url: string) => `select net.http_post(url := ${quote(url)}, body := '{"from": "jobmon live suite"}'::jsonb)`;

    const expect = new Map<string, Expectation>();
    // Interval jobs fire first an interval after they are scheduled (then every interval): the
    // moment they are scheduled sets where in the minute they fire. net-hang fires near :03
    // and :33 (its answer, a timeout, 5 s later); net-ok near :15 and :45; the cron jobs on :00.
    await untilSecond(2.6, 30);
    await schedule("net-hang", "30 seconds", netGet(target.url("/hang")));
    expect.set("net-hang", { allowed: ["unknown", "success", "failed"], final: "failed", failedReason: FAILURES.timeout, never: anyOtherFailure(FAILURES.timeout), sticky: true });
    await schedule("ok-sql", "* * * * *", "select 1");
    expect.set("ok-sql", { allowed: ["unknown", "success"], final: "success" });
    await schedule("fail-sql", "* * * * *", "select 1/0");
    expect.set("fail-sql", { allowed: ["unknown", "failed"], final: "failed", failedReason: /division by zero/ });
    await schedule("every-10s", "10 seconds", "select 1");
    expect.set("every-10s", { allowed: ["unknown", "success"], final: "success" });
    await schedule("last-day", "0 12 $ * *", "select 1");
    expect.set("last-day", { allowed: ["unknown", "success"], final: "unknown", finalIfRan: "success", never: /invalid schedule|missed/ });
    await schedule("net-fail", "*/2 * * * *", netPost(target.url("/fail")));
    expect.set("net-fail", { allowed: ["unknown", "success", "failed"], final: "failed", failedReason: FAILURES.http500, never: anyOtherFailure(FAILURES.http500), sticky: true });
    await schedule("net-refused", "1-59/2 * * * *", netGet(`http://127.0.0.1:${closed}/`));
    expect.set("net-refused", { allowed: ["unknown", "success", "failed"], final: "failed", failedReason: FAILURES.refused, never: anyOtherFailure(FAILURES.refused), sticky: true });
    // 1.6.0 to 1.6.4 accept a step larger than the range (and run minute 0); 1.6.5+ refuse it.
    if (set === "pinned") {
      await schedule("step-100", "*/100 * * * *", "select 1");
      // It runs at minute 0 of every hour: when the suite spans one, it has run.
      expect.set("step-100", { allowed: ["unknown", "success"], final: "unknown", finalIfRan: "success", never: /invalid schedule/ });
    } else {
      await assert.rejects(schedule("step-100", "*/100 * * * *", "select 1"), /invalid schedule/);
    }
    await untilSecond(14, 30);
    await schedule("net-ok", "30 seconds", netGet(target.url("/slow?ms=1500")));
    expect.set("net-ok", { allowed: ["unknown", "success"], final: "success", never: /HTTP|timed out|Couldn't/ });

    const wrong: string[] = [];
    let checks = 0;
    const check = async (label: string) => {
      const reports = await Promise.all(checkers.map((c) => c.monitor.checkHealth()));
      checks += checkers.length;
      reports.forEach((report, i) => judge(checkers[i] as Checker, report, label, expect, wrong));
    };

    // The first check: jobs just scheduled, nothing run yet. By the last one every cron job has
    // run at two minute boundaries (net-fail on the even one, net-refused on the odd one) and
    // the answers to those calls are older than the 10 s a check leaves to settle.
    await check("right after scheduling");
    const start = Date.now();
    const points: [string, number][] = [
      ["4 s after the :00 runs", atMinute(start, 1, 4)],
      [":45", atMinute(start, 1, 45)],
      ["on the minute boundary, with the jobs", atMinute(start, 2, 0.2)],
      ["9 s after the :00 runs", atMinute(start, 2, 9)],
      [":31", atMinute(start, 2, 31)],
      [":58, last", atMinute(start, 2, 58)],
    ];
    for (const [label, at] of points) {
      await sleep(at - Date.now());
      await check(label);
    }
    const ran = new Set(
      (await cluster.sql<{ jobname: string }>("select distinct j.jobname from cron.job j join cron.job_run_details r on r.jobid = j.jobid")).map((r) => r.jobname),
    );
    for (const checker of checkers) {
      for (const [job, e] of expect) {
        const last = checker.history.get(job)?.at(-1);
        const final = e.finalIfRan && ran.has(job) ? e.finalIfRan : e.final;
        if (last !== final) wrong.push(`${checker.label} ${job}: ends ${last}, expected ${final}`);
      }
    }

    const [runs] = await cluster.sql<{ runs: number; failed: number }>("select count(*)::int as runs, count(*) filter (where status = 'failed')::int as failed from cron.job_run_details");
    const [responses] = await cluster.sql<{ responses: number; failed: number }>(
      "select count(*)::int as responses, count(*) filter (where status_code >= 400 or error_msg is not null or coalesce(timed_out, false))::int as failed from net._http_response",
    );
    const figures: Figures = {
      checks,
      runs: runs?.runs ?? 0,
      runsFailed: runs?.failed ?? 0,
      netResponses: responses?.responses ?? 0,
      netResponsesFailed: responses?.failed ?? 0,
      httpRequests: target.requests.length,
      wrongVerdicts: wrong.length,
    };
    return { figures, wrong };
  } finally {
    for (const o of open.reverse()) await (o.close ?? o.stop)?.call(o).catch(() => undefined);
    await target.stop();
    await cluster.stop();
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Holds one checker's report to the expectations; what is wrong goes into `wrong`. */
function judge(checker: Checker, report: CheckReport, label: string, expect: ReadonlyMap<string, Expectation>, wrong: string[]): void {
  const where = `${checker.label} @ ${label}`;
  if (report.skipped) {
    wrong.push(`${where}: the check was skipped (${report.skipped})`);
    return;
  }
  const project = report.projects[0];
  if (project?.status !== "ok") wrong.push(`${where}: project ${project?.status}: ${project?.reason}`);
  for (const warning of project?.warnings ?? []) {
    if (/match(es)? no cron job's run/.test(warning)) wrong.push(`${where}: unattributed pg_net failure: ${warning}`);
  }
  if (checker.readOnly && !project?.warnings.some((w) => /cannot read cron\.timezone/.test(w))) {
    wrong.push(`${where}: the read-only role cannot read cron.timezone, and no warning says so`);
  }
  for (const [job, e] of expect) {
    const entry = report.jobs.find((j) => j.job_name === job);
    if (!entry) {
      wrong.push(`${where}: ${job} is not in the report`);
      continue;
    }
    const history = checker.history.get(job) ?? [];
    const previous = history.at(-1);
    history.push(entry.status);
    checker.history.set(job, history);
    if (!e.allowed.includes(entry.status)) wrong.push(`${where}: ${job} is ${entry.status}: ${entry.reason}`);
    if (entry.status === "failed" && e.failedReason && !e.failedReason.test(entry.reason)) wrong.push(`${where}: ${job} failed for another reason: ${entry.reason}`);
    if (e.never?.test(entry.reason)) wrong.push(`${where}: ${job}'s reason is another's: ${entry.reason}`);
    if (e.sticky && previous === "failed" && entry.status !== "failed") wrong.push(`${where}: ${job} flapped failed → ${entry.status}: ${entry.reason}`);
  }
}

describe("live: pg_cron 1.6 and pg_net as Supabase runs them", { concurrency: true }, () => {
  for (const set of ["pinned", "latest"] as const) {
    it(`${set}: every verdict of four checkers (postgres / read-only, direct / pooled) stays right over seven checks`, async () => {
      const { figures, wrong } = await liveRun(set);
      console.log(`live ${set}: ${JSON.stringify(figures)}`);
      assert.deepEqual(wrong, []);
      assert.ok(figures.runs > 20 && figures.netResponsesFailed >= 4, `the jobs really ran: ${JSON.stringify(figures)}`);
    });
  }
});
