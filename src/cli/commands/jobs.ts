import type { Command } from "commander";
import { type DurationWindow, formatMs, jobDurations } from "../../health/durations.js";
import { listProjectStates } from "../../hub/projects.js";
import type { JobRow } from "../../hub/inventory.js";
import { choiceList, positiveInteger, repeatable } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { jobJson } from "../job-json.js";
import { cutLine, INVENTORY_STATUS_FILTERS, limitRows, matchesStatus, resolveProjectNames } from "../job-list.js";
import { pc, printJson, status, table, truncate, when } from "../output.js";

/** A job's usual run durations, `12s / 1m 03s` (p50 / p95), empty while none are kept. */
function durationCell(runs: DurationWindow | undefined): string {
  return runs && runs.recent.length > 0 ? `${formatMs(runs.p50)} / ${formatMs(runs.p95)}` : "";
}

/** The status `jobs` shows: a removed or paused job says so whatever its last verdict. */
function shownStatus(r: JobRow): string {
  return r.removed_at ? "removed" : r.active === false ? "paused" : r.status;
}

/** `jobmon jobs`: the inventory with current status. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("jobs")
    .description("the inventory with current status")
    .option("--project <name>", "only this project (repeat it, or separate names with commas)", repeatable("--project", "a project name"))
    .option("--status <status>", `only jobs with this status: ${INVENTORY_STATUS_FILTERS.join(", ")} (repeat it, or separate with commas)`, choiceList("--status", INVENTORY_STATUS_FILTERS))
    .option("--limit <n>", "at most this many jobs", positiveInteger("--limit"))
    .option("--json", "print the rows as JSON, keyed by the hub's column names")
    .action(async (opts: { project?: string[]; status?: string[]; limit?: number; json?: boolean }) => {
      const m = ctx.monitor();
      // One project by name: the hub reads only its jobs.
      const one = opts.project?.length === 1 && !opts.project[0]!.includes(",") ? opts.project[0] : undefined;
      let rows = await m.listJobs(one === undefined ? {} : { project: one });
      let names: string[] = [];
      if (opts.project) {
        const states = await listProjectStates(await m.hub());
        const known = [...rows.map((r) => r.project_name), ...m.config.projects.map((p) => p.name), ...states.map((p) => p.project_name)];
        names = resolveProjectNames(opts.project, known);
        const wanted = new Set(names);
        rows = rows.filter((r) => wanted.has(r.project_name));
      }
      const total = rows.length;
      if (opts.status) rows = rows.filter((r) => matchesStatus(shownStatus(r), opts.status!));
      const { shown, cut } = limitRows(rows, opts.limit);
      if (opts.json) {
        if (cut > 0) io.err(`jobmon: ${cutLine(cut, opts.limit!)}`);
        return printJson(io, shown.map((r) => jobJson(r, m.config)));
      }
      if (rows.length === 0) {
        const where = names.length > 0 ? ` in ${names.length === 1 ? "project" : "projects"} ${names.join(", ")}` : "";
        if (total === 0) io.out(where ? `No jobs${where}.` : "No jobs yet: run `jobmon discover`.");
        else io.out(`No job${where} is ${opts.status!.join(" or ")} (of ${total.toLocaleString("en-US")}).`);
        return;
      }
      io.out(
        table(
          ["project", "type", "job", "schedule", "criticality", "status", "p50 / p95", "last seen", "description"],
          shown.map((r) => [
            r.project_name,
            r.job_type,
            r.job_name,
            r.schedule,
            r.criticality ?? pc.dim("(important)"),
            status(shownStatus(r)),
            durationCell(jobDurations(r.durations).runs),
            when(r.last_seen_at),
            truncate(r.description, 40),
          ]),
        ),
      );
      if (cut > 0) io.out(cutLine(cut, opts.limit!));
    });
}
