import type { Command } from "commander";
import { JOB_SETTING_LIMITS } from "../../hub/inventory.js";
import { durationOption } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { printJson, when } from "../output.js";

/** `jobmon mute` and `jobmon unmute`: stop and resume alerts for a job or a project. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("mute")
    .description("stop alerts for a job or a whole project for a while (state is still tracked)")
    .argument("<target>", "project name, project/job_name or job id")
    .requiredOption("--for <duration>", "how long, e.g. 30m, 4h, 2d (at most 366d)", durationOption("--for", JOB_SETTING_LIMITS.grace_seconds.max))
    .option("--json", "print the result as JSON")
    .action(async (target: string, opts: { for: number; json?: boolean }) => {
      const result = await ctx.monitor().mute(target, opts.for);
      if (opts.json) return printJson(io, result);
      io.out(`Muted ${result.kind} ${result.name} until ${when(result.until)}.`);
    });

  program
    .command("unmute")
    .description("alert again for a muted job or project")
    .argument("<target>", "project name, project/job_name or job id")
    .option("--json", "print the result as JSON")
    .action(async (target: string, opts: { json?: boolean }) => {
      const result = await ctx.monitor().mute(target, null);
      if (opts.json) return printJson(io, result);
      io.out(`Unmuted ${result.kind} ${result.name}.`);
    });
}
