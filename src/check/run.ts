import type { Config, ProjectConfig } from "../config.js";
import type { Db } from "../db/types.js";
import { managementApi } from "../edge-functions.js";
import { listJobs } from "../hub/inventory.js";
import { acquireCheckLease, describeLease, type LeaseHolder, type LeaseProcess, releaseCheckLease } from "../hub/lock.js";
import { countApiProjects, listProjectStates, type ProjectStateRow } from "../hub/projects.js";
import { connectBySource, connectProject, type ProjectConnector } from "../sources/connect.js";
import { MANAGEMENT_API_DEFAULTS, type ManagementApi } from "../sources/management-api.js";
import { type MonitoredProjects, monitoredProjects } from "../sources/project-list.js";
import type { JobRow } from "../hub/inventory.js";
import { ABORTED, abortableConnector, unlessAborted } from "./abort.js";
import { type Collection, collectionProject, collectProject, skippedCollection } from "./collect.js";
import { abortReason, CheckInterruptedError } from "./errors.js";
import { type CheckPlan, planCheck, type ProjectCheckInput } from "./plan.js";
import { type CheckRecording, recordCheck, recordFailedRun } from "./record.js";
import { apiUsageReport, type CheckReport, skippedReport } from "./report.js";
import { type ProjectInventory, syncInventories } from "./sync.js";
import { groupBy, mapWithLimit } from "../lib/collections.js";

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

/** What a check may spend on the hub besides its projects' reads: its own reads and the one transaction that records it. */
export const HUB_SECONDS = 60;
/** Management API calls per project and check beside its read: the function list, then one logs window. */
const MANAGEMENT_API_CALLS = 2;
/**
 * How many projects are read through the Management API at once. Each costs one or two calls
 * per check, under its own per-project limit, but all of them come from one user, whose other
 * tools share those limits: a few hundred projects are read a few at a time, not in one burst.
 */
const API_PROJECTS_AT_ONCE = 16;

/**
 * The longest a check can hold its lease, in seconds: the project list (with the token), then
 * the projects: the URL ones all at once, those read through the Management API in rounds of
 * API_PROJECTS_AT_ONCE; each read within JOBMON_PROJECT_TIMEOUT, beside its Edge Function calls
 * and their bounded retries. Then the hub records it all. A lease older than this has no live
 * check behind it. `apiProjects`: how many projects the token path read last time.
 */
export function checkLeaseSeconds(config: Config, apiProjects = 0): number {
  const { maxAttempts, timeoutMs, maxWaitMs } = MANAGEMENT_API_DEFAULTS;
  const perCall = (maxAttempts * timeoutMs + maxWaitMs) / 1000;
  const read = Math.ceil(config.projectTimeoutMs / 1000);
  const perProject = config.managementApi.accessToken ? Math.max(read, MANAGEMENT_API_CALLS * perCall) : read;
  const rounds = Math.max(1, Math.ceil(apiProjects / API_PROJECTS_AT_ONCE));
  const list = config.apiProjects ? perCall : 0;
  return list + rounds * perProject + HUB_SECONDS;
}

function takeoverNote(previous: LeaseHolder, reason: "gone" | "expired"): string {
  const why =
    reason === "gone"
      ? "that process is no longer running"
      : `it expired at ${previous.expires_at?.toISOString() ?? "an unknown time"}, past the longest that check could run`;
  return `took over the check lease of ${describeLease(previous)}: ${why}`;
}

