import type { Command } from "commander";
import { choiceList, positiveInteger, repeatable } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { cutLine, leftOutLine, limitRows, matchesStatus, projectsWorstFirst, resolveProjectNames, selectJobs, STATUS_FILTERS } from "../job-list.js";
import { pc, printJson, status, table, truncate, when } from "../output.js";

/** `jobmon status`: current health: every project, the jobs that are not healthy, a count of the rest. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("status")
    .description("current health: every project, the jobs that are not healthy (all with --all)")
    .option("--project <name>", "only this project (repeat it, or separate names with commas)", repeatable("--project", "a project name"))
    .option("--status <status>", `only jobs with this status: ${STATUS_FILTERS.join(", ")} (repeat it, or separate with commas)`, choiceList("--status", STATUS_FILTERS))
    .option("--limit <n>", "at most this many jobs", positiveInteger("--limit"))
    .option("--all", "every job, healthy ones included")
    .option("--json", "print the entries as JSON (every job, or those --project, --status and --limit choose)")
    .action(async (opts: { project?: string[]; status?: string[]; limit?: number; all?: boolean; json?: boolean }) => {
      const m = ctx.monitor();
      // One project by name: the hub reads only its jobs.
      const one = opts.project?.length === 1 && !opts.project[0]!.includes(",") ? opts.project[0] : undefined;
      const current = await m.status(one === undefined ? {} : { project: one });
      let { projects, jobs } = current;
      if (opts.project) {
        const known = [...projects.map((p) => p.project_name), ...m.config.projects.map((p) => p.name), ...jobs.map((j) => j.project_name)];
        const names = new Set(resolveProjectNames(opts.project, known));
        projects = projects.filter((p) => names.has(p.project_name));
        jobs = jobs.filter((j) => names.has(j.project_name));
      }
      if (opts.json) {
        // The hub's order, as before; the filters and the limit choose rows, never change their shape.
        const { shown, cut } = limitRows(opts.status ? jobs.filter((j) => matchesStatus(j.status, opts.status!)) : jobs, opts.limit);
        if (cut > 0) io.err(`jobmon: ${cutLine(cut, opts.limit!)}`);
        return printJson(io, shown);
      }
      const now = new Date();
      for (const p of projectsWorstFirst(projects)) {
        const muted = p.muted_until && p.muted_until > now ? pc.dim(` (muted until ${when(p.muted_until)})`) : "";
        io.out(`${p.project_name}: ${status(p.status)}${p.status_reason ? ` — ${p.status_reason}` : ""}${muted}`);
      }
      if (jobs.length === 0) {
        io.out(opts.project ? "No jobs in these projects yet: run `jobmon discover` or `jobmon check`." : "No jobs yet: run `jobmon discover` or `jobmon check`.");
        return;
      }
      const selection = selectJobs(jobs, new Map(projects.map((p) => [p.project_name, p.status])), { all: opts.all, statuses: opts.status, limit: opts.limit });
      if (selection.shown.length > 0) {
        io.out(
          table(
            ["project", "job", "status", "last run", "reason"],
            selection.shown.map((j) => [j.project_name, j.job_name + (j.muted ? pc.dim(" (muted)") : ""), status(j.status), when(j.last_run_at), truncate(j.reason, 70)]),
          ),
        );
      } else if (opts.status) {
        io.out(`No job is ${opts.status.join(" or ")} (of ${jobs.length.toLocaleString("en-US")}).`);
      }
      if (selection.cut > 0) io.out(cutLine(selection.cut, opts.limit!));
      const left = leftOutLine(selection);
      if (left) io.out(left);
    });
}
