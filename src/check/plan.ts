import type { JobAlert, ProjectAlert } from "../alerts/types.js";
import type { Config, ProjectConfig } from "../config.js";
import { durationsAfter, type JobDurations, jobDurations, successfulRunMs } from "../health/durations.js";
import { effectiveTimezone, type RunFact, type Verdict } from "../health/evaluate.js";
import { describeSchedule, parsePgCronVersion, parseSchedule } from "../health/schedule/index.js";
import { type StoredState, type Transition, type TransitionEvent, transition } from "../health/transitions.js";
import type { AlertEventInsert, HealthLogEntry, JobStateUpdate, ProjectStateUpdate } from "../hub/check-results.js";
import type { JobRow, RecentRun } from "../hub/inventory.js";
import type { ProjectStateRow } from "../hub/projects.js";
import { redactSecrets } from "../lib/redact.js";
import { isOpenRun } from "../sources/pgcron.js";
import type { JobStatus, JobType, ProjectStatus } from "../types.js";
import { type Collected, type Collection, collectionProject } from "./collect.js";
import { judgeProject, type ProjectJudgement } from "./judge.js";
import { type CheckReport, isMuted, jobEntry, type JobHealth } from "./report.js";
import type { ProjectInventory } from "./sync.js";

/**
 * The pure core of a check: from what was collected and what the hub holds, to the verdicts,
 * the state changes, the alert events and every hub write to make. No I/O and no clock: the
 * instant of the check (`now`) and the ids of its events (`newId`) are inputs.
 */

/** One project's part of a check's input. */
export interface ProjectCheckInput {
  collection: Collection;
  /** The project's state as the previous check (or discovery, or a mute) left it; undefined: none. */
  previous: ProjectStateRow | undefined;
  /** Its jobs after this check's inventory sync. */
  inventory: ProjectInventory;
}

export interface CheckPlanInput {
  config: Config;
  check: { id: string; startedAt: Date; dryRun: boolean };
  /** When the projects had been read: every verdict and state change is judged at this instant. */
  now: Date;
  projects: readonly ProjectCheckInput[];
  /** Ids of the alert events (crypto.randomUUID in a check; tests count). */
  newId: () => string;
}

/** Everything a check records, in one hub transaction (check/record.ts), and its report. */
export interface CheckPlan {
  report: CheckReport;
  projectStates: ProjectStateUpdate[];
  /** Jobs whose state changed (unchanged rows are not rewritten). */
  jobStates: JobStateUpdate[];
  /** Jobs seen at their source whose state did not change: only their last_seen_at moves. */
  lastSeenOnly: string[];
  healthLog: HealthLogEntry[];
  events: AlertEventInsert[];
}

/** How many finished runs a job row keeps for the dashboard's strip. */
const RECENT_RUNS = 30;

/**
 * The check's verdicts, state changes, alert events and hub writes, project by project in
 * the order given. Deterministic: the same input gives the same plan (ids come from `newId`).
 */
export function planCheck(input: CheckPlanInput): CheckPlan {
  const { check, now } = input;
  const plan: CheckPlan = {
    report: { check_id: check.id, started_at: check.startedAt.toISOString(), finished_at: now.toISOString(), dry_run: check.dryRun, projects: [], jobs: [], events: [] },
    projectStates: [],
    jobStates: [],
    lastSeenOnly: [],
    healthLog: [],
    events: [],
  };
  for (const project of input.projects) planProject(input, project, plan);
  return plan;
}

/** What every job of one project shares in the plan. */
interface ProjectContext {
  config: Config;
  now: Date;
  project: ProjectConfig;
  projectMuted: boolean;
  newId: () => string;
  /** Schedules in words, as the project's pg_cron reads them (for alerts). */
  describeSchedule: (schedule: string | null) => string | null;
  typesAtSource: ReadonlySet<JobType>;
}

