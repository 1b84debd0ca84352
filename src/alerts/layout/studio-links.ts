/**
 * Links into the Supabase dashboard (Studio). Paths as Studio routes them
 * (supabase/supabase apps/studio):
 * - pg_cron job history: `/project/<ref>/integrations/cron/jobs/<jobid>?child-label=<name>`
 *   (Studio's own row link; the jobid is stable while a name may hold any character, and
 *   `child-label` is only the breadcrumb). Without a numeric jobid: the jobs list,
 *   `/project/<ref>/integrations/cron/jobs`.
 * - Edge Function: `/project/<ref>/functions/<slug>` (its overview, with the Invocations
 *   and Logs tabs).
 * - Project: `/project/<ref>`.
 * Every path segment and parameter is URL-encoded.
 */
import type { JobAlert, ProjectAlert } from "../types.js";
import { safeCut } from "./fit.js";

export const DEFAULT_DASHBOARD_BASE_URL = "https://supabase.com/dashboard";

/** `child-label` is only Studio's breadcrumb: a long name would only bloat the link. */
const MAX_LABEL = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The dashboard base without trailing slashes, or null when it is not an http(s) URL
 * (Discord rejects a whole message whose embed URL is malformed, so no link is better).
 */
export function dashboardBase(base: string | undefined): string | null {
  const trimmed = (base ?? DEFAULT_DASHBOARD_BASE_URL).trim().replace(/\/+$/, "");
  try {
    const url = new URL(trimmed);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return null;
    return trimmed;
  } catch {
    return null;
  }
}

function projectPath(base: string, ref: string): string {
  return `${base}/project/${encodeURIComponent(ref)}`;
}

/**
 * `breadcrumb: false` leaves out `child-label` (the page works without it): the compact
 * layout links many jobs in one Discord message, where every URL character counts.
 */
export function jobDashboardUrl(job: JobAlert, base: string | null, opts: { breadcrumb?: boolean } = {}): string | null {
  if (base === null || job.projectRef === null || job.projectRef === "") return null;
  const project = projectPath(base, job.projectRef);
  if (job.jobType === "pg_cron") {
    if (job.sourceId !== null && /^\d+$/.test(job.sourceId)) {
      const jobPath = `${project}/integrations/cron/jobs/${job.sourceId}`;
      if (opts.breadcrumb === false) return jobPath;
      return `${jobPath}?child-label=${encodeURIComponent(job.jobName.slice(0, safeCut(job.jobName, MAX_LABEL)))}`;
    }
    return `${project}/integrations/cron/jobs`;
  }
  // Studio routes functions by slug; the inventory may hold the function's uuid instead.
  const slug = job.sourceId !== null && job.sourceId !== "" && !UUID.test(job.sourceId) ? job.sourceId : job.jobName;
  return `${project}/functions/${encodeURIComponent(slug)}`;
}

export function projectDashboardUrl(alert: ProjectAlert, base: string | null): string | null {
  if (base === null || alert.projectRef === null || alert.projectRef === "") return null;
  const project = projectPath(base, alert.projectRef);
  return alert.toStatus === "scheduler_down" ? `${project}/integrations/cron/jobs` : project;
}

/**
 * Where a list of jobs of one project lives: the cron jobs list, the functions list, or the
 * project when they are mixed. Null when the jobs span projects or no ref is known.
 */
export function jobsListDashboardUrl(jobs: readonly JobAlert[], base: string | null): string | null {
  const ref = jobs[0]?.projectRef ?? null;
  if (base === null || ref === null || ref === "" || jobs.some((j) => j.projectRef !== ref)) return null;
  const project = projectPath(base, ref);
  if (jobs.every((j) => j.jobType === "pg_cron")) return `${project}/integrations/cron/jobs`;
  if (jobs.every((j) => j.jobType === "edge_function")) return `${project}/functions`;
  return project;
}
