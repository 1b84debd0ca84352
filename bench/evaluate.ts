/**
 * Worker side of section 3: the pure verdict step — evaluateJob for every job, then
 * transition — for 10,000 jobs with the runs of one 15-minute check, in CPU milliseconds.
 * Runs in a fresh child process, so the first (cold) round includes JIT warm-up and the
 * schedule parse cache filling, as the first check after an Edge cold start does.
 *
 * Every job keeps a full window of run durations (DURATION_WINDOW values): the step includes
 * the `slow` rule and the plan's update of the window (durationsAfter). The same inputs are
 * also judged without durations, so the result says what keeping them costs.
 *
 * Alone, without a cluster: `node --import tsx bench/evaluate.ts [jobs]` prints the result.
 */
import { pathToFileURL } from "node:url";
import { addDurations, DURATION_WINDOW, type DurationWindow, durationsAfter, successfulRunMs } from "../src/health/durations.js";
import { effectiveTimezone, evaluateJob, type JobFacts, type ProjectFacts, type RunFact } from "../src/health/evaluate.js";
import { parsePgCronVersion, parseSchedule, previousFireTime } from "../src/health/schedule/index.js";
import { type StoredState, transition } from "../src/health/transitions.js";
import { median } from "./measure.js";

export interface EvaluateTask {
  kind: "evaluate";
  jobs: number;
  warmups: number;
  reps: number;
}

export interface EvaluateResult {
  jobs: number;
  runs: number;
  projects: number;
  cold: { cpuMs: number; wallMs: number };
  warm: { cpuMs: number[]; wallMs: number[] };
  medianCpuMs: number;
  statuses: Record<string, number>;
  events: number;
  /** What keeping run durations adds: the same step with them and without them, and the hub's bound. */
  durations: {
    /** Durations kept per job and kind in job_inventory.durations: the window, whatever the job's age. */
    window: number;
    /** The largest job_inventory.durations value of the run, in bytes of JSON. */
    maxBytesPerJob: number;
    withoutMedianCpuMs: number;
    withMedianCpuMs: number;
  };
}

interface Input {
  /** With the `slow` rule's inputs (a full window of durations). */
  facts: JobFacts;
  /** The same job without durations. */
  plain: JobFacts;
  project: ProjectFacts;
  previousTrailing: number;
  state: StoredState;
}

const NOW = new Date("2026-11-30T09:50:00Z");
const CHECK_MINUTES = 15;

/** pg_cron versions and cron.timezone of the monitored projects: zone math is part of the cost. */
const PROJECTS: ProjectFacts[] = [
  { pgCronVersion: "1.4-1", timezone: "GMT" },
  { pgCronVersion: "1.6", timezone: "GMT" },
  { pgCronVersion: "1.6", timezone: "Europe/Berlin" },
  { pgCronVersion: "1.6", timezone: "America/New_York" },
  { pgCronVersion: "1.5", timezone: "Asia/Kolkata" },
];

/** Schedule shapes with their period in minutes; `{m}`/`{h}` get a per-job offset, as real schedules spread. */
const SHAPES: { text: string; minutes: number }[] = [
  { text: "* * * * *", minutes: 1 },
  { text: "*/5 * * * *", minutes: 5 },
  { text: "*/10 * * * *", minutes: 10 },
  { text: "*/15 * * * *", minutes: 15 },
  { text: "{m} * * * *", minutes: 60 },
  { text: "{m} * * * *", minutes: 60 },
  { text: "{m} */2 * * *", minutes: 120 },
  { text: "{m} 9-17 * * 1-5", minutes: 60 },
  { text: "{m} {h} * * *", minutes: 1440 },
  { text: "{m} {h} * * 0", minutes: 10080 },
  { text: "{m} {h} 1 * *", minutes: 43200 },
  { text: "0 0 $ * *", minutes: 43200 },
  { text: "30 seconds", minutes: 0.5 },
];

const minutes = (n: number) => n * 60_000;

function run(runid: number, status: string, start: Date, seconds = 2): RunFact {
  const open = ["starting", "connecting", "sending", "running"].includes(status);
  return {
    runid,
    status,
    startTime: start,
    endTime: open ? null : new Date(start.getTime() + seconds * 1000),
    message: status === "failed" ? 'ERROR:  duplicate key value violates unique constraint "leads_pkey"\nDETAIL:  Key (id)=(42) already exists.' : status === "succeeded" ? "INSERT 0 12" : null,
    seenAt: NOW,
  };
}

