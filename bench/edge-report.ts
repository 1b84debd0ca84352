/**
 * The Edge invocation bench's results (bench/edge.ts) and how they read: against Supabase's
 * limits per invocation, with the project counts where one invocation would pass half of a
 * limit, interpolated between the measured sizes. bench/edge.ts prints this section; the
 * full report (bench/report.ts) includes it when given the results (BENCH_EDGE).
 */
import type { Invocation } from "./edge-gateway.js";
import { median } from "./measure.js";

/** Supabase's limits per Edge Function invocation (docs/platform.md, "Edge Functions"). */
export const LIMITS = { cpuMs: 2_000, wallMs: 150_000, paidWallMs: 400_000, memoryMb: 256 } as const;

/** One `jobmon check --json` in a Node process, the same cycle as the function's, for comparison. */
export interface NodeCheck {
  /** User + system CPU of the whole process (Node's start and jobmon's loading included). */
  cpuMs: number;
  /** Of cpuMs, what was spent before jobmon's code started loading (Node's own start). */
  runtimeStartCpuMs: number;
  wallMs: number;
  peakRssMb: number;
  exitCode: number | null;
}

/** A fanned-out cycle as the hub recorded it (monitoring.check_cycle). */
export interface HubCycle {
  status: string;
  projects: number;
  batches: number;
  workersStarted: number;
  /** started_at → finished_at; null while running. */
  wallMs: number | null;
}

export interface CycleSummary {
  /** The invocations of the cycle: one in single mode, the planner and its workers when fanned out. */
  invocations: Invocation[];
  /** The scheduled POST → the last invocation answered. */
  wallMs: number;
  /** From the single invocation's report; null when fanned out (the workers' reports go to pg_net). */
  projectsReported: number | null;
  jobsReported: number | null;
  /** Fanned out: the hub's record of the cycle when it was over (or when the wait gave up). */
  hubCycle?: HubCycle | null;
}

export interface ModeRun {
  mode: "single" | "fanout";
  /** Why the mode did not run at this size (e.g. no pgmq in the hub); then the rest is empty. */
  skipped: string | null;
  first: CycleSummary | null;
  steady: CycleSummary[];
  /** Single mode only: `jobmon check --json` under Node after each steady invocation. */
  node: NodeCheck[];
}

export interface EdgeSize {
  projects: number;
  jobsPerProject: number;
  newRunsPerProject: number;
  projectClusters: number;
  modes: ModeRun[];
  loadAverage: { start: number[]; end: number[] };
  seconds: number;
}

export interface EdgeDenoRun {
  date: string;
  /** False while the run is going (the file is rewritten after every size) or when it was stopped. */
  complete: boolean;
  machine: { cpu: string; cores: number; memoryGb: number; os: string; node: string; deno: string; postgres: string; pgCron: string; pgNet: string | null };
  config: { sizes: number[]; modes: string[]; steadyReps: number; quietMs: number };
  sizes: EdgeSize[];
  loadAverage: { start: number[]; end: number[] };
  totalSeconds: number;
}

type Align = "l" | "r";

function table(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const side = (i: number) => align[i] ?? (i === 0 ? "l" : "r");
  const cell = (text: string, i: number) => (side(i) === "l" ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0));
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (side(i) === "l" ? ` ${"-".repeat(w)} ` : ` ${"-".repeat(w - 1)}: `)).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

