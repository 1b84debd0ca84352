import { cronInventoryToJobs } from "../discovery.js";
import { functionInventory } from "../edge-functions.js";
import type { Queryable } from "../db/types.js";
import { type DiscoveredJob, inventoryUnchanged, type JobRow, listJobs, syncInventory } from "../hub/inventory.js";
import { cronJobNames } from "../sources/pgcron.js";
import type { JobType } from "../types.js";
import { type Collected, type Collection, collectionProject } from "./collect.js";

/**
 * The step between collecting and judging: each reachable project's inventory is brought in
 * line with what its sources showed, so new jobs are watched without an audit. It runs inside
 * the check's transaction (a dry run or a lost lease leaves no trace of it).
 */

/** A project's jobs as a check judges them. */
export interface ProjectInventory {
  /** The project's jobs (not removed), after this check's sync. */
  jobs: JobRow[];
  /** The job types this check read at their source: their jobs' last_seen_at moves. */
  typesAtSource: ReadonlySet<JobType>;
}

/** Every job type the project's read showed, with its jobs as discovery writes them. */
function jobsAtSource(data: Collected): [JobType, DiscoveredJob[]][] {
  const { inventory, functions, project } = data;
  const sources: [JobType, DiscoveredJob[]][] = [["pg_cron", cronInventoryToJobs(inventory)]];
  if (functions.functions) sources.push(["edge_function", functionInventory(functions.functions, inventory.jobs, cronJobNames(inventory.jobs), project.ref)]);
  return sources;
}

/**
 * One project's inventory after the sync. The hub is written only where a source differs from
 * its rows, and re-read only then: a check that rewrote every row would cost the hub as much
 * as all its other writes.
 */
async function syncProjectInventory(tx: Queryable, collection: Collection, known: JobRow[], now: Date): Promise<ProjectInventory> {
  if (!collection.ok) {
    if (collection.skipped?.status !== "removed") return { jobs: known, typesAtSource: new Set() };
    // A project gone from the access token's list takes its jobs with it: kept, marked removed.
    for (const type of new Set(known.map((job) => job.job_type))) await syncInventory(tx, collection.project.name, type, [], now);
    return { jobs: [], typesAtSource: new Set() };
  }
  const { project } = collection.data;
  const sources = jobsAtSource(collection.data);
  let synced = false;
  for (const [type, discovered] of sources) {
    if (inventoryUnchanged(known.filter((j) => j.job_type === type), discovered)) continue;
    await syncInventory(tx, project.name, type, discovered, now);
    synced = true;
  }
  const jobs = synced ? await listJobs(tx, { project: project.name, includeRemoved: false }) : known;
  return { jobs, typesAtSource: new Set(sources.map(([type]) => type)) };
}

/**
 * Every project's inventory after the sync, in the order of `collections`. `known` is the
 * hub's rows (not removed) as read beside the collection, by project name.
 */
export async function syncInventories(tx: Queryable, collections: readonly Collection[], known: ReadonlyMap<string, JobRow[]>, now: Date): Promise<ProjectInventory[]> {
  const inventories: ProjectInventory[] = [];
  for (const collection of collections) {
    inventories.push(await syncProjectInventory(tx, collection, known.get(collectionProject(collection).name) ?? [], now));
  }
  return inventories;
}
