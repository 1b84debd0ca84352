import { redactSecrets } from "./lib/redact.js";
import type { Config, ProjectConfig } from "./config.js";
import type { Db } from "./db/types.js";
import { errorMessage } from "./errors.js";
import { syncInventory, type DiscoveredJob, type SyncResult } from "./hub/inventory.js";
import { ensureProject, listProjectStates, recordDiscovery } from "./hub/projects.js";
import { collectFunctions, type FunctionsCollected, functionInventory, managementApi, NO_TOKEN_NOTE } from "./edge-functions.js";
import { connectBySource, connectProject, type ProjectConnector, withProject } from "./sources/connect.js";
import { monitoredProjects } from "./sources/project-list.js";
import type { EdgeFunctionInfo, ManagementApi } from "./sources/management-api.js";
import { cronJobNames, readCronInventory, type CronInventory } from "./sources/pgcron.js";

export interface ProjectDiscovery {
  project_name: string;
  /** `paused`, `removed`, `skipped` (coming up): found through the access token, not read (see `error`). */
  status: "ok" | "unreachable" | "paused" | "removed" | "skipped";
  error?: string;
  pg_cron_version: string | null;
  timezone: string | null;
  sees_all_jobs: boolean | null;
  warnings: string[];
  jobs: number;
  /** Edge Functions found through the Management API; null when they were not read. */
  functions: number | null;
  inserted: string[];
  changed: string[];
  removed: string[];
}

export interface DiscoveryReport {
  discovered_at: string;
  projects: ProjectDiscovery[];
  /** Said once per discovery (e.g. Edge Functions skipped for want of a token). */
  notes: string[];
}

export function cronInventoryToJobs(inventory: CronInventory): DiscoveredJob[] {
  const names = cronJobNames(inventory.jobs);
  return inventory.jobs.map((job) => ({
    job_name: names.get(job.jobid) as string,
    source_id: String(job.jobid),
    schedule: job.schedule,
    command: job.command,
    active: job.active,
    run_as: job.username,
    database_name: job.database,
    source_meta: job.jobname ? {} : { unnamed: true },
  }));
}

type Collected = { project: ProjectConfig; inventory: CronInventory } | { project: ProjectConfig; error: string };

/** Reads each project's pg_cron concurrently, each within its own timeout. */
export async function readAllCronInventories(
  config: Config,
  projects: readonly ProjectConfig[],
  connect?: ProjectConnector,
): Promise<Collected[]> {
  return Promise.all(
    projects.map(async (project): Promise<Collected> => {
      try {
        const inventory = await withProject(project, config.projectTimeoutMs, readCronInventory, connect);
        return { project, inventory };
      } catch (error) {
        return { project, error: redactSecrets(errorMessage(error), config.secrets) };
      }
    }),
  );
}

/** Writes what was read into the hub: inventory rows and project facts. */
export async function recordInventory(
  hub: Db,
  project: ProjectConfig,
  inventory: CronInventory,
  functions: readonly EdgeFunctionInfo[] | null,
  at: Date,
): Promise<SyncResult> {
  return hub.transaction(async (tx) => {
    await recordDiscovery(
      tx,
      project.name,
      {
        projectRef: project.ref,
        source: project.source,
        pgCronVersion: inventory.pgCronVersion,
        timezone: inventory.timezone,
        role: inventory.role,
        seesAllJobs: inventory.seesAllJobs,
      },
      at,
    );
    const sync = await syncInventory(tx, project.name, "pg_cron", cronInventoryToJobs(inventory), at);
    if (functions) {
      const fsync = await syncInventory(tx, project.name, "edge_function", functionInventory(functions, inventory.jobs, cronJobNames(inventory.jobs), project.ref), at);
      sync.inserted.push(...fsync.inserted);
      sync.changed.push(...fsync.changed);
      sync.removed.push(...fsync.removed);
      sync.unchanged += fsync.unchanged;
    }
    return sync;
  });
}

/** A project's discovery row when it was not read. */
function notRead(projectName: string, status: ProjectDiscovery["status"]): ProjectDiscovery {
  return {
    project_name: projectName,
    status,
    pg_cron_version: null,
    timezone: null,
    sees_all_jobs: null,
    warnings: [],
    jobs: 0,
    functions: null,
    inserted: [],
    changed: [],
    removed: [],
  };
}

/**
 * The audit: every project's pg_cron jobs into job_inventory. An unreachable project is
 * reported by name (its jobs are left as they were, not marked removed); the others are
 * still audited.
 */
export async function discover(
  config: Config,
  hub: Db,
  options: { now?: () => Date; connect?: ProjectConnector; managementApi?: ManagementApi | null } = {},
): Promise<DiscoveryReport> {
  const now = options.now ?? (() => new Date());
  const api = options.managementApi === undefined ? managementApi(config) : options.managementApi;
  const listing = await monitoredProjects(config, api, await listProjectStates(hub));
  const connect = connectBySource(options.connect ?? connectProject, api);
  const [collected, functions] = await Promise.all([
    readAllCronInventories(config, listing.read, connect),
    Promise.all(listing.read.map((project) => collectFunctions(config, project, api, null))),
  ]);
  const at = now();
  const notes = [...listing.notes, ...(api || listing.read.length === 0 ? [] : [NO_TOKEN_NOTE])];
  const projects: ProjectDiscovery[] = [];
  for (const [i, entry] of collected.entries()) {
    const { project } = entry;
    const fns = functions[i] as FunctionsCollected;
    if ("error" in entry) {
      await ensureProject(hub, project.name, project.ref, at, project.source);
      projects.push({ ...notRead(project.name, "unreachable"), error: entry.error });
      continue;
    }
    const { inventory } = entry;
    const sync = await recordInventory(hub, project, inventory, fns.functions, at);
    projects.push({
      project_name: project.name,
      status: "ok",
      pg_cron_version: inventory.pgCronVersion,
      timezone: inventory.timezone,
      sees_all_jobs: inventory.seesAllJobs,
      warnings: [...inventory.warnings, ...(fns.note ? [fns.note] : [])].map((w) => redactSecrets(w, config.secrets)),
      jobs: inventory.jobs.length,
      functions: fns.functions?.length ?? null,
      inserted: sync.inserted,
      changed: sync.changed,
      removed: sync.removed,
    });
  }
  for (const { project, status, reason } of listing.skipped) {
    projects.push({ ...notRead(project.name, status ?? "skipped"), error: reason });
  }
  return { discovered_at: at.toISOString(), projects, notes };
}
