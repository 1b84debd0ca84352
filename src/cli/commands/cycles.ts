import type { Command } from "commander";
import { wholeNumber } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { printJson, table, when } from "../output.js";

/**
 * `jobmon cycles`: the fanned-out check cycles of the Edge deployment (docs/deploy.md,
 * "Hundreds of projects"), newest first, with how far each got; `--report` prints one cycle's
 * report in `check --json`'s shape.
 */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("cycles")
    .description("fanned-out check cycles (Edge deployment): progress, unchecked projects, reports")
    .option("--limit <n>", "cycles to show (1 to 100)", wholeNumber("--limit", 100), 10)
    .option("--report [cycle]", "print a cycle's report as JSON, in check --json's shape (default: the newest cycle)")
    .option("--json", "print the cycles as JSON")
    .action(async (opts: { limit: number; report?: string | true; json?: boolean }) => {
      const monitor = ctx.monitor();
      if (opts.report !== undefined) {
        if (opts.report !== true && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(opts.report)) {
          io.err(`jobmon: --report takes a cycle id (a UUID, as \`jobmon cycles\` lists them), not "${opts.report}"`);
          ctx.setExitCode(1);
          return;
        }
        const report = await monitor.cycleReport(opts.report === true ? undefined : opts.report);
        if (!report) {
          io.err(opts.report === true ? "No fanned-out cycle yet (see JOBMON_FANOUT in docs/deploy.md)." : `No cycle ${opts.report}.`);
          ctx.setExitCode(1);
          return;
        }
        return printJson(io, report);
      }
      const cycles = await monitor.cycles(opts.limit);
      if (opts.json) return printJson(io, cycles);
      if (cycles.length === 0) return io.out("No fanned-out cycle yet: the Edge Function fans out with JOBMON_FANOUT (docs/deploy.md).");
      io.out(
        table(
          ["started", "status", "checked", "batches", "deadline", "unchecked / heartbeat"],
          cycles.map((c) => [
            when(c.started_at),
            c.status,
            `${c.checked}/${c.projects}${c.status === "running" && c.claimed > 0 ? ` (${c.claimed} in progress)` : ""}`,
            `${c.batches} (${c.workers_started} started)`,
            when(c.deadline),
            c.summary ? (c.summary.unchecked.length > 0 ? `${c.summary.unchecked.length} unchecked: ${c.summary.unchecked.slice(0, 5).join(", ")}${c.summary.unchecked.length > 5 ? " …" : ""}` : (c.summary.heartbeat ?? "")) : "",
          ]),
        ),
      );
    });
}
