import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CheckPlan, planCheck, type ProjectCheckInput } from "../../src/check/plan.js";
import type { Collection } from "../../src/check/collect.js";
import { resolveConfig } from "../../src/config.js";
import type { JobStateUpdate } from "../../src/hub/check-results.js";
import type { JobRow } from "../../src/hub/inventory.js";
import type { ProjectStateRow } from "../../src/hub/projects.js";
import type { CronRun, SchedulerState } from "../../src/sources/pgcron.js";
import type { JobType } from "../../src/types.js";

// The pure core of a check, without a database: every input is a value, every output is
// looked at as a value.

const config = resolveConfig({ SUPABASE_POSTGRES_URL: "postgresql://postgres:secret@db.example.com:5432/postgres", JOBMON_PROJECT_NAMES: "alpha" });
const project = config.projects[0]!;
const at = (iso: string) => new Date(iso);
const WATCHED_SINCE = at("2026-11-30T06:00:00Z");
const NOW = at("2026-11-30T10:00:00Z");
const RUNNING: SchedulerState = { launcherRunning: true, launchActiveJobs: true, logRun: true };

/** A pg_cron job as the hub holds it; every five minutes, last run at 09:55 and fine. */
function job(name: string, jobid: number, extra: Partial<JobRow> = {}): JobRow {
  return {
    id: `00000000-0000-4000-8000-${String(jobid).padStart(12, "0")}`,
    project_name: project.name,
    job_type: "pg_cron",
    job_name: name,
    schedule: "*/5 * * * *",
    description: null,
    success_criteria: null,
    criticality: null,
    last_seen_at: WATCHED_SINCE,
    created_at: WATCHED_SINCE,
    updated_at: WATCHED_SINCE,
    source_id: String(jobid),
    command: "select 1",
    active: true,
    run_as: "postgres",
    database_name: "postgres",
    source_meta: {},
    first_seen_at: WATCHED_SINCE,
    expected_since: WATCHED_SINCE,
    removed_at: null,
    grace_seconds: null,
    max_runtime_seconds: null,
    failure_threshold: 1,
    muted_until: null,
    slow_factor: null,
    slow_after_seconds: null,
    status: "success",
    status_since: WATCHED_SINCE,
    status_reason: "last run succeeded at 2026-11-30T09:55:00Z",
    last_error: null,
    last_run_at: at("2026-11-30T09:55:00Z"),
    last_run_status: "succeeded",
    recent_runs: [],
    durations: {},
    consecutive_failures: 0,
    down_since: null,
    alerted_status: null,
    alerted_at: null,
    ...extra,
  };
}

let nextRunid = 100;
function run(jobid: number, status: string, start: string, message: string | null = null): CronRun {
  const startTime = at(start);
  return { runid: nextRunid++, jobid, job_pid: null, database: "postgres", username: "postgres", status, return_message: message, start_time: startTime, end_time: new Date(startTime.getTime() + 1000) };
}

/** What a reachable project showed: its jobs, its runs since the last check, its scheduler. */
function reachable(jobs: readonly JobRow[], runs: CronRun[], scheduler: SchedulerState = RUNNING): Collection {
  return {
    ok: true,
    data: {
      project,
      inventory: {
        pgCronVersion: "1.6",
        timezone: "GMT",
        role: "postgres",
        seesAllJobs: true,
        jobs: jobs.map((j) => ({ jobid: Number(j.source_id), jobname: j.job_name, schedule: j.schedule ?? "", command: j.command ?? "", active: j.active !== false, username: "postgres", database: "postgres" })),
        warnings: [],
        scheduler,
      },
      runs,
      reread: [],
      cursor: nextRunid,
      truncated: false,
      net: null,
      callingRuns: [],
      functions: { functions: null, logs: null, note: null },
      warnings: [],
    },
  };
}

/** The project's state after earlier checks (a run cursor: not its first check). */
function checkedBefore(extra: Partial<ProjectStateRow> = {}): ProjectStateRow {
  return {
    project_name: project.name,
    project_ref: null,
    source: "postgres",
    status: "ok",
    status_since: WATCHED_SINCE,
    status_reason: "pg_cron is running",
    last_error: null,
    down_since: null,
    alerted_status: null,
    alerted_at: null,
    pg_cron_version: "1.6",
    cron_timezone: "GMT",
    role_name: "postgres",
    sees_all_jobs: true,
    last_discovered_at: WATCHED_SINCE,
    last_checked_at: at("2026-11-30T09:45:00Z"),
    run_cursor: 50,
    open_runs: {},
    net_cursor: null,
    net_cursor_created: null,
    net_calls: null,
    logs_cursor: null,
    muted_until: null,
    updated_at: WATCHED_SINCE,
    ...extra,
  };
}

