import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultGraceSeconds, evaluateJob, evaluateProject, type JobFacts, type RunFact } from "../../src/health/evaluate.js";

const at = (iso: string) => new Date(iso);
const project = { pgCronVersion: "1.6", timezone: "GMT" };

function run(runid: number, status: string, start: string | null, extra: Partial<RunFact> = {}): RunFact {
  const startTime = start ? at(start) : null;
  return { runid, status, startTime, endTime: startTime && status !== "running" ? new Date(startTime.getTime() + 1000) : null, message: null, seenAt: startTime ?? at("2026-11-30T00:00:00Z"), ...extra };
}

function job(facts: Partial<JobFacts>): JobFacts {
  return { schedule: "0 * * * *", active: true, expectedSince: at("2026-11-01T00:00:00Z"), graceSeconds: null, maxRuntimeSeconds: null, lastFinishedRun: null, runs: [], ...facts };
}

describe("evaluateJob", () => {
  it("is success when the latest run succeeded and the next one is not yet due", () => {
    const v = evaluateJob(job({ runs: [run(1, "succeeded", "2026-11-30T10:00:00Z")] }), project, at("2026-11-30T10:30:00Z"));
    assert.equal(v.status, "success");
    assert.match(v.reason, /last run succeeded at 2026-11-30T10:00:01Z/);
  });

  it("reports a failure that recovered before the check", () => {
    const runs = [
      run(1, "failed", "2026-11-30T10:00:00Z", { message: "ERROR:  division by zero" }),
      run(2, "succeeded", "2026-11-30T10:05:00Z"),
    ];
    const v = evaluateJob(job({ schedule: "*/5 * * * *", runs }), project, at("2026-11-30T10:06:00Z"));
    assert.equal(v.status, "failed");
    assert.equal(v.failedRuns.length, 1);
    assert.equal(v.errorMessage, "ERROR:  division by zero");
    assert.match(v.reason, /1 of 2 runs since the last check failed.*division by zero; the latest run succeeded/);
    assert.equal(v.trailingFailures, 0);
  });

  it("counts consecutive failed runs across checks for the failure threshold", () => {
    const runs = [run(3, "failed", "2026-11-30T10:00:00Z"), run(4, "failed", "2026-11-30T10:05:00Z")];
    const v = evaluateJob(job({ schedule: "*/5 * * * *", runs }), project, at("2026-11-30T10:06:00Z"), 1);
    assert.equal(v.trailingFailures, 3);
  });

  it("is missed when the next fire after the latest run plus grace has passed (hourly: 90 minutes)", () => {
    const facts = job({ lastFinishedRun: run(1, "succeeded", "2026-11-30T10:00:00Z") });
    assert.equal(evaluateJob(facts, project, at("2026-11-30T11:29:59Z")).status, "success");
    const v = evaluateJob(facts, project, at("2026-11-30T11:30:01Z"));
    assert.equal(v.status, "missed");
    assert.equal(v.expectedAt?.toISOString(), "2026-11-30T11:00:00.000Z");
    assert.match(v.reason, /expected at 2026-11-30T11:00:00Z .* plus 30m grace; last run started 2026-11-30T10:00:00Z/);
  });

  it("judges a 1.6 schedule with a step larger than the range as 1.6.0 to 1.6.4 run it, and says so", () => {
    // `*/100 * * * *` runs at minute 0 of every hour on pg_cron 1.6.4 (1.6.5+ refuse to store it).
    const facts = job({ schedule: "*/100 * * * *", lastFinishedRun: run(1, "succeeded", "2026-11-30T10:00:00Z") });
    const ok = evaluateJob(facts, project, at("2026-11-30T10:30:00Z"));
    assert.equal(ok.status, "success");
    assert.match(ok.reason, /^last run succeeded at 2026-11-30T10:00:01Z \(minute field: step 100 .*1\.6\.0 to 1\.6\.4 accept it and match 0 only.*1\.6\.5 and later reject it\)$/);
    const late = evaluateJob(facts, project, at("2026-11-30T11:31:00Z"));
    assert.equal(late.status, "missed");
    assert.equal(late.expectedAt?.toISOString(), "2026-11-30T11:00:00.000Z");
  });

  it("honours a per-job grace override", () => {
    const facts = job({ graceSeconds: 5 * 60, lastFinishedRun: run(1, "succeeded", "2026-11-30T10:00:00Z") });
    assert.equal(evaluateJob(facts, project, at("2026-11-30T11:06:00Z")).status, "missed");
  });

  it("counts from when jobmon started watching for a job that never ran", () => {
    const facts = job({ expectedSince: at("2026-11-30T10:10:00Z") });
    assert.equal(evaluateJob(facts, project, at("2026-11-30T11:20:00Z")).status, "unknown");
    const v = evaluateJob(facts, project, at("2026-11-30T11:31:00Z"));
    assert.equal(v.status, "missed");
    assert.match(v.reason, /no run since jobmon started watching at 2026-11-30T10:10:00Z/);
  });

  it("judges a job first seen now by its last run in history, unless its schedule changed since", () => {
    const dead = job({ expectedSince: at("2026-11-30T10:00:00Z"), historyCounts: true, lastFinishedRun: run(1, "succeeded", "2026-11-30T06:00:00Z") });
    const v = evaluateJob(dead, project, at("2026-11-30T10:00:00Z"));
    assert.equal(v.status, "missed");
    assert.match(v.reason, /expected at 2026-11-30T07:00:00Z/);
    const changed = { ...dead, historyCounts: false };
    assert.equal(evaluateJob(changed, project, at("2026-11-30T10:00:00Z")).status, "success");
  });

  it("is not missed while a run is in progress (pg_cron queues the next one behind it)", () => {
    const facts = job({
      maxRuntimeSeconds: 6 * 3600,
      lastFinishedRun: run(1, "succeeded", "2026-11-30T08:00:00Z"),
      runs: [run(2, "running", "2026-11-30T09:00:00Z")],
    });
    const v = evaluateJob(facts, project, at("2026-11-30T12:00:00Z"));
    assert.equal(v.status, "success");
    assert.equal(v.openRuns.length, 1);
  });

  it("is stuck when a run outlasts its max runtime (default 30 minutes)", () => {
    const facts = job({ runs: [run(2, "running", "2026-11-30T09:00:00Z")] });
    assert.equal(evaluateJob(facts, project, at("2026-11-30T09:29:00Z")).status, "success");
    const v = evaluateJob(facts, project, at("2026-11-30T09:31:00Z"));
    assert.equal(v.status, "stuck");
    assert.match(v.reason, /run 2 has been running for 31m \(max runtime 30m\)/);
  });

  it("counts a row a restart left in 'connecting' (no start_time) as stuck, aged from when jobmon first saw it", () => {
    const left = run(7, "connecting", null, { seenAt: at("2026-11-30T08:00:00Z") });
    const v = evaluateJob(job({ runs: [left], maxRuntimeSeconds: 600 }), project, at("2026-11-30T08:11:00Z"));
    assert.equal(v.status, "stuck");
  });

  it("says paused for an inactive job", () => {
    assert.equal(evaluateJob(job({ active: false }), project, at("2026-11-30T10:00:00Z")).status, "paused");
  });

  it("says unknown with 'never fires' for schedules that cannot fire", () => {
    for (const [schedule, version] of [["0 0 31 2 *", "1.6"], ["@yearly", "1.6"], ["0 0 * * 5-1", "1.4"]] as const) {
      const v = evaluateJob(job({ schedule }), { pgCronVersion: version, timezone: "GMT" }, at("2026-11-30T10:00:00Z"));
      assert.equal(v.status, "unknown", schedule);
      assert.match(v.reason, /never fires/, schedule);
    }
  });

  it("never expects an @reboot job", () => {
    const v = evaluateJob(job({ schedule: "@reboot", expectedSince: at("2020-01-01T00:00:00Z") }), project, at("2026-11-30T10:00:00Z"));
    assert.equal(v.status, "unknown");
    assert.match(v.reason, /@reboot/);
  });

  it("judges interval schedules by their period", () => {
    const facts = job({ schedule: "30 seconds", lastFinishedRun: run(1, "succeeded", "2026-11-30T10:00:00Z") });
    assert.equal(evaluateJob(facts, project, at("2026-11-30T10:01:00Z")).status, "success");
    assert.equal(evaluateJob(facts, project, at("2026-11-30T10:01:31Z")).status, "missed");
  });

  it("stays failed while the last run failed and nothing ran since", () => {
    const facts = job({ schedule: "0 3 * * *", lastFinishedRun: run(1, "failed", "2026-11-30T03:00:00Z", { message: "ERROR:  boom" }) });
    const v = evaluateJob(facts, project, at("2026-11-30T03:30:00Z"));
    assert.equal(v.status, "failed");
    assert.equal(v.failedRuns.length, 0, "an old failure is not logged again");
  });

  it("evaluates pg_cron 1.4 in GMT whatever cron.timezone says", () => {
    const facts = job({ schedule: "0 9 * * *", lastFinishedRun: run(1, "succeeded", "2026-11-29T09:00:00Z") });
    const v = evaluateJob(facts, { pgCronVersion: "1.4-1", timezone: "America/New_York" }, at("2026-11-30T10:01:00Z"));
    assert.equal(v.status, "missed");
    assert.equal(v.expectedAt?.toISOString(), "2026-11-30T09:00:00.000Z");
  });

  it("does not crash on an unknown cron.timezone: it says so", () => {
    const v = evaluateJob(job({}), { pgCronVersion: "1.6", timezone: "Mars/Olympus_Mons" }, at("2026-11-30T10:00:00Z"));
    assert.equal(v.status, "unknown");
    assert.match(v.reason, /Mars\/Olympus_Mons/);
  });

  it("cannot judge runs when cron.log_run is off", () => {
    const v = evaluateJob(job({}), { ...project, logRunOff: true }, at("2026-11-30T10:00:00Z"));
    assert.equal(v.status, "unknown");
    assert.match(v.reason, /cron.log_run is off/);
  });
});

