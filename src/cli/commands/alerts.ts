import type { Command } from "commander";
import { positiveInteger } from "../arguments.js";
import { type CommandContext, UsageError } from "../context.js";
import { pc, printJson, status, table, truncate, when } from "../output.js";

/** `jobmon alerts` (recent deliveries and the outbox) and `jobmon alerts test` (a test message through every route). */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const alerts = program
    .command("alerts")
    .description("recent alert deliveries with their state and errors")
    .option("--limit <n>", "deliveries to show", positiveInteger("--limit"), 30)
    .option("--json", "print the rows as JSON")
    .action(async (opts: { limit: number; json?: boolean }) => {
      const m = ctx.monitor();
      const rows = await m.alertDeliveries(opts.limit);
      if (opts.json) return printJson(io, rows);
      const waiting = await m.waitingAlerts(opts.limit);
      if (rows.length === 0 && waiting.length === 0) return io.out("No alerts yet.");
      if (rows.length > 0) {
        io.out(
          table(
            ["created", "state", "route", "project", "alert", "change", "error"],
            rows.map((r) => [when(r.created_at), status(r.status === "delivered" ? "ok" : r.status), r.route_id + (r.fallback_from ? ` (for ${r.fallback_from})` : ""), r.project_name, r.title, r.to_status ? `${r.from_status ?? "new"} → ${r.to_status}` : r.kind, truncate(r.last_error, 60)]),
          ),
        );
      }
      if (waiting.length > 0) {
        io.out(`${waiting.length} alert(s) wait in the outbox:`);
        io.out(
          table(
            ["created", "why", "route", "project", "alert", "reason"],
            waiting.map((w) => [when(w.created_at), status(w.why === "no_route" || w.why === "route_broken" ? "failed" : "pending"), w.route_id ?? "(none)", w.project_name, w.title, truncate(w.reason, 80)]),
          ),
        );
      }
    });

  alerts
    .command("test")
    .description("send a test message through every enabled route and report each result")
    .option("--json", "print the results as JSON")
    .action(async (opts: { json?: boolean }) => {
      const results = await ctx.monitor().testAlertRoutes();
      if (opts.json) return printJson(io, results);
      if (results.length === 0) {
        const { noRouteHint } = await import("../../alerts/channels/index.js");
        throw new UsageError(`no alert route is configured: ${noRouteHint()}`);
      }
      for (const r of results) {
        io.out(r.ok ? `${pc.green("✓")} ${r.route}: delivered${r.wasBroken ? " (no longer marked broken)" : ""}` : `${pc.red("✗")} ${r.route}: ${r.error}`);
      }
      if (results.some((r) => !r.ok)) ctx.setExitCode(1);
    });
}