interface Scenario {
  jobs: JobRow[];
  collection?: Collection;
  runs?: CronRun[];
  scheduler?: SchedulerState;
  /** undefined: the project's first check. */
  previous?: ProjectStateRow;
  now?: Date;
  typesAtSource?: JobType[];
}

function plan(s: Scenario): CheckPlan {
  let ids = 0;
  const input: ProjectCheckInput = {
    collection: s.collection ?? reachable(s.jobs, s.runs ?? [], s.scheduler),
    previous: s.previous,
    inventory: { jobs: s.jobs, typesAtSource: new Set(s.typesAtSource ?? ["pg_cron"]) },
  };
  return planCheck({ config, check: { id: "check-1", startedAt: NOW, dryRun: false }, now: s.now ?? NOW, projects: [input], newId: () => `event-${++ids}` });
}

const stateOf = (p: CheckPlan, row: JobRow): JobStateUpdate | undefined => p.jobStates.find((u) => u.id === row.id);
const entryOf = (p: CheckPlan, row: JobRow) => p.report.jobs.find((e) => e.id === row.id);
/** The row as the hub holds it once the plan is recorded. */
const recorded = (row: JobRow, p: CheckPlan): JobRow => ({ ...row, ...stateOf(p, row) });

describe("planCheck: scheduler_down holds back missed", () => {
  // Both jobs last ran at 08:00: at 10:00 they are long overdue.
  const stale = { last_run_at: at("2026-11-30T08:00:00Z"), status_reason: "last run succeeded at 2026-11-30T08:00:00Z" };

  it("announces missed jobs while pg_cron runs", () => {
    const a = job("a", 1, stale);
    const p = plan({ jobs: [a], previous: checkedBefore() });
    assert.equal(p.report.projects[0]?.status, "ok");
    assert.equal(stateOf(p, a)?.status, "missed");
    assert.deepEqual(p.report.events.map((e) => [e.kind, e.to]), [["job", "missed"]]);
  });

  it("keeps each job's state and alerts on the project alone when the launcher is down", () => {
    const a = job("a", 1, stale);
    const b = job("b", 2, { ...stale, status: "new", status_reason: null, status_since: null });
    const p = plan({ jobs: [a, b], previous: checkedBefore(), scheduler: { ...RUNNING, launcherRunning: false } });
    assert.equal(p.report.projects[0]?.status, "scheduler_down");
    assert.deepEqual(p.report.events.map((e) => [e.kind, e.to]), [["project", "scheduler_down"]]);
    assert.deepEqual(p.events.map((e) => [e.kind, e.to_status]), [["project", "scheduler_down"]]);
    assert.equal(stateOf(p, a)?.status, "success", "a job keeps its state");
    assert.equal(stateOf(p, b)?.status, "unknown", "a job never judged becomes unknown, not missed");
    for (const entry of p.report.jobs) assert.match(entry.reason, /^held back: alpha's scheduler is down \(expected at/);
  });

  it("holds back when no job ran although several are overdue (launcher not visible)", () => {
    const jobs = [job("a", 1, stale), job("b", 2, stale)];
    const p = plan({ jobs, previous: checkedBefore(), scheduler: { ...RUNNING, launcherRunning: null } });
    assert.equal(p.report.projects[0]?.status, "scheduler_down");
    assert.deepEqual(p.report.events.map((e) => e.kind), ["project"]);
    for (const row of jobs) assert.equal(stateOf(p, row)?.status, "success");
  });
});

describe("planCheck: muting", () => {
  const failedRun = () => run(1, "failed", "2026-11-30T09:55:00Z", "ERROR:  boom");

  it("records a muted job's state and its event, marked muted (never sent)", () => {
    const a = job("a", 1, { muted_until: at("2026-12-01T00:00:00Z") });
    const p = plan({ jobs: [a], runs: [failedRun()], previous: checkedBefore() });
    const state = stateOf(p, a);
    assert.equal(state?.status, "failed");
    assert.equal(state?.alerted_status, "failed", "the change counts as announced: no alert when the mute ends");
    assert.deepEqual(p.events.map((e) => [e.kind, e.to_status, e.muted]), [["job", "failed", true]]);
    assert.equal(p.report.events[0]?.muted, true);
    assert.equal(entryOf(p, a)?.muted, true);
    assert.equal(p.healthLog.filter((l) => l.run_id === null)[0]?.status, "failed");
  });

  it("mutes every job of a muted project, and its own events", () => {
    const a = job("a", 1);
    const p = plan({
      jobs: [a],
      collection: { ok: false, project, error: "connection refused" },
      previous: checkedBefore({ muted_until: at("2026-12-01T00:00:00Z") }),
    });
    assert.deepEqual(p.events.map((e) => [e.kind, e.to_status, e.muted]), [["project", "unreachable", true]]);
    assert.equal(entryOf(p, a)?.muted, true);
    const b = job("b", 2);
    const q = plan({ jobs: [b], runs: [run(2, "failed", "2026-11-30T09:55:00Z")], previous: checkedBefore({ muted_until: at("2026-12-01T00:00:00Z") }) });
    assert.deepEqual(q.events.map((e) => [e.kind, e.muted]), [["job", true]]);
  });

  it("does not mute once the mute has ended", () => {
    const a = job("a", 1, { muted_until: at("2026-11-30T09:00:00Z") });
    const p = plan({ jobs: [a], runs: [failedRun()], previous: checkedBefore() });
    assert.deepEqual(p.events.map((e) => e.muted), [false]);
  });
});

describe("planCheck: the failure threshold", () => {
  it("records a failure below the threshold without alerting", () => {
    const a = job("a", 1, { failure_threshold: 3 });
    const p = plan({ jobs: [a], runs: [run(1, "failed", "2026-11-30T09:55:00Z")], previous: checkedBefore() });
    const state = stateOf(p, a);
    assert.equal(state?.status, "failed");
    assert.equal(state?.consecutive_failures, 1);
    assert.equal(state?.alerted_status, null);
    assert.deepEqual(p.events, []);
  });

  it("alerts once the consecutive failures reach the threshold", () => {
    const a = job("a", 1, { failure_threshold: 3, status: "failed", consecutive_failures: 2, last_run_status: "failed" });
    const p = plan({ jobs: [a], runs: [run(1, "failed", "2026-11-30T09:55:00Z")], previous: checkedBefore() });
    assert.equal(stateOf(p, a)?.consecutive_failures, 3);
    assert.deepEqual(p.report.events.map((e) => [e.type, e.from, e.to]), [["down", null, "failed"]]);
  });

  it("counts failures across checks, and a success resets the count", () => {
    const start = job("a", 1, { failure_threshold: 2 });
    const first = plan({ jobs: [start], runs: [run(1, "failed", "2026-11-30T09:50:00Z")], previous: checkedBefore() });
    assert.deepEqual(first.events, []);
    const second = plan({ jobs: [recorded(start, first)], runs: [run(1, "failed", "2026-11-30T09:55:00Z")], previous: checkedBefore() });
    assert.deepEqual(second.report.events.map((e) => e.to), ["failed"]);
    const healed = plan({ jobs: [recorded(start, first)], runs: [run(1, "succeeded", "2026-11-30T09:55:00Z")], previous: checkedBefore() });
    assert.equal(stateOf(healed, start)?.consecutive_failures, 0);
    assert.deepEqual(healed.events, [], "nothing was announced, so nothing recovers");
  });
});

describe("planCheck: unchanged rows are not rewritten", () => {
  it("marks a job whose state did not change as seen, and writes nothing else for it", () => {
    const a = job("a", 1);
    const p = plan({ jobs: [a], previous: checkedBefore(), now: at("2026-11-30T09:59:00Z") });
    assert.deepEqual(p.jobStates, []);
    assert.deepEqual(p.lastSeenOnly, [a.id]);
    assert.equal(p.healthLog.length, 1, "the per-check health-log row is still written");
    assert.equal(entryOf(p, a)?.status, "success");
  });

  it("settles: a recorded plan, checked again with nothing new, writes no state", () => {
    const a = job("a", 1);
    const first = plan({ jobs: [a], runs: [run(1, "succeeded", "2026-11-30T09:55:00Z")], previous: checkedBefore() });
    assert.equal(first.jobStates.length, 1, "a new run changes the row");
    // The hub keeps a run's start, not its end: the next check words the reason from that.
    const second = plan({ jobs: [recorded(a, first)], previous: checkedBefore(), now: at("2026-11-30T09:58:00Z") });
    const third = plan({ jobs: [recorded(recorded(a, first), second)], previous: checkedBefore(), now: at("2026-11-30T09:59:00Z") });
    assert.deepEqual(third.jobStates, []);
    assert.deepEqual(third.lastSeenOnly, [a.id]);
  });

  it("leaves last_seen_at alone for a job type not read at its source", () => {
    const a = job("a", 1);
    const p = plan({ jobs: [a], previous: checkedBefore(), now: at("2026-11-30T09:59:00Z"), typesAtSource: [] });
    assert.deepEqual(p.jobStates, []);
    assert.deepEqual(p.lastSeenOnly, []);
    const failed = plan({ jobs: [a], runs: [run(1, "failed", "2026-11-30T09:55:00Z")], previous: checkedBefore(), typesAtSource: [] });
    assert.equal(stateOf(failed, a)?.last_seen_at, WATCHED_SINCE);
  });

  it("rewrites a row whose state changed, with the new last_seen_at", () => {
    const a = job("a", 1);
    const p = plan({ jobs: [a], runs: [run(1, "failed", "2026-11-30T09:55:00Z")], previous: checkedBefore() });
    assert.equal(stateOf(p, a)?.last_seen_at, NOW);
    assert.deepEqual(p.lastSeenOnly, []);
  });

  it("leaves an unreachable project's jobs untouched", () => {
    const a = job("a", 1, { status: "failed", last_error: "ERROR:  boom" });
    const p = plan({ jobs: [a], collection: { ok: false, project, error: "connection refused" }, previous: checkedBefore(), typesAtSource: [] });
    assert.deepEqual([p.jobStates, p.lastSeenOnly, p.healthLog], [[], [], []]);
    assert.deepEqual(entryOf(p, a), {
      id: a.id, project_name: "alpha", job_type: "pg_cron", job_name: "a", status: "failed", previous_status: "failed",
      reason: "not checked: alpha is unreachable", error_message: "ERROR:  boom", last_run_at: "2026-11-30T09:55:00.000Z", criticality: null, muted: false,
    });
    assert.equal(p.projectStates[0]?.run_cursor, undefined, "the cursors stay where they were");
  });
});

describe("planCheck: the first check", () => {
  const fresh = (name: string, jobid: number) => job(name, jobid, { status: "new", status_since: null, status_reason: null, last_run_at: null, last_run_status: null, first_seen_at: at("2026-11-30T09:58:00Z"), expected_since: at("2026-11-30T09:58:00Z") });

  it("says nothing of a new job found healthy, nor of a project found ok", () => {
    const a = fresh("a", 1);
    const p = plan({ jobs: [a], runs: [run(1, "succeeded", "2026-11-30T09:55:00Z")] });
    assert.equal(stateOf(p, a)?.status, "success");
    assert.equal(p.report.projects[0]?.previous_status, null);
    assert.deepEqual(p.events, []);
  });

  it("announces a new job found failing, from no earlier status", () => {
    const a = fresh("a", 1);
    const p = plan({ jobs: [a], runs: [run(1, "failed", "2026-11-30T09:55:00Z", "ERROR:  boom")] });
    assert.deepEqual(p.report.events.map((e) => [e.kind, e.type, e.from, e.to]), [["job", "down", null, "failed"]]);
    assert.equal((p.events[0]?.payload as { fromStatus: unknown }).fromStatus, null);
  });

  it("announces a project unreachable at its first check", () => {
    const p = plan({ jobs: [], collection: { ok: false, project, error: "connection refused" } });
    assert.deepEqual(p.report.events.map((e) => [e.kind, e.from, e.to]), [["project", null, "unreachable"]]);
    assert.equal(p.projectStates[0]?.status_since, NOW);
  });

  it("does not call the scheduler down from missing runs before a previous check", () => {
    const stale = { last_run_at: at("2026-11-30T08:00:00Z"), status_reason: "last run succeeded at 2026-11-30T08:00:00Z" };
    const jobs = [job("a", 1, stale), job("b", 2, stale)];
    const invisible = { ...RUNNING, launcherRunning: null };
    const first = plan({ jobs, scheduler: invisible });
    assert.equal(first.report.projects[0]?.status, "ok");
    assert.deepEqual(first.report.events.map((e) => e.to), ["missed", "missed"]);
    const later = plan({ jobs, scheduler: invisible, previous: checkedBefore() });
    assert.equal(later.report.projects[0]?.status, "scheduler_down");
  });

  it("records when an open run was first read, and keeps it at later checks", () => {
    const a = fresh("a", 1);
    const open = { ...run(1, "running", "2026-11-30T09:59:00Z"), end_time: null };
    const first = plan({ jobs: [a], runs: [open] });
    assert.deepEqual(first.projectStates[0]?.open_runs, { [String(open.runid)]: NOW.toISOString() });
    const later = at("2026-11-30T10:05:00Z");
    const collection = reachable([a], []);
    if (collection.ok) collection.data.reread = [open];
    const second = plan({ jobs: [a], collection, previous: checkedBefore({ open_runs: { [String(open.runid)]: NOW.toISOString() } }), now: later });
    assert.deepEqual(second.projectStates[0]?.open_runs, { [String(open.runid)]: NOW.toISOString() });
  });
});

describe("planCheck: run durations and slow", () => {
  /** A run of `jobid` that started at `start` and took `ms`. */
  function timed(jobid: number, status: string, start: string, ms: number): CronRun {
    const r = run(jobid, status, start);
    return { ...r, end_time: new Date((r.start_time as Date).getTime() + ms) };
  }
  const usual = { runs: { count: 30, recent: Array.from({ length: 30 }, () => 20_000), p50: 20_000, p95: 20_000, max: 20_000 } };

  it("appends the successful runs' durations to the job's window; failed runs never enter", () => {
    const a = job("a", 1);
    const p = plan({ jobs: [a], previous: checkedBefore(), runs: [timed(1, "succeeded", "2026-11-30T09:50:00Z", 2_000), timed(1, "failed", "2026-11-30T09:55:00Z", 9_000)] });
    assert.deepEqual(stateOf(p, a)?.durations.runs?.recent, [2_000]);
    assert.equal(stateOf(p, a)?.durations.runs?.count, 1);
    const again = plan({ jobs: [recorded(a, p)], previous: checkedBefore(), runs: [timed(1, "succeeded", "2026-11-30T09:58:00Z", 4_000)] });
    assert.deepEqual(stateOf(again, recorded(a, p))?.durations.runs?.recent, [2_000, 4_000]);
    assert.equal(stateOf(again, recorded(a, p))?.durations.runs?.p95, 4_000);
  });

  it("turns a job slow with an alert, keeps the slow run's reason, and recovers on a normal run", () => {
    const a = job("a", 1, { durations: usual });
    const slow = plan({ jobs: [a], previous: checkedBefore(), runs: [timed(1, "succeeded", "2026-11-30T09:55:00Z", 90_000)] });
    assert.equal(stateOf(slow, a)?.status, "slow");
    assert.match(stateOf(slow, a)?.status_reason ?? "", /^run \d+ took 1m 30s; usual p95 20s over 30 runs; slow above 1m 20s$/);
    assert.equal(stateOf(slow, a)?.durations.slow, stateOf(slow, a)?.status_reason);
    assert.deepEqual(slow.report.events.map((e) => [e.type, e.to]), [["down", "slow"]]);
    // A check with nothing new keeps it slow, and says nothing more.
    const quiet = plan({ jobs: [recorded(a, slow)], previous: checkedBefore(), now: at("2026-11-30T10:01:00Z") });
    assert.equal(quiet.jobStates.length, 0);
    assert.deepEqual(quiet.report.events, []);
    const back = plan({ jobs: [recorded(a, slow)], previous: checkedBefore(), runs: [timed(1, "succeeded", "2026-11-30T10:00:00Z", 21_000)], now: at("2026-11-30T10:02:00Z") });
    assert.equal(stateOf(back, a)?.status, "success");
    assert.equal(stateOf(back, a)?.durations.slow, undefined);
    assert.deepEqual(back.report.events.map((e) => [e.type, e.from, e.to]), [["recovery", "slow", "success"]]);
  });
});
