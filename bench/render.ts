/**
 * `node --import tsx bench/render.ts`: the CPU `jobmon check` spends printing its report for
 * people, at 2,500 and 10,000 jobs (50 and 200 projects × 50 jobs), against the CPU of the
 * check itself.
 *
 * The reports are synthetic (no database): about 3 % of the jobs not healthy and 2 % paused,
 * one project in fifty unreachable, long job names with markup, escapes, newlines and wide
 * characters, reasons longer than the column. Measured in this process (process.cpuUsage
 * around the render, the median of several repetitions after a warm-up): the default view,
 * `--all`, the `--json` print, and the old cli-table3 layout of every job when cli-table3 can
 * be loaded (it is no longer a dependency: `npm install --no-save cli-table3` to compare).
 * Everything goes through the terminal Io (escaping, colour codes) into a counter, not to a
 * terminal.
 *
 * The check's own CPU is not measured here: CHECK_CPU_MS gives the figures of whole
 * `jobmon check --json` processes against one pg_cron cluster standing in for the projects
 * (steady state, on the 2-core machine BENCHMARKS.md describes). Set BENCH_CHECK_CPU_MS=a,b
 * (ms at 50 and at 200 projects) to compare with your own.
 *
 *   BENCH_RENDER_REPS=9   repetitions per figure (the old layout gets a third of them)
 *   BENCH_RENDER_OLD=0    leave the old layout out even when cli-table3 is there (it takes minutes)
 */
import os from "node:os";
import { printCheckReport } from "../src/cli/check-report.js";
import { type Io, printJson, renderForTerminal, status, terminal, truncate, when } from "../src/cli/output.js";
import type { CheckJobEntry, CheckReport } from "../src/check/index.js";
import { median } from "./measure.js";

const SIZES = [50, 200] as const;
const JOBS_PER_PROJECT = 50;
const REPS = Number(process.env.BENCH_RENDER_REPS ?? 9);
/** Whole-process CPU of a steady-state `jobmon check --json`, by number of projects (see the file comment). */
const CHECK_CPU_MS: Record<(typeof SIZES)[number], number> = (() => {
  const given = process.env.BENCH_CHECK_CPU_MS?.split(",").map(Number);
  return given && given.length === 2 && given.every((n) => n > 0) ? { 50: given[0]!, 200: given[1]! } : { 50: 520, 200: 1060 };
})();
const CHECK_CPU_SOURCE = process.env.BENCH_CHECK_CPU_MS ? "BENCH_CHECK_CPU_MS" : "measured whole `jobmon check --json` processes, 2-core machine";

/** mulberry32: the same report every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME_PARTS = ["sync", "leads", "export", "nightly", "refresh-materialized-view", "crm", "hubspot-contacts", "invoice", "<b>bold</b>", "**md**", "[link](https://x.example)", "日本語", "🚀", "\u001b[31mred\u001b[0m", "line\nbreak", "`code`"];

function syntheticReport(projects: number): CheckReport {
  const random = prng(projects);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const at = new Date("2026-11-30T09:00:00Z").getTime();
  const reportProjects: CheckReport["projects"] = [];
  const jobs: CheckJobEntry[] = [];
  const events: CheckReport["events"] = [];
  for (let p = 0; p < projects; p++) {
    const project_name = `client-project-${String(p).padStart(3, "0")}-production`;
    const unreachable = p % 50 === 49;
    reportProjects.push({ project_name, status: unreachable ? "unreachable" : "ok", previous_status: "ok", reason: unreachable ? "cannot connect: timeout after 10s" : "pg_cron is running", warnings: [] });
    for (let j = 0; j < JOBS_PER_PROJECT; j++) {
      const r = random();
      const status = r < 0.01 ? "failed" : r < 0.015 ? "missed" : r < 0.018 ? "stuck" : r < 0.025 ? "slow" : r < 0.03 ? "unknown" : r < 0.05 ? "paused" : "success";
      const job_name = `${pick(NAME_PARTS)}-${pick(NAME_PARTS)}-${pick(NAME_PARTS)}-${j}`;
      const reason =
        status === "success"
          ? `last run succeeded at 2026-11-30T08:${String(j % 60).padStart(2, "0")}:05.723Z`
          : `run failed (last failure at 2026-11-30T08:15:02.351Z): ERROR: duplicate key value violates unique constraint "${job_name}_key"\nDETAIL: Key (email)=(x@example.com) already exists.`;
      jobs.push({
        id: `${p}-${j}`,
        project_name,
        job_type: j % 10 === 0 ? "edge_function" : "pg_cron",
        job_name,
        status,
        previous_status: random() < 0.01 ? "success" : status,
        reason,
        error_message: status === "success" ? null : reason,
        last_run_at: new Date(at - Math.floor(random() * 3_600_000)).toISOString(),
        criticality: pick(["critical", "important", "low", null] as const),
        muted: random() < 0.01,
      });
      if (status !== "success" && status !== "paused" && random() < 0.2) {
        events.push({ kind: "job", project_name, job_name, type: "down", from: "success", to: status, muted: false });
      }
    }
  }
  return { check_id: "bench", started_at: new Date(at).toISOString(), finished_at: new Date(at + 1000).toISOString(), dry_run: false, projects: reportProjects, jobs, events };
}

/** The terminal Io into a counter: every text escaped and coloured as for a terminal, then dropped. */
function countingIo(): { io: Io; chars: () => number } {
  let chars = 0;
  const sink = { out: (text: string) => void (chars += text.length + 1), err: (text: string) => void (chars += text.length + 1) };
  return { io: terminal(sink, { colour: true }), chars: () => chars };
}

