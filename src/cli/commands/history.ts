import type { Command } from "commander";
import { HISTORY_LIMIT } from "../../hub/inventory.js";
import { wholeNumber } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { printJson, status, table, truncate, when } from "../output.js";

/** `jobmon history`: the health log of one job. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("history")
    .description("the health log of one job")
    .argument("<job>", "inventory id or project/job_name")
    .option("--limit <n>", `entries to show (1 to ${HISTORY_LIMIT.max})`, wholeNumber("--limit", HISTORY_LIMIT.max), 50)
    .option("--json", "print the rows as JSON")
    .action(async (ref: string, opts: { limit: number; json?: boolean }) => {
      const { job, entries } = await ctx.monitor().history(ref, opts.limit);
      if (opts.json) return printJson(io, entries);
      io.out(`${job.project_name}/${job.job_name}: ${status(job.status)}${job.status_reason ? ` — ${job.status_reason}` : ""}`);
      if (entries.length === 0) return io.out("No health log entries yet: run `jobmon check`.");
      io.out(
        table(
          ["collected", "entry", "status", "run at", "reason / error"],
          entries.map((e) => [
            when(e.collected_at),
            // A check writes one row per job and one per failed run it found.
            e.run_id === null ? `check${e.runs_total ? ` (${e.runs_total} run${e.runs_total === 1 ? "" : "s"})` : ""}` : `run ${e.run_id}`,
            status(e.status),
            when(e.run_at),
            truncate(e.run_id === null ? e.reason : (e.error_message ?? e.reason), 80),
          ]),
        ),
      );
    });
}