function planProject(input: CheckPlanInput, { collection, previous, inventory }: ProjectCheckInput, plan: CheckPlan): void {
  const { config, now } = input;
  const project = collectionProject(collection);
  if (!collection.ok && collection.skipped?.status === null) {
    // On its way back up (Supabase says so): nothing read, nothing judged, nothing written.
    plan.report.projects.push({ project_name: project.name, status: previous?.status ?? "unknown", previous_status: previous?.status ?? null, reason: collection.error, warnings: [] });
    return;
  }
  const projectMuted = isMuted(previous?.muted_until ?? null, now);
  const judged = judgeProject(config, collection, previous, inventory.jobs, now);
  const collected = collection.ok ? collection.data : null;
  const error = collection.ok ? null : collection.error;

  const t = transition({ state: storedProjectState(previous), status: judged.status, now });
  if (t.event) {
    const alert = projectAlert(input.newId(), project, t.event, judged, error);
    plan.events.push({ id: alert.eventId, kind: "project", project_name: project.name, job_inventory_id: null, criticality: "critical", from_status: t.event.from, to_status: judged.status, muted: projectMuted, payload: alert });
    plan.report.events.push({ kind: "project", project_name: project.name, job_name: null, type: t.event.type, from: t.event.from, to: judged.status, muted: projectMuted });
  }
  plan.projectStates.push({
    project_name: project.name,
    project_ref: project.ref,
    source: project.source,
    status: judged.status,
    status_since: t.next.statusSince ?? now,
    status_reason: judged.reason,
    last_error: error,
    down_since: t.next.downSince,
    alerted_status: t.next.alertedStatus,
    alerted_at: t.next.alertedAt,
    ...(collected ? collectorPositions(collected, previous, judged, now) : {}),
  });
  plan.report.projects.push({
    project_name: project.name,
    status: judged.status,
    previous_status: previous?.status ?? null,
    reason: judged.reason,
    ...(error ? { error } : {}),
    warnings: judged.warnings.map((w) => redactSecrets(w, config.secrets)),
  });

  const ctx: ProjectContext = {
    config,
    now,
    project,
    projectMuted,
    newId: input.newId,
    describeSchedule: scheduleDescriber(collected?.inventory.pgCronVersion ?? previous?.pg_cron_version ?? null, collected?.inventory.timezone ?? previous?.cron_timezone ?? "GMT"),
    typesAtSource: inventory.typesAtSource,
  };
  for (const job of inventory.jobs) {
    planJob(job, judged.verdicts.get(job.id), { runs: judged.runsByJob.get(job.id) ?? [], netMs: judged.netDurations?.get(job.id) ?? [] }, ctx, plan);
  }
}

/** A project with no stored state is taken as `ok` with nothing announced. */
function storedProjectState(previous: ProjectStateRow | undefined): StoredState<ProjectStatus> {
  if (!previous) return { status: "ok", statusSince: null, downSince: null, alertedStatus: null, alertedAt: null };
  return { status: previous.status, statusSince: previous.status_since, downSince: previous.down_since, alertedStatus: previous.alerted_status, alertedAt: previous.alerted_at };
}

function storedJobState(job: JobRow): StoredState<JobStatus> {
  return { status: job.status, statusSince: job.status_since, downSince: job.down_since, alertedStatus: job.alerted_status, alertedAt: job.alerted_at };
}

/** A reachable project's new collector positions and discovered facts. */
function collectorPositions(collected: Collected, previous: ProjectStateRow | undefined, judged: ProjectJudgement, now: Date): Partial<ProjectStateUpdate> {
  return {
    run_cursor: collected.cursor,
    open_runs: openRunsAfter(collected, previous, now),
    net_cursor: collected.net?.available ? collected.net.cursor : undefined,
    net_calls: judged.netCalls,
    logs_cursor: collected.functions.logs ? collected.functions.logs.end : undefined,
    discovery: {
      pgCronVersion: collected.inventory.pgCronVersion,
      timezone: collected.inventory.timezone,
      role: collected.inventory.role,
      seesAllJobs: collected.inventory.seesAllJobs,
    },
  };
}

/** Runs still open after this check: runid → when a check first read it (kept from before, or now). */
function openRunsAfter(collected: Collected, previous: ProjectStateRow | undefined, now: Date): Record<string, string> {
  const openRunsFirstSeen = previous?.open_runs;
  const openRuns: Record<string, string> = {};
  for (const run of [...collected.runs, ...collected.reread]) {
    if (isOpenRun(run.status)) openRuns[String(run.runid)] = openRunsFirstSeen?.[String(run.runid)] ?? now.toISOString();
  }
  return openRuns;
}