describe("defaultGraceSeconds", () => {
  it("is half the period, at least one minute, at most one hour", () => {
    assert.equal(defaultGraceSeconds(3600), 1800);
    assert.equal(defaultGraceSeconds(30), 60);
    assert.equal(defaultGraceSeconds(86400), 3600);
  });
});

describe("evaluateProject", () => {
  const base = { launcherRunning: true, launchActiveJobs: true, pgCronInstalled: true, activeJobs: 5, missedJobs: 0, newRuns: 10, hasPreviousCheck: true };
  it("is ok when the launcher runs and jobs run", () => assert.equal(evaluateProject(base).status, "ok"));
  it("is scheduler_down without a launcher", () => assert.equal(evaluateProject({ ...base, launcherRunning: false }).status, "scheduler_down"));

  it("judges from the runs when the role cannot see the launcher (launcherRunning null), and says so", () => {
    const unseen = { ...base, launcherRunning: null, launchActiveJobs: null };
    assert.deepEqual(evaluateProject(unseen), { status: "ok", reason: "pg_cron is running: jobs ran since the last check (the launcher is not visible to this role)" });
    assert.equal(evaluateProject({ ...unseen, newRuns: 0, missedJobs: 1 }).status, "scheduler_down");
    assert.match(evaluateProject({ ...unseen, newRuns: 0, missedJobs: 1 }).reason, /1 is overdue \(the launcher is not visible to this role\)/);
    assert.equal(evaluateProject({ ...unseen, newRuns: 0, missedJobs: 0 }).status, "ok");
    assert.equal(evaluateProject({ ...unseen, newRuns: 0, missedJobs: 1, hasPreviousCheck: false }).status, "ok", "a first check has no 'since'");
  });
  it("is scheduler_down when cron.launch_active_jobs is off", () => assert.equal(evaluateProject({ ...base, launchActiveJobs: false }).status, "scheduler_down"));
  it("is scheduler_down when nothing ran although several jobs are overdue", () => {
    assert.equal(evaluateProject({ ...base, missedJobs: 3, newRuns: 0 }).status, "scheduler_down");
    assert.equal(evaluateProject({ ...base, missedJobs: 3, newRuns: 0, hasPreviousCheck: false }).status, "ok");
  });
});
