import type { Config, ProjectConfig } from "../config.js";
import type { Db } from "../db/types.js";
import { managementApi } from "../edge-functions.js";
import {
  claimProjects,
  closeExpiredCycles,
  createCycle,
  cycleCounts,
  type CycleProgress,
  type CycleSummary,
  cycleProjectReports,
  getCycle,
  listCycles,
  markProjectsChecked,
  pruneCycles,
  runningCycle,
  setCycleSummary,
} from "../hub/cycles.js";
import { listJobs } from "../hub/inventory.js";
import { acquireCheckLease, describeLease, releaseCheckLease } from "../hub/lock.js";
import { listProjectStates } from "../hub/projects.js";
import {
  archiveCycleMessages,
  archiveMessage,
  ensureCheckQueue,
  queueSupport,
  readMessage,
  sendBatches,
  startWorkers,
  type WorkerCall,
} from "../hub/queue.js";
import { connectBySource, connectProject, type ProjectConnector } from "../sources/connect.js";
import type { ManagementApi } from "../sources/management-api.js";
import { type MonitoredProjects, monitoredProjects, type SkippedProject } from "../sources/project-list.js";
import { apiUsageReport, type CheckReport } from "./report.js";
import { checkLeaseSeconds, collectAll, HUB_SECONDS, recordCollections } from "./run.js";

/**
 * The fanned-out check cycle of the Edge deployment. One invocation has hard limits (CPU,
 * wall clock, memory); past a few hundred projects one check no longer fits in them. Then the
 * scheduled call only plans the cycle: it lists the projects, writes one Supabase Queues
 * (pgmq) message per batch of projects, and starts one worker invocation per batch through
 * pg_net. Each worker reads a message with a visibility timeout, claims the message's
 * projects in the hub, checks them exactly as `jobmon check` does, and records them in one
 * transaction that also marks them checked; the worker that marks the last project completes
 * the cycle and pings the heartbeat. A worker that dies leaves its message to reappear and its
 * claims to expire (both after the same time), and the hub's pg_cron starts another worker for
 * it (monitoring.resume_check_cycles). A project marked checked is never checked again in that
 * cycle; one still unchecked at the cycle's deadline is reported unchecked.
 *
 * The cycle holds the hub's check lease, as a single check does, from planning to its last
 * record: a `jobmon check` started meanwhile is told a check is running.
 */

/**
 * Jobs per worker invocation when JOBMON_FANOUT_BATCH is not set. Measured under Deno
 * (BENCHMARKS.md, "Edge invocations under Deno"): a steady check costs about 14 ms of CPU per
 * project of 50 jobs on top of ~0.2 s, and its process peaks at ~70 MB plus ~0.5–1 MB per
 * project; with dozens of workers sharing the machine, a batch of 20 such projects reached
 * 1 s. 500 jobs (10 projects) keep every worker under half of the CPU and memory limits.
 */
export const BATCH_JOBS = 500;
/** At most this many projects per batch, whatever their size (connections opened at once). */
export const MAX_BATCH_PROJECTS = 100;
/** Jobs assumed for a project the hub knows no jobs of yet. */
const UNKNOWN_PROJECT_JOBS = 50;
/**
 * With JOBMON_FANOUT=auto, a cycle fans out from this many jobs: about where one invocation
 * passes half of its CPU limit (1 s at ~40 projects × 50 jobs in the same measurements).
 */
export const AUTO_FANOUT_JOBS = 2_000;
/** Worker calls started at once by the planning call (the rest start as the hub's pg_cron resumes the cycle). */
const MAX_WORKERS_AT_ONCE = 100;

/** One batch of a cycle, as queued. URL projects are named only: each worker has their URLs in its own environment. */
export interface BatchMessage {
  cycle: string;
  batch: number;
  projects: { name: string; source: "postgres" | "api"; ref: string | null }[];
  skipped: { name: string; source: "postgres" | "api"; ref: string | null; status: SkippedProject["status"]; reason: string }[];
}

