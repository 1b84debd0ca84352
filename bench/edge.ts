/**
 * What one `check-job-health` invocation costs under Deno, at N monitored projects × 50 jobs:
 *
 *   node --import tsx bench/edge.ts [50,200,500,1000] [--modes single,fanout] [--reps 3]
 *   node --import tsx bench/edge.ts --from bench/results/edge-<date>.json   (print a run again)
 *   node --import tsx bench/edge.ts 10,25 --reps 2 --add-to bench/results/edge-<date>.json
 *                                               (more sizes, merged into an earlier run's results)
 *
 * Every invocation runs in a fresh Deno process behind bench/edge-gateway.ts (Supabase's
 * gateway stand-in), which reads its boot and request CPU, wall, peak RSS and heap. The hub is
 * a real PostgreSQL 15 with pg_cron and pg_net (extension set `pinned`), fresh per size; the
 * projects are URLs to a few pg_cron clusters. Per size: a first cycle (inventory sync), then
 * `--reps` steady cycles with 50 new runs per project before each (medians reported). In
 * single mode `jobmon check --json` under Node follows each steady invocation, for comparison.
 *
 * Modes: `single` (JOBMON_FANOUT=off: one invocation is the whole cycle) and `fanout`
 * (JOBMON_FANOUT=on, SUPABASE_URL = the gateway: the scheduled POST plans the cycle into a pgmq
 * queue in the hub and pg_net posts worker invocations back to the gateway; a cycle ends when
 * the hub's monitoring.check_cycle says it is over and nothing is in flight, or when nothing has
 * been in flight for 10 s). `fanout` needs pgmq in the hub and is skipped, saying so, where the
 * extension set lacks it.
 *
 * Prints the table (BENCHMARKS.md's section 8) and writes the raw results to
 * bench/results/edge-<date>.json (BENCH_EDGE_OUT overrides); `BENCH_EDGE=<that file>
 * BENCH_FROM=<a full run's results.json> npm run bench` puts the section into BENCHMARKS.md.
 * The clusters and every Deno process are stopped at the end, also on error or Ctrl-C.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { postgresDb } from "../src/db/postgres.js";
import { migrate } from "../src/hub/migrate.js";
import type { PgCronCluster } from "../test/harness/pgcron.js";
import { generateHistory, insertNewRuns, READER, scheduleJobs, startBenchCluster } from "./cluster.js";
import { denoBinary, type Gateway, type Invocation, startGateway } from "./edge-gateway.js";
import { machineLoad } from "./edge-proc.js";
import { type CycleSummary, type EdgeDenoRun, type EdgeSize, type HubCycle, type ModeRun, type NodeCheck, renderEdgeSection } from "./edge-report.js";
import { ensurePostgres } from "./install.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const FUNCTION = "check-job-health";
const JOBS_PER_PROJECT = 50;
const NEW_RUNS_PER_PROJECT = 50;
const HISTORY_RUNS = 10_000;
/** Projects are spread over this many clusters at most: what counts is connections, rows and jobs, not clusters. */
const MAX_PROJECT_CLUSTERS = 4;
/** A fanned-out cycle is over once no invocation has been in flight for this long. */
const QUIET_MS = 10_000;
/** A fanned-out cycle that has not gone quiet by then is reported as such. */
const FANOUT_CYCLE_TIMEOUT_MS = 15 * 60_000;
const SECRET = "jobmon-edge-bench-secret-0123456789";
/** The connections the bench itself, the hub's pool and pg_cron take on a project cluster beside the check's. */
const CONNECTION_MARGIN = 40;

type Mode = "single" | "fanout";