const ms = (v: number) => (!Number.isFinite(v) ? "–" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v).toLocaleString("en-US")} ms`);
const mb = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} MB` : "–");
const share = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %` : "–");
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "–");
const loads = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(" / ");

const max = (values: readonly number[]) => (values.length ? Math.max(...values) : Number.NaN);

/** The one invocation of a single-mode cycle. */
const only = (c: CycleSummary): Invocation | undefined => c.invocations[0];

export interface Crossing {
  projects: number;
  /**
   * "interpolated" between two measured sizes, "extrapolated" past the largest, "below": the
   * smallest already passes it, "none": the figure does not grow, "unknown": one size only.
   */
  how: "interpolated" | "extrapolated" | "below" | "none" | "unknown";
}

/**
 * Where `points` (projects → figure, measured) reach `threshold`: linear between the two
 * measured sizes around it, or along the last two sizes' line when the largest stays below.
 */
export function crossing(points: readonly { x: number; y: number }[], threshold: number): Crossing {
  const sorted = points.filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
  if (sorted.length === 0) return { projects: Number.NaN, how: "none" };
  if ((sorted[0] as { y: number }).y >= threshold) return { projects: (sorted[0] as { x: number }).x, how: "below" };
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as { x: number; y: number };
    const b = sorted[i] as { x: number; y: number };
    if (b.y >= threshold) return { projects: a.x + ((threshold - a.y) * (b.x - a.x)) / (b.y - a.y), how: "interpolated" };
  }
  if (sorted.length < 2) return { projects: Number.NaN, how: "unknown" };
  const a = sorted.at(-2) as { x: number; y: number };
  const b = sorted.at(-1) as { x: number; y: number };
  if (b.y <= a.y) return { projects: Number.NaN, how: "none" };
  return { projects: b.x + ((threshold - b.y) * (b.x - a.x)) / (b.y - a.y), how: "extrapolated" };
}

/** The least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const p = points.filter((q) => Number.isFinite(q.y));
  if (p.length < 2) return Number.NaN;
  const mx = p.reduce((sum, q) => sum + q.x, 0) / p.length;
  const my = p.reduce((sum, q) => sum + q.y, 0) / p.length;
  const sxx = p.reduce((sum, q) => sum + (q.x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : p.reduce((sum, q) => sum + (q.x - mx) * (q.y - my), 0) / sxx;
}

function crossingText(c: Crossing, largest: number): string {
  switch (c.how) {
    case "interpolated":
      return `≈ ${int(c.projects)} (interpolated)`;
    case "extrapolated":
      return `≈ ${int(c.projects)} (extrapolated past ${int(largest)})`;
    case "below":
      return `≤ ${int(c.projects)} (already at the smallest size)`;
    case "none":
      return "not reached (does not grow)";
    case "unknown":
      return "not reached at the one size measured";
  }
}

interface SingleFigures {
  projects: number;
  jobs: number;
  requestCpuMs: number;
  bootCpuMs: number;
  wallMs: number;
  peakRssMb: number;
  peakHeapMb: number;
  firstCpuMs: number;
  firstWallMs: number;
  firstRssMb: number;
  nodeCpuMs: number;
  nodeWallMs: number;
  nodeRssMb: number;
  reps: number;
}

function singleFigures(size: EdgeSize): SingleFigures | null {
  const run = size.modes.find((m) => m.mode === "single");
  if (!run || run.skipped || run.steady.length === 0) return null;
  const steady = run.steady.map(only).filter((i): i is Invocation => i !== undefined);
  const first = run.first ? only(run.first) : undefined;
  return {
    projects: size.projects,
    jobs: size.projects * size.jobsPerProject,
    requestCpuMs: median(steady.map((i) => i.requestCpuMs)),
    bootCpuMs: median(steady.map((i) => i.bootCpuMs)),
    wallMs: median(steady.map((i) => i.requestWallMs)),
    peakRssMb: median(steady.map((i) => i.peakRssMb)),
    peakHeapMb: median(steady.map((i) => i.heap?.peakHeapUsedMb ?? Number.NaN)),
    firstCpuMs: first?.requestCpuMs ?? Number.NaN,
    firstWallMs: first?.requestWallMs ?? Number.NaN,
    firstRssMb: first?.peakRssMb ?? Number.NaN,
    nodeCpuMs: median(run.node.map((n) => n.cpuMs)),
    nodeWallMs: median(run.node.map((n) => n.wallMs)),
    nodeRssMb: median(run.node.map((n) => n.peakRssMb)),
    reps: steady.length,
  };
}

/** The markdown section: one table per mode, the half-limit crossings, the Node comparison. */
export function renderEdgeSection(run: EdgeDenoRun, heading = "## 8. Edge Function per invocation, under Deno"): string[] {
  const out: string[] = [];
  const say = (...lines: string[]) => out.push(...lines);
  const m = run.machine;
  const anyFirst = run.sizes[0];
  const counts = run.sizes.map((s) => s.projectClusters);
  const clusterCounts = counts.length === 0 ? "a few" : Math.min(...counts) === Math.max(...counts) ? String(counts[0]) : `${Math.min(...counts)}–${Math.max(...counts)}`;
  say(
    heading,
    "",
    `\`check-job-health\` as Supabase runs it: one invocation per POST, each in a fresh Deno ${m.deno.split(" ")[1] ?? m.deno} process (bench/edge-gateway.ts stands in for the functions gateway and starts bench/edge-entry.ts, which loads supabase/functions/check-job-health/index.ts unchanged). **Boot CPU**: the process's user + system CPU until it listens (module loading: Supabase's runtime loads a prebuilt bundle into an isolate instead, so this is a stand-in figure, shown apart). **Request CPU**: from the request forwarded to the answer received (/proc/<pid>/stat, 10 ms resolution) — the figure Supabase limits to ${LIMITS.cpuMs / 1000} s; it is the whole process's, V8's garbage collector threads included, so an upper bound of the isolate's. **Wall**: the request's. **Peak RSS**: the process's VmHWM (boot included); **heap**: V8's heap in use, sampled inside the process every 20 ms while the handler runs. Limits per invocation: ${LIMITS.cpuMs / 1000} s CPU, ${LIMITS.wallMs / 1000} s wall (${LIMITS.paidWallMs / 1000} s on paid plans), ${LIMITS.memoryMb} MB memory.`,
    "",
    `Fixture: the hub is a real PostgreSQL 15 cluster with pg_cron ${m.pgCron} and pg_net ${m.pgNet ?? "none"} (extension set \`pinned\`; fresh for every size), reached through \`SUPABASE_DB_URL\` as on Supabase. N monitored projects × ${anyFirst?.jobsPerProject ?? 50} jobs, given as \`SUPABASE_POSTGRES_URL\`, \`SUPABASE_POSTGRES_URL_2\` …; the projects are spread round robin over ${clusterCounts} pg_cron cluster(s) (one per 250 projects of a run's largest size, at most 4; each project its own connection; the projects of one cluster read the same \`cron.job\` and \`cron.job_run_details\`, 10,000 runs of history, so each has ${anyFirst?.jobsPerProject ?? 50} jobs and sees the ${anyFirst?.newRunsPerProject ?? 50} new runs its cluster gets before every steady cycle). A first cycle (inventory sync; single), then ${run.config.steadyReps} steady cycles, ${anyFirst?.newRunsPerProject ?? 50} new runs per project before each: medians shown. Same machine for everything (${m.cores} cores: ${m.cpu}); load average ${loads(run.loadAverage.start)} at the start, ${loads(run.loadAverage.end)} at the end, so wall times are noisy. Measured ${run.date.slice(0, 10)} in ${Math.round(run.totalSeconds)} s${run.complete ? "" : ` (stopped after ${run.sizes.length} of the ${run.config.sizes.length} sizes)`}.`,
    "",
  );

  const singles = run.sizes.map(singleFigures).filter((f): f is SingleFigures => f !== null);
  if (singles.length > 0) {
    say(
      "### One invocation per cycle (`JOBMON_FANOUT` off)",
      "",
      table(
        ["Projects", "jobs", "request CPU", "of 2 s", "boot CPU", "wall", "of 150 s", "peak RSS", "of 256 MB", "heap peak", "first cycle: CPU / wall / RSS", "load (1 min)"],
        singles.map((f) => {
          const size = run.sizes.find((s) => s.projects === f.projects);
          return [
            int(f.projects),
            int(f.jobs),
            ms(f.requestCpuMs),
            share(f.requestCpuMs / LIMITS.cpuMs),
            ms(f.bootCpuMs),
            ms(f.wallMs),
            share(f.wallMs / LIMITS.wallMs),
            mb(f.peakRssMb),
            share(f.peakRssMb / LIMITS.memoryMb),
            mb(f.peakHeapMb),
            `${ms(f.firstCpuMs)} / ${ms(f.firstWallMs)} / ${mb(f.firstRssMb)}`,
            size ? `${size.loadAverage.start[0]?.toFixed(2)}–${size.loadAverage.end[0]?.toFixed(2)}` : "–",
          ];
        }),
      ),
      "",
    );
    const largest = max(singles.map((f) => f.projects));
    const points = (pick: (f: SingleFigures) => number) => singles.map((f) => ({ x: f.projects, y: pick(f) }));
    const rows: string[][] = [
      ["request CPU (steady)", `${LIMITS.cpuMs / 2000} s`, crossingText(crossing(points((f) => f.requestCpuMs), LIMITS.cpuMs / 2), largest), crossingText(crossing(points((f) => f.requestCpuMs), LIMITS.cpuMs), largest)],
      ["request CPU (first cycle)", `${LIMITS.cpuMs / 2000} s`, crossingText(crossing(points((f) => f.firstCpuMs), LIMITS.cpuMs / 2), largest), crossingText(crossing(points((f) => f.firstCpuMs), LIMITS.cpuMs), largest)],
      ["wall (steady)", `${LIMITS.wallMs / 2000} s`, crossingText(crossing(points((f) => f.wallMs), LIMITS.wallMs / 2), largest), crossingText(crossing(points((f) => f.wallMs), LIMITS.wallMs), largest)],
      ["peak RSS (steady)", `${LIMITS.memoryMb / 2} MB`, crossingText(crossing(points((f) => f.peakRssMb), LIMITS.memoryMb / 2), largest), crossingText(crossing(points((f) => f.peakRssMb), LIMITS.memoryMb), largest)],
      ["heap peak (steady)", `${LIMITS.memoryMb / 2} MB`, crossingText(crossing(points((f) => f.peakHeapMb), LIMITS.memoryMb / 2), largest), crossingText(crossing(points((f) => f.peakHeapMb), LIMITS.memoryMb), largest)],
    ];
    say(
      "Project count at which one invocation would pass half of a limit, and the whole limit: a straight line between the two measured sizes around it (interpolated), or along the last two sizes' line past the largest (extrapolated) — an estimate, not a measurement:",
      "",
      table(["Figure", "half the limit", "passed at about … projects", "the whole limit at about …"], rows, ["l", "r", "l", "l"]),
      "",
    );
    if (singles.length >= 2) {
      const per = (pick: (f: SingleFigures) => number) => slope(points(pick));
      say(
        `What one more project (of ${anyFirst?.jobsPerProject ?? 50} jobs) adds to a steady invocation, the least-squares slope over the measured sizes: ${ms(per((f) => f.requestCpuMs))} of request CPU, ${per((f) => f.peakRssMb).toFixed(2)} MB of peak RSS, ${per((f) => f.peakHeapMb).toFixed(2)} MB of V8 heap.`,
        "",
      );
    }
    if (singles.some((f) => Number.isFinite(f.nodeCpuMs))) {
      say(
        "The same steady cycle as a Node process (`node dist/cli/main.js check --json`, same environment, the hub as `JOBMON_HUB_URL`), run after each Deno invocation; its CPU is the whole process's, Node's start and jobmon's loading included:",
        "",
        table(
          ["Projects", "Deno: boot + request CPU", "Node: process CPU", "Deno wall", "Node wall", "Deno peak RSS", "Node peak RSS"],
          singles.map((f) => [int(f.projects), ms(f.bootCpuMs + f.requestCpuMs), ms(f.nodeCpuMs), ms(f.wallMs), ms(f.nodeWallMs), mb(f.peakRssMb), mb(f.nodeRssMb)]),
        ),
        "",
      );
    }
  }

  const fanned = run.sizes.map((s) => ({ size: s, run: s.modes.find((m) => m.mode === "fanout") })).filter((x) => x.run !== undefined);
  if (fanned.length > 0) {
    say("### Fanned out (`JOBMON_FANOUT=on`: the scheduled POST plans the cycle into a pgmq queue, pg_net starts the workers)", "");
    const skipped = fanned.filter((x) => x.run?.skipped);
    const reasons = [...new Set(skipped.map((x) => x.run?.skipped ?? ""))];
    for (const reason of reasons) {
      const at = skipped.filter((x) => x.run?.skipped === reason).map((x) => int(x.size.projects));
      say(`- Not measured at ${at.join(", ")} projects: ${reason}.`);
    }
    if (skipped.length > 0) say("");
    const measured = fanned.filter((x) => !x.run?.skipped && (x.run?.steady.length ?? 0) > 0);
    if (measured.length > 0) {
      const isWorker = (i: Invocation) => i.bodyKeys.includes("worker");
      say(
        table(
          ["Projects", "workers per cycle", "worker request CPU: median / max", "of 2 s (max)", "worker wall: median / max", "worker peak RSS: median / max", "worker heap (max)", "planner CPU / wall", "all invocations' CPU", "cycle wall", "hub says"],
          measured.map(({ size, run: r }) => {
            const cycles = r!.steady;
            const workers = cycles.flatMap((c) => c.invocations.filter(isWorker));
            const planners = cycles.flatMap((c) => c.invocations.filter((i) => !isWorker(i)));
            const statuses = [...new Set(cycles.map((c) => (c.hubCycle ? `${c.hubCycle.status}, ${c.hubCycle.batches} batches` : "no cycle")))].join("; ");
            return [
              int(size.projects),
              int(median(cycles.map((c) => c.invocations.filter(isWorker).length))),
              `${ms(median(workers.map((i) => i.requestCpuMs)))} / ${ms(max(workers.map((i) => i.requestCpuMs)))}`,
              share(max(workers.map((i) => i.requestCpuMs)) / LIMITS.cpuMs),
              `${ms(median(workers.map((i) => i.requestWallMs)))} / ${ms(max(workers.map((i) => i.requestWallMs)))}`,
              `${mb(median(workers.map((i) => i.peakRssMb)))} / ${mb(max(workers.map((i) => i.peakRssMb)))}`,
              mb(max(workers.map((i) => i.heap?.peakHeapUsedMb ?? Number.NaN))),
              `${ms(median(planners.map((i) => i.requestCpuMs)))} / ${ms(median(planners.map((i) => i.requestWallMs)))}`,
              ms(median(cycles.map((c) => c.invocations.reduce((sum, i) => sum + i.requestCpuMs, 0)))),
              ms(median(cycles.map((c) => c.wallMs))),
              statuses,
            ];
          }),
        ),
        "",
        `Over ${measured[0]?.run?.steady.length ?? 0} steady cycles per size (after a first one), batches as the planner sized them (JOBMON_FANOUT_BATCH unset). **workers**: invocations with \`{"worker": …}\` bodies, started by pg_net from the hub; **planner**: the scheduled \`{}\` call; the cycle is over when the hub's \`monitoring.check_cycle\` says so and nothing is in flight (or after ${run.config.quietMs / 1000} s with nothing in flight); **cycle wall**: the scheduled call received → the last answer. The invocations overlap on ${m.cores} cores, so their walls include waiting for the CPU.`,
        "",
      );
    }
  }
  return out;
}
