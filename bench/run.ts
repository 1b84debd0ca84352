/**
 * `npm run bench`: what a check costs, against real PostgreSQL + pg_cron, side by side with
 * the seed's 7-day query (bench/history.ts); prints the tables and writes BENCHMARKS.md.
 *
 *   BENCH_SIZES=10000,100000   history sizes (default 10k, 100k, 1M, 5M)
 *   BENCH_CPU_PROF=<dir>       run every worker under `node --cpu-prof` into <dir>
 *   BENCH_OUT=<file>           where to write the report (default BENCHMARKS.md at the root)
 *   BENCH_FROM=<results.json>  only render the report from a previous run's raw results
 *   BENCH_ONLY=token           run section 7 (the token path) alone, in a minute or two: prints
 *                              it and writes its raw results; with BENCH_FROM, merges them into
 *                              that run's results and rewrites the whole report
 *   BENCH_TOKEN_SET=pinned     the extension set of section 7's cluster (default pinned: the
 *                              pg_cron and pg_net Supabase runs; debian has no pg_net)
 *   BENCH_EDGE=<edge.json>     section 8 (one Edge invocation under Deno per size): the raw
 *                              results bench/edge.ts wrote (bench/results/edge-<date>.json),
 *                              rendered into the report; bench/edge.ts measures them, not this
 *
 * Every measurement runs in a child process (bench/worker.ts) on the code as tsc compiles
 * it (bench/child.ts); this process owns the clusters (one per history size, one for the
 * cycles, one for the token path), the delaying proxies and the Discord and Management API
 * stand-ins, and removes them all at the end.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PgCronCluster } from "../test/harness/pgcron.js";
import { FakeDiscord } from "../test/fakes/discord.js";
import { type FakeManagementApi, startFakeManagementApi } from "../test/fakes/management-api.js";
import { type ExtensionSet, isExtensionSet } from "../test/harness/extension-sets.js";
import { compileWorkers, openSessionInChild, removeCompiledWorkers, runInChild } from "./child.js";
import { generateHistory, READER, scheduleJobs, SEED, startBenchCluster } from "./cluster.js";
import type { EdgeResult, FanoutResult, TokenMeasure, TokenResult } from "./cycle.js";
import type { EvaluateResult } from "./evaluate.js";
import { type CheckMeasure, type HistoryMemory, SEED_QUERY_VERBATIM, type SeedMeasure } from "./history.js";
import type { MemorySample } from "./measure.js";
import { ensurePostgres } from "./install.js";
import { describeMachine, type Machine } from "./machine.js";
import { type DelayProxy, startDelayProxy } from "../test/harness/proxy.js";
import { renderReport, renderTokenSection } from "./report.js";
import type { EdgeDenoRun } from "./edge-report.js";

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

/** Calls the stand-in received during one check, by endpoint (its own request log). */
export type EndpointCalls = Partial<Record<"projects" | "query" | "functions" | "logs" | "other", number>>;

/** What the stand-in saw of one check. */
export interface CheckLog {
  calls: EndpointCalls;
  /** First call received → last call received, plus the answer's latency: about the check's time on the API. */
  spanMs: number;
}

export interface TokenRun {
  /** Delay before each of the stand-in's answers. */
  latencyMs: number;
  projects: number;
  jobsPerProject: number;
  newRunsPerCheck: number;
  /** At most this many projects are read through the API at once (src/check/run.ts). */
  apiProjectsAtOnce: number;
  set: string;
  pgCron: string;
  pgNet: string | null;
  token: TokenResult;
  /** The stand-in's request log over each check: the first, then the steady ones. */
  logged: { first: CheckLog; steady: CheckLog[] };
  /** The same projects read through their Postgres URLs, each behind its own delaying proxy. */
  url: { delayMs: number; result: FanoutResult; messagesPerConnection: number; statementRoundTripsPerConnection: number }[];
  loadAverage: { start: number[]; end: number[] };
  seconds: number;
}

