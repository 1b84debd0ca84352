import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { pc, printJson, status, table, truncate, when } from "../output.js";

/** `jobmon status`: current health, one line a job. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("status")
    .description("current health, one line a job")
    .option("--project <name>", "only this project")
    .option("--json", "print the entries as JSON")
    .action(async (opts: { project?: string; json?: boolean }) => {
      const m = ctx.monitor();
      const current = await m.status({ project: opts.project });
      if (opts.json) return printJson(io, current.jobs);
      for (const p of current.projects) {
        if (opts.project && p.project_name !== opts.project) continue;
        const muted = p.muted_until && p.muted_until > new Date() ? pc.dim(` (muted until ${when(p.muted_until)})`) : "";
        io.out(`${p.project_name}: ${status(p.status)}${p.status_reason ? ` — ${p.status_reason}` : ""}${muted}`);
      }
      if (current.jobs.length === 0) {
        io.out("No jobs yet: run `jobmon discover` or `jobmon check`.");
        return;
      }
      io.out(
        table(
          ["project", "job", "status", "last run", "reason"],
          current.jobs.map((j) => [j.project_name, j.job_name + (j.muted ? pc.dim(" (muted)") : ""), status(j.status), when(j.last_run_at), truncate(j.reason, 70)]),
        ),
      );
    });
}