/** When a schedule fired in (from, to], newest last (at most `limit`): where its runs sit. */
function firesBetween(schedule: string, project: ProjectFacts, from: Date, to: Date, limit: number): Date[] {
  const version = parsePgCronVersion(project.pgCronVersion);
  const parsed = parseSchedule(schedule, version);
  if (!parsed.ok) return [];
  if (parsed.schedule.kind === "interval") {
    const step = parsed.schedule.seconds * 1000;
    const fires: Date[] = [];
    for (let t = to.getTime() - (to.getTime() % step); t > from.getTime() && fires.length < limit; t -= step) fires.unshift(new Date(t));
    return fires;
  }
  const fires: Date[] = [];
  let at: Date | null = to;
  while (fires.length < limit) {
    at = previousFireTime(parsed.schedule, at, effectiveTimezone(version, project.timezone));
    if (!at || at.getTime() <= from.getTime()) break;
    fires.unshift(at);
    at = new Date(at.getTime() - 60_000);
  }
  return fires;
}

/** A full window of durations around `seconds` (deterministic spread of ±50 %), counted over `count` runs. */
function durationHistory(seed: number, seconds: number, count: number): DurationWindow {
  const values = Array.from({ length: DURATION_WINDOW }, (_, k) => Math.round(seconds * 1000 * (0.5 + (((seed + k) * 2654435761) % 1000) / 1000)));
  // Through JSON, as the hub's jsonb column gives it back.
  return JSON.parse(JSON.stringify({ ...(addDurations(undefined, values) as DurationWindow), count })) as DurationWindow;
}

/**
 * Deterministic inputs. Each job's runs sit on its schedule's real fire times: the fires of
 * the last 15 minutes are this check's runs, the fire before them is the latest run the hub
 * knows. About 4 % of jobs are failing, 3 % stopped running a few periods ago (missed), 2 %
 * are paused, 1 % have a run going, 0.5 % a run going for 45 minutes (stuck), 1 % ran for
 * ten minutes when they usually take two seconds (slow).
 */
export function buildInputs(count: number): { inputs: Input[]; runs: number } {
  const inputs: Input[] = [];
  let runid = 1_000_000;
  let runs = 0;
  const windowStart = new Date(NOW.getTime() - minutes(CHECK_MINUTES));
  for (let i = 0; i < count; i++) {
    const project = PROJECTS[i % PROJECTS.length] as ProjectFacts;
    let shape = SHAPES[(i * 7) % SHAPES.length] as (typeof SHAPES)[number];
    // Seconds intervals arrived in pg_cron 1.5, `$` (last day of the month) in 1.6.
    if (shape.text === "30 seconds" && project.pgCronVersion === "1.4-1") shape = SHAPES[0] as (typeof SHAPES)[number];
    if (shape.text.includes("$") && project.pgCronVersion !== "1.6") shape = SHAPES[8] as (typeof SHAPES)[number];
    const schedule = shape.text.replace("{m}", String((i * 13) % 60)).replace("{h}", String((i * 5) % 24));
    const roll = (i * 2654435761) % 1000;
    const silent = roll >= 900 && roll < 930;
    // 4 % of the jobs are failing (half their runs fail; half of those were failing already).
    const failing = roll < 40;
    const slow = roll >= 970 && roll < 980;
    const jobRuns: RunFact[] = [];
    let before: Date;
    if (silent) {
      const last = firesBetween(schedule, project, new Date(NOW.getTime() - minutes(Math.max(shape.minutes, 1) * 4 + 120)), NOW, 4);
      before = last[0] ?? new Date(NOW.getTime() - minutes(shape.minutes * 3 + 90));
    } else {
      for (const fire of firesBetween(schedule, project, windowStart, NOW, 30)) {
        const failed = failing && (runid * 2654435761) % 1000 < 500;
        jobRuns.push(run(runid++, failed ? "failed" : "succeeded", new Date(fire.getTime() + 1000), slow ? 600 : 2));
      }
      before = firesBetween(schedule, project, new Date(windowStart.getTime() - minutes(45 * 24 * 60)), windowStart, 1)[0] ?? new Date("2026-10-01T00:00:00Z");
    }
    if (roll >= 930 && roll < 940) jobRuns.push(run(runid++, "running", new Date(NOW.getTime() - minutes(1))));
    if (roll >= 940 && roll < 945) jobRuns.push(run(runid++, "running", new Date(NOW.getTime() - minutes(45))));
    runs += jobRuns.length;
    const plain: JobFacts = {
      schedule,
      active: !(roll >= 950 && roll < 970),
      expectedSince: new Date("2026-10-01T00:00:00Z"),
      graceSeconds: null,
      maxRuntimeSeconds: null,
      lastFinishedRun: run(runid++, failing && roll < 20 ? "failed" : "succeeded", new Date(before.getTime() + 1000)),
      runs: jobRuns,
    };
    inputs.push({
      plain,
      facts: { ...plain, durations: { runs: durationHistory(i, 2, 5_000), settings: { slowFactor: null, slowAfterSeconds: null }, previouslySlow: null } },
      project,
      previousTrailing: failing && roll < 20 ? 2 : 0,
      state: failing && roll < 20
        ? { status: "failed", statusSince: new Date("2026-11-30T08:00:00Z"), downSince: new Date("2026-11-30T08:00:00Z"), alertedStatus: "failed", alertedAt: new Date("2026-11-30T08:00:00Z") }
        : { status: "success", statusSince: new Date("2026-11-29T00:00:00Z"), downSince: null, alertedStatus: null, alertedAt: null },
    });
  }
  return { inputs, runs };
}

