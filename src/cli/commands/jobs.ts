import type { Command } from "commander";
import { type DurationWindow, formatMs, jobDurations } from "../../health/durations.js";
import type { CommandContext } from "../context.js";
import { jobJson } from "../job-json.js";
import { pc, printJson, status, table, truncate, when } from "../output.js";

/** A job's usual run durations, `12s / 1m 03s` (p50 / p95), empty while none are kept. */
function durationCell(runs: DurationWindow | undefined): string {
  return runs && runs.recent.length > 0 ? `${formatMs(runs.p50)} / ${formatMs(runs.p95)}` : "";
}

/** `jobmon jobs`: the inventory with current status. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("jobs")
    .description("the inventory with current status")
    .option("--project <name>", "only this project")
    .option("--json", "print the rows as JSON, keyed by the hub's column names")
    .action(async (opts: { project?: string; json?: boolean }) => {
      const m = ctx.monitor();
      const rows = await m.listJobs({ project: opts.project });
      if (opts.json) return printJson(io, rows.map((r) => jobJson(r, m.config)));
      if (rows.length === 0) {
        io.out(opts.project ? `No jobs in project ${opts.project}.` : "No jobs yet: run `jobmon discover`.");
        return;
      }
      io.out(
        table(
          ["project", "type", "job", "schedule", "criticality", "status", "p50 / p95", "last seen", "description"],
          rows.map((r) => [
            r.project_name,
            r.job_type,
            r.job_name,
            r.schedule,
            r.criticality ?? pc.dim("(important)"),
            r.removed_at ? status("removed") : r.active === false ? status("paused") : status(r.status),
            durationCell(jobDurations(r.durations).runs),
            when(r.last_seen_at),
            truncate(r.description, 40),
          ]),
        ),
      );
    });
}
