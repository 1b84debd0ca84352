import { CRITICALITIES, isUnhealthy, JOB_STATUSES, statusRank } from "../types.js";
import { UsageError } from "./context.js";

/**
 * Which jobs `jobmon check`, `status` and `jobs` print, and the lines that say what was left
 * out. Pure: the commands fetch, this chooses, output.ts draws.
 *
 * By default `check` and `status` list every job that is not healthy, worst first, and count
 * the rest in one line: at hundreds of projects the table is the few jobs someone has to look
 * at, not ten thousand healthy ones. `--all` lists every job, worst first.
 */

/** What the selection needs of a job row: the check report's and `status`'s entries have it. */
export interface ListedJob {
  project_name: string;
  job_name: string;
  status: string;
  criticality?: string | null;
}

/** Statuses a job is left out of the default view with: healthy, or switched off on purpose. */
const QUIET_JOB_STATUSES: ReadonlySet<string> = new Set(["success", "paused"]);

/**
 * Project statuses under which a job's own status says little: an unreachable project was not
 * read, and a project whose scheduler is down runs nothing (its jobs' `missed` is held back).
 * Their quiet jobs are counted apart, never as healthy.
 */
const TROUBLED_PROJECT_STATUSES: ReadonlySet<string> = new Set(["unreachable", "scheduler_down"]);

/** Worst status first, then the most critical, then by project and name (as the dashboard lists them). */
export function compareListed(a: ListedJob, b: ListedJob): number {
  return (
    statusRank(a.status) - statusRank(b.status) ||
    criticalityRank(a.criticality) - criticalityRank(b.criticality) ||
    compareText(a.project_name, b.project_name) ||
    compareText(a.job_name, b.job_name)
  );
}

// A job without a criticality is `important`, as its alerts are routed.
const criticalityRank = (c: string | null | undefined): number => CRITICALITIES.indexOf((c ?? "important") as (typeof CRITICALITIES)[number]);
// Code-unit order: the same on every machine, and cheap for ten thousand rows.
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface JobSelection<T> {
  /** The rows to print, worst first. */
  shown: T[];
  /** Rows that matched but were cut by `limit`. */
  cut: number;
  /** The default view's quiet jobs, left out (all zero with `all` or a status filter). */
  left: { healthy: number; paused: number; troubled: number; healthyProjects: number; troubledProjects: number };
}

/**
 * The rows `check` and `status` print. Without `all` and without a status filter, jobs whose
 * status is quiet (success, paused) are left out and counted. `projectStatus` gives each
 * project's status (a project it does not name counts as ok).
 */
export function selectJobs<T extends ListedJob>(jobs: readonly T[], projectStatus: ReadonlyMap<string, string>, options: { all?: boolean; statuses?: readonly string[]; limit?: number }): JobSelection<T> {
  const left = { healthy: 0, paused: 0, troubled: 0, healthyProjects: 0, troubledProjects: 0 };
  const healthyProjects = new Set<string>();
  const troubledProjects = new Set<string>();
  let listed: T[];
  if (options.statuses) {
    listed = jobs.filter((j) => matchesStatus(j.status, options.statuses as readonly string[]));
  } else if (options.all) {
    listed = [...jobs];
  } else {
    listed = [];
    for (const job of jobs) {
      if (!QUIET_JOB_STATUSES.has(job.status)) {
        listed.push(job);
      } else if (TROUBLED_PROJECT_STATUSES.has(projectStatus.get(job.project_name) ?? "ok")) {
        left.troubled++;
        troubledProjects.add(job.project_name);
      } else {
        if (job.status === "paused") left.paused++;
        else left.healthy++;
        healthyProjects.add(job.project_name);
      }
    }
  }
  listed.sort(compareListed);
  left.healthyProjects = healthyProjects.size;
  left.troubledProjects = troubledProjects.size;
  const { shown, cut } = limitRows(listed, options.limit);
  return { shown, cut, left };
}

/** Projects with a problem (unreachable, scheduler down) first, the others in the order given. */
export function projectsWorstFirst<P extends { status: string }>(projects: readonly P[]): P[] {
  return [...projects.filter((p) => TROUBLED_PROJECT_STATUSES.has(p.status)), ...projects.filter((p) => !TROUBLED_PROJECT_STATUSES.has(p.status))];
}