/**
 * One health-check cycle: collect from every project concurrently (check/collect.ts), then,
 * in one hub transaction, sync the inventories (check/sync.ts), plan (check/plan.ts, pure)
 * and record the plan (check/record.ts): health log, states, cursors, alert events. Delivery
 * of the recorded events is a separate step (alerts/deliver.ts).
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
    const leaseSeconds = options.leaseSeconds ?? checkLeaseSeconds(config, config.apiProjects ? await countApiProjects(hub) : 0);
    const lease = await acquireCheckLease(hub, checkId, startedAt, leaseSeconds, options.leaseProcess ?? null);
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
    const stateRows = await listProjectStates(hub);
    const states = new Map(stateRows.map((s) => [s.project_name, s]));
    const api = options.managementApi === undefined ? managementApi(config) : options.managementApi;
    const usageBefore = api?.usage() ?? null;
    const connect = abortableConnector(connectBySource(options.connect ?? connectProject, api), signal);
    // The hub's inventory is read while the projects are: the check holds the lease, and the
    // state it writes later never touches what people edit (annotations, mutes).
    const collected = await unlessAborted(
      Promise.all([
        monitoredProjects(config, api, stateRows).then(async (projects) => ({ projects, collections: await collectAll(projects, states, config, api, startedAt, connect) })),
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
    const [{ projects, collections }, known] = collected;
    const collectedAt = now();
    const apiUsage = api && usageBefore ? apiUsageReport(api.usage(), usageBefore) : null;
    const recording = { checkId, dryRun, recordedAt: collectedAt, retentionDays: config.retentionDays, managementApiCalls: apiUsage?.calls ?? null };
    const plan = await recordCollections(hub, config, recording, { startedAt, collections, known, states, newId });
    const report = plan.report;
    report.finished_at = now().toISOString();
    const found = projects.read.filter((p) => p.source === "api" && !states.has(p.name)).map((p) => `found project ${p.name} (${p.ref}) through the access token: watched from now on`);
    if (projects.notes.length + found.length > 0) report.notes = [...projects.notes, ...found];
    if (apiUsage) report.management_api = apiUsage;
    if (takenOver) report.lease_takeover = takeoverNote(takenOver.previous, takenOver.reason);
    return report;
  } finally {
    if (!dryRun) await releaseCheckLease(hub, checkId);
  }
}


/**
 * Reads the projects of a list: the URL ones all at once, those read through the Management
 * API API_PROJECTS_AT_ONCE at a time; the skipped ones become collections that say why.
 */
export async function collectAll(
  projects: MonitoredProjects,
  states: ReadonlyMap<string, ProjectStateRow>,
  config: Config,
  api: ManagementApi | null,
  startedAt: Date,
  connect: ProjectConnector,
): Promise<Collection[]> {
  const collect = (p: ProjectConfig) => collectProject(p, states.get(p.name), config, api, startedAt, connect);
  const [byUrl, byApi] = await Promise.all([
    Promise.all(projects.read.filter((p) => p.source === "postgres").map(collect)),
    mapWithLimit(projects.read.filter((p) => p.source === "api"), API_PROJECTS_AT_ONCE, collect),
  ]);
  return [...byUrl, ...byApi, ...projects.skipped.map(skippedCollection)];
}

/**
 * Syncs the collected inventories, plans and records the check in one hub transaction
 * (check/record.ts). `known`: the hub's jobs of the collected projects.
 */
export async function recordCollections(
  hub: Db,
  config: Config,
  recording: CheckRecording,
  input: { startedAt: Date; collections: readonly Collection[]; known: readonly JobRow[]; states: ReadonlyMap<string, ProjectStateRow>; newId: () => string },
): Promise<CheckPlan> {
  return recordCheck(hub, recording, async (tx) => {
    const inventories = await syncInventories(tx, input.collections, groupBy(input.known, (job) => job.project_name), recording.recordedAt);
    return planCheck({
      config,
      check: { id: recording.checkId, startedAt: input.startedAt, dryRun: recording.dryRun },
      now: recording.recordedAt,
      projects: projectInputs(input.collections, input.states, inventories),
      newId: input.newId,
    });
  });
}

/** Each collection with its project's stored state and synced inventory (in the same order). */
function projectInputs(collections: readonly Collection[], states: ReadonlyMap<string, ProjectStateRow>, inventories: readonly ProjectInventory[]): ProjectCheckInput[] {
  return collections.map((collection, i) => ({
    collection,
    previous: states.get(collectionProject(collection).name),
    inventory: inventories[i] ?? { jobs: [], typesAtSource: new Set() },
  }));
}