/** cli-table3, when it can be loaded: the table as jobmon drew it before. */
type OldTable = (head: string[], rows: (string | number | null | undefined)[][]) => string;
async function loadOldTable(): Promise<OldTable | null> {
  if (process.env.BENCH_RENDER_OLD === "0") return null;
  const name = "cli-table3";
  let Table: new (options: object) => { push(row: string[]): void; toString(): string };
  try {
    Table = ((await import(name)) as { default: typeof Table }).default;
  } catch {
    return null;
  }
  // As src/cli/output.ts drew tables with it: printable cells with real colour codes, no rule between rows.
  const cell = (value: string | number | null | undefined): string => renderForTerminal(String(value ?? ""), { colour: true });
  return (head, rows) => {
    const t = new Table({ head: head.map(cell), style: { head: [], border: [] }, wordWrap: true, chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" } });
    for (const row of rows) t.push(row.map(cell));
    return t.toString();
  };
}

function oldCheckReport(io: Io, report: CheckReport, oldTable: OldTable): void {
  for (const p of report.projects) io.out(`${p.project_name}: ${status(p.status)}`);
  io.out(oldTable(["project", "job", "status", "was", "last run", "reason"], report.jobs.map((j) => [j.project_name, j.job_name, status(j.status), j.previous_status, when(j.last_run_at), truncate(j.reason, 70)])));
}

/** Median CPU (user + system, ms) of `render`, after one warm-up run, and the characters it printed. */
function measure(reps: number, render: (io: Io) => void): { cpuMs: number; chars: number } {
  const warm = countingIo();
  render(warm.io);
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const { io } = countingIo();
    const before = process.cpuUsage();
    render(io);
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000);
  }
  return { cpuMs: median(samples), chars: warm.chars() };
}

const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1)).padStart(7);
const pct = (n: number): string => `${(100 * n).toFixed(1)} %`.padStart(8);

const oldTable = await loadOldTable();
const load = os.loadavg().map((n) => n.toFixed(2)).join(" / ");
console.log(`Rendering \`jobmon check\`'s report: CPU ms, median of ${REPS} (the old layout: of ${Math.max(1, Math.round(REPS / 3))}); ${os.availableParallelism?.() ?? os.cpus().length} cores, load ${load} (1/5/15 min) at the start.`);
console.log("Synthetic reports, rendered in this process; a loaded machine makes these figures vary by tens of percent.\n");
const rows: string[][] = [];
const results: { projects: number; jobs: number; listed: number; fallback: number; all: number; json: number; old: number | null }[] = [];
for (const projects of SIZES) {
  const report = syntheticReport(projects);
  const listed = report.jobs.filter((j) => j.status !== "success" && j.status !== "paused").length;
  const byDefault = measure(REPS, (io) => printCheckReport(io, report, { all: false }));
  const all = measure(REPS, (io) => printCheckReport(io, report, { all: true }));
  const json = measure(REPS, (io) => printJson(io, report));
  const old = oldTable ? measure(Math.max(1, Math.round(REPS / 3)), (io) => oldCheckReport(io, report, oldTable)) : null;
  results.push({ projects, jobs: report.jobs.length, listed, fallback: byDefault.cpuMs, all: all.cpuMs, json: json.cpuMs, old: old?.cpuMs ?? null });
  const check = CHECK_CPU_MS[projects];
  rows.push([
    `${projects} × ${JOBS_PER_PROJECT} = ${report.jobs.length.toLocaleString("en-US")} (${listed} not healthy)`,
    ms(byDefault.cpuMs),
    ms(all.cpuMs),
    old ? ms(old.cpuMs) : "      –",
    ms(json.cpuMs),
    String(check).padStart(6),
    pct(byDefault.cpuMs / check),
    pct(all.cpuMs / check),
    old ? pct(old.cpuMs / check) : "       –",
    old ? `${(old.cpuMs / all.cpuMs).toFixed(0)}×`.padStart(5) : "    –",
  ]);
}
const head = ["jobs", "default", "--all", "cli-table3", "--json", "check", "default/check", "--all/check", "cli-table3/check", "cli-table3/--all"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`\ncheck: the check's own CPU in ms (${CHECK_CPU_SOURCE}); default, --all, --json: this bench.`);
if (!oldTable) console.log("cli-table3: not installed, so the old layout was not measured (npm install --no-save cli-table3 to compare).");
const worst = results.at(-1)!;
const verdict = (cpuMs: number): string => `${pct(cpuMs / CHECK_CPU_MS[200]).trim()}, ${cpuMs / CHECK_CPU_MS[200] < 0.1 ? "met" : "missed"}`;
console.log(`Target, rendering ${worst.jobs.toLocaleString("en-US")} jobs in under a tenth of the check's CPU: the default view ${verdict(worst.fallback)}; --all ${verdict(worst.all)}.`);
