import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckJobEntry, CheckReport } from "../../src/check/index.js";
import { printCheckReport } from "../../src/cli/check-report.js";
import { renderForTerminal } from "../../src/cli/output.js";

function entry(project_name: string, job_name: string, status: string): CheckJobEntry {
  return { id: `${project_name}/${job_name}`, project_name, job_type: "pg_cron", job_name, status, previous_status: "success", reason: `${status} reason`, error_message: null, last_run_at: null, criticality: null, muted: false };
}

function report(jobs: CheckJobEntry[], events = 0): CheckReport {
  const projects = [...new Set(jobs.map((j) => j.project_name))].map((project_name) => ({
    project_name,
    status: project_name === "down" ? ("unreachable" as const) : ("ok" as const),
    previous_status: "ok" as const,
    reason: project_name === "down" ? "cannot connect: timeout" : "pg_cron is running",
    warnings: [],
  }));
  return {
    check_id: "c",
    started_at: "2026-11-30T09:00:00.000Z",
    finished_at: "2026-11-30T09:00:01.000Z",
    dry_run: false,
    projects,
    jobs,
    events: Array.from({ length: events }, (_, i) => ({ kind: "job" as const, project_name: "p", job_name: `j${i}`, type: "down", from: "success", to: "failed", muted: false })),
  };
}

function print(r: CheckReport, all: boolean): string[] {
  const out: string[] = [];
  printCheckReport({ out: (t) => out.push(...renderForTerminal(t, { colour: false }).split("\n")), err: () => {} }, r, { all });
  return out;
}

const rowJobs = (lines: string[]): string[] => lines.filter((l) => l.startsWith("│ ")).slice(1).map((l) => l.split("│")[2]!.trim());

describe("jobmon check's report for people", () => {
  const jobs = [entry("alpha", "ok-a", "success"), entry("alpha", "slow-a", "slow"), entry("down", "ok-d", "success"), entry("beta", "failed-b", "failed"), entry("beta", "paused-b", "paused"), entry("beta", "ok-b", "success")];

  it("prints every project (the one with a problem first), the jobs that are not healthy worst first, and a count of the rest", () => {
    const lines = print(report(jobs), false);
    assert.deepEqual(lines.slice(0, 3), ["✗ down: unreachable — cannot connect: timeout", "✓ alpha: ok", "✓ beta: ok"]);
    assert.deepEqual(rowJobs(lines), ["failed-b", "slow-a"]);
    assert.ok(
      lines.includes("3 other jobs: 2 healthy, 1 paused, in 2 projects; 1 job in 1 project with a problem above (unreachable or scheduler down), not counted as healthy; --all lists every job"),
      lines.join("\n"),
    );
  });

  it("--all lists every job, worst first, with no count line", () => {
    const lines = print(report(jobs), true);
    assert.deepEqual(rowJobs(lines), ["failed-b", "slow-a", "ok-a", "ok-b", "ok-d", "paused-b"]);
    assert.ok(!lines.some((l) => l.includes("--all lists every job")));
  });

  it("prints no table when every job is healthy, only the count", () => {
    const lines = print(report([entry("alpha", "a", "success"), entry("beta", "b", "success")]), false);
    assert.ok(!lines.some((l) => l.startsWith("┌")));
    assert.ok(lines.includes("2 jobs healthy in 2 projects; --all lists every job"));
  });

  it("names at most twenty state changes on its line, all of them with --all", () => {
    const changes = (all: boolean) => print(report(jobs, 25), all).find((l) => l.startsWith("25 state change(s)"))!;
    assert.equal(changes(false).split(" → ").length - 1, 20);
    assert.match(changes(false), /p\/j19 success → failed; 5 more \(--all names them\)$/);
    assert.equal(changes(true).split(" → ").length - 1, 25);
  });
});