export interface BenchResults {
  machine: Machine;
  config: { jobs: number; newRunsPerCheck: number; bootstrapReps: number; steadyReps: number; edgeJobs: number; edgeProjects: number; fanoutProjects: number };
  seedVerbatimError: string | null;
  evaluation: EvaluateResult;
  sizes: SizeResult[];
  edge: EdgeResult;
  fanout: FanoutRun[];
  /** Section 7; absent from results written before it was measured (BENCH_FROM). */
  token?: TokenRun;
  /** Section 8, measured by bench/edge.ts and merged in with BENCH_EDGE. */
  edgeDeno?: EdgeDenoRun;
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
const TOKEN_PROJECTS = 50;
const TOKEN_JOBS = 50;
const TOKEN_NEW_RUNS = 200;
const TOKEN_LATENCY_MS = 100;
/** Each way: 100 ms is section 4's delay (a round trip costs 200 ms), 50 ms costs a round trip what a call to the stand-in costs. */
const TOKEN_URL_DELAYS = [100, 50];
const TOKEN_REPS = 7;
/** src/check/run.ts: API_PROJECTS_AT_ONCE. */
const API_PROJECTS_AT_ONCE = 16;
const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";
const SUPABASE_READER = "supabase_read_only_user";

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

/** A project ref (20 lowercase letters) for project i. */
function benchRef(i: number): string {
  let tail = "";
  for (let n = i; tail.length < 6; n = Math.floor(n / 26)) tail = String.fromCharCode(97 + (n % 26)) + tail;
  return `benchtokenproj${tail}`;
}

function endpointOf(path: string): keyof EndpointCalls {
  if (path === "/v1/projects") return "projects";
  if (path.endsWith("/database/query/read-only")) return "query";
  if (path.endsWith("/functions")) return "functions";
  if (path.endsWith("/analytics/endpoints/logs")) return "logs";
  return "other";
}

function checkLog(fake: FakeManagementApi, check: TokenMeasure): CheckLog {
  const calls: EndpointCalls = {};
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const request of fake.requests) {
    if (request.receivedAt < check.startedAt || request.receivedAt > check.finishedAt) continue;
    const endpoint = endpointOf(request.path);
    calls[endpoint] = (calls[endpoint] ?? 0) + 1;
    first = Math.min(first, request.receivedAt);
    last = Math.max(last, request.receivedAt);
  }
  return { calls, spanMs: last - first + fake.latencyMs };
}

function tokenSet(): ExtensionSet {
  const raw = process.env.BENCH_TOKEN_SET ?? "pinned";
  if (!isExtensionSet(raw)) throw new Error(`BENCH_TOKEN_SET: expected debian, pinned or latest, got "${raw}"`);
  return raw;
}

/**
 * Section 7: one cluster with Supabase's roles stands in for every project: the stand-in lists
 * TOKEN_PROJECTS projects whose read-only endpoints all run on it (as supabase_read_only_user,
 * one connection per project, as every project has its own database), and answers every call
 * after TOKEN_LATENCY_MS. Then the same projects through their Postgres URLs, as the same role,
 * each behind a delaying proxy.
 */
