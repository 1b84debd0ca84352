/**
 * `npm run bench`: what a check costs, against real PostgreSQL + pg_cron, side by side with
 * the seed's 7-day query; prints the tables and writes BENCHMARKS.md (issue 8).
 *
 *   BENCH_SIZES=10000,100000   history sizes (default 10k, 100k, 1M, 5M)
 *   BENCH_CPU_PROF=<dir>       run every worker under `node --cpu-prof` into <dir>
 *   BENCH_OUT=<file>           where to write the report (default BENCHMARKS.md at the root)
 *   BENCH_FROM=<results.json>  only render the report from a previous run's raw results
 *
 * Every measurement runs in a child process (bench/worker.ts); this process owns the
 * cluster, the delaying proxies and the Discord stand-in, and removes them all at the end.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PgCronCluster } from "../test/harness/pgcron.js";
import { FakeDiscord } from "../test/fakes/discord.js";
import { compileWorkers, removeCompiledWorkers, runInChild } from "./child.js";
import { generateHistory, READER, scheduleJobs, SEED, startBenchCluster } from "./cluster.js";
import type { EdgeResult, FanoutResult } from "./cycle.js";
import type { EvaluateResult } from "./evaluate.js";
import { type HistoryResult, SEED_QUERY_VERBATIM, type SeedResult } from "./history.js";
import { describeMachine, type Machine } from "./machine.js";
import { type DelayProxy, startDelayProxy } from "./proxy.js";
import { renderReport } from "./report.js";

export interface SizeResult {
  rows: number;
  tableBytes: number;
  generateMs: number;
  jobmon: HistoryResult;
  seed: SeedResult;
}

export interface FanoutRun {
  delayMs: number;
  many: FanoutResult;
  one: FanoutResult;
  roundTripsPerConnection: number;
}

export interface BenchResults {
  machine: Machine;
  config: { jobs: number; newRunsPerCheck: number; bootstrapReps: number; steadyReps: number; edgeJobs: number; edgeProjects: number; fanoutProjects: number };
  seedVerbatimError: string | null;
  evaluation: EvaluateResult;
  sizes: SizeResult[];
  edge: EdgeResult;
  fanout: FanoutRun[];
  totalSeconds: number;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const JOBS = 300;
const NEW_RUNS = 1_000;
const EDGE_PROJECTS = 4;
const EDGE_JOBS = 50;
const FANOUT_PROJECTS = 50;
const FANOUT_DELAYS = [100, 50];

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function sizes(): number[] {
  const raw = process.env.BENCH_SIZES;
  if (!raw) return [10_000, 100_000, 1_000_000, 5_000_000];
  const list = raw.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1_000)) throw new Error(`BENCH_SIZES: expected whole numbers ≥ 1000, got "${raw}"`);
  return list;
}

async function measure(): Promise<BenchResults> {
  const started = performance.now();
  log("compiling the workers (tsc, as the build does)");
  compileWorkers();
  const cluster = await startBenchCluster();
  const proxies: DelayProxy[] = [];
  let discord: FakeDiscord | undefined;
  try {
    const machine = await describeMachine(cluster);
    log(`cluster up: PostgreSQL ${machine.postgres}, pg_cron ${machine.pgCron}`);
    const readerUrl = cluster.urlFor({ user: READER.user, password: READER.password });
    const hubUrlTemplate = cluster.urlFor({ database: "__DB__" });

    log("3. evaluation CPU: 10,000 jobs");
    const evaluation = await runInChild({ kind: "evaluate", jobs: 10_000, warmups: 3, reps: 9 });

    await scheduleJobs(cluster, JOBS);
    const seedVerbatimError = await cluster.sql(SEED_QUERY_VERBATIM).then(
      () => null,
      (error: Error) => error.message,
    );
    const sizeResults: SizeResult[] = [];
    for (const rows of sizes()) {
      log(`1. history: generating ${rows.toLocaleString("en-US")} runs`);
      const t = performance.now();
      await generateHistory(cluster, rows);
      const generateMs = performance.now() - t;
      const [size] = await cluster.sql<{ bytes: number }>("select pg_total_relation_size('cron.job_run_details')::bigint as bytes");
      log(`   generated in ${(generateMs / 1000).toFixed(1)} s; jobmon checks`);
      const jobmon = await runInChild({
        kind: "history",
        size: rows,
        projectUrl: readerUrl,
        readerRole: READER.user,
        superUrl: cluster.url,
        hubUrlTemplate,
        bootstrapReps: 3,
        steadyReps: 7,
        newRunsPerCheck: NEW_RUNS,
      });
      log("   the seed's 7-day query");
      const seed = await runInChild({
        kind: "seed",
        size: rows,
        seedUrl: cluster.urlFor({ user: SEED.user, password: SEED.password }),
        seedRole: SEED.user,
        superUrl: cluster.url,
        reps: rows >= 5_000_000 ? 3 : 5,
      });
      sizeResults.push({ rows, tableBytes: size?.bytes ?? 0, generateMs, jobmon, seed });
    }

    log(`5. Edge budget: ${EDGE_PROJECTS} projects × ${EDGE_JOBS} jobs`);
    await scheduleJobs(cluster, EDGE_JOBS);
    await generateHistory(cluster, 10_000);
    discord = await new FakeDiscord().listen();
    const edge = await runInChild({
      kind: "edge",
      projectUrls: Array.from({ length: EDGE_PROJECTS }, () => readerUrl),
      superUrl: cluster.url,
      hubUrlTemplate,
      discordWebhookUrl: discord.webhookUrl,
      newRunsPerCycle: 200,
      warmups: 2,
      reps: 7,
    });

    const fanout: FanoutRun[] = [];
    for (const delayMs of FANOUT_DELAYS) {
      log(`4. fan-out: ${FANOUT_PROJECTS} projects, +${delayMs} ms each way`);
      const started = await Promise.all(Array.from({ length: FANOUT_PROJECTS }, () => startDelayProxy({ host: cluster.host, port: cluster.port }, delayMs)));
      proxies.push(...started);
      const urls = started.map((p) => readerUrlVia(cluster, p.port));
      const many = await runInChild({ kind: "fanout", label: `${delayMs}ms_${FANOUT_PROJECTS}`, projectUrls: urls, superUrl: cluster.url, hubUrlTemplate, newRunsPerCycle: 200, reps: 3 });
      const before = { ...started[0]!.stats };
      const one = await runInChild({ kind: "fanout", label: `${delayMs}ms_1`, projectUrls: urls.slice(0, 1), superUrl: cluster.url, hubUrlTemplate, newRunsPerCycle: 200, reps: 3 });
      const after = started[0]!.stats;
      fanout.push({ delayMs, many, one, roundTripsPerConnection: (after.requests - before.requests) / Math.max(1, after.connections - before.connections) });
      await Promise.all(started.map((p) => p.close()));
    }

    return {
      machine,
      config: { jobs: JOBS, newRunsPerCheck: NEW_RUNS, bootstrapReps: 3, steadyReps: 7, edgeJobs: EDGE_JOBS, edgeProjects: EDGE_PROJECTS, fanoutProjects: FANOUT_PROJECTS },
      seedVerbatimError,
      evaluation,
      sizes: sizeResults,
      edge,
      fanout,
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await discord?.close().catch(() => undefined);
    await cluster.stop();
    removeCompiledWorkers();
  }
}

function readerUrlVia(cluster: PgCronCluster, port: number): string {
  const url = new URL(cluster.urlFor({ user: READER.user, password: READER.password }));
  url.port = String(port);
  return url.toString();
}

async function main(): Promise<void> {
  let results: BenchResults;
  if (process.env.BENCH_FROM) {
    results = JSON.parse(fs.readFileSync(process.env.BENCH_FROM, "utf8")) as BenchResults;
  } else {
    results = await measure();
    const raw = path.join(os.tmpdir(), "jobmon-bench-results.json");
    fs.writeFileSync(raw, JSON.stringify(results, null, 2));
    log(`raw results: ${raw}`);
  }
  const { console: text, markdown } = renderReport(results);
  process.stdout.write(`${text}\n`);
  const out = process.env.BENCH_OUT ?? path.join(ROOT, "BENCHMARKS.md");
  fs.writeFileSync(out, markdown);
  log(`wrote ${path.relative(process.cwd(), out) || out} (${results.totalSeconds.toFixed(0)} s in all)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