function log(message: string): void {
  process.stderr.write(`[edge ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface Options {
  sizes: number[];
  modes: Mode[];
  reps: number;
  /** An earlier run's results: the sizes measured now are merged into it (and written there). */
  addTo: string | null;
}

function options(argv: string[]): Options {
  const out: Options = { sizes: [50, 200, 500, 1000], modes: ["single", "fanout"], reps: 3, addTo: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--modes") {
      const modes = value().split(",").map((s) => s.trim());
      if (modes.some((m) => m !== "single" && m !== "fanout")) throw new Error(`--modes: single and/or fanout, got "${modes.join(",")}"`);
      out.modes = modes as Mode[];
    } else if (flag === "--reps") {
      out.reps = Number(value());
      if (!Number.isInteger(out.reps) || out.reps < 1) throw new Error("--reps: a whole number ≥ 1");
    } else if (flag === "--add-to") {
      out.addTo = value();
    } else if (/^[\d,\s]+$/.test(arg)) {
      out.sizes = arg.split(",").filter((s) => s.trim() !== "").map(Number);
      if (out.sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`sizes: whole numbers ≥ 1, got "${arg}"`);
    } else {
      throw new Error(`unknown argument ${arg}\nusage: node --import tsx bench/edge.ts [50,200,500,1000] [--modes single,fanout] [--reps 3] [--add-to <results.json>]`);
    }
  }
  return out;
}

/** The functions' environment for `projects` projects spread over the clusters, round robin. */
function functionEnv(projectUrls: readonly string[], projects: number, hubUrl: string): Record<string, string> {
  const env: Record<string, string> = {
    JOBMON_FUNCTION_SECRET: SECRET,
    SUPABASE_DB_URL: hubUrl,
    JOBMON_PROJECT_NAMES: Array.from({ length: projects }, (_, i) => `p${String(i + 1).padStart(4, "0")}`).join(","),
    // A cycle may take long on a loaded machine: a project cut short would measure less work.
    JOBMON_PROJECT_TIMEOUT: "300s",
  };
  for (let i = 0; i < projects; i++) {
    env[i === 0 ? "SUPABASE_POSTGRES_URL" : `SUPABASE_POSTGRES_URL_${i + 1}`] = projectUrls[i % projectUrls.length] as string;
  }
  return env;
}

interface ReportCheck {
  projects: number;
  jobs: number;
  unreachable: number;
  firstError: string | undefined;
}

function readReport(text: string): ReportCheck {
  const report = JSON.parse(text) as { projects?: { status: string; error?: string; reason?: string }[]; jobs?: unknown[] };
  const projects = report.projects ?? [];
  const bad = projects.filter((p) => p.status === "unreachable");
  return { projects: projects.length, jobs: report.jobs?.length ?? 0, unreachable: bad.length, firstError: bad[0]?.error ?? bad[0]?.reason };
}

async function post(gateway: Gateway, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${gateway.url}/functions/v1/${FUNCTION}`, {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** One cycle in single mode: the scheduled POST is the whole cycle. */
async function singleCycle(gateway: Gateway, projects: number): Promise<CycleSummary> {
  const before = gateway.invocations.length;
  const started = performance.now();
  const answer = await post(gateway, "{}");
  const wallMs = performance.now() - started;
  const invocations = gateway.invocations.slice(before);
  if (answer.status !== 200) throw new Error(`${FUNCTION} answered ${answer.status}: ${answer.text.slice(0, 1500)}${invocations[0]?.error ? `\n${invocations[0].error}` : ""}`);
  const report = readReport(answer.text);
  if (report.unreachable > 0) throw new Error(`${report.unreachable} project(s) unreachable, e.g. ${report.firstError}`);
  if (report.projects !== projects) throw new Error(`the report has ${report.projects} projects, expected ${projects}`);
  return { invocations, wallMs, projectsReported: report.projects, jobsReported: report.jobs };
}

/** The hub's latest fanned-out cycle (monitoring.check_cycle), null before the first. */
async function latestHubCycle(hub: PgCronCluster): Promise<HubCycle | null> {
  const [row] = await hub.sql<HubCycle>(
    `select status, projects, batches, workers_started as "workersStarted",
            (extract(epoch from finished_at - started_at) * 1000)::float8 as "wallMs"
       from monitoring.check_cycle order by started_at desc limit 1`,
  );
  return row ?? null;
}

/**
 * One fanned-out cycle: the scheduled POST, then every invocation pg_net starts, until the
 * hub's cycle table says the cycle is over and nothing is in flight, or (whatever the table
 * says) nothing has been in flight for QUIET_MS.
 */
async function fanoutCycle(gateway: Gateway, hub: PgCronCluster): Promise<CycleSummary> {
  const before = gateway.invocations.length;
  const startedAt = Date.now();
  const answer = await post(gateway, "{}");
  if (answer.status >= 300) throw new Error(`the scheduled ${FUNCTION} answered ${answer.status}: ${answer.text.slice(0, 1500)}`);
  const deadline = Date.now() + FANOUT_CYCLE_TIMEOUT_MS;
  let hubCycle: HubCycle | null = null;
  for (;;) {
    if (gateway.inFlight() === 0) {
      hubCycle = await latestHubCycle(hub);
      if (hubCycle && hubCycle.status !== "running") break;
      if (Date.now() - gateway.lastActivityAt() >= QUIET_MS) break;
    }
    if (Date.now() > deadline) throw new Error(`the fanned-out cycle did not go quiet within ${FANOUT_CYCLE_TIMEOUT_MS / 60_000} min (${gateway.inFlight()} in flight)`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const invocations = gateway.invocations.slice(before);
  const lastAnswer = Math.max(...invocations.map((i) => i.answeredAt));
  const failed = invocations.filter((i) => i.status >= 300);
  if (failed.length > 0) log(`   ${failed.length} of ${invocations.length} invocations answered ${[...new Set(failed.map((i) => i.status))].join(", ")} (e.g. ${failed[0]?.body}: ${failed[0]?.error?.slice(0, 200) ?? "see the hub's net._http_response"})`);
  return { invocations, wallMs: lastAnswer - startedAt, projectsReported: null, jobsReported: null, hubCycle };
}

/**
 * CPU and peak RSS of a Node process, written to stderr as it exits: a data: URL preloaded
 * with --import, so jobmon runs unchanged and no file is needed.
 */
const NODE_USAGE_PRELOAD = `data:text/javascript,${encodeURIComponent(
  'const start = process.cpuUsage(); process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write("\\nJOBMON_BENCH_USAGE " + JSON.stringify({ cpu: u.user + u.system, start: start.user + start.system, maxRss: process.resourceUsage().maxRSS }) + "\\n"); });',
)}`;

/** `jobmon check --json` under Node with the function's environment, the hub as JOBMON_HUB_URL. */
function nodeCheck(env: Record<string, string>, hubUrl: string): Promise<NodeCheck> {
  const { SUPABASE_DB_URL: _hub, JOBMON_FUNCTION_SECRET: _secret, ...rest } = env;
  const childEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), NO_COLOR: "1", ...rest, JOBMON_HUB_URL: hubUrl };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // cwd: a directory without a .env, so no developer's settings leak in.
    const child = spawn(process.execPath, ["--import", NODE_USAGE_PRELOAD, CLI, "check", "--json"], { cwd: os.tmpdir(), env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const wallMs = performance.now() - started;
      const usage = /JOBMON_BENCH_USAGE (\{.*\})/.exec(stderr)?.[1];
      if (!usage) return reject(new Error(`jobmon check exited ${code} without its usage line:\n${stderr.slice(-2000)}`));
      try {
        const report = readReport(stdout);
        if (report.unreachable > 0) return reject(new Error(`jobmon check: ${report.unreachable} project(s) unreachable, e.g. ${report.firstError}`));
      } catch {
        return reject(new Error(`jobmon check exited ${code} without a JSON report:\n${stdout.slice(0, 500)}\n${stderr.slice(-2000)}`));
      }
      const u = JSON.parse(usage) as { cpu: number; start: number; maxRss: number };
      resolve({ cpuMs: u.cpu / 1000, runtimeStartCpuMs: u.start / 1000, wallMs, peakRssMb: u.maxRss / 1024, exitCode: code });
    });
  });
}

async function newRuns(clusters: readonly PgCronCluster[]): Promise<void> {
  // Every project of a cluster reads the same table: 50 new runs there are 50 per project.
  await Promise.all(clusters.map((c) => insertNewRuns(c, NEW_RUNS_PER_PROJECT)));
}

async function pgmqAvailable(hub: PgCronCluster): Promise<boolean> {
  const rows = await hub.sql("select 1 from pg_available_extensions where name = 'pgmq'");
  return rows.length > 0;
}

function describeInvocation(i: Invocation): string {
  return `${i.body}: ${i.status}, request ${Math.round(i.requestCpuMs)} ms CPU / ${Math.round(i.requestWallMs)} ms wall, boot ${Math.round(i.bootCpuMs)} ms CPU, peak RSS ${i.peakRssMb.toFixed(0)} MB`;
}

function describeFanout(c: CycleSummary): string {
  const workers = c.invocations.filter((i) => i.bodyKeys.includes("worker"));
  const cpu = workers.map((i) => i.requestCpuMs);
  const hub = c.hubCycle ? `hub: ${c.hubCycle.status}, ${c.hubCycle.batches} batches, ${c.hubCycle.workersStarted} workers started` : "hub: no cycle";
  return `${c.invocations.length} invocations (${workers.length} workers, request CPU ${Math.round(Math.min(...cpu))}–${Math.round(Math.max(...cpu))} ms), ${Math.round(c.wallMs)} ms; ${hub}`;
}

async function measureMode(mode: Mode, projects: number, projectClusters: readonly PgCronCluster[], projectUrls: readonly string[], reps: number, stopAtEnd: PgCronCluster[], nodeAvailable: boolean): Promise<ModeRun> {
  const result: ModeRun = { mode, skipped: null, first: null, steady: [], node: [] };
  // A fresh hub per size and mode: the first cycle is the inventory sync of all N projects.
  const hub = await startBenchCluster(`hub${projects}${mode === "fanout" ? "f" : ""}`, { set: "pinned", settings: { max_connections: 300 } });
  stopAtEnd.push(hub);
  let gateway: Gateway | undefined;
  try {
    if (mode === "fanout" && !(await pgmqAvailable(hub))) {
      result.skipped = "the hub has no pgmq (pg_available_extensions lists none in the `pinned` extension set): fan-out needs it";
      log(`   fanout: skipped: ${result.skipped}`);
      return result;
    }
    // The function's hub is the cluster's postgres database, where pg_net's worker runs.
    const hubUrl = hub.url;
    const db = postgresDb(hubUrl, { max: 1, applicationName: "jobmon-edge-bench" });
    try {
      // Supabase Queues enabled in the hub project, as fan-out asks of it.
      if (mode === "fanout") await db.query("create extension if not exists pgmq");
      await migrate(db);
    } finally {
      await db.close();
    }
    const env = functionEnv(projectUrls, projects, hubUrl);
    // Explicit either way: the default (auto) fans out from some project count on.
    gateway = await startGateway({ env: { ...env, JOBMON_FANOUT: "off" } });
    if (mode === "fanout") gateway.setEnv({ ...env, JOBMON_FANOUT: "on", SUPABASE_URL: gateway.url });
    const cycle = () => (mode === "single" ? singleCycle(gateway!, projects) : fanoutCycle(gateway!, hub));

    result.first = await cycle();
    log(`   ${mode} first cycle: ${result.first.invocations.length === 1 ? describeInvocation(result.first.invocations[0]!) : describeFanout(result.first)}`);
    for (let rep = 0; rep < reps; rep++) {
      await newRuns(projectClusters);
      const steady = await cycle();
      result.steady.push(steady);
      log(`   ${mode} steady ${rep + 1}/${reps}: ${steady.invocations.length === 1 ? describeInvocation(steady.invocations[0]!) : describeFanout(steady)}`);
      if (mode === "single" && nodeAvailable) {
        await newRuns(projectClusters);
        const node = await nodeCheck(env, hubUrl);
        result.node.push(node);
        log(`   node check ${rep + 1}/${reps}: ${Math.round(node.cpuMs)} ms CPU (${Math.round(node.runtimeStartCpuMs)} ms of it Node's start), ${Math.round(node.wallMs)} ms wall, peak RSS ${node.peakRssMb.toFixed(0)} MB`);
      }
    }
    return result;
  } finally {
    await gateway?.close();
    await hub.stop();
    stopAtEnd.splice(stopAtEnd.indexOf(hub), 1);
  }
}

function denoVersion(): string {
  const result = spawnSync(denoBinary(), ["--version"], { encoding: "utf8" });
  return result.stdout.split("\n")[0]?.trim() ?? "unknown";
}

function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "");
  return match?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
}

