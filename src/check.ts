import { raceAbort } from "./lib/http.js";
import { cachedRedactor, redactSecrets } from "./lib/redact.js";
import type { JobAlert, ProjectAlert } from "./alerts/types.js";
import type { Config, ProjectConfig } from "./config.js";
import type { Db, Queryable } from "./db/types.js";
import { cronInventoryToJobs } from "./discovery.js";
import { cronJobNames } from "./sources/pgcron.js";
import { errorMessage } from "./errors.js";
import { evaluateJob, evaluateProject, effectiveTimezone, type RunFact, type Verdict } from "./health/evaluate.js";
import { describeSchedule, parsePgCronVersion, parseSchedule } from "./health/schedule/index.js";
import { transition, type StoredState } from "./health/transitions.js";
import {
  type AlertEventInsert,
  finishCheckRun,
  type HealthLogEntry,
  insertAlertEvents,
  insertHealthLog,
  type JobStateUpdate,
  markJobsSeen,
  type ProjectStateUpdate,
  pruneHistory,
  writeJobStates,
  writeProjectStates,
} from "./hub/check-results.js";
import { type DiscoveredJob, inventoryUnchanged, type JobRow, listJobs, syncInventory } from "./hub/inventory.js";
import { acquireCheckLease, describeLease, holdsCheckLease, type LeaseHolder, type LeaseProcess, releaseCheckLease } from "./hub/lock.js";
import { listProjectStates, type ProjectStateRow } from "./hub/projects.js";
import { applyFunctionOutcomes, collectFunctions, evaluateFunctions, functionInventory, type FunctionsCollected, managementApi } from "./edge-functions.js";
import { connectProject, type ProjectConnector, withProject } from "./sources/connect.js";
import { MANAGEMENT_API_DEFAULTS, type ManagementApi } from "./sources/management-api.js";
import type { PgNetRead } from "./sources/pgnet.js";
import { type CronInventory, type CronRun, isOpenRun } from "./sources/pgcron.js";
import { readProject } from "./sources/project.js";
import { type NetCallsState, netCallsState } from "./health/net-calls.js";
import type { Criticality, JobStatus, JobType, ProjectStatus } from "./types.js";

/** The `check --json` report. */
export interface CheckReport {
  check_id: string;
  started_at: string;
  finished_at: string;
  dry_run: boolean;
  /** Set when another check held the lease: this one did nothing. */
  skipped?: string;
  /** Set when this check took over the lease of a check that was gone or past its time. */
  lease_takeover?: string;
  projects: { project_name: string; status: ProjectStatus; previous_status: ProjectStatus | null; reason: string; error?: string; warnings: string[] }[];
  jobs: CheckJobEntry[];
  events: { kind: "job" | "project"; project_name: string; job_name: string | null; type: string; from: string | null; to: string; muted: boolean }[];
}

export interface CheckJobEntry {
  id: string;
  project_name: string;
  job_type: string;
  job_name: string;
  status: string;
  previous_status: string;
  reason: string;
  error_message: string | null;
  last_run_at: string | null;
  criticality: Criticality | null;
  muted: boolean;
}

export interface CheckOptions {
  now?: () => Date;
  connect?: ProjectConnector;
  dryRun?: boolean;
  /** Longest a check may hold the lease before another may take over (default: checkLeaseSeconds). */
  leaseSeconds?: number;
  /** The process running the check, stored with the lease (see hub/lock.ts); null: unknown. */
  leaseProcess?: LeaseProcess | null;
  /**
   * Aborted (with the signal's name as its reason) when the check must stop: it stops reading
   * the projects, records its run as interrupted, releases the lease and rejects with
   * CheckInterruptedError. Once the check is being recorded, that transaction completes.
   */
  signal?: AbortSignal;
  newId?: () => string;
  /** Management API access (tests inject fetch/sleep); default from the configuration. */
  managementApi?: ManagementApi | null;
}

