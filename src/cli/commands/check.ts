import type { Command } from "commander";
import { skippedReport } from "../../check/index.js";
import { JobmonError } from "../../errors.js";
import { type CommandContext, EXIT_CHECK_SKIPPED } from "../context.js";
import { printCheckReport } from "../check-report.js";
import { printJson } from "../output.js";

/**
 * A check that finds the embedded hub held by another process (most likely another check)
 * gives up after this long instead of queueing behind it; other commands wait their turn.
 */
const CHECK_HUB_WAIT_MS = 2_000;

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
