/**
 * Worker side of sections 1, 2 and 6: jobmon's checks against one history size, and the
 * seed's 7-day query on the same data. Each size has its own cluster and its own worker
 * process (bench/worker.ts), driven step by step by the parent, which interleaves the sizes
 * (10 k, 100 k, 1 M, 5 M, 10 k, …) so that whatever else loads the machine weighs on every
 * size alike. CPU and the memory high-water mark of a process belong to its size alone.
 */
import { runCheck } from "../src/check/index.js";
import { type Config, resolveConfig } from "../src/config.js";
import { postgresDb } from "../src/db/postgres.js";
import type { Db } from "../src/db/types.js";
import { migrate } from "../src/hub/migrate.js";
import { openHub } from "../src/hub/open.js";
import { type ConnectionSpan, memory, type MemorySample, resetStatements, retainedHeapMb, type ServerStats, spanningConnector, statementsOf, timed } from "./measure.js";

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

export interface HistoryMemory {
  baseline: MemorySample;
  afterBootstrap: MemorySample;
  end: MemorySample;
  /** Heap still in use after the checks and a full collection. */
  retainedHeapMb: number;
}

/** One size's jobmon: `bootstrap()` is a first check against a fresh hub, `steady()` adds new runs and checks the latest hub again. */
export class HistorySession {
  private readonly superuser: Db;
  private readonly hubs: Db[] = [];
  private current: { hub: Db; config: Config } | undefined;
  private readonly baseline = memory();
  private afterBootstrap: MemorySample | undefined;
  private hubCount = 0;

  constructor(private readonly task: HistoryTask) {
    this.superuser = postgresDb(task.superUrl, { max: 1, applicationName: "jobmon-bench" });
  }

  async bootstrap(): Promise<CheckMeasure> {
    const name = `bench_hub_${this.task.size}_${this.hubCount++}`;
    await this.superuser.query(`drop database if exists ${name}`);
    await this.superuser.query(`create database ${name}`);
    const config = resolveConfig({
      SUPABASE_POSTGRES_URL: this.task.projectUrl,
      JOBMON_PROJECT_NAMES: "bench",
      JOBMON_HUB_URL: this.task.hubUrlTemplate.replace("__DB__", name),
      JOBMON_PROJECT_TIMEOUT: "300s",
    });
    const hub = await openHub(config.hub);
    this.hubs.push(hub);
    await migrate(hub);
    this.current = { hub, config };
    const measure = await this.check();
    this.afterBootstrap = memory();
    return measure;
  }

  async steady(): Promise<CheckMeasure> {
    await this.superuser.query("select public.bench_new_runs($1::int)", [this.task.newRunsPerCheck]);
    return this.check();
  }

  async finish(): Promise<HistoryMemory> {
    const end = memory();
    await Promise.all(this.hubs.map((h) => h.close()));
    await this.superuser.close();
    return { baseline: this.baseline, afterBootstrap: this.afterBootstrap ?? this.baseline, end, retainedHeapMb: retainedHeapMb() };
  }

  private async check(): Promise<CheckMeasure> {
    if (!this.current) throw new Error("bootstrap() first: there is no hub yet");
    const { hub, config } = this.current;
    const spans: ConnectionSpan[] = [];
    await resetStatements(this.superuser);
    const { value: report, wallMs, cpuMs } = await timed(() => runCheck(config, hub, { connect: spanningConnector(spans) }));
    const failed = report.projects.find((p) => p.status === "unreachable");
    if (failed) throw new Error(`the check could not reach the project: ${failed.error ?? failed.reason}`);
    const server = await statementsOf(this.superuser, { role: this.task.readerRole });
    return {
      wallMs,
      cpuMs,
      collectMs: Math.max(...spans.map((s) => s.closedAt)) - Math.min(...spans.map((s) => s.openedAt)),
      runRows: spans.reduce((n, s) => n + s.runRows, 0),
      statements: spans.reduce((n, s) => n + s.queries, 0),
      server,
    };
  }
}

/**
 * The seed's query, verbatim: the naive "recent execution history" read (every run of the
 * last 7 days) that BENCHMARKS.md measures jobmon against. As written it does not run.
 */
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
}

export interface SeedMeasure {
  /** Client wall time: the query sent, every row received and parsed. */
  wallMs: number;
  rows: number;
  server: ServerStats;
}

/** The seed's approach: every run of the last 7 days, into the application, at each check. */
export class SeedSession {
  private readonly superuser: Db;
  private readonly seed: Db;

  constructor(private readonly task: SeedTask) {
    this.superuser = postgresDb(task.superUrl, { max: 1, applicationName: "jobmon-bench" });
    this.seed = postgresDb(task.seedUrl, { max: 1, applicationName: "seed-app" });
  }

  async query(): Promise<SeedMeasure> {
    await this.seed.query("select 1"); // connected before the clock starts
    await resetStatements(this.superuser);
    const start = performance.now();
    // Materialised, as the seed compares the runs in the application.
    const rows = (await this.seed.query(SEED_QUERY)).length;
    const wallMs = performance.now() - start;
    return { wallMs, rows, server: await statementsOf(this.superuser, { role: this.task.seedRole }) };
  }

  async finish(): Promise<MemorySample> {
    await this.seed.close();
    await this.superuser.close();
    return memory();
  }
}