/** The batches of a cycle: projects in list order, each batch up to `jobsPerBatch` jobs and `maxProjects` projects. */
export function packBatches<P>(projects: readonly P[], jobsOf: (p: P) => number, jobsPerBatch: number, maxProjects: number): P[][] {
  const batches: P[][] = [];
  let current: P[] = [];
  let jobs = 0;
  for (const project of projects) {
    const n = Math.max(1, jobsOf(project));
    if (current.length > 0 && (current.length >= maxProjects || jobs + n > jobsPerBatch)) {
      batches.push(current);
      current = [];
      jobs = 0;
    }
    current.push(project);
    jobs += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export type CyclePlan =
  /** Check in this invocation (fan-out off, not worth it, or not possible here: `note` says why). */
  | { kind: "single"; note: string | null }
  /** A cycle (or a check) is running: this call did nothing. */
  | { kind: "busy"; reason: string; cycle: CycleProgress | null }
  | { kind: "planned"; cycle: string; projects: number; batches: number; workers: number; closed: ClosedCycle[]; notes: string[] };

export interface ClosedCycle {
  id: string;
  summary: CycleSummary;
}

export interface CycleOptions {
  now?: () => Date;
  newId?: () => string;
  managementApi?: ManagementApi | null;
  connect?: ProjectConnector;
}

/** Why fan-out cannot run in this hub, and what to do; null when it can. */
function fanoutObstacle(support: Awaited<ReturnType<typeof queueSupport>>): string | null {
  if (support.pgmq === null) {
    const how = support.pgmqAvailable
      ? "enable Supabase Queues in the hub project (Dashboard > Integrations > Queues, or `create extension pgmq;` in the SQL editor)"
      : "this database has no pgmq extension: fan-out needs Supabase Queues, which every Supabase project has";
    return `fan-out needs Supabase Queues (pgmq) in the hub: ${how}. This cycle ran in one invocation`;
  }
  if (!support.pgNet) return "fan-out needs pg_net in the hub to start its workers (Database > Extensions > pg_net). This cycle ran in one invocation";
  return null;
}

/**
 * The scheduled call: closes cycles past their deadline, then either plans a fanned-out cycle
 * (queue, claims, worker calls; one transaction) or says to check in this invocation.
 */
export async function planCycle(config: Config, hub: Db, call: WorkerCall, options: CycleOptions = {}): Promise<CyclePlan> {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? (() => crypto.randomUUID());
  if (config.fanout.mode === "off") return { kind: "single", note: null };
  const support = await queueSupport(hub);
  const obstacle = fanoutObstacle(support);
  if (obstacle !== null) {
    if (config.fanout.mode === "on") return { kind: "single", note: obstacle };
    // Automatic: say so only where one invocation is past the size fan-out starts at.
    const [known] = await hub.query<{ jobs: number }>("select count(*)::int as jobs from monitoring.job_inventory where removed_at is null");
    return { kind: "single", note: (known?.jobs ?? 0) > AUTO_FANOUT_JOBS ? `${known!.jobs} jobs are more than one invocation checks well; ${obstacle}` : null };
  }

  const closed = await closeCycles(hub);
  const running = await runningCycle(hub);
  if (running) return { kind: "busy", reason: `cycle ${running.id} is still running: ${running.checked} of ${running.projects} project(s) checked`, cycle: running };

  const stateRows = await listProjectStates(hub);
  const api = options.managementApi === undefined ? managementApi(config) : options.managementApi;
  const usageBefore = api?.usage() ?? null;
  const projects = await monitoredProjects(config, api, stateRows);
  const total = projects.read.length + projects.skipped.length;
  const { batches, jobs } = await batchesOf(hub, config, projects);
  if (config.fanout.mode === "auto" && jobs <= AUTO_FANOUT_JOBS) return { kind: "single", note: null };

  const cycleId = newId();
  const startedAt = now();
  const lease = await acquireCheckLease(hub, cycleId, startedAt, config.fanout.windowSeconds, null);
  if (!lease.acquired) {
    return { kind: "busy", reason: `another check is running: ${lease.holder ? describeLease(lease.holder) : "it started just now"}; this one did nothing`, cycle: null };
  }
  try {
    const messages: BatchMessage[] = batches.map((batch, i) => ({
      cycle: cycleId,
      batch: i + 1,
      projects: batch.filter((p) => !p.skipped).map((p) => ({ name: p.project.name, source: p.project.source, ref: p.project.ref })),
      skipped: batch.flatMap((p) => (p.skipped ? [{ name: p.project.name, source: p.project.source, ref: p.project.ref, status: p.skipped.status, reason: p.skipped.reason }] : [])),
    }));
    const workers = Math.min(messages.length, MAX_WORKERS_AT_ONCE);
    const found = projects.read.filter((p) => p.source === "api" && !stateRows.some((s) => s.project_name === p.name));
    const notes = [...projects.notes, ...found.map((p) => `found project ${p.name} (${p.ref}) through the access token: watched from now on`)];
    if (api && usageBefore) {
      const usage = apiUsageReport(api.usage(), usageBefore);
      if (usage.calls > 0) notes.push(`the project list took ${usage.calls} Management API call(s)`);
    }
    await ensureCheckQueue(hub);
    await hub.transaction(async (tx) => {
      await createCycle(tx, {
        id: cycleId,
        startedAt,
        windowSeconds: config.fanout.windowSeconds,
        projects: messages.flatMap((m) => [...m.projects, ...m.skipped].map((p) => ({ name: p.name, batch: m.batch }))),
        batches: messages.length,
        workers,
        notes,
      });
      await sendBatches(tx, messages);
      await startWorkers(tx, call, workers, { worker: true, cycle: cycleId });
    });
    await pruneCycles(hub, new Date(startedAt.getTime() - config.retentionDays * 86_400_000));
    return { kind: "planned", cycle: cycleId, projects: total, batches: messages.length, workers, closed, notes };
  } catch (error) {
    await releaseCheckLease(hub, cycleId).catch(() => undefined);
    throw error;
  }
}

interface BatchEntry {
  project: ProjectConfig;
  skipped: SkippedProject | null;
}

/** The cycle's batches, and the jobs it is expected to check (those the hub knows, 50 for a project it knows none of). */
async function batchesOf(hub: Db, config: Config, projects: MonitoredProjects): Promise<{ batches: BatchEntry[][]; jobs: number }> {
  const entries: BatchEntry[] = [...projects.read.map((project) => ({ project, skipped: null })), ...projects.skipped.map((s) => ({ project: s.project, skipped: s }))];
  const counts = new Map(
    (await hub.query<{ project_name: string; jobs: number }>("select project_name, count(*)::int as jobs from monitoring.job_inventory where removed_at is null group by project_name")).map((r) => [
      r.project_name,
      r.jobs,
    ]),
  );
  // A skipped project costs nothing to "check": only its state is written.
  const jobsOf = (e: BatchEntry) => (e.skipped ? 1 : (counts.get(e.project.name) ?? UNKNOWN_PROJECT_JOBS));
  const jobs = entries.reduce((n, e) => n + jobsOf(e), 0);
  const size = config.fanout.batchProjects;
  const batches = size !== null ? packBatches(entries, () => 1, size, size) : packBatches(entries, jobsOf, BATCH_JOBS, MAX_BATCH_PROJECTS);
  return { batches, jobs };
}

/** Closes the cycles past their deadline: their queued messages are archived and their lease released. */
export async function closeCycles(hub: Db): Promise<ClosedCycle[]> {
  const closed = await closeExpiredCycles(hub);
  for (const cycle of closed) {
    await archiveCycleMessages(hub, cycle.id).catch(() => 0);
    await releaseCheckLease(hub, cycle.id);
  }
  return closed;
}

export type WorkerOutcome =
  | { kind: "idle" }
  /** The message belonged to a cycle that is over: archived unread. */
  | { kind: "stale"; cycle: string; batch: number }
  | {
      kind: "checked";
      cycle: string;
      batch: number;
      /** How many times the message was read: more than 1 means a worker before this one did not finish it. */
      reads: number;
      /** Projects of the batch this worker checked (those another worker had already checked are left). */
      checked: string[];
      alreadyChecked: string[];
      report: CheckReport;
      /** The alert events this batch recorded (its worker delivers them). */
      eventIds: string[];
      /** Set when this worker's record completed the cycle. */
      completed: boolean;
    };

/**
 * One worker invocation: reads one batch, claims its projects, checks and records them. The
 * caller delivers the alerts of `report.events` and, when `completed`, pings the heartbeat.
 */
export async function runCycleWorker(config: Config, hub: Db, options: CycleOptions & { workerId?: string } = {}): Promise<WorkerOutcome & { closed: ClosedCycle[] }> {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? (() => crypto.randomUUID());
  const workerId = options.workerId ?? newId();
  const closed = await closeCycles(hub);
  // Visible again after the longest a batch may take; a batch of API projects gets longer below.
  const urlSeconds = batchSeconds(config, 0);
  const message = await readMessage<BatchMessage>(hub, urlSeconds);
  if (!message) return { kind: "idle", closed };
  const { cycle: cycleId, batch } = message.message;
  const cycle = await getCycle(hub, cycleId);
  if (!cycle || cycle.status !== "running") {
    await archiveMessage(hub, message.id);
    return { kind: "stale", cycle: cycleId, batch, closed };
  }

  const apiCount = message.message.projects.filter((p) => p.source === "api").length;
  const seconds = apiCount > 0 ? batchSeconds(config, apiCount) : urlSeconds;
  if (seconds > urlSeconds) await hub.query("select pgmq.set_vt('jobmon_check', $1::bigint, $2)", [message.id, seconds]);
  const names = [...message.message.projects, ...message.message.skipped].map((p) => p.name);
  const claimed = new Set(await claimProjects(hub, cycleId, names, workerId, seconds));
  const alreadyChecked = names.filter((n) => !claimed.has(n));
  if (claimed.size === 0) {
    // A worker before this one checked the whole batch and died before archiving its message.
    await archiveMessage(hub, message.id);
    return { kind: "checked", cycle: cycleId, batch, reads: message.reads, checked: [], alreadyChecked, report: { check_id: newId(), started_at: now().toISOString(), finished_at: now().toISOString(), dry_run: false, projects: [], jobs: [], events: [] }, eventIds: [], completed: false, closed };
  }

  const urls = new Map(config.projects.map((p) => [p.name, p]));
  const toRead: ProjectConfig[] = [];
  const skipped: SkippedProject[] = [];
  for (const p of message.message.projects) {
    if (!claimed.has(p.name)) continue;
    if (p.source === "api") toRead.push({ name: p.name, source: "api", url: null, ref: p.ref, envVar: "SUPABASE_ACCESS_TOKEN" });
    else {
      const configured = urls.get(p.name);
      if (configured) toRead.push(configured);
      // The planning call knew a URL this worker's environment does not: say so rather than skip silently.
      else skipped.push({ project: { name: p.name, source: "postgres", url: null, ref: p.ref, envVar: "SUPABASE_POSTGRES_URL" }, status: null, reason: `not checked: this worker's environment has no URL for project ${p.name}` });
    }
  }
  for (const s of message.message.skipped) {
    if (claimed.has(s.name)) skipped.push({ project: { name: s.name, source: s.source, url: null, ref: s.ref, envVar: s.source === "api" ? "SUPABASE_ACCESS_TOKEN" : "SUPABASE_POSTGRES_URL" }, status: s.status, reason: s.reason });
  }

  const checkId = newId();
  const startedAt = now();
  const stateRows = await listProjectStates(hub);
  const states = new Map(stateRows.map((s) => [s.project_name, s]));
  const api = options.managementApi === undefined ? managementApi(config) : options.managementApi;
  const usageBefore = api?.usage() ?? null;
  const connect = connectBySource(options.connect ?? connectProject, api);
  const batchProjects: MonitoredProjects = { read: toRead, skipped, notes: [] };
  const ours = [...toRead, ...skipped.map((s) => s.project)].map((p) => p.name);
  const [collections, known] = await Promise.all([
    collectAll(batchProjects, states, config, api, startedAt, connect),
    ours.length > 0 ? listJobs(hub, { includeRemoved: false, projects: ours }) : Promise.resolve([]),
  ]);
  const recordedAt = now();
  const apiUsage = api && usageBefore ? apiUsageReport(api.usage(), usageBefore) : null;
  let completed = false;
  const plan = await recordCollections(
    hub,
    config,
    {
      checkId,
      dryRun: false,
      recordedAt,
      retentionDays: config.retentionDays,
      managementApiCalls: apiUsage?.calls ?? null,
      leaseHolder: cycleId,
      afterApply: async (tx, planned) => {
        const entries = planned.report.projects.map((entry) => ({
          name: entry.project_name,
          report: { project: entry, events: planned.report.events.filter((e) => e.project_name === entry.project_name) },
        }));
        ({ completed } = await markProjectsChecked(tx, cycleId, workerId, checkId, entries));
      },
    },
    { startedAt, collections, known, states, newId },
  );
  // After the commit: other workers hold the lease row shared until theirs; were this process to
  // die first, the lease would expire at the cycle's deadline.
  if (completed) await releaseCheckLease(hub, cycleId);
  await archiveMessage(hub, message.id);
  const report = plan.report;
  report.finished_at = now().toISOString();
  if (apiUsage) report.management_api = apiUsage;
  return { kind: "checked", cycle: cycleId, batch, reads: message.reads, checked: ours, alreadyChecked, report, eventIds: plan.events.map((e) => e.id), completed, closed };
}

/** What a batch may spend on the hub besides its projects' reads: its reads of the hub and the transaction that records it. */
const BATCH_HUB_SECONDS = 30;

/**
 * How long a worker's message stays hidden and its claims hold: the longest its batch may take
 * (check/run.ts's lease, with a batch's smaller hub allowance). Past it, another worker takes
 * the batch over.
 */
export function batchSeconds(config: Config, apiProjects: number): number {
  return checkLeaseSeconds(config, apiProjects) - HUB_SECONDS + BATCH_HUB_SECONDS;
}

/** Stores a completed cycle's summary (with the heartbeat's outcome). */
export async function finishCycle(hub: Db, cycleId: string, heartbeat: string | null): Promise<CycleSummary> {
  const counts = await cycleCounts(hub, cycleId);
  const summary: CycleSummary = { ...counts, heartbeat };
  await setCycleSummary(hub, cycleId, summary);
  return summary;
}

/** What a cycle's report says of its cycle, beside the `check --json` fields. */
export interface CycleReportPart {
  id: string;
  status: CycleProgress["status"];
  deadline: string;
  projects: number;
  batches: number;
  workers_started: number;
  checked: number;
  /** Projects not checked (yet, while it runs; at all, once it is over). */
  unchecked: string[];
  /** Claims taken: more than the projects checked when workers died and others took their batches over. */
  claims: number;
  heartbeat: string | null;
}

interface StoredProjectReport {
  project: CheckReport["projects"][number];
  events: CheckReport["events"];
}

/**
 * A cycle's report in `check --json`'s shape (the newest cycle when `cycleId` is null): each
 * project's entry and events as its worker recorded them, every job's current health from the
 * hub (`jobsOf`), and `cycle` with the progress. A project no worker checked is listed with
 * status `unknown` and says so.
 */
export async function assembleCycleReport(
  hub: Db,
  cycleId: string | null,
  jobsOf: (projects: readonly string[]) => Promise<CheckReport["jobs"]>,
): Promise<(CheckReport & { cycle: CycleReportPart }) | null> {
  const cycle = cycleId === null ? ((await listCycles(hub, 1))[0] ?? null) : await getCycle(hub, cycleId);
  if (!cycle) return null;
  const rows = await cycleProjectReports<StoredProjectReport>(hub, cycle.id);
  const counts = await cycleCounts(hub, cycle.id);
  const projects: CheckReport["projects"] = [];
  const events: CheckReport["events"] = [];
  for (const row of rows) {
    if (row.report) {
      projects.push(row.report.project);
      events.push(...row.report.events);
    } else {
      const why = cycle.status === "running" ? "not checked yet in this cycle" : "not checked in this cycle: no worker reached it before the deadline";
      projects.push({ project_name: row.project_name, status: "unknown", previous_status: null, reason: why, warnings: [] });
    }
  }
  const checkedNames = rows.filter((r) => r.report).map((r) => r.project_name);
  const notes = [...cycle.notes];
  if (cycle.status === "incomplete" && counts.unchecked.length > 0) notes.push(`${counts.unchecked.length} project(s) were not checked before the cycle's deadline`);
  return {
    check_id: cycle.id,
    started_at: cycle.started_at.toISOString(),
    finished_at: (cycle.finished_at ?? new Date()).toISOString(),
    dry_run: false,
    projects,
    jobs: checkedNames.length > 0 ? await jobsOf(checkedNames) : [],
    events,
    ...(notes.length > 0 ? { notes } : {}),
    cycle: {
      id: cycle.id,
      status: cycle.status,
      deadline: cycle.deadline.toISOString(),
      projects: cycle.projects,
      batches: cycle.batches,
      workers_started: cycle.workers_started,
      checked: counts.checked,
      unchecked: counts.unchecked,
      claims: counts.claims,
      heartbeat: cycle.summary?.heartbeat ?? null,
    },
  };
}
