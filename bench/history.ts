/**
 * Worker side of sections 1, 2 and 6: jobmon's checks against one history size, and the
 * seed's 7-day query on the same data. Each runs in its own child process (bench/worker.ts)
 * so CPU and the memory high-water mark belong to that measurement alone.
 */
import { runCheck } from "../src/check.js";
import { resolveConfig } from "../src/config.js";
import { postgresDb } from "../src/db/postgres.js";
import type { Db } from "../src/db/types.js";
import { migrate } from "../src/hub/migrate.js";
import { openHub } from "../src/hub/open.js";
import { type ConnectionSpan, memory, type MemorySample, resetStatements, type ServerStats, spanningConnector, statementsOf, timed } from "./measure.js";

export interface HistoryTask {
  kind: "history";
  size: number;
  /** jobmon's connection to the monitored project (the read-only role). */
  projectUrl: string;
  readerRole: string;
  /** Superuser on the monitored database: statistics, new runs, hub databases. */
  superUrl: string;
  /** A URL template for hub databases: `__DB__` is replaced by a fresh database name. */
  hubUrlTemplate: string;
  bootstrapReps: number;
  steadyReps: number;
  newRunsPerCheck: number;
}

export interface CheckMeasure {
  wallMs: number;
  cpuMs: number;
  /** From the first connection opened to the last closed (the monitored project's part). */
  collectMs: number;
  runRows: number;
  statements: number;
  server: ServerStats;
}

export interface HistoryResult {
  size: number;
  bootstrap: CheckMeasure[];
  steady: CheckMeasure[];
  memory: { baseline: MemorySample; afterBootstrap: MemorySample; end: MemorySample };
  jobs: number;
}

export async function runHistory(task: HistoryTask): Promise<HistoryResult> {
  const superuser = postgresDb(task.superUrl, { max: 1, applicationName: "jobmon-bench" });
  const hubs: Db[] = [];
  try {
    const newHub = async (label: string): Promise<{ hub: Db; url: string }> => {
      const name = `bench_hub_${task.size}_${label}`;
      await superuser.query(`drop database if exists ${name}`);
      await superuser.query(`create database ${name}`);
      const url = task.hubUrlTemplate.replace("__DB__", name);
      const config = configFor(task.projectUrl, url);
      const hub = await openHub(config.hub);
      hubs.push(hub);
      await migrate(hub);
      return { hub, url };
    };
    const baseline = memory();

    const bootstrap: CheckMeasure[] = [];
    let last: { hub: Db; url: string } | undefined;
    for (let i = 0; i < task.bootstrapReps; i++) {
      last = await newHub(`b${i}`);
      bootstrap.push(await measuredCheck(superuser, task, last.hub, last.url));
    }
    const afterBootstrap = memory();
    if (!last) throw new Error("bootstrapReps must be at least 1");

    const steady: CheckMeasure[] = [];
    for (let i = 0; i < task.steadyReps; i++) {
      await superuser.query("select public.bench_new_runs($1::int)", [task.newRunsPerCheck]);
      steady.push(await measuredCheck(superuser, task, last.hub, last.url));
    }
    const [jobs] = await superuser.query<{ n: number }>("select count(*)::int as n from cron.job");
    return { size: task.size, bootstrap, steady, memory: { baseline, afterBootstrap, end: memory() }, jobs: jobs?.n ?? 0 };
  } finally {
    await Promise.all(hubs.map((h) => h.close()));
    await superuser.close();
  }
}

function configFor(projectUrl: string, hubUrl: string) {
  return resolveConfig({
    SUPABASE_POSTGRES_URL: projectUrl,
    JOBMON_PROJECT_NAMES: "bench",
    JOBMON_HUB_URL: hubUrl,
    JOBMON_PROJECT_TIMEOUT: "300s",
  });
}

async function measuredCheck(superuser: Db, task: HistoryTask, hub: Db, hubUrl: string): Promise<CheckMeasure> {
  const config = configFor(task.projectUrl, hubUrl);
  const spans: ConnectionSpan[] = [];
  await resetStatements(superuser);
  const { value: report, wallMs, cpuMs } = await timed(() => runCheck(config, hub, { connect: spanningConnector(spans) }));
  const failed = report.projects.find((p) => p.status === "unreachable");
  if (failed) throw new Error(`the check could not reach the project: ${failed.error ?? failed.reason}`);
  const server = await statementsOf(superuser, task.readerRole);
  const first = Math.min(...spans.map((s) => s.openedAt));
  const lastClose = Math.max(...spans.map((s) => s.closedAt));
  return {
    wallMs,
    cpuMs,
    collectMs: lastClose - first,
    runRows: spans.reduce((n, s) => n + s.runRows, 0),
    statements: spans.reduce((n, s) => n + s.queries, 0),
    server,
  };
}

/** The seed's "Recent execution history" query (SEED.md, Step 1), verbatim. */
export const SEED_QUERY_VERBATIM = `SELECT
  jobname,
  status,
  return_message,
  start_time,
  end_time
FROM cron.job_run_details
WHERE start_time > now() - interval '7 days'
ORDER BY start_time DESC;`;

/** What the seed meant: job_run_details has no jobname, so it comes from cron.job by jobid. */
export const SEED_QUERY = `SELECT j.jobname, d.status, d.return_message, d.start_time, d.end_time
FROM cron.job_run_details d JOIN cron.job j ON j.jobid = d.jobid
WHERE d.start_time > now() - interval '7 days'
ORDER BY d.start_time DESC`;

export interface SeedTask {
  kind: "seed";
  size: number;
  /** The seed app's connection (its own role, so its statements are told apart). */
  seedUrl: string;
  seedRole: string;
  superUrl: string;
  reps: number;
}

export interface SeedMeasure {
  /** Client wall time: the query sent, every row received and parsed. */
  wallMs: number;
  rows: number;
  server: ServerStats;
}

export interface SeedResult {
  size: number;
  reps: SeedMeasure[];
  memory: MemorySample;
}

/** The seed's approach: every run of the last 7 days, into the application, at each check. */
export async function runSeed(task: SeedTask): Promise<SeedResult> {
  const superuser = postgresDb(task.superUrl, { max: 1, applicationName: "jobmon-bench" });
  const seed = postgresDb(task.seedUrl, { max: 1, applicationName: "seed-app" });
  try {
    await seed.query("select 1"); // connected before the clock starts, as jobmon's wall time includes its connect
    const reps: SeedMeasure[] = [];
    for (let i = 0; i < task.reps; i++) {
      await resetStatements(superuser);
      const start = performance.now();
      // Materialised, as the seed compares the runs in the application.
      const rows = (await seed.query(SEED_QUERY)).length;
      const wallMs = performance.now() - start;
      reps.push({ wallMs, rows, server: await statementsOf(superuser, task.seedRole) });
    }
    return { size: task.size, reps, memory: memory() };
  } finally {
    await seed.close();
    await superuser.close();
  }
}
