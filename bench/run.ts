/**
 * `npm run bench`: what a check costs, against real PostgreSQL + pg_cron, side by side with
 * the seed's 7-day query (bench/history.ts); prints the tables and writes BENCHMARKS.md.
 *
 *   BENCH_SIZES=10000,100000   history sizes (default 10k, 100k, 1M, 5M)
 *   BENCH_CPU_PROF=<dir>       run every worker under `node --cpu-prof` into <dir>
 *   BENCH_OUT=<file>           where to write the report (default BENCHMARKS.md at the root)
 *   BENCH_FROM=<results.json>  only render the report from a previous run's raw results
 *
 * Every measurement runs in a child process (bench/worker.ts) on the code as tsc compiles
 * it (bench/child.ts); this process owns the clusters (one per history size, one for the
 * cycles), the delaying proxies and the Discord stand-in, and removes them all at the end.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PgCronCluster } from "../test/harness/pgcron.js";
import { FakeDiscord } from "../test/fakes/discord.js";
import { compileWorkers, openSessionInChild, removeCompiledWorkers, runInChild } from "./child.js";
import { generateHistory, READER, scheduleJobs, SEED, startBenchCluster } from "./cluster.js";
import type { EdgeResult, FanoutResult } from "./cycle.js";
import type { EvaluateResult } from "./evaluate.js";
import { type CheckMeasure, type HistoryMemory, SEED_QUERY_VERBATIM, type SeedMeasure } from "./history.js";
import type { MemorySample } from "./measure.js";
import { ensurePostgres } from "./install.js";
import { describeMachine, type Machine } from "./machine.js";
import { type DelayProxy, startDelayProxy } from "../test/harness/proxy.js";
import { renderReport } from "./report.js";

export interface SizeResult {
  rows: number;
  tableBytes: number;
  generateMs: number;
  bootstrap: CheckMeasure[];
  steady: CheckMeasure[];
  memory: HistoryMemory;
  seed: { reps: SeedMeasure[]; memory: MemorySample };
}

export interface FanoutRun {
  delayMs: number;
  many: FanoutResult;
  one: FanoutResult;
  /** Over the single-project run's checks (its first check included), per connection. */
  roundTripsPerConnection: number;
  /** Absent from results written before it was measured (BENCH_FROM). */
  statementRoundTripsPerConnection?: number;
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
  /** Load averages when the bench finished. */
  loadAverageEnd: number[];
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

const BOOTSTRAP_REPS = 3;
const STEADY_REPS = 31;
const SEED_REPS = 5;
/** The seed's query takes seconds at 5 M rows: three repetitions there. */
const seedReps = (rows: number) => (rows >= 5_000_000 ? 3 : SEED_REPS);

/**
 * Sections 1, 2 and 6: one cluster per history size, all generated at once, then every
 * measurement taken in rounds over the sizes (10 k, 100 k, 1 M, 5 M, 10 k, …): load from
 * elsewhere on the machine then falls on every size alike, and the medians compare.
 */
async function measureHistory(started: PgCronCluster[]): Promise<{ sizes: SizeResult[]; seedVerbatimError: string | null }> {
  const list = sizes();
  log(`1. history: ${list.length} clusters, ${JOBS} jobs, ${list.map((n) => n.toLocaleString("en-US")).join(" / ")} runs`);
  const clusters = await Promise.all(list.map((rows) => startBenchCluster(`h${rows}`).then((c) => (started.push(c), c))));
  await Promise.all(clusters.map((c) => scheduleJobs(c, JOBS)));
  const seedVerbatimError = await clusters[0]!.sql(SEED_QUERY_VERBATIM).then(
    () => null,
    (error: Error) => error.message,
  );
  const generated = await Promise.all(
    clusters.map(async (cluster, i) => {
      const t = performance.now();
      await generateHistory(cluster, list[i]!);
      const [size] = await cluster.sql<{ bytes: number }>("select pg_total_relation_size('cron.job_run_details')::bigint as bytes");
      return { generateMs: performance.now() - t, tableBytes: size?.bytes ?? 0 };
    }),
  );
  log(`   generated in ${(Math.max(...generated.map((g) => g.generateMs)) / 1000).toFixed(1)} s (in parallel); jobmon's checks`);

  const results: SizeResult[] = list.map((rows, i) => ({
    rows,
    ...generated[i]!,
    bootstrap: [],
    steady: [],
    memory: undefined as unknown as HistoryMemory,
    seed: { reps: [], memory: undefined as unknown as MemorySample },
  }));
  const jobmon = await Promise.all(
    clusters.map((cluster, i) =>
      openSessionInChild({
        kind: "history",
        size: list[i]!,
        projectUrl: cluster.urlFor({ user: READER.user, password: READER.password }),
        readerRole: READER.user,
        superUrl: cluster.url,
        hubUrlTemplate: cluster.urlFor({ database: "__DB__" }),
        newRunsPerCheck: NEW_RUNS,
      }),
    ),
  );
  for (let rep = 0; rep < BOOTSTRAP_REPS; rep++) {
    for (const [i, session] of jobmon.entries()) results[i]!.bootstrap.push(await session.step("bootstrap"));
  }
  for (let rep = 0; rep < STEADY_REPS; rep++) {
    for (const [i, session] of jobmon.entries()) results[i]!.steady.push(await session.step("steady"));
  }
  for (const [i, session] of jobmon.entries()) results[i]!.memory = await session.step("finish");

  log("   the seed's 7-day query");
  const seed = await Promise.all(
    clusters.map((cluster, i) =>
      openSessionInChild({ kind: "seed", size: list[i]!, seedUrl: cluster.urlFor({ user: SEED.user, password: SEED.password }), seedRole: SEED.user, superUrl: cluster.url }),
    ),
  );
  for (let rep = 0; rep < SEED_REPS; rep++) {
    for (const [i, session] of seed.entries()) {
      if (rep < seedReps(list[i]!)) results[i]!.seed.reps.push(await session.step("query"));
    }
  }
  for (const [i, session] of seed.entries()) results[i]!.seed.memory = await session.step("finish");

  await Promise.all(clusters.map((c) => c.stop()));
  return { sizes: results, seedVerbatimError };
}

