import { Command } from "commander";
import type { MonitoringAPI } from "../monitor.js";
import { register as alerts } from "./commands/alerts.js";
import { register as annotate } from "./commands/annotate.js";
import { register as check } from "./commands/check.js";
import { register as cycles } from "./commands/cycles.js";
import { register as demo } from "./commands/demo.js";
import { register as discover } from "./commands/discover.js";
import { register as doctor } from "./commands/doctor.js";
import { register as history } from "./commands/history.js";
import { register as jobs } from "./commands/jobs.js";
import { register as migrate } from "./commands/migrate.js";
import { register as mute } from "./commands/mute.js";
import { register as schedule } from "./commands/schedule.js";
import { register as serve } from "./commands/serve.js";
import { register as status } from "./commands/status.js";
import type { CliContext, CommandContext, RegisterCommand } from "./context.js";
import { localLeaseProcess } from "./lease-process.js";
import { keepCommanderLineBreaks } from "./output.js";
import { packageVersion } from "./version.js";

/** Every command, one module each (src/cli/commands/), in the order `--help` lists them. */
const COMMANDS: readonly RegisterCommand[] = [serve, demo, migrate, discover, doctor, jobs, annotate, check, status, cycles, history, mute, schedule, alerts];

/** How long a command waits for an embedded hub that another process holds, unless it asks otherwise. */
const HUB_WAIT_MS = 60_000;

/** What each program opened, closed by closeProgram. */
const closers = new WeakMap<Command, () => Promise<void>>();

/**
 * Closes what the program's command opened (the hub): after it succeeded, failed or was
 * stopped by a signal. Safe to call more than once.
 */
export async function closeProgram(program: Command): Promise<void> {
  await closers.get(program)?.();
}

/** Shown under every command's --help: what configures jobmon (README, Configuration, has the whole table). */
const ENVIRONMENT_HELP = `
Environment (and ./.env; real variables win):
  SUPABASE_ACCESS_TOKEN (JOBMON_ACCESS_TOKEN)   every project the token can see, no password
  JOBMON_PROJECTS          narrow them: all, or refs/names, !ref to leave one out
  SUPABASE_POSTGRES_URL, _2 … _N   or projects by Postgres URL (JOBMON_POSTGRES_URL… on Supabase)
  JOBMON_PROJECT_NAMES, JOBMON_PROJECT_REFS, JOBMON_PROJECT_TIMEOUT
  JOBMON_HUB | JOBMON_HUB_URL | JOBMON_DIR   where the hub is (default: embedded, ./.jobmon)
  TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, DISCORD_WEBHOOK_URL, SLACK_WEBHOOK_URL,
  JOBMON_WEBHOOK_URL + JOBMON_WEBHOOK_SECRET   alert routes
  SUPABASE_API_URL, JOBMON_HEARTBEAT_URL, JOBMON_RETENTION_DAYS,
  JOBMON_REMIND_CRITICAL|_IMPORTANT|_LOW, JOBMON_DASHBOARD_TOKEN, JOBMON_FUNCTION_SECRET,
  JOBMON_RUN_HISTORY_DAYS (days of pg_cron run history doctor's cleanup keeps, default 30)
Exit codes: 0 done, 1 not done, 2 configuration error, 75 check skipped (another check
running), 130/143 stopped by SIGINT/SIGTERM.`;

export function buildProgram(ctx: CliContext): Command {
  const { io } = ctx;
  let api: MonitoringAPI | null = null;
  // The library (the configuration's schemas, the collectors, the hub) loads before a command
  // runs, not at start: --help, argument errors and `schedule` do without it.
  let library: { MonitoringAPI: typeof MonitoringAPI; resolveConfig: typeof import("../config.js").resolveConfig } | null = null;
  const monitor = (options: { hubWaitMs?: number } = {}): MonitoringAPI => {
    if (!library) throw new Error("jobmon: the library is loaded before a command's action runs");
    return (api ??= new library.MonitoringAPI({ config: library.resolveConfig(ctx.env), hubWaitMs: options.hubWaitMs ?? HUB_WAIT_MS, leaseProcess: localLeaseProcess() }));
  };

  const program = new Command("jobmon")
    .description("Monitor pg_cron jobs and Edge Functions across Supabase projects.")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // The argument parser's errors read like every other error: `jobmon: …`, exit code 1.
      outputError: (s, write) => write(`jobmon: ${s.replace(/^error: /, "")}`),
    })
    .addHelpText("afterAll", ENVIRONMENT_HELP);
  // The Io prints a newline inside a text as ⏎ (it may come from a value); commander's help
  // and usage errors are jobmon's own lines. Set before any command is added, so they all
  // inherit it.
  keepCommanderLineBreaks(program);

  const commandContext: CommandContext = { io, env: ctx.env, monitor, setExitCode: ctx.setExitCode, signal: ctx.signal, confirm: ctx.confirm };
  for (const register of COMMANDS) register(program, commandContext);
  program.hook("preAction", async () => {
    if (library) return;
    const [{ MonitoringAPI }, { resolveConfig }] = await Promise.all([import("../monitor.js"), import("../config.js")]);
    library = { MonitoringAPI, resolveConfig };
  });

  const close = async () => {
    const open = api;
    api = null;
    await open?.close();
  };
  closers.set(program, close);
  // On success; main.ts calls closeProgram on every other path too.
  program.hook("postAction", close);
  return program;
}