function projectAlert(eventId: string, project: ProjectConfig, event: TransitionEvent<ProjectStatus>, judged: ProjectJudgement, error: string | null): ProjectAlert {
  return {
    kind: "project",
    eventId,
    projectName: project.name,
    projectRef: project.ref,
    fromStatus: event.from,
    toStatus: judged.status,
    since: event.since.toISOString(),
    downSeconds: event.type === "down" ? null : event.downSeconds,
    reason: judged.reason,
    errorMessage: error,
  };
}

/** Schedules in words, as the project's pg_cron reads them (for alerts). */
function scheduleDescriber(version: string | null, timezone: string): (schedule: string | null) => string | null {
  const v = parsePgCronVersion(version);
  return (schedule) => {
    if (!schedule) return null;
    const parsed = parseSchedule(schedule, v);
    return parsed.ok ? describeSchedule(parsed.schedule, effectiveTimezone(v, timezone)) : null;
  };
}

/**
 * One job's verdict → its report row, its new state (when it changed), its health-log rows
 * and, on a transition, its alert event. No verdict (an unreachable project): nothing is
 * known, the stored state stands and only the report says so.
 */
function planJob(job: JobRow, verdict: Verdict | undefined, read: { runs: readonly RunFact[]; netMs: readonly number[] }, ctx: ProjectContext, plan: CheckPlan): void {
  const { now } = ctx;
  const muted = ctx.projectMuted || isMuted(job.muted_until, now);
  if (!verdict) {
    const stored: JobHealth = { status: job.status, reason: `not checked: ${ctx.project.name} is unreachable`, errorMessage: job.last_error, lastRunAt: job.last_run_at };
    plan.report.jobs.push(jobEntry(job, stored, muted));
    return;
  }
  const { status, reason } = verdict;
  const t = transition({
    state: storedJobState(job),
    status,
    now,
    trailingFailures: verdict.trailingFailures,
    failureThreshold: job.failure_threshold,
    reminderSeconds: ctx.config.reminders[job.criticality ?? "important"] ?? null,
  });
  const seenAtSource = ctx.typesAtSource.has(job.job_type);
  const finishedNow = read.runs.filter((r) => !isOpenRun(r.status));
  const update = jobStateUpdate(job, verdict, finishedNow, read.netMs, t, seenAtSource ? now : job.last_seen_at);
  // Many jobs are unchanged between two checks: rewriting their rows (recent runs included)
  // is most of a large hub's write time.
  if (!unchanged(job, update)) plan.jobStates.push(update);
  else if (seenAtSource) plan.lastSeenOnly.push(job.id);

  const errorMessage = status === "success" ? null : verdict.errorMessage;
  for (const run of verdict.failedRuns) {
    plan.healthLog.push({ job_inventory_id: job.id, status: "failed", error_message: run.message, run_at: run.startTime, reason: `run ${run.runid} failed`, run_id: run.runid });
  }
  plan.healthLog.push({
    job_inventory_id: job.id,
    status,
    error_message: errorMessage,
    run_at: verdict.runAt,
    reason,
    run_id: null,
    runs_total: finishedNow.length,
    runs_failed: finishedNow.filter((r) => r.status === "failed").length,
  });
  plan.report.jobs.push(jobEntry(job, { status, reason, errorMessage, lastRunAt: update.last_run_at }, muted));

  if (!t.event) return;
  const alert = jobAlert(ctx.newId(), job, verdict, t.event, errorMessage, ctx);
  plan.events.push({ id: alert.eventId, kind: "job", project_name: job.project_name, job_inventory_id: job.id, criticality: alert.criticality, from_status: t.event.from, to_status: status, muted, payload: alert });
  plan.report.events.push({ kind: "job", project_name: job.project_name, job_name: job.job_name, type: t.event.type, from: t.event.from, to: status, muted });
}

