import type { Config, ProjectConfig } from "../config.js";
import { collectFunctions, type FunctionsCollected } from "../edge-functions.js";
import { errorMessage } from "../errors.js";
import type { ProjectStateRow } from "../hub/projects.js";
import { redactSecrets } from "../lib/redact.js";
import { type ProjectConnector, withProject } from "../sources/connect.js";
import type { ManagementApi } from "../sources/management-api.js";
import type { CronInventory, CronRun } from "../sources/pgcron.js";
import type { PgNetRead } from "../sources/pgnet.js";
import { readProject } from "../sources/project.js";
import type { SkippedProject } from "../sources/project-list.js";

/**
 * The first step of a check: read every project (its pg_cron, pg_net and Edge Functions)
 * from where the previous check left off. Nothing here writes to the hub.
 */

/** What one reachable project showed this check. */
export interface Collected {
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

/**
 * One project's read: what it showed, or why it was not read (the message is redacted): it
 * failed, or it was skipped on purpose (`skipped`: the project is paused or removed, or — status
 * null — on its way back up, with its stored state left as it is).
 */
export type Collection =
  | { ok: true; data: Collected }
  | { ok: false; project: ProjectConfig; error: string; skipped?: { status: "paused" | "removed" | null } };

/** A project the project list says not to read (sources/project-list.ts). */
export function skippedCollection({ project, status, reason }: SkippedProject): Collection {
  return { ok: false, project, error: reason, skipped: { status } };
}

/** The project a collection is about, read or not. */
export function collectionProject(collection: Collection): ProjectConfig {
  return collection.ok ? collection.data.project : collection.project;
}

/** pg_net's part of a project's read: a failure or a forbidden table is a warning, never an unreachable project. */
function netOutcome(read: PgNetRead | Error): { read: PgNetRead | null; warnings: string[] } {
  if (read instanceof Error) return { read: null, warnings: [`pg_net responses not read: ${errorMessage(read)}`] };
  if (read.available) return { read, warnings: read.warnings };
  return { read, warnings: read.kind === "forbidden" ? [read.reason] : [] };
}

/** One project's collection: inventory, scheduler state and the runs since the cursor. */
export async function collectProject(
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
      async (db): Promise<Omit<Collected, "functions">> => {
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
