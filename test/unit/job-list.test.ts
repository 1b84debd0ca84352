import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command, CommanderError } from "commander";
import { choiceList, positiveInteger, repeatable } from "../../src/cli/arguments.js";
import { UsageError } from "../../src/cli/context.js";
import { cutLine, type ListedJob, leftOutLine, limitRows, projectsWorstFirst, resolveProjectNames, selectJobs, STATUS_FILTERS } from "../../src/cli/job-list.js";
import { JOB_STATUSES } from "../../src/types.js";

const job = (project_name: string, job_name: string, status: string, criticality: string | null = null): ListedJob => ({ project_name, job_name, status, criticality });
const names = (jobs: readonly ListedJob[]): string[] => jobs.map((j) => `${j.project_name}/${j.job_name}`);

describe("the default selection of check and status", () => {
  const jobs = [
    job("a", "ok-1", "success"),
    job("a", "slow-1", "slow"),
    job("b", "new-1", "new"),
    job("a", "failed-low", "failed", "low"),
    job("b", "missed-1", "missed"),
    job("b", "paused-1", "paused"),
    job("c", "unknown-1", "unknown"),
    job("b", "failed-critical", "failed", "critical"),
    job("c", "stuck-1", "stuck"),
    job("c", "ok-2", "success"),
    job("b", "ok-3", "success"),
  ];

  it("lists the jobs that are not healthy, worst first (then the most critical, then by name), and counts the rest", () => {
    const s = selectJobs(jobs, new Map(), {});
    assert.deepEqual(names(s.shown), ["b/failed-critical", "a/failed-low", "c/stuck-1", "b/missed-1", "a/slow-1", "c/unknown-1", "b/new-1"]);
    assert.equal(s.cut, 0);
    assert.deepEqual(s.left, { healthy: 3, paused: 1, troubled: 0, healthyProjects: 3, troubledProjects: 0 });
    assert.equal(leftOutLine(s), "4 other jobs: 3 healthy, 1 paused, in 3 projects; --all lists every job");
  });

  it("--all lists every job, worst first, and leaves nothing to count", () => {
    const s = selectJobs(jobs, new Map(), { all: true });
    assert.equal(s.shown.length, jobs.length);
    assert.deepEqual(names(s.shown).slice(-4), ["a/ok-1", "b/ok-3", "c/ok-2", "b/paused-1"]);
    assert.equal(leftOutLine(s), null);
  });

  it("counts healthy jobs in thousands, with and without jobs listed above", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => job(`p${i % 200}`, `j${i}`, i < 50 ? "failed" : "success"));
    const s = selectJobs(many, new Map(), {});
    assert.equal(s.shown.length, 50);
    assert.ok(s.shown.every((j) => j.status === "failed"));
    assert.equal(leftOutLine(s), "9,950 other jobs healthy in 200 projects; --all lists every job");
    const healthy = selectJobs([job("p", "a", "success")], new Map(), {});
    assert.equal(healthy.shown.length, 0);
    assert.equal(leftOutLine(healthy), "1 job healthy in 1 project; --all lists every job");
    assert.equal(leftOutLine(selectJobs([job("p", "a", "paused"), job("p", "b", "failed")], new Map(), {})), "1 other job paused in 1 project; --all lists every job");
  });

  it("never counts a job as healthy in a project that is unreachable or whose scheduler is down", () => {
    const s = selectJobs([job("down", "a", "success"), job("down", "b", "failed"), job("gone", "c", "paused"), job("fine", "d", "success")], new Map([["down", "scheduler_down"], ["gone", "unreachable"], ["fine", "ok"]]), {});
    assert.deepEqual(names(s.shown), ["down/b"]);
    assert.deepEqual(s.left, { healthy: 1, paused: 0, troubled: 2, healthyProjects: 1, troubledProjects: 2 });
    assert.equal(leftOutLine(s), "1 other job healthy in 1 project; 2 jobs in 2 projects with a problem above (unreachable or scheduler down), not counted as healthy; --all lists every job");
  });

  it("--status lists the jobs of those statuses, healthy ones too, and counts nothing else", () => {
    assert.deepEqual(names(selectJobs(jobs, new Map(), { statuses: ["success"] }).shown), ["a/ok-1", "b/ok-3", "c/ok-2"]);
    assert.deepEqual(names(selectJobs(jobs, new Map(), { statuses: ["stuck", "new"] }).shown), ["c/stuck-1", "b/new-1"]);
    const unhealthy = selectJobs(jobs, new Map(), { statuses: ["unhealthy"] });
    assert.deepEqual(
      unhealthy.shown.map((j) => j.status),
      ["failed", "failed", "stuck", "missed", "slow"],
    );
    assert.equal(leftOutLine(unhealthy), null);
  });

  it("--limit keeps the worst rows and says how many more there are", () => {
    const s = selectJobs(jobs, new Map(), { limit: 2 });
    assert.deepEqual(names(s.shown), ["b/failed-critical", "a/failed-low"]);
    assert.equal(s.cut, 5);
    assert.equal(cutLine(s.cut, 2), "… 5 more jobs not shown (--limit 2); a larger --limit, or none, shows them");
    assert.equal(cutLine(1, 1_000), "… 1 more job not shown (--limit 1,000); a larger --limit, or none, shows them");
    assert.deepEqual(limitRows([1, 2, 3], 3), { shown: [1, 2, 3], cut: 0 });
    assert.deepEqual(limitRows([1, 2, 3], undefined), { shown: [1, 2, 3], cut: 0 });
  });

  it("puts the projects with a problem first, the others in their order", () => {
    const projects = [{ status: "ok", n: 1 }, { status: "unreachable", n: 2 }, { status: "paused", n: 3 }, { status: "scheduler_down", n: 4 }, { status: "ok", n: 5 }];
    assert.deepEqual(
      projectsWorstFirst(projects).map((p) => p.n),
      [2, 4, 1, 3, 5],
    );
  });
});

