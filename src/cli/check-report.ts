import type { DeliveryReport } from "../alerts/deliver.js";
import type { CheckReport } from "../check/index.js";
import { leftOutLine, projectsWorstFirst, selectJobs } from "./job-list.js";
import { type Io, pc, status, table, truncate, when } from "./output.js";

/** Project statuses that are no fault: a paused, removed or starting project (found through the access token). */
const QUIET_PROJECT_STATUSES: ReadonlySet<string> = new Set(["paused", "removed", "unknown"]);

/** How many state changes the summary line names without --all. */
const CHANGES_NAMED = 20;

/**
 * `jobmon check`'s report for people: every project's state, the jobs that are not healthy
 * (every job with `all`), the state changes, the alerts and what the check cost.
 */
export function printCheckReport(io: Io, report: CheckReport, options: { all: boolean }): void {
  for (const note of report.notes ?? []) io.err(`${pc.cyan("info:")} ${note}`);
  for (const p of projectsWorstFirst(report.projects)) {
    const mark = p.status === "ok" ? pc.green("✓") : QUIET_PROJECT_STATUSES.has(p.status) ? pc.dim("–") : pc.red("✗");
    io.out(`${mark} ${p.project_name}: ${status(p.status)}${p.status === "ok" ? "" : ` — ${p.reason}`}`);
    for (const w of p.warnings) io.err(`  ${pc.yellow("warning:")} ${w}`);
  }
  const selection = selectJobs(report.jobs, new Map(report.projects.map((p) => [p.project_name, p.status])), { all: options.all });
  if (selection.shown.length > 0) {
    io.out(
      table(
        ["project", "job", "status", "was", "last run", "reason"],
        selection.shown.map((j) => [j.project_name, j.job_name + (j.muted ? pc.dim(" (muted)") : ""), status(j.status), j.previous_status, when(j.last_run_at), truncate(j.reason, 70)]),
      ),
    );
  }
  const left = leftOutLine(selection);
  if (left) io.out(left);
  const changes = report.events.length;
  // A first check of many projects can change hundreds of states: one line names a few.
  const named = options.all ? report.events : report.events.slice(0, CHANGES_NAMED);
  const more = changes - named.length;
  io.out(
    changes
      ? `${changes} state change(s): ${named.map((e) => `${e.project_name}${e.job_name ? `/${e.job_name}` : ""} ${e.from ?? "new"} → ${e.to}${e.muted ? " (muted)" : ""}`).join("; ")}${more > 0 ? `; ${more} more (--all names them)` : ""}`
      : "No state changes.",
  );
  const a = (report as CheckReport & { alerts?: DeliveryReport }).alerts;
  if (a) {
    if (a.messages > 0 || a.pending > 0) io.out(`Alerts: ${a.delivered} delivered in ${a.messages} message(s)${a.pending ? `, ${a.pending} pending for the next check` : ""}.`);
    for (const b of a.broken_routes) io.err(`${pc.red("route broken:")} ${b.route}: ${b.error}`);
    for (const note of a.notes) io.err(`${pc.yellow("note:")} ${note}`);
  }
  const api = report.management_api;
  if (api) {
    const left = api.lowest_remaining ? `; fewest requests left in a window: ${api.lowest_remaining.remaining}${api.lowest_remaining.limit === null ? "" : ` of ${api.lowest_remaining.limit}`} (${api.lowest_remaining.endpoint}${api.lowest_remaining.ref ? ` of ${api.lowest_remaining.ref}` : ""})` : "";
    io.out(pc.dim(`Management API: ${api.calls} call(s)${left}.`));
  }
  if (report.dry_run) io.out(pc.dim("(dry run: nothing was recorded or sent)"));
}
