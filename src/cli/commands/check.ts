import type { Command } from "commander";
import type { DeliveryReport } from "../../alerts/deliver.js";
import { type CheckReport, skippedReport } from "../../check/index.js";
import { JobmonError } from "../../errors.js";
import { type CommandContext, EXIT_CHECK_SKIPPED } from "../context.js";
import { leftOutLine, projectsWorstFirst, selectJobs } from "../job-list.js";
import { type Io, pc, printJson, status, table, truncate, when } from "../output.js";

/**
 * A check that finds the embedded hub held by another process (most likely another check)
 * gives up after this long instead of queueing behind it; other commands wait their turn.
 */
const CHECK_HUB_WAIT_MS = 2_000;

/** Project statuses that are no fault: a paused, removed or starting project (found through the access token). */
const QUIET_PROJECT_STATUSES: ReadonlySet<string> = new Set(["paused", "removed", "unknown"]);

/** `jobmon check`: one health-check cycle. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("check")
    .description("one health-check cycle: collect runs, judge every job, record, alert")
    .option("--dry-run", "collect and judge, but record nothing and send nothing")
    .option("--all", "list every job, healthy ones included (by default: the jobs that are not healthy, and a count of the rest)")
    .option("--json", "print the report as JSON (every job)")
    .action(async (opts: { dryRun?: boolean; all?: boolean; json?: boolean }) => {
      const m = ctx.monitor({ hubWaitMs: CHECK_HUB_WAIT_MS });
      const started = new Date();
      let report;
      try {
        report = await m.checkHealth({ dryRun: opts.dryRun, signal: ctx.signal });
      } catch (error) {
        if (!(error instanceof JobmonError && error.code === "hub_busy")) throw error;
        // Another jobmon process holds the embedded hub (most likely a check): this one did nothing.
        report = skippedReport(crypto.randomUUID(), started, new Date(), `${error.message}; this check did nothing`);
      }
      if (report.lease_takeover) io.err(`jobmon: ${report.lease_takeover}`);
      if (report.skipped) {
        // Did nothing: not a success (and no heartbeat was sent). The reason goes to stderr.
        ctx.setExitCode(EXIT_CHECK_SKIPPED);
        io.err(`jobmon: ${report.skipped}`);
        if (opts.json) printJson(io, report);
        return;
      }
      if (opts.json) return printJson(io, report);
      printCheckReport(io, report, { all: opts.all === true });
    });
}

function printCheckReport(io: Io, report: CheckReport, options: { all: boolean }): void {
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
  io.out(changes ? `${changes} state change(s): ${report.events.map((e) => `${e.project_name}${e.job_name ? `/${e.job_name}` : ""} ${e.from ?? "new"} → ${e.to}${e.muted ? " (muted)" : ""}`).join("; ")}` : "No state changes.");
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