interface Collected {
  project: ProjectConfig;
  inventory: CronInventory;
  runs: CronRun[];
  reread: CronRun[];
  cursor: number | null;
  truncated: boolean;
  /** pg_net's responses since the net cursor; null when reading them failed (see warnings). */
  net: PgNetRead | null;
  /** On a first read of pg_net: the calling jobs' runs of the window its responses cover. */
  callingRuns: CronRun[];
  functions: FunctionsCollected;
  warnings: string[];
}

type Collection = { ok: true; data: Collected } | { ok: false; project: ProjectConfig; error: string };

/** pg_net's part of a project's read: a failure or a forbidden table is a warning, never an unreachable project. */
function netOutcome(read: PgNetRead | Error): { read: PgNetRead | null; warnings: string[] } {
  if (read instanceof Error) return { read: null, warnings: [`pg_net responses not read: ${errorMessage(read)}`] };
  if (read.available) return { read, warnings: read.warnings };
  return { read, warnings: read.kind === "forbidden" ? [read.reason] : [] };
}

/** One project's collection: inventory, scheduler state and the runs since the cursor. */
async function collectProject(
  project: ProjectConfig,
  state: ProjectStateRow | undefined,
  config: Config,
  api: ManagementApi | null,
  now: Date,
  connect?: ProjectConnector,
): Promise<Collection> {
  // The Management API is read beside the database, outside its timeout.
  const functionsRead = collectFunctions(config, project, api, { cursor: state?.logs_cursor ?? null, now });
  try {
    const data = await withProject(
      project,
      config.projectTimeoutMs,
      async (db: Db): Promise<Omit<Collected, "functions">> => {
        const netCursor = state?.net_cursor_created ? { created: state.net_cursor_created, id: state.net_cursor ?? 0 } : null;
        const read = await readProject(db, {
          window: { cursor: state?.run_cursor ?? null, openRunIds: Object.keys(state?.open_runs ?? {}).map(Number) },
          netCursor,
          expect: { pgCron: Boolean(state?.pg_cron_version), pgNet: Boolean(state?.net_cursor_created) },
        });
        const net = netOutcome(read.net);
        const { inventory } = read;
        if (read.runs === null) {
          return { project, inventory, runs: [], reread: [], callingRuns: [], cursor: null, truncated: false, net: net.read, warnings: net.warnings };
        }
        if (read.runs instanceof Error) throw read.runs;
        // Without the calling runs a first read of pg_net cannot tell whose responses it read:
        // leave them for the next check.
        if (read.callingRuns instanceof Error) {
          const warning = `pg_net responses not read: the runs of the jobs that call it could not be read (${errorMessage(read.callingRuns)})`;
          return { project, inventory, ...read.runs, callingRuns: [], net: null, warnings: [...net.warnings, warning] };
        }
        return { project, inventory, ...read.runs, callingRuns: read.callingRuns, net: net.read, warnings: net.warnings };
      },
      connect,
    );
    return { ok: true, data: { ...data, functions: await functionsRead } };
  } catch (error) {
    await functionsRead;
    return { ok: false, project, error: redactSecrets(errorMessage(error), config.secrets) };
  }
}

function storedState(row: { status: string; status_since: Date | null; down_since: Date | null; alerted_status: string | null; alerted_at: Date | null }): StoredState {
  return { status: row.status, statusSince: row.status_since, downSince: row.down_since, alertedStatus: row.alerted_status, alertedAt: row.alerted_at };
}

function toRunFact(run: CronRun, seenAt: Date, redact: (text: string) => string): RunFact {
  return {
    runid: run.runid,
    status: run.status,
    startTime: run.start_time,
    endTime: run.end_time,
    message: run.return_message === null ? null : redact(run.return_message),
    seenAt,
  };
}

function lastFinishedFromRow(job: JobRow): RunFact | null {
  if (!job.last_run_status || !job.last_run_at) return null;
  return { runid: 0, status: job.last_run_status, startTime: job.last_run_at, endTime: null, message: job.last_error, seenAt: job.last_run_at };
}