describe("--project names", () => {
  const known = ["alpha", "beta", "Acme, Inc.", "gamma"];

  it("takes names repeated and in comma lists, a name with a comma whole", () => {
    assert.deepEqual(resolveProjectNames(["alpha"], known), ["alpha"]);
    assert.deepEqual(resolveProjectNames(["alpha,beta", "gamma", "beta"], known), ["alpha", "beta", "gamma"]);
    assert.deepEqual(resolveProjectNames([" alpha , ,beta"], known), ["alpha", "beta"]);
    assert.deepEqual(resolveProjectNames(["Acme, Inc."], known), ["Acme, Inc."]);
  });

  it("refuses a name no project has, naming the projects there are", () => {
    assert.throws(() => resolveProjectNames(["alpha,delta"], known), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, '--project: no project is named "delta"; the projects are Acme, Inc., alpha, beta, gamma');
      return true;
    });
    assert.throws(() => resolveProjectNames(["ALPHA"], known), /no project is named "ALPHA" \(did you mean "alpha"\?\)/);
    assert.throws(() => resolveProjectNames(["x"], []), /no project is known yet: run `jobmon discover`/);
    const many = Array.from({ length: 200 }, (_, i) => `p${String(i).padStart(3, "0")}`);
    assert.throws(() => resolveProjectNames(["nope"], many), (error: unknown) => {
      assert.match((error as Error).message, /the projects are p000, p001, .*, p011 and 188 more \(jobmon status lists them\)$/);
      return true;
    });
  });
});

describe("the option parsers", () => {
  /** What commander makes of the arguments, or the message it refuses them with. */
  function parse(args: string[]): Record<string, unknown> | string {
    const program = new Command()
      .exitOverride()
      .configureOutput({ writeErr: () => {} })
      .option("--project <name>", "", repeatable("--project", "a project name"))
      .option("--status <status>", "", choiceList("--status", STATUS_FILTERS))
      .option("--limit <n>", "", positiveInteger("--limit"));
    try {
      program.parse(args, { from: "user" });
      return program.opts();
    } catch (error) {
      if (error instanceof CommanderError) return error.message;
      throw error;
    }
  }

  it("accumulate --project and --status, each repeated or as a comma list", () => {
    assert.deepEqual(parse(["--project", "a,b", "--project", "c"]), { project: ["a,b", "c"] });
    assert.deepEqual(parse(["--status", "failed,stuck", "--status", "missed", "--status", "failed"]), { status: ["failed", "stuck", "missed"] });
    assert.deepEqual(parse(["--limit", "3"]), { limit: 3 });
  });

  it("refuse a status that is not one, listing the valid ones, and an empty project or a limit below 1", () => {
    const bad = parse(["--status", "failed,broken"]);
    assert.equal(typeof bad, "string");
    assert.match(bad as string, /--status takes one or more of unhealthy, success, slow, failed, missed, stuck, paused, unknown, new \(comma-separated\), not "broken"/);
    for (const s of JOB_STATUSES) assert.ok((bad as string).includes(s), s);
    assert.match(parse(["--status", ""]) as string, /not ""/);
    assert.match(parse(["--project", " , "]) as string, /--project takes a project name, not " , "/);
    assert.match(parse(["--limit", "0"]) as string, /--limit takes a whole number of at least 1, not "0"/);
    assert.match(parse(["--limit", "-2"]) as string, /--limit/);
  });
});
