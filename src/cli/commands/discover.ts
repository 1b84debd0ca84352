import type { Command } from "commander";
import { type CommandContext, UsageError } from "../context.js";
import { pc, printJson, status } from "../output.js";

/** `jobmon discover`: audit every project's pg_cron jobs (and Edge Functions) into job_inventory. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("discover")
    .description("audit every project's pg_cron jobs into job_inventory")
    .option("--json", "print the report as JSON")
    .action(async (opts: { json?: boolean }) => {
      const m = ctx.monitor();
      if (m.config.projects.length === 0 && m.config.apiProjects === null) {
        throw new UsageError("no projects configured: set SUPABASE_ACCESS_TOKEN (every project it can see) or SUPABASE_POSTGRES_URL (and _2, _3 … for more projects)");
      }
      const report = await m.auditAllProjects();
      if (report.projects.some((p) => p.status === "unreachable")) ctx.setExitCode(1);
      if (opts.json) return printJson(io, report);
      if (report.projects.length === 0) io.out("No project found: the access token lists none (or JOBMON_PROJECTS leaves none).");
      for (const p of report.projects) {
        if (p.status === "unreachable") {
          io.out(`${pc.red("✗")} ${p.project_name}: ${status("unreachable")}: ${p.error}`);
          continue;
        }
        if (p.status !== "ok") {
          io.out(`${pc.dim("–")} ${p.project_name}: ${status(p.status)}: ${p.error}`);
          continue;
        }
        const fns = p.functions === null ? "" : `, ${p.functions} Edge Function(s)`;
        const counts = `${p.jobs} job(s)${fns}: ${p.inserted.length} new, ${p.changed.length} changed, ${p.removed.length} removed`;
        io.out(`${pc.green("✓")} ${p.project_name}: pg_cron ${p.pg_cron_version ?? "not installed"}, timezone ${p.timezone}; ${counts}`);
        for (const w of p.warnings) io.err(`  ${pc.yellow("warning:")} ${w}`);
      }
      for (const note of report.notes) io.err(`${pc.yellow("note:")} ${note}`);
    });
}