function isMuted(until: Date | null, now: Date): boolean {
  return until !== null && until.getTime() > now.getTime();
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

/** What a check may spend on the hub besides its projects' reads: its own reads and the one transaction that records it. */
const HUB_SECONDS = 60;
/** Management API calls per project and check: the function list, then one logs window. */
const MANAGEMENT_API_CALLS = 2;

/**
 * The longest a check can hold its lease, in seconds: its projects are read concurrently, each
 * within JOBMON_PROJECT_TIMEOUT, beside the Management API (when a token is set) and its
 * bounded retries; then the hub records it all. A lease older than this has no live check
 * behind it.
 */
export function checkLeaseSeconds(config: Config): number {
  const projects = Math.ceil(config.projectTimeoutMs / 1000);
  const { maxAttempts, timeoutMs, maxWaitMs } = MANAGEMENT_API_DEFAULTS;
  const managementApi = config.managementApi.accessToken ? (MANAGEMENT_API_CALLS * (maxAttempts * timeoutMs + maxWaitMs)) / 1000 : 0;
  return Math.max(projects, managementApi) + HUB_SECONDS;
}

/** A check stopped by a signal (CheckOptions.signal); what it did is in the message. */
export class CheckInterruptedError extends Error {
  constructor(
    message: string,
    /** The abort reason: the signal's name (SIGINT, SIGTERM) when the CLI was signalled. */
    readonly signal: string,
  ) {
    super(message);
    this.name = "CheckInterruptedError";
  }
}

/** The abort reason in words: the signal's name, or "a request to stop". */
export function abortReason(signal: AbortSignal): string {
  return typeof signal.reason === "string" ? signal.reason : "a request to stop";
}

/** The report of a check that did nothing, and why. */
export function skippedReport(checkId: string, startedAt: Date, finishedAt: Date, reason: string): CheckReport {
  return { check_id: checkId, started_at: startedAt.toISOString(), finished_at: finishedAt.toISOString(), dry_run: false, skipped: reason, projects: [], jobs: [], events: [] };
}

const ABORTED = Symbol("aborted");

/** `promise`, or ABORTED as soon as `signal` is aborted (the promise keeps running, unobserved). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return raceAbort(promise, signal).catch((error: unknown) => {
    if (signal.aborted && error === signal.reason) {
      promise.catch(() => undefined);
      return ABORTED;
    }
    throw error;
  });
}

/**
 * The projects' connections, made to fail at once when the check is aborted: each read ends,
 * its connection is closed (withProject) and its deadline cleared, instead of lingering until
 * the project timeout.
 */
function abortableConnector(connect: ProjectConnector, signal: AbortSignal | undefined): ProjectConnector {
  if (!signal) return connect;
  const guard = async <T>(promise: Promise<T>): Promise<T> => {
    const result = await unlessAborted(promise, signal);
    if (result === ABORTED) throw new Error(`interrupted by ${abortReason(signal)}`);
    return result;
  };
  return (project, timeoutMs) => {
    const db = connect(project, timeoutMs);
    return {
      dialect: db.dialect,
      query: (sql, params) => guard(db.query(sql, params)),
      batch: (statements) => guard(db.batch(statements)),
      exec: (sql) => guard(db.exec(sql)),
      transaction: (fn) => guard(db.transaction(fn)),
      close: () => db.close(),
    };
  };
}

/** A check run that ended without being recorded (interrupted, or abandoned by a process that is gone). */
async function recordFailedRun(hub: Queryable, id: string, startedAt: Date, finishedAt: Date, error: string): Promise<void> {
  await hub.query(
    `insert into monitoring.check_run (id, started_at, finished_at, status, error) values ($1, $2, $3, 'failed', $4)
     on conflict (id) do nothing`,
    [id, startedAt, finishedAt, error],
  );
}

function takeoverNote(previous: LeaseHolder, reason: "gone" | "expired"): string {
  const why =
    reason === "gone"
      ? "that process is no longer running"
      : `it expired at ${previous.expires_at?.toISOString() ?? "an unknown time"}, past the longest that check could run`;
  return `took over the check lease of ${describeLease(previous)}: ${why}`;
}

/**
 * One health-check cycle: collect from every project concurrently, evaluate
 * (pure), and record everything — health log, states, cursors, alert events — in one hub
 * transaction. Delivery of the recorded events is a separate step (alerts/deliver.ts).
 */
export async function runCheck(config: Config, hub: Db, options: CheckOptions = {}): Promise<CheckReport> {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? (() => crypto.randomUUID());
  const checkId = newId();
  const startedAt = now();
  const dryRun = options.dryRun ?? false;
  const { signal } = options;
  const interrupted = (during: string) => new CheckInterruptedError(`check interrupted by ${abortReason(signal!)} ${during}`, abortReason(signal!));
  if (signal?.aborted) throw interrupted("before it started: nothing was read or recorded");

  let takenOver: { previous: LeaseHolder; reason: "gone" | "expired" } | null = null;
  if (!dryRun) {
    const lease = await acquireCheckLease(hub, checkId, startedAt, options.leaseSeconds ?? checkLeaseSeconds(config), options.leaseProcess ?? null);
    if (!lease.acquired) {
      const holder = lease.holder ? describeLease(lease.holder) : "it started just now";
      return skippedReport(checkId, startedAt, now(), `another check is running: ${holder}; this one did nothing`);
    }
    takenOver = lease.takenOver;
  }
  try {
    if (takenOver) {
      const { previous, reason } = takenOver;
      await recordFailedRun(hub, previous.holder, previous.acquired_at, startedAt, `abandoned: ${reason === "gone" ? "its process is gone" : "it ran past its lease"}; check ${checkId} took over its lease`);
    }
    const states = new Map((await listProjectStates(hub)).map((s) => [s.project_name, s]));
    const api = options.managementApi === undefined ? managementApi(config) : options.managementApi;
    const connect = abortableConnector(options.connect ?? connectProject, signal);
    // The hub's inventory is read while the projects are: the check holds the lease, and the
    // state it writes later never touches what people edit (annotations, mutes).
    const collected = await unlessAborted(
      Promise.all([
        Promise.all(config.projects.map((p) => collectProject(p, states.get(p.name), config, api, startedAt, connect))),
        listJobs(hub, { includeRemoved: false }),
      ]),
      signal,
    );
    if (collected === ABORTED || signal?.aborted) {
      const error = interrupted("while reading the projects: nothing was recorded, and the next check reads the same runs");
      // Best effort: a hub that fails now must not hide that the check was interrupted.
      if (!dryRun) await recordFailedRun(hub, checkId, startedAt, now(), error.message).catch(() => undefined);
      throw error;
    }
    const [collections, known] = collected;
    const collectedAt = now();
    const report = await recordCheck(config, hub, collections, states, groupBy(known, (job) => job.project_name), { checkId, startedAt, collectedAt, dryRun, newId });
    report.finished_at = now().toISOString();
    if (takenOver) report.lease_takeover = takeoverNote(takenOver.previous, takenOver.reason);
    return report;
  } finally {
    if (!dryRun) await releaseCheckLease(hub, checkId);
  }
}

/** The check ran past its lease and another check took it over: it must not record. */
export class LeaseLostError extends Error {
  constructor(checkId: string) {
    super(`check ${checkId} lost its lease (it ran past the longest a check may take, and another check took over): nothing was recorded`);
    this.name = "LeaseLostError";
  }
}

const RECENT_RUNS = 30;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * scheduler_down holds back the `missed` verdicts it would cause: the project alert explains
 * them, and each job keeps its state until the scheduler runs again.
 */
function holdBackMissed(verdicts: Map<string, Verdict>, jobs: readonly JobRow[], projectName: string): void {
  for (const job of jobs) {
    const verdict = verdicts.get(job.id);
    if (verdict?.status !== "missed") continue;
    const kept = job.status === "new" ? "unknown" : (job.status as JobStatus);
    verdicts.set(job.id, { ...verdict, status: kept, reason: `held back: ${projectName}'s scheduler is down (${verdict.reason})` });
  }
}

interface ProjectJudgement {
  status: ProjectStatus;
  reason: string;
  warnings: string[];
  /** The project's jobs (not removed), after this check's inventory refresh. */
  jobs: JobRow[];
  /** The job types this check saw at their source (their jobs' last_seen_at moves). */
  seen: Set<JobType>;
  /** Verdicts by inventory id; empty for an unreachable project (nothing is known). */
  verdicts: Map<string, Verdict>;
  runsByJob: Map<string, RunFact[]>;
  /** pg_net's state for the next check; undefined: unchanged. */
  netCalls?: NetCallsState;
}

/**
 * One project's part of a check: refresh its inventory (so new jobs are watched without an
 * audit), judge every job and the project itself. Pure evaluation; the hub writes here are
 * the inventory refresh, inside the check's transaction, and only when the source changed.
 */
async function judgeProject(
  tx: Queryable,
  config: Config,
  collection: Collection,
  previous: ProjectStateRow | undefined,
  known: JobRow[],
  now: Date,
): Promise<ProjectJudgement> {
  if (!collection.ok) {
    return { status: "unreachable", reason: `cannot connect: ${collection.error}`, warnings: [], jobs: known, seen: new Set(), verdicts: new Map(), runsByJob: new Map() };
  }
  const data = collection.data;
  const { project, inventory, functions } = data;
  const { scheduler } = inventory;
  const warnings = [...inventory.warnings, ...data.warnings];
  if (functions.note) warnings.push(functions.note);
  const sources: [JobType, DiscoveredJob[]][] = [["pg_cron", cronInventoryToJobs(inventory)]];
  if (functions.functions) sources.push(["edge_function", functionInventory(functions.functions, inventory.jobs, cronJobNames(inventory.jobs), project.ref)]);
  let synced = false;
  for (const [type, discovered] of sources) {
    if (inventoryUnchanged(known.filter((j) => j.job_type === type), discovered)) continue;
    await syncInventory(tx, project.name, type, discovered, now);
    synced = true;
  }
  const jobs = synced ? await listJobs(tx, { project: project.name, includeRemoved: false }) : known;
  const seen = new Set(sources.map(([type]) => type));
  const cronRows = jobs.filter((j) => j.job_type === "pg_cron");
  const { verdicts, runsByJob } = evaluateProjectJobs(config, data, previous, cronRows, now);
  const netCalls = applyFunctionOutcomes(
    verdicts,
    cronRows,
    inventory.jobs,
    { runs: [...data.runs, ...data.reread, ...data.callingRuns], net: data.net, state: previous?.net_cursor_created ? netCallsState(previous.net_calls) : null },
    functions.functions,
    project.ref,
    config.secrets,
  );
  warnings.push(...netCalls.warnings);
  const active = cronRows.filter((j) => j.active);
  const judged = evaluateProject({
    launcherRunning: scheduler.launcherRunning,
    launchActiveJobs: scheduler.launchActiveJobs,
    pgCronInstalled: inventory.pgCronVersion !== null,
    activeJobs: active.length,
    missedJobs: active.filter((j) => verdicts.get(j.id)?.status === "missed").length,
    newRuns: data.runs.length,
    hasPreviousCheck: previous?.run_cursor !== null && previous?.run_cursor !== undefined,
  });
  if (data.truncated) warnings.push("more new runs than one check reads: the rest are read by the next check");
  if (judged.status === "scheduler_down") holdBackMissed(verdicts, cronRows, project.name);
  // Functions last: a function's verdict looks at its callers' (after the hold-back).
  for (const [id, fn] of evaluateFunctions(jobs, verdicts, functions.logs, now, config.secrets)) {
    verdicts.set(id, fn.verdict);
    runsByJob.set(id, fn.runs);
  }
  return { ...judged, warnings, jobs, seen, verdicts, runsByJob, netCalls: netCalls.state };
}

interface JobContext {
  config: Config;
  now: Date;
  project: ProjectConfig;
  projectMuted: boolean;
  newId: () => string;
  description: (schedule: string | null) => string | null;
  /** Job types seen at their source in this check. */
  seen: Set<JobType>;
}

interface CheckWrites {
  log: HealthLogEntry[];
  updates: JobStateUpdate[];
  /** Jobs seen at their source whose state did not change: only last_seen_at moves. */
  seen: string[];
  events: AlertEventInsert[];
  report: CheckReport;
}

/** One job's verdict → its new state, health-log rows, report entry and (maybe) alert event. */
function recordJob(job: JobRow, verdict: Verdict | undefined, runs: readonly RunFact[], ctx: JobContext, out: CheckWrites): void {
  const { config, now, project } = ctx;
  const muted = ctx.projectMuted || isMuted(job.muted_until, now);
  const entry: CheckJobEntry = {
    id: job.id,
    project_name: job.project_name,
    job_type: job.job_type,
    job_name: job.job_name,
    status: job.status,
    previous_status: job.status,
    reason: `not checked: ${project.name} is unreachable`,
    error_message: job.last_error,
    last_run_at: job.last_run_at?.toISOString() ?? null,
    criticality: job.criticality,
    muted,
  };
  out.report.jobs.push(entry);
  // Unreachable project: nothing is known; the stored state stands.
  if (!verdict) return;

  const { status, reason } = verdict;
  const t = transition({
    state: storedState(job),
    status,
    now,
    trailingFailures: verdict.trailingFailures,
    failureThreshold: job.failure_threshold,
    reminderSeconds: config.reminders[job.criticality ?? "important"] ?? null,
  });
  const lastRun = verdict.lastFinishedRun;
  const lastRunAt = lastRun?.startTime ?? lastRun?.endTime ?? job.last_run_at;
  const errorMessage = status === "success" ? null : verdict.errorMessage;
  const finishedNow = runs.filter((r) => !isOpenRun(r.status));
  const newest = finishedNow.slice(-RECENT_RUNS);
  const fresh = new Set(newest.map((r) => r.runid));
  const recentRuns = [
    ...(job.recent_runs ?? []).filter((r) => !fresh.has(r.runid)),
    ...newest.map((r) => ({ runid: r.runid, status: r.status, start: r.startTime?.toISOString() ?? null, end: r.endTime?.toISOString() ?? null })),
  ].slice(-RECENT_RUNS);
  const update: JobStateUpdate = {
    id: job.id,
    status,
    status_since: t.next.statusSince,
    status_reason: reason,
    // The last error is an error: a successful run's message ("1 row") never is.
    last_error: verdict.errorMessage ?? (lastRun?.status === "failed" ? lastRun.message : null),
    last_run_at: lastRunAt,
    last_run_status: lastRun?.status ?? job.last_run_status,
    consecutive_failures: verdict.trailingFailures,
    down_since: t.next.downSince,
    alerted_status: t.next.alertedStatus,
    alerted_at: t.next.alertedAt,
    recent_runs: recentRuns,
    last_seen_at: ctx.seen.has(job.job_type) ? now : job.last_seen_at,
  };
  // Many jobs are unchanged between two checks: rewriting their rows (recent runs included)
  // is most of a large hub's write time.
  if (!unchanged(job, update)) out.updates.push(update);
  else if (ctx.seen.has(job.job_type)) out.seen.push(job.id);
  for (const run of verdict.failedRuns) {
    out.log.push({ job_inventory_id: job.id, status: "failed", error_message: run.message, run_at: run.startTime, reason: `run ${run.runid} failed`, run_id: run.runid });
  }
  out.log.push({
    job_inventory_id: job.id,
    status,
    error_message: errorMessage,
    run_at: verdict.runAt,
    reason,
    run_id: null,
    runs_total: finishedNow.length,
    runs_failed: finishedNow.filter((r) => r.status === "failed").length,
  });
  Object.assign(entry, { status, reason, error_message: errorMessage, last_run_at: lastRunAt?.toISOString() ?? null });

  if (!t.event) return;
  const alert: JobAlert = {
    kind: "job",
    eventId: ctx.newId(),
    projectName: job.project_name,
    projectRef: project.ref,
    jobId: job.id,
    jobName: job.job_name,
    jobType: job.job_type,
    sourceId: job.source_id,
    fromStatus: (t.event.from as JobStatus | null) ?? null,
    toStatus: status,
    since: t.event.since.toISOString(),
    downSeconds: t.event.type === "down" ? null : t.event.downSeconds,
    criticality: job.criticality ?? "important",
    schedule: job.schedule,
    scheduleDescription: ctx.description(job.schedule),
    reason,
    errorMessage,
    reminder: t.event.type === "reminder",
  };
  out.events.push({ id: alert.eventId, kind: "job", project_name: job.project_name, job_inventory_id: job.id, criticality: alert.criticality, from_status: t.event.from, to_status: status, muted, payload: alert });
  out.report.events.push({ kind: "job", project_name: job.project_name, job_name: job.job_name, type: t.event.type, from: t.event.from, to: status, muted });
}

const sameInstant = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : a.getTime() === b.getTime());

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
    job.recent_runs.at(-1)?.runid === u.recent_runs.at(-1)?.runid
  );
}