/** The job's row after this check. */
function jobStateUpdate(job: JobRow, verdict: Verdict, finishedNow: readonly RunFact[], netMs: readonly number[], t: Transition<JobStatus>, lastSeenAt: Date | null): JobStateUpdate {
  const lastRun = verdict.lastFinishedRun;
  return {
    id: job.id,
    status: verdict.status,
    status_since: t.next.statusSince,
    status_reason: verdict.reason,
    // The last error is an error: a successful run's message ("1 row") never is.
    last_error: verdict.errorMessage ?? (lastRun?.status === "failed" ? lastRun.message : null),
    last_run_at: lastRun?.startTime ?? lastRun?.endTime ?? job.last_run_at,
    last_run_status: lastRun?.status ?? job.last_run_status,
    consecutive_failures: verdict.trailingFailures,
    down_since: t.next.downSince,
    alerted_status: t.next.alertedStatus,
    alerted_at: t.next.alertedAt,
    recent_runs: recentRunsAfter(job.recent_runs, finishedNow),
    durations: durationsUpdate(job, verdict, finishedNow, netMs),
    last_seen_at: lastSeenAt,
  };
}

/**
 * A cron job's kept durations after this check: its successful runs' (failed runs never
 * enter), its pg_net calls', and whether its latest finished run was slow. Function rows
 * keep none: their invocations carry no duration.
 */
function durationsUpdate(job: JobRow, verdict: Verdict, finishedNow: readonly RunFact[], netMs: readonly number[]): JobDurations {
  if (job.job_type !== "pg_cron") return job.durations ?? {};
  const runMs = finishedNow.map(successfulRunMs).filter((ms): ms is number => ms !== null);
  return durationsAfter(jobDurations(job.durations), runMs, netMs, verdict.latestSlow ?? null);
}

/** The row's recent runs with this check's finished ones appended (a re-read run replaces its old entry). */
function recentRunsAfter(before: readonly RecentRun[], finishedNow: readonly RunFact[]): RecentRun[] {
  const newest = finishedNow.slice(-RECENT_RUNS);
  const fresh = new Set(newest.map((r) => r.runid));
  return [
    ...(before ?? []).filter((r) => !fresh.has(r.runid)),
    ...newest.map((r) => ({ runid: r.runid, status: r.status, start: r.startTime?.toISOString() ?? null, end: r.endTime?.toISOString() ?? null })),
  ].slice(-RECENT_RUNS);
}

function jobAlert(eventId: string, job: JobRow, verdict: Verdict, event: TransitionEvent<JobStatus>, errorMessage: string | null, ctx: ProjectContext): JobAlert {
  return {
    kind: "job",
    eventId,
    projectName: job.project_name,
    projectRef: ctx.project.ref,
    jobId: job.id,
    jobName: job.job_name,
    jobType: job.job_type,
    sourceId: job.source_id,
    fromStatus: event.from,
    toStatus: verdict.status,
    since: event.since.toISOString(),
    downSeconds: event.type === "down" ? null : event.downSeconds,
    criticality: job.criticality ?? "important",
    schedule: job.schedule,
    scheduleDescription: ctx.describeSchedule(job.schedule),
    reason: verdict.reason,
    errorMessage,
    reminder: event.type === "reminder",
  };
}

const sameInstant = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : a.getTime() === b.getTime());

/** Whether the update would leave the row as it is (last_seen_at aside). */
function unchanged(job: JobRow, u: JobStateUpdate): boolean {
  return (
    job.status === u.status &&
    job.status_reason === u.status_reason &&
    job.last_error === u.last_error &&
    job.last_run_status === u.last_run_status &&
    job.consecutive_failures === u.consecutive_failures &&
    job.alerted_status === u.alerted_status &&
    sameInstant(job.status_since, u.status_since) &&
    sameInstant(job.last_run_at, u.last_run_at) &&
    sameInstant(job.down_since, u.down_since) &&
    sameInstant(job.alerted_at, u.alerted_at) &&
    job.recent_runs.length === u.recent_runs.length &&
    job.recent_runs.at(-1)?.runid === u.recent_runs.at(-1)?.runid &&
    job.durations?.runs?.count === u.durations.runs?.count &&
    job.durations?.net?.count === u.durations.net?.count &&
    job.durations?.slow === u.durations.slow
  );
}
