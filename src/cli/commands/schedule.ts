import { type Command, Option } from "commander";
import { explainSchedule, MAX_FIRE_TIMES } from "../../health/schedule/index.js";
import { wholeNumber } from "../arguments.js";
import { type CommandContext, UsageError } from "../context.js";
import { pc, printJson } from "../output.js";

/** `jobmon schedule`: explain a pg_cron schedule and list its next fire times (no hub, no project). */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("schedule")
    .description("explain a pg_cron schedule and list its next fire times")
    .argument("<expr>", "the schedule, as given to cron.schedule (quote it)")
    .option("--after <iso>", "list fire times after this instant (default: now)")
    .option("--count <n>", `how many fire times (1 to ${MAX_FIRE_TIMES})`, wholeNumber("--count", MAX_FIRE_TIMES), 5)
    .option("--timezone <tz>", "cron.timezone (pg_cron 1.5+)", "GMT")
    .addOption(new Option("--pg-cron <version>", "pg_cron version whose rules apply").choices(["1.4", "1.5", "1.6"]).default("1.6"))
    .option("--json", "print the explanation as JSON")
    .action((expr: string, opts: { after?: string; count: number; timezone: string; pgCron: string; json?: boolean }) => {
      if (opts.after !== undefined && Number.isNaN(Date.parse(opts.after))) {
        throw new UsageError(`--after takes an ISO instant such as 2026-11-30T09:00:00Z, not "${opts.after}"`);
      }
      const result = explainSchedule(expr, { pgCronVersion: opts.pgCron, timezone: opts.timezone, after: opts.after, count: opts.count });
      // An expression pg_cron would reject, or a zone that does not exist (`error` on a valid
      // expression), is a failed check, for scripts that lint schedules.
      if (!result.valid || result.error) ctx.setExitCode(1);
      if (opts.json) return printJson(io, result);
      if (!result.valid) {
        io.out(`${pc.red("✗")} pg_cron ${opts.pgCron} rejects "${expr}": ${result.error}`);
        return;
      }
      if (result.error) {
        io.out(`${pc.red("✗")} --timezone: ${result.error}`);
        return;
      }
      io.out(`${pc.green("✓")} ${result.description ?? result.kind}`);
      for (const w of result.warnings) io.out(`  ${pc.yellow("warning:")} ${w}`);
      if (result.error) io.out(`  ${pc.red("error:")} ${result.error}`);
      if (result.next.length > 0) {
        io.out("Next fire times (UTC):");
        for (const t of result.next) io.out(`  ${t}`);
      }
    });
}