class DryRunRollback extends Error {
  constructor(readonly report: CheckReport) {
    super("dry run");
  }
}

async function recordCheck(
  config: Config,
  hub: Db,
  collections: Collection[],
  states: Map<string, ProjectStateRow>,
  known: Map<string, JobRow[]>,
  ctx: { checkId: string; startedAt: Date; collectedAt: Date; dryRun: boolean; newId: () => string },
): Promise<CheckReport> {
  const { checkId, collectedAt: now } = ctx;
  const report: CheckReport = {
    check_id: checkId,
    started_at: ctx.startedAt.toISOString(),
    finished_at: now.toISOString(),
    dry_run: ctx.dryRun,
    projects: [],
    jobs: [],
    events: [],
  };
  try {
    await hub.transaction(async (tx) => {
      // The lease row stays locked until this commits: no check takes it over mid-record.
      if (!ctx.dryRun && !(await holdsCheckLease(tx, checkId))) throw new LeaseLostError(checkId);
      const log: HealthLogEntry[] = [];
      const updates: JobStateUpdate[] = [];
      const seen: string[] = [];
      const events: AlertEventInsert[] = [];
      const projectUpdates: ProjectStateUpdate[] = [];

      for (const collection of collections) {
        const project = collection.ok ? collection.data.project : collection.project;
        const previous = states.get(project.name);
        const projectMuted = isMuted(previous?.muted_until ?? null, now);
        const projectState = previous ? storedState(previous) : { status: "ok", statusSince: null, downSince: null, alertedStatus: null, alertedAt: null };

        const judged = await judgeProject(tx, config, collection, previous, known.get(project.name) ?? [], now);
        const { status: projectStatus, reason: projectReason, warnings, jobs, verdicts, runsByJob } = judged;

        // Project-level state change.
        const pt = transition({ state: projectState, status: projectStatus, now });
        const projectError = collection.ok ? null : collection.error;
        if (pt.event) {
          const alert: ProjectAlert = {
            kind: "project",
            eventId: ctx.newId(),
            projectName: project.name,
            projectRef: project.ref,
            fromStatus: (pt.event.from as ProjectStatus | null) ?? null,
            toStatus: projectStatus,
            since: pt.event.since.toISOString(),
            downSeconds: pt.event.type === "down" ? null : pt.event.downSeconds,
            reason: projectReason,
            errorMessage: projectError,
          };
          events.push({ id: alert.eventId, kind: "project", project_name: project.name, job_inventory_id: null, criticality: "critical", from_status: pt.event.from, to_status: projectStatus, muted: projectMuted, payload: alert });
          report.events.push({ kind: "project", project_name: project.name, job_name: null, type: pt.event.type, from: pt.event.from, to: projectStatus, muted: projectMuted });
        }
        const collected = collection.ok ? collection.data : null;
        const openRuns: Record<string, string> = {};
        if (collected) {
          const before = previous?.open_runs as Record<string, string> | undefined;
          for (const run of [...collected.runs, ...collected.reread]) {
            if (isOpenRun(run.status)) openRuns[String(run.runid)] = before?.[String(run.runid)] ?? now.toISOString();
          }
        }
        projectUpdates.push({
          project_name: project.name,
          project_ref: project.ref,
          status: projectStatus,
          status_since: pt.next.statusSince ?? now,
          status_reason: projectReason,
          last_error: projectError,
          down_since: pt.next.downSince,
          alerted_status: pt.next.alertedStatus,
          alerted_at: pt.next.alertedAt,
          ...(collected
            ? {
                run_cursor: collected.cursor,
                open_runs: openRuns,
                net_cursor: collected.net?.available ? collected.net.cursor : undefined,
                net_calls: judged.netCalls,
                logs_cursor: collected.functions.logs ? collected.functions.logs.end : undefined,
                discovery: {
                  pgCronVersion: collected.inventory.pgCronVersion,
                  timezone: collected.inventory.timezone,
                  role: collected.inventory.role,
                  seesAllJobs: collected.inventory.seesAllJobs,
                },
              }
            : {}),
        });
        report.projects.push({
          project_name: project.name,
          status: projectStatus,
          previous_status: (previous?.status as ProjectStatus | undefined) ?? null,
          reason: projectReason,
          ...(projectError ? { error: projectError } : {}),
          warnings: warnings.map((w) => redactSecrets(w, config.secrets)),
        });

        // Per-job verdicts and transitions.
        const description = scheduleDescriber(collected?.inventory.pgCronVersion ?? previous?.pg_cron_version ?? null, collected?.inventory.timezone ?? previous?.cron_timezone ?? "GMT");
        for (const job of jobs) {
          recordJob(job, verdicts.get(job.id), runsByJob.get(job.id) ?? [], { config, now, project, projectMuted, newId: ctx.newId, description, seen: judged.seen }, { log, updates, seen, events, report });
        }
      }

      if (ctx.dryRun) throw new DryRunRollback(report);
      await writeProjectStates(tx, projectUpdates, now);
      await writeJobStates(tx, updates);
      await markJobsSeen(tx, seen, now);
      await insertHealthLog(tx, checkId, log, now);
      await insertAlertEvents(tx, checkId, events, now);
      await pruneHistory(tx, new Date(now.getTime() - config.retentionDays * 86_400_000));
      await finishCheckRun(tx, checkId, now, "completed", { projects: report.projects.length, jobs: report.jobs.length, events: report.events.length }, null);
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.report;
    throw error;
  }
  return report;
}

/** Runs grouped per job, evaluated. On a project's first check only each job's latest
 * finished run (and open runs) count, so long-healed failures from the bootstrap window are
 * not announced as new. */
function evaluateProjectJobs(
  config: Config,
  data: Collected,
  previous: ProjectStateRow | undefined,
  jobs: JobRow[],
  now: Date,
): { verdicts: Map<string, Verdict>; runsByJob: Map<string, RunFact[]> } {
  const byJobid = new Map<number, CronRun[]>();
  const seen = new Map<number, CronRun>();
  for (const run of [...data.runs, ...data.reread]) seen.set(run.runid, run);
  for (const run of [...seen.values()].sort((a, b) => a.runid - b.runid)) {
    const list = byJobid.get(run.jobid) ?? [];
    list.push(run);
    byJobid.set(run.jobid, list);
  }
  const openSeen = (previous?.open_runs ?? {}) as Record<string, string>;
  const redact = cachedRedactor(config.secrets);
  const verdicts = new Map<string, Verdict>();
  const runsByJob = new Map<string, RunFact[]>();
  for (const job of jobs) {
    // (A project's first check: startRunsRead already returned only each job's latest finished
    // run and its open ones.)
    const runs = (byJobid.get(Number(job.source_id)) ?? []).map((r) => {
      const seen = openSeen[String(r.runid)];
      return toRunFact(r, seen ? new Date(seen) : now, redact);
    });
    runsByJob.set(job.id, runs);
    verdicts.set(
      job.id,
      evaluateJob(
        {
          schedule: job.schedule,
          active: job.active !== false,
          expectedSince: job.expected_since ?? job.first_seen_at,
          historyCounts: (job.expected_since ?? job.first_seen_at).getTime() === job.first_seen_at.getTime(),
          graceSeconds: job.grace_seconds,
          maxRuntimeSeconds: job.max_runtime_seconds,
          lastFinishedRun: lastFinishedFromRow(job),
          runs,
        },
        { pgCronVersion: data.inventory.pgCronVersion, timezone: data.inventory.timezone, logRunOff: data.inventory.scheduler.logRun === false },
        now,
        job.consecutive_failures,
      ),
    );
  }
  return { verdicts, runsByJob };
}
