import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { printJson } from "../output.js";

/** `jobmon migrate`: create or upgrade the hub schema. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("migrate")
    .description("create or upgrade the hub schema")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }) => {
      const result = await ctx.monitor().migrate();
      if (opts.json) return printJson(io, result);
      const hub = ctx.monitor().config.hub;
      const where = hub.kind === "embedded" ? `embedded hub in ${hub.dir}` : `hub (${hub.source})`;
      io.out(
        result.applied.length
          ? `Applied ${result.applied.length} migration(s) to the ${where}: ${result.applied.join(", ")}`
          : `The ${where} is up to date (${result.current}).`,
      );
    });
}