async function main(): Promise<void> {
  // `--from <results.json>`: print the section of an earlier run again, measuring nothing.
  if (process.argv[2] === "--from") {
    const file = process.argv[3];
    if (!file) throw new Error("--from needs a results file (bench/results/edge-<date>.json)");
    process.stdout.write(`${renderEdgeSection(JSON.parse(fs.readFileSync(file, "utf8")) as EdgeDenoRun).join("\n")}\n`);
    return;
  }
  const opts = options(process.argv.slice(2));
  const started = performance.now();
  const cores = os.availableParallelism();
  const loadStart = os.loadavg();
  log(`sizes ${opts.sizes.join(", ")} projects × ${JOBS_PER_PROJECT} jobs; modes ${opts.modes.join(", ")}; ${opts.reps} steady cycles each; ${machineLoad(loadStart, cores)}`);
  ensurePostgres(log);
  const nodeAvailable = fs.existsSync(CLI);
  if (!nodeAvailable) log(`${path.relative(ROOT, CLI)} is missing: the Node comparison is left out (npm run build makes it)`);

  const clusters: PgCronCluster[] = [];
  const sizes: EdgeSize[] = [];
  let machine: EdgeDenoRun["machine"] | undefined;
  const date = new Date().toISOString();
  const earlier = opts.addTo ? (JSON.parse(fs.readFileSync(opts.addTo, "utf8")) as EdgeDenoRun) : null;
  if (earlier && earlier.config.steadyReps !== opts.reps) throw new Error(`--add-to: that run took ${earlier.config.steadyReps} steady cycles per size; give --reps ${earlier.config.steadyReps}`);
  const out = process.env.BENCH_EDGE_OUT ?? opts.addTo ?? path.join(ROOT, "bench", "results", `edge-${date.slice(0, 10)}.json`);
  const results = (complete: boolean): EdgeDenoRun => {
    const now: EdgeDenoRun = {
      date,
      complete,
      machine: machine!,
      config: { sizes: opts.sizes, modes: opts.modes, steadyReps: opts.reps, quietMs: QUIET_MS },
      sizes,
      loadAverage: { start: loadStart, end: os.loadavg() },
      totalSeconds: (performance.now() - started) / 1000,
    };
    if (!earlier) return now;
    // The earlier run's sizes, with the ones measured now in their place; its date and start.
    const kept = earlier.sizes.filter((s) => !opts.sizes.includes(s.projects));
    return {
      ...now,
      date: earlier.date,
      complete: complete && earlier.complete,
      config: { ...now.config, sizes: [...new Set([...earlier.config.sizes, ...opts.sizes])].sort((a, b) => a - b), modes: [...new Set([...earlier.config.modes, ...opts.modes])] },
      sizes: [...kept, ...sizes].sort((a, b) => a.projects - b.projects),
      loadAverage: { start: earlier.loadAverage.start, end: now.loadAverage.end },
      totalSeconds: earlier.totalSeconds + now.totalSeconds,
    };
  };
  // Written after every size, so a run stopped halfway keeps what it measured.
  const write = (run: EdgeDenoRun) => {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(run, null, 2)}\n`);
  };
  try {
    const largest = Math.max(...opts.sizes);
    const clusterCount = Math.min(MAX_PROJECT_CLUSTERS, Math.max(1, Math.ceil(largest / 250)));
    const perCluster = Math.ceil(largest / clusterCount);
    log(`${clusterCount} project cluster(s) (pg_cron and pg_net of the pinned set), max_connections ${perCluster + CONNECTION_MARGIN} each; ${JOBS_PER_PROJECT} jobs and ${HISTORY_RUNS.toLocaleString("en-US")} runs of history each`);
    const projectClusters = await Promise.all(
      Array.from({ length: clusterCount }, (_, i) => startBenchCluster(`edge${i + 1}`, { set: "pinned", settings: { max_connections: perCluster + CONNECTION_MARGIN } }).then((c) => (clusters.push(c), c))),
    );
    await Promise.all(projectClusters.map(async (c) => {
      await scheduleJobs(c, JOBS_PER_PROJECT);
      await generateHistory(c, HISTORY_RUNS);
    }));
    const projectUrls = projectClusters.map((c) => c.urlFor({ user: READER.user, password: READER.password }));
    const first = projectClusters[0]!;
    const [pg] = await first.sql<{ version: string }>("select current_setting('server_version') as version");
    machine = {
      cpu: cpuModel(),
      cores,
      memoryGb: os.totalmem() / 1024 ** 3,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      deno: denoVersion(),
      postgres: pg?.version ?? "unknown",
      pgCron: first.pgCronVersion,
      pgNet: first.pgNetVersion,
    };

    for (const projects of opts.sizes) {
      const sizeStarted = performance.now();
      const sizeLoad = os.loadavg();
      log(`${projects} projects × ${JOBS_PER_PROJECT} jobs (${machineLoad(sizeLoad, cores)})`);
      const modes: ModeRun[] = [];
      for (const mode of opts.modes) modes.push(await measureMode(mode, projects, projectClusters, projectUrls, opts.reps, clusters, nodeAvailable));
      sizes.push({
        projects,
        jobsPerProject: JOBS_PER_PROJECT,
        newRunsPerProject: NEW_RUNS_PER_PROJECT,
        projectClusters: clusterCount,
        modes,
        loadAverage: { start: sizeLoad, end: os.loadavg() },
        seconds: (performance.now() - sizeStarted) / 1000,
      });
      write(results(false));
    }
  } finally {
    await Promise.all(clusters.map((c) => c.stop().catch(() => undefined)));
  }

  const run = results(true);
  write(run);
  process.stdout.write(`${renderEdgeSection(run).join("\n")}\n`);
  log(`raw results: ${path.relative(process.cwd(), out) || out}; ${Math.round(run.totalSeconds)} s in all, ${machineLoad(run.loadAverage.end, cores)} at the end`);
}

main().catch((error: unknown) => {
  process.stderr.write(`edge bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
