import type { Config, ProjectConfig, ProjectSelection } from "../config.js";
import { errorMessage } from "../errors.js";
import { redactSecrets } from "../lib/redact.js";
import type { ManagementApi, SupabaseProject } from "./management-api.js";

/**
 * Which projects a check or a discovery reads: the ones given by Postgres URL, and — with an
 * access token — the ones the Management API lists (`GET /v1/projects`), narrowed by
 * JOBMON_PROJECTS. A project with a URL is always read through it; the token finds the others.
 *
 * A listed project is read only when Supabase says it is up: a paused project is `paused`, one
 * coming up, restoring, restarting, upgrading or resizing is skipped without a word of alarm
 * (it is back at a later check), and a project the hub knows from an earlier list that the
 * token no longer lists is `removed`. When the list cannot be read, the projects the hub knows
 * from earlier lists are read as they are, and a note says why.
 */

/** What the hub remembers of a project found through the Management API. */
export interface KnownProject {
  project_name: string;
  project_ref: string | null;
  source: "postgres" | "api" | null;
  status: string;
}

/** A project not read this time, and why. `status` null: its stored state stands. */
export interface SkippedProject {
  project: ProjectConfig;
  status: "paused" | "removed" | null;
  reason: string;
}

export interface MonitoredProjects {
  /** To read: the URL projects, then the listed ones that are up, in list order. */
  read: ProjectConfig[];
  skipped: SkippedProject[];
  /** Said once (the list could not be read, a JOBMON_PROJECTS entry matched nothing). */
  notes: string[];
}

/** Statuses of a project Supabase has paused (or is pausing). */
const PAUSED = new Set(["INACTIVE", "PAUSING", "GOING_DOWN"]);
/** Statuses a project passes through on its way back up: not a failure, nothing to read yet. */
const TRANSITIONAL = new Set(["COMING_UP", "RESTORING", "RESTARTING", "UPGRADING", "RESIZING"]);

const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * The hub name of a listed project: its Supabase name where that is a valid jobmon name, else
 * the name with every run of other characters turned into `-` (`"Lead Gen (EU)"` →
 * `Lead-Gen-EU`), else its ref. A name another project already has gets `-<ref>` appended.
 */
export function projectNameFor(project: Pick<SupabaseProject, "name" | "ref">, taken: ReadonlySet<string>): string {
  const slug = project.name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+|-+$/g, "").slice(0, 63);
  const base = VALID_NAME.test(slug) ? slug : project.ref;
  if (!taken.has(base)) return base;
  const qualified = `${base.slice(0, 62 - project.ref.length)}-${project.ref}`;
  return taken.has(qualified) ? project.ref : qualified;
}

/** Whether a JOBMON_PROJECTS entry names a listed project: its ref, its Supabase name or its hub name. */
function names(item: string, project: Pick<SupabaseProject, "name" | "ref">, hubName: string): boolean {
  const wanted = item.toLowerCase();
  return wanted === project.ref || wanted === project.name.toLowerCase() || wanted === hubName.toLowerCase();
}

/** Whether JOBMON_PROJECTS lets a listed project in. */
export function selected(selection: ProjectSelection, project: Pick<SupabaseProject, "name" | "ref">, hubName: string): boolean {
  if (selection.exclude.some((item) => names(item, project, hubName))) return false;
  return selection.all || selection.include.some((item) => names(item, project, hubName));
}

function apiProject(name: string, ref: string): ProjectConfig {
  return { name, source: "api", url: null, ref, envVar: "SUPABASE_ACCESS_TOKEN" };
}

/**
 * The projects to read now. `known` is the hub's project states (for names already given and
 * for projects that left the list).
 */
export async function monitoredProjects(config: Config, api: ManagementApi | null, known: readonly KnownProject[]): Promise<MonitoredProjects> {
  const result: MonitoredProjects = { read: [...config.projects], skipped: [], notes: [] };
  const selection = config.apiProjects;
  if (selection === null || api === null) return result;

  const urlRefs = new Set(config.projects.map((p) => p.ref).filter((ref): ref is string => ref !== null));
  const urlNames = new Set(config.projects.map((p) => p.name));
  const fromApi = known.filter((p) => p.source === "api" && p.project_ref !== null && !urlRefs.has(p.project_ref));

  let listed: SupabaseProject[];
  try {
    listed = await api.listProjects();
  } catch (error) {
    // Without the list: read what earlier lists found, and decide nothing about removals.
    const why = redactSecrets(errorMessage(error), config.secrets);
    result.notes.push(`the Management API's project list could not be read (${why}): the projects found earlier are read as they were`);
    for (const p of fromApi) if (p.status !== "removed") result.read.push(apiProject(p.project_name, p.project_ref as string));
    return result;
  }

  // A project the hub already knows by its ref keeps its name (a rename in Supabase does not
  // make it a new project); a new one takes a name no other project has.
  const nameByRef = new Map(
    known.filter((p) => p.project_ref !== null && !urlRefs.has(p.project_ref) && !urlNames.has(p.project_name)).map((p) => [p.project_ref as string, p.project_name]),
  );
  const taken = new Set([...urlNames, ...known.map((p) => p.project_name)]);
  const listedRefs = new Set<string>();
  const hubNames: { listing: SupabaseProject; name: string }[] = [];
  for (const listing of listed) {
    listedRefs.add(listing.ref);
    if (urlRefs.has(listing.ref)) continue;
    const name = nameByRef.get(listing.ref) ?? projectNameFor(listing, taken);
    taken.add(name);
    hubNames.push({ listing, name });
    if (!selected(selection, listing, name)) continue;
    const project = apiProject(name, listing.ref);
    if (PAUSED.has(listing.status)) {
      result.skipped.push({ project, status: "paused", reason: `paused in Supabase (${listing.status}): not checked until it is restored` });
    } else if (TRANSITIONAL.has(listing.status)) {
      result.skipped.push({ project, status: null, reason: `skipped: Supabase says it is ${listing.status.toLowerCase().replace(/_/g, " ")}` });
    } else {
      result.read.push(project);
    }
  }
  for (const p of fromApi) {
    if (listedRefs.has(p.project_ref as string) || p.status === "removed") continue;
    result.skipped.push({
      project: apiProject(p.project_name, p.project_ref as string),
      status: "removed",
      reason: "no longer in the access token's project list (deleted, transferred, or the token lost access): its jobs are marked removed",
    });
  }
  for (const item of selection.include) {
    const found = hubNames.some(({ listing, name }) => names(item, listing, name)) || listed.some((l) => names(item, l, l.name));
    if (!found) result.notes.push(`JOBMON_PROJECTS names "${item}", which the access token does not list`);
  }
  return result;
}