async function measureToken(clusters: PgCronCluster[], proxies: DelayProxy[]): Promise<TokenRun> {
  const started = performance.now();
  const loadStart = os.loadavg();
  const set = tokenSet();
  log(`7. token path: ${TOKEN_PROJECTS} projects × ${TOKEN_JOBS} jobs through the Management API stand-in (+${TOKEN_LATENCY_MS} ms per call; set ${set})`);
  const cluster = await startBenchCluster("token", { supabase: true, set });
  clusters.push(cluster);
  await scheduleJobs(cluster, TOKEN_JOBS);
  await generateHistory(cluster, 10_000);
  const readerUrl = cluster.urlFor({ user: SUPABASE_READER });
  const hubUrlTemplate = cluster.urlFor({ database: "__DB__" });
  const refs = Array.from({ length: TOKEN_PROJECTS }, (_, i) => benchRef(i));

  let fake: FakeManagementApi | undefined;
  let token: TokenResult;
  let logged: TokenRun["logged"];
  try {
    fake = await startFakeManagementApi({
      token: TOKEN,
      projects: Object.fromEntries(
        refs.map((ref, i) => {
          // A URL of its own per project: the stand-in keeps one connection per URL.
          const url = new URL(readerUrl);
          url.searchParams.set("application_name", `bench_${ref}`);
          return [ref, { name: `project_${String(i + 1).padStart(2, "0")}`, database: url.toString() }];
        }),
      ),
    });
    fake.latencyMs = TOKEN_LATENCY_MS;
    token = await runInChild({ kind: "token", apiUrl: fake.url, accessToken: TOKEN, superUrl: cluster.url, hubUrlTemplate, newRunsPerCycle: TOKEN_NEW_RUNS, reps: TOKEN_REPS });
    const openFake = fake;
    logged = { first: checkLog(openFake, token.bootstrap), steady: token.steady.map((m) => checkLog(openFake, m)) };
  } finally {
    await fake?.close();
  }

  const url: TokenRun["url"] = [];
  for (const delayMs of TOKEN_URL_DELAYS) {
    log(`   the same ${TOKEN_PROJECTS} projects through their Postgres URLs, +${delayMs} ms each way`);
    const opened = await Promise.all(Array.from({ length: TOKEN_PROJECTS }, () => startDelayProxy({ host: cluster.host, port: cluster.port }, delayMs)));
    proxies.push(...opened);
    const urls = opened.map((p) => {
      const via = new URL(readerUrl);
      via.port = String(p.port);
      return via.toString();
    });
    const result = await runInChild({ kind: "fanout", label: `token_url_${delayMs}ms`, projectUrls: urls, superUrl: cluster.url, hubUrlTemplate, newRunsPerCycle: TOKEN_NEW_RUNS, reps: TOKEN_REPS });
    const total = opened.reduce((sum, p) => ({ connections: sum.connections + p.stats.connections, requests: sum.requests + p.stats.requests, queries: sum.queries + p.stats.queries }), { connections: 0, requests: 0, queries: 0 });
    url.push({
      delayMs,
      result,
      messagesPerConnection: total.requests / Math.max(1, total.connections),
      statementRoundTripsPerConnection: total.queries / Math.max(1, total.connections),
    });
    await Promise.all(opened.map((p) => p.close()));
  }
  const [versions] = await cluster.sql<{ pg_cron: string; pg_net: string | null }>(
    "select (select extversion from pg_extension where extname = 'pg_cron') as pg_cron, (select extversion from pg_extension where extname = 'pg_net') as pg_net",
  );
  await cluster.stop();
  return {
    latencyMs: TOKEN_LATENCY_MS,
    projects: TOKEN_PROJECTS,
    jobsPerProject: TOKEN_JOBS,
    newRunsPerCheck: TOKEN_NEW_RUNS,
    apiProjectsAtOnce: API_PROJECTS_AT_ONCE,
    set,
    pgCron: versions?.pg_cron ?? "?",
    pgNet: versions?.pg_net ?? null,
    token,
    logged,
    url,
    loadAverage: { start: loadStart, end: os.loadavg() },
    seconds: (performance.now() - started) / 1000,
  };
}

/** BENCH_ONLY=token: section 7 alone, on its own cluster. */
async function measureTokenOnly(): Promise<TokenRun> {
  ensurePostgres(log);
  log("compiling the workers (tsc, as the build does)");
  compileWorkers();
  const clusters: PgCronCluster[] = [];
  const proxies: DelayProxy[] = [];
  try {
    return await measureToken(clusters, proxies);
  } finally {
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await Promise.all(clusters.map((c) => c.stop()));
    removeCompiledWorkers();
  }
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

    const token = await measureToken(clusters, proxies);

    return {
      machine,
      config: { jobs: JOBS, newRunsPerCheck: NEW_RUNS, bootstrapReps: BOOTSTRAP_REPS, steadyReps: STEADY_REPS, edgeJobs: EDGE_JOBS, edgeProjects: EDGE_PROJECTS, fanoutProjects: FANOUT_PROJECTS },
      seedVerbatimError,
      evaluation,
      sizes: sizeResults,
      edge,
      fanout,
      token,
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
  const only = process.env.BENCH_ONLY;
  if (only !== undefined && only !== "token") throw new Error(`BENCH_ONLY: the one section that runs alone is "token", got "${only}"`);
  if (only === "token") {
    const token = await measureTokenOnly();
    const raw = path.join(os.tmpdir(), "jobmon-bench-token.json");
    fs.writeFileSync(raw, JSON.stringify(token, null, 2));
    log(`raw results of section 7: ${raw}`);
    if (!process.env.BENCH_FROM) {
      process.stdout.write(`${renderTokenSection(token).join("\n")}\n`);
      log("BENCHMARKS.md left as it is: give BENCH_FROM=<a full run's results.json> to merge this section into it");
      return;
    }
    results = { ...(JSON.parse(fs.readFileSync(process.env.BENCH_FROM, "utf8")) as BenchResults), token };
  } else if (process.env.BENCH_FROM) {
    results = JSON.parse(fs.readFileSync(process.env.BENCH_FROM, "utf8")) as BenchResults;
  } else {
    results = await measure();
    const raw = path.join(os.tmpdir(), "jobmon-bench-results.json");
    fs.writeFileSync(raw, JSON.stringify(results, null, 2));
    log(`raw results: ${raw}`);
  }
  if (process.env.BENCH_EDGE) results = { ...results, edgeDeno: JSON.parse(fs.readFileSync(process.env.BENCH_EDGE, "utf8")) as EdgeDenoRun };
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
