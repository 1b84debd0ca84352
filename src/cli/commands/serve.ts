import { type Command, InvalidArgumentError } from "commander";
import type { Config } from "../../config.js";
import { checkBind, isLoopbackHost, TOKEN_VARIABLE } from "../../dashboard/auth.js";
import { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, DEFAULT_REFRESH_SECONDS } from "../../dashboard/defaults.js";
import type { MonitorSession } from "../../dashboard/server.js";
import type { MonitoringAPI } from "../../monitor.js";
import type { CommandContext } from "../context.js";

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError(`--port takes a port number from 0 to 65535, not "${value}"`);
  return Number(value);
}

/**
 * PGlite is one process's database (src/node/embedded-hub.ts locks it), so a dashboard that
 * held the embedded hub open would lock `jobmon check` out for as long as it runs. Instead it
 * opens the hub for each request (about a quarter of a second) and closes it again, one
 * request at a time; while a check holds the hub, a request waits a few seconds and then
 * answers 503, and the page retries on its next refresh.
 */
function embeddedHubSession(config: Config, Monitor: typeof MonitoringAPI): MonitorSession {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: (monitor: MonitoringAPI) => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      const monitor = new Monitor({ config, hubWaitMs: 5_000 });
      try {
        return await fn(monitor);
      } finally {
        await monitor.close();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
}

function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command("serve")
    .description("a read-only status dashboard in the browser, with a JSON API and /metrics for Prometheus")
    .option("--port <n>", `port to listen on (0: any free port)`, portNumber, DEFAULT_DASHBOARD_PORT)
    .option("--host <address>", `address to bind; anything but loopback requires ${TOKEN_VARIABLE}`, DEFAULT_DASHBOARD_HOST)
    .action(async (opts: { port: number; host: string }) => {
      const token = ctx.env[TOKEN_VARIABLE] || undefined;
      // Refused before the hub is touched: a public bind without a token never starts.
      checkBind(opts.host, token);
      const base = ctx.monitor();
      const config = base.config;
      const embedded = config.hub.kind === "embedded";
      // The dashboard (and prom-client) load only for this command: every other one starts without them.
      const [{ startDashboard }, { MonitoringAPI }] = await Promise.all([import("../../dashboard/server.js"), import("../../monitor.js")]);
      const dashboard = await startDashboard({
        monitor: embedded ? embeddedHubSession(config, MonitoringAPI) : base,
        host: opts.host,
        port: opts.port,
        token,
        secrets: config.secrets,
        log: (line) => ctx.io.err(line),
      });
      const { io } = ctx;
      const everywhere = opts.host === "0.0.0.0" || opts.host === "::" ? " on every interface" : "";
      io.out(`jobmon dashboard: ${dashboard.url}${everywhere} (read-only; the page refreshes every ${DEFAULT_REFRESH_SECONDS} s; JSON at ${dashboard.url}api/status, Prometheus metrics at ${dashboard.url}metrics)`);
      io.out(config.hub.kind === "embedded" ? `Hub: embedded in ${config.hub.dir}, opened per request so that \`jobmon check\` can still run.` : `Hub: ${config.hub.source}.`);
      if (dashboard.tokenRequired) {
        io.out(`Every request must carry ${TOKEN_VARIABLE}: send \`Authorization: Bearer <token>\`, or sign in at ${dashboard.url}login.`);
        if (!isLoopbackHost(opts.host)) io.out("This is plain HTTP: put a TLS proxy in front of it before the token crosses a network.");
      } else {
        io.out(`Only this machine can reach it (loopback, no token). To serve other machines, set ${TOKEN_VARIABLE} and --host.`);
      }
      io.out("Ctrl-C stops it.");
      await untilStopped();
      await dashboard.close();
    });
}