/**
 * Every job's verdict and transition; with durations, also the window the plan would write
 * (durationsAfter: this check's successful runs appended). Returns the events, and the largest
 * durations value in JSON bytes when `measure` is set.
 */
function evaluateAll(inputs: readonly Input[], withDurations: boolean, statuses?: Record<string, number>, measure?: { maxBytes: number }): number {
  let events = 0;
  for (const input of inputs) {
    const facts = withDurations ? input.facts : input.plain;
    const verdict = evaluateJob(facts, input.project, NOW, input.previousTrailing);
    if (withDurations && facts.durations) {
      const runMs = facts.runs.map(successfulRunMs).filter((ms): ms is number => ms !== null);
      const kept = durationsAfter({ runs: facts.durations.runs }, runMs, [], verdict.latestSlow ?? null);
      if (measure) measure.maxBytes = Math.max(measure.maxBytes, JSON.stringify(kept).length);
    }
    const t = transition({
      state: input.state,
      status: verdict.status,
      now: NOW,
      trailingFailures: verdict.trailingFailures,
      failureThreshold: 1,
      reminderSeconds: 3600,
    });
    if (t.event) events++;
    if (statuses) statuses[verdict.status] = (statuses[verdict.status] ?? 0) + 1;
  }
  return events;
}

function cpuOf(fn: () => void): { cpuMs: number; wallMs: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs };
}

export function runEvaluate(task: EvaluateTask): EvaluateResult {
  const { inputs, runs } = buildInputs(task.jobs);
  let events = 0;
  const cold = cpuOf(() => {
    events = evaluateAll(inputs, true);
  });
  for (let i = 0; i < task.warmups; i++) {
    evaluateAll(inputs, true);
    evaluateAll(inputs, false);
  }
  const warm = { cpuMs: [] as number[], wallMs: [] as number[] };
  const without: number[] = [];
  // Interleaved, so that both see the same machine.
  for (let i = 0; i < task.reps; i++) {
    const m = cpuOf(() => evaluateAll(inputs, true));
    warm.cpuMs.push(m.cpuMs);
    warm.wallMs.push(m.wallMs);
    without.push(cpuOf(() => evaluateAll(inputs, false)).cpuMs);
  }
  const statuses: Record<string, number> = {};
  const measure = { maxBytes: 0 };
  evaluateAll(inputs, true, statuses, measure);
  return {
    jobs: task.jobs,
    runs,
    projects: PROJECTS.length,
    cold,
    warm,
    medianCpuMs: median(warm.cpuMs),
    statuses,
    events,
    durations: { window: DURATION_WINDOW, maxBytesPerJob: measure.maxBytes, withoutMedianCpuMs: median(without), withMedianCpuMs: median(warm.cpuMs) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const jobs = Number(process.argv[2] ?? 10_000);
  const { warm: _warm, ...result } = runEvaluate({ kind: "evaluate", jobs, warmups: 5, reps: 15 });
  console.log(JSON.stringify(result, null, 2));
}