/** The first `limit` rows (all without a limit), and how many were cut. */
export function limitRows<T>(rows: T[], limit: number | undefined): { shown: T[]; cut: number } {
  if (limit === undefined || rows.length <= limit) return { shown: rows, cut: 0 };
  return { shown: rows.slice(0, limit), cut: rows.length - limit };
}

/** Whether a job's status is one of `statuses` (`unhealthy`: failed, stuck, missed or slow). */
export function matchesStatus(status: string, statuses: readonly string[]): boolean {
  return statuses.some((s) => (s === "unhealthy" ? isUnhealthy(status) : s === status));
}

/**
 * What `--status` accepts: every job status (src/types.ts), `new` (in the inventory, not
 * checked yet), and `unhealthy` for all four unhealthy ones, as the dashboard's filter.
 */
export const STATUS_FILTERS: readonly string[] = ["unhealthy", ...JOB_STATUSES, "new"];

/** `jobs` also shows `removed` (gone from its project, kept in the inventory). */
export const INVENTORY_STATUS_FILTERS: readonly string[] = [...STATUS_FILTERS, "removed"];

const count = (n: number): string => n.toLocaleString("en-US");
const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/**
 * The default view's line about the jobs it left out, or null when it left none:
 * `9,950 other jobs healthy in 200 projects; --all lists every job`.
 */
export function leftOutLine(selection: JobSelection<ListedJob>): string | null {
  const { healthy, paused, troubled, healthyProjects, troubledProjects } = selection.left;
  if (healthy + paused + troubled === 0) return null;
  const quiet = healthy + paused;
  const parts: string[] = [];
  if (quiet > 0) {
    const other = selection.shown.length + selection.cut > 0 ? "other " : "";
    const what = healthy > 0 && paused > 0 ? `${plural(quiet, `${other}job`)}: ${count(healthy)} healthy, ${count(paused)} paused,` : paused > 0 ? `${plural(paused, `${other}job`)} paused` : `${plural(healthy, `${other}job`)} healthy`;
    parts.push(`${what} in ${plural(healthyProjects, "project")}`);
  }
  if (troubled > 0) {
    parts.push(`${plural(troubled, "job")} in ${plural(troubledProjects, "project")} with a problem above (unreachable or scheduler down), not counted as healthy`);
  }
  return `${parts.join("; ")}; --all lists every job`;
}

/** The line under a table that `--limit` cut. */
export function cutLine(cut: number, limit: number): string {
  return `… ${plural(cut, "more job")} not shown (--limit ${count(limit)}); a larger --limit, or none, shows them`;
}

/**
 * The projects `--project` names, from its values: each value is a project name, or several
 * separated by commas (a name that itself has a comma, as a Supabase project's may, is taken
 * whole). A name no project has is a usage error that lists the projects there are.
 */
export function resolveProjectNames(values: readonly string[], known: Iterable<string>): string[] {
  const names = new Set(known);
  const out = new Set<string>();
  const unknown: string[] = [];
  for (const value of values) {
    const parts = names.has(value) ? [value] : value.split(",").map((s) => s.trim()).filter((s) => s !== "");
    for (const part of parts) {
      if (names.has(part)) out.add(part);
      else if (!unknown.includes(part)) unknown.push(part);
    }
  }
  if (unknown.length > 0) throw new UsageError(unknownProjectsMessage(unknown, [...names]));
  return [...out];
}

/** How many project names the error lists before it only counts the rest. */
const NAMES_LISTED = 12;

function unknownProjectsMessage(unknown: readonly string[], known: readonly string[]): string {
  const quoted = unknown.map((n) => `"${n}"`).join(", ");
  const sorted = [...known].sort(compareText);
  const hints = unknown.flatMap((n) => sorted.filter((k) => k.toLowerCase() === n.toLowerCase()).map((k) => `"${k}"`));
  const didYouMean = hints.length > 0 ? ` (did you mean ${hints.join(", ")}?)` : "";
  const listing =
    sorted.length === 0
      ? "no project is known yet: run `jobmon discover` or `jobmon check`"
      : `the projects are ${sorted.slice(0, NAMES_LISTED).join(", ")}${sorted.length > NAMES_LISTED ? ` and ${count(sorted.length - NAMES_LISTED)} more (jobmon status lists them)` : ""}`;
  return `--project: no project is named ${quoted}${didYouMean}; ${listing}`;
}