async function measure(): Promise<BenchResults> {
  const started = performance.now();
  ensurePostgres(log);
  log("compiling the workers (tsc, as the build does)");
  compileWorkers();
  const clusters: PgCronCluster[] = [];
  const proxies: DelayProxy[] = [];
  let discord: FakeDiscord | undefined;
  try {
    const cluster = await startBenchCluster();
    clusters.push(cluster);
    const machine = await describeMachine(cluster);
    log(`cluster up: PostgreSQL ${machine.postgres}, pg_cron ${machine.pgCron}`);
    const readerUrl = cluster.urlFor({ user: READER.user, password: READER.password });
    const hubUrlTemplate = cluster.urlFor({ database: "__DB__" });

    log("3. evaluation CPU: 10,000 jobs");
    const evaluation = await runInChild({ kind: "evaluate", jobs: 10_000, warmups: 5, reps: 15 });

    const { sizes: sizeResults, seedVerbatimError } = await measureHistory(clusters);

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
      reps: 9,
    });

    const fanout: FanoutRun[] = [];
    for (const delayMs of FANOUT_DELAYS) {
      log(`4. fan-out: ${FANOUT_PROJECTS} projects, +${delayMs} ms each way`);
      const opened = await Promise.all(Array.from({ length: FANOUT_PROJECTS }, () => startDelayProxy({ host: cluster.host, port: cluster.port }, delayMs)));
      proxies.push(...opened);
      const urls = opened.map((p) => readerUrlVia(cluster, p.port));
      const many = await runInChild({ kind: "fanout", label: `${delayMs}ms_${FANOUT_PROJECTS}`, projectUrls: urls, superUrl: cluster.url, hubUrlTemplate, newRunsPerCycle: 200, reps: 3 });
      // The proxy of the first project counts the messages of the single-project checks.
      const before = { ...opened[0]!.stats };
      const one = await runInChild({ kind: "fanout", label: `${delayMs}ms_1`, projectUrls: urls.slice(0, 1), superUrl: cluster.url, hubUrlTemplate, newRunsPerCycle: 200, reps: 3 });
      const after = opened[0]!.stats;
      const connections = Math.max(1, after.connections - before.connections);
      fanout.push({
        delayMs,
        many,
        one,
        roundTripsPerConnection: (after.requests - before.requests) / connections,
        statementRoundTripsPerConnection: (after.queries - before.queries) / connections,
      });
      await Promise.all(opened.map((p) => p.close()));
    }

    return {
      machine,
      config: { jobs: JOBS, newRunsPerCheck: NEW_RUNS, bootstrapReps: BOOTSTRAP_REPS, steadyReps: STEADY_REPS, edgeJobs: EDGE_JOBS, edgeProjects: EDGE_PROJECTS, fanoutProjects: FANOUT_PROJECTS },
      seedVerbatimError,
      evaluation,
      sizes: sizeResults,
      edge,
      fanout,
      totalSeconds: (performance.now() - started) / 1000,
      loadAverageEnd: os.loadavg(),
    };
  } finally {
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await discord?.close().catch(() => undefined);
    await Promise.all(clusters.map((c) => c.stop()));
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
