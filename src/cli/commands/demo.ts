import type { Command } from "commander";
import { type CommandContext, UsageError } from "../context.js";
import { printJson } from "../output.js";

/**
 * `jobmon demo`: migrate, discover, annotate and check on an embedded hub and three sample
 * projects (src/demo/), then show the alerts it would send. No server, no configuration.
 */
export function register(program: Command, ctx: CommandContext): void {
  program
    .command("demo")
    .description("the whole cycle on an embedded sample, no servers: inventory, health check and the alerts it would send")
    .option("--dir <dir>", "put the demo hub in this (new or empty) directory and keep it")
    .option("--keep", "keep the demo hub in ./.jobmon (the default embedded hub) to explore with jobmon status, history, serve")
    .option("--send", "send the alerts through the configured routes (TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID, DISCORD_WEBHOOK_URL, SLACK_WEBHOOK_URL, JOBMON_WEBHOOK_URL)")
    .option("--json", "print { inventory, check, alerts } as JSON")
    .action(async (opts: { dir?: string; keep?: boolean; send?: boolean; json?: boolean }) => {
      const started = performance.now();
      const cwd = process.cwd();
      // The demo (and PGlite for its sample databases) load only for this command.
      const [{ DemoUsageError, runDemo }, { renderDemo }] = await Promise.all([import("../../demo/run.js"), import("../../demo/render.js")]);
      let result;
      try {
        result = await runDemo({ env: ctx.env, dir: opts.dir, keep: opts.keep, send: opts.send, cwd });
      } catch (error) {
        if (error instanceof DemoUsageError) throw new UsageError(error.message);
        throw error;
      }
      const delivery = result.delivery;
      if (delivery && (delivery.pending > 0 || delivery.unrouted > 0 || delivery.broken_routes.length > 0)) ctx.setExitCode(1);
      if (opts.json) {
        return printJson(ctx.io, {
          inventory: result.inventory,
          check: result.check,
          alerts: { ...result.alerts, sent: delivery !== null, delivery },
        });
      }
      renderDemo(ctx.io, result, { cwd, send: Boolean(opts.send), wallMs: performance.now() - started, secrets: result.secrets });
    });
}
