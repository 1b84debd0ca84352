import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { Command, InvalidArgumentError, Option } from "commander";
import { redactSecrets } from "../lib/redact.js";
import { type Config, type Env, resolveConfig } from "../config.js";
import { parseDuration } from "../duration.js";
import type { JobPatch, JobRow } from "../hub/inventory.js";
import type { DeliveryReport } from "../alerts/deliver.js";
import { type CheckReport, skippedReport } from "../check/index.js";
import type { LeaseProcess } from "../hub/lock.js";
import { explainSchedule, MAX_FIRE_TIMES } from "../health/schedule/index.js";
import { MonitoringAPI } from "../monitor.js";
import { EXTRA_COMMANDS } from "./commands/index.js";
import { CRITICALITIES, type Criticality } from "../types.js";
import { type Io, pc, printJson, status, table, truncate, when } from "./output.js";
import { formatDuration } from "../duration.js";
import { HISTORY_LIMIT, JOB_SETTING_LIMITS } from "../hub/inventory.js";

/** What a command module (src/cli/commands/*.ts) gets to register itself. */
export interface CommandContext {
  io: Io;
  env: Env;
  /** The library facade, created on first use from the environment (and closed after the command). */
  monitor(): MonitoringAPI;
  setExitCode(code: number): void;
}

export interface CliContext {
  env: Env;
  io: Io;
  /** Sets the process exit code (commands that did not do their work set 1). */
  setExitCode(code: number): void;
  /**
   * Aborted, with the signal's name as its reason, when the process is told to stop (SIGINT,
   * SIGTERM): a running check stops, records what it must and releases what it holds.
   */
  signal?: AbortSignal;
}

/**
 * EX_TEMPFAIL (sysexits.h): the check did nothing because another check holds the lease or
 * another process the embedded hub; run it again later. Not 0: a monitor that did not check
 * must not look like one that did.
 */
export const EXIT_CHECK_SKIPPED = 75;

/** A command stopped by a signal exits 128 + the signal's number, as a shell reports it. */
export const EXIT_ON_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * This process as the check lease records it (src/hub/lock.ts): a later check on this host
 * takes the lease over as soon as this process is gone.
 */
export function localLeaseProcess(): LeaseProcess {
  let pidNamespace: string | null = null;
  try {
    pidNamespace = readlinkSync("/proc/self/ns/pid");
  } catch {
    // Not Linux: host and PID alone.
  }
  return {
    host: hostname(),
    pid: process.pid,
    pidNamespace,
    isAlive(pid: number): boolean {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        // EPERM: it runs, as another user.
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
    },
  };
}

/** What each program opened, closed by closeProgram. */
const closers = new WeakMap<Command, () => Promise<void>>();

/**
 * Closes what the program's command opened (the hub): after it succeeded, failed or was
 * stopped by a signal. Safe to call more than once.
 */
export async function closeProgram(program: Command): Promise<void> {
  await closers.get(program)?.();
}

function durationOption(flag: string, max?: number) {
  return (value: string): number => {
    const seconds = parseDuration(value);
    if (seconds === null || seconds <= 0) {
      throw new InvalidArgumentError(`${flag} takes a duration such as 90s, 30m or 2h, not "${value}"`);
    }
    if (max !== undefined && seconds > max) {
      throw new InvalidArgumentError(`${flag} takes a duration from 1s to ${formatDuration(max)}, not "${value}"`);
    }
    return seconds;
  };
}

/** A whole number from 1 to `max`. */
function wholeNumber(flag: string, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from 1 to ${max}, not "${value}"`);
    }
    return Number(value);
  };
}

function positiveInteger(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${flag} takes a whole number of at least 1, not "${value}"`);
    }
    return Number(value);
  };
}

/** Rows as `--json` prints them: the hub's column names, secrets in commands redacted. */
export function jobJson(row: JobRow, config: Config): Record<string, unknown> {
  return { ...row, command: row.command === null ? null : redactSecrets(row.command, config.secrets) };
}

/** Shown under every command's --help: what configures jobmon (README, Configuration, has the whole table). */
const ENVIRONMENT_HELP = `
Environment (and ./.env; real variables win):
  SUPABASE_POSTGRES_URL, _2 … _N   the monitored projects (JOBMON_POSTGRES_URL… on Supabase)
  JOBMON_PROJECT_NAMES, JOBMON_PROJECT_REFS, JOBMON_PROJECT_TIMEOUT
  JOBMON_HUB | JOBMON_HUB_URL | JOBMON_DIR   where the hub is (default: embedded, ./.jobmon)
  TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, DISCORD_WEBHOOK_URL   alert routes
  SUPABASE_ACCESS_TOKEN (JOBMON_ACCESS_TOKEN), JOBMON_HEARTBEAT_URL, JOBMON_RETENTION_DAYS,
  JOBMON_REMIND_CRITICAL|_IMPORTANT|_LOW, JOBMON_DASHBOARD_TOKEN, JOBMON_FUNCTION_SECRET
Exit codes: 0 done, 1 not done, 2 configuration error, 75 check skipped (another check
running), 130/143 stopped by SIGINT/SIGTERM.`;

export function buildProgram(ctx: CliContext): Command {
  const { io } = ctx;
  let api: MonitoringAPI | null = null;
  // A check that finds the embedded hub held by another process (most likely another check)
  // gives up quickly instead of queueing behind it; other commands wait their turn.
  let hubWaitMs = 60_000;
  const monitor = (): MonitoringAPI => (api ??= new MonitoringAPI({ config: resolveConfig(ctx.env), hubWaitMs, leaseProcess: localLeaseProcess() }));

  const program = new Command("jobmon")
    .description("Monitor pg_cron jobs and Edge Functions across Supabase projects.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // The argument parser's errors read like every other error: `jobmon: …`, exit code 1.
      outputError: (s, write) => write(`jobmon: ${s.replace(/^error: /, "")}`),
    })
    .addHelpText("afterAll", ENVIRONMENT_HELP);

  const commandContext: CommandContext = { io, env: ctx.env, monitor, setExitCode: ctx.setExitCode };
  for (const register of EXTRA_COMMANDS) register(program, commandContext);

  program.hook("preAction", (_program, command) => {
    if (command.name() === "check") hubWaitMs = 2_000;
  });
  const close = async () => {
    const open = api;
    api = null;
    await open?.close();
  };
  closers.set(program, close);
  // On success; main.ts calls closeProgram on every other path too.
  program.hook("postAction", close);

  program
    .command("migrate")
    .description("create or upgrade the hub schema")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }) => {
      const result = await monitor().migrate();
      if (opts.json) return printJson(io, result);
      const hub = monitor().config.hub;
      const where = hub.kind === "embedded" ? `embedded hub in ${hub.dir}` : `hub (${hub.source})`;
      io.out(
        result.applied.length
          ? `Applied ${result.applied.length} migration(s) to the ${where}: ${result.applied.join(", ")}`
          : `The ${where} is up to date (${result.current}).`,
      );
    });

  program
    .command("discover")
    .description("audit every project's pg_cron jobs into job_inventory")
    .option("--json", "print the report as JSON")
    .action(async (opts: { json?: boolean }) => {
      const m = monitor();
      if (m.config.projects.length === 0) {
        throw new UsageError("no projects configured: set SUPABASE_POSTGRES_URL (and _2, _3 … for more projects)");
      }
      const report = await m.auditAllProjects();
      if (report.projects.some((p) => p.status !== "ok")) ctx.setExitCode(1);
      if (opts.json) return printJson(io, report);
      for (const p of report.projects) {
        if (p.status !== "ok") {
          io.out(`${pc.red("✗")} ${p.project_name}: ${status("unreachable")}: ${p.error}`);
          continue;
        }
        const fns = p.functions === null ? "" : `, ${p.functions} Edge Function(s)`;
        const counts = `${p.jobs} job(s)${fns}: ${p.inserted.length} new, ${p.changed.length} changed, ${p.removed.length} removed`;
        io.out(`${pc.green("✓")} ${p.project_name}: pg_cron ${p.pg_cron_version ?? "not installed"}, timezone ${p.timezone}; ${counts}`);
        for (const w of p.warnings) io.err(`  ${pc.yellow("warning:")} ${w}`);
      }
      for (const note of report.notes) io.err(`${pc.yellow("note:")} ${note}`);
    });

  program
    .command("jobs")
    .description("the inventory with current status")
    .option("--project <name>", "only this project")
    .option("--json", "print the rows as JSON, keyed by the hub's column names")
    .action(async (opts: { project?: string; json?: boolean }) => {
      const m = monitor();
      const rows = await m.listJobs({ project: opts.project });
      if (opts.json) return printJson(io, rows.map((r) => jobJson(r, m.config)));
      if (rows.length === 0) {
        io.out(opts.project ? `No jobs in project ${opts.project}.` : "No jobs yet: run `jobmon discover`.");
        return;
      }
      io.out(
        table(
          ["project", "type", "job", "schedule", "criticality", "status", "last seen", "description"],
          rows.map((r) => [
            r.project_name,
            r.job_type,
            r.job_name,
            r.schedule,
            r.criticality ?? pc.dim("(important)"),
            r.removed_at ? status("removed") : r.active === false ? status("paused") : status(r.status),
            when(r.last_seen_at),
            truncate(r.description, 40),
          ]),
        ),
      );
    });

  program
    .command("annotate")
    .description("annotate a job by hand: what it does, how to know it worked, how critical it is")
    .argument("<job>", "inventory id or project/job_name")
    .option("--description <text>", "what the job does")
    .option("--success-criteria <text>", "how to know it worked")
    .addOption(new Option("--criticality <level>", "critical, important or low").choices([...CRITICALITIES]))
    .option("--grace <duration>", "how late a run may be before it is missed (e.g. 10m)", durationOption("--grace", JOB_SETTING_LIMITS.grace_seconds.max))
    .option("--max-runtime <duration>", "how long a run may take before it is stuck (e.g. 2h)", durationOption("--max-runtime", JOB_SETTING_LIMITS.max_runtime_seconds.max))
    .option("--failure-threshold <n>", "consecutive failures before alerting", wholeNumber("--failure-threshold", JOB_SETTING_LIMITS.failure_threshold.max))
    .option("--json", "print the updated row as JSON")
    .action(
      async (
        ref: string,
        opts: {
          description?: string;
          successCriteria?: string;
          criticality?: Criticality;
          grace?: number;
          maxRuntime?: number;
          failureThreshold?: number;
          json?: boolean;
        },
      ) => {
        const patch: JobPatch = {
          description: opts.description,
          success_criteria: opts.successCriteria,
          criticality: opts.criticality,
          grace_seconds: opts.grace,
          max_runtime_seconds: opts.maxRuntime,
          failure_threshold: opts.failureThreshold,
        };
        if (Object.values(patch).every((v) => v === undefined)) {
          throw new UsageError("nothing to change: give --description, --success-criteria, --criticality, --grace, --max-runtime or --failure-threshold");
        }
        const m = monitor();
        const row = await m.updateJob(ref, patch);
        if (opts.json) return printJson(io, jobJson(row, m.config));
        io.out(`Annotated ${row.project_name}/${row.job_name} (${row.id}).`);
      },
    );

  program
    .command("check")
    .description("one health-check cycle: collect runs, judge every job, record, alert")
    .option("--dry-run", "collect and judge, but record nothing and send nothing")
    .option("--json", "print the report as JSON")
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const m = monitor();
      const started = new Date();
      let report;
      try {
        report = await m.checkHealth({ dryRun: opts.dryRun, signal: ctx.signal });
      } catch (error) {
        if (!(error instanceof Error && error.name === "HubBusyError")) throw error;
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
      printCheckReport(io, report);
    });

  program
    .command("status")
    .description("current health, one line a job")
    .option("--project <name>", "only this project")
    .option("--json", "print the entries as JSON")
    .action(async (opts: { project?: string; json?: boolean }) => {
      const m = monitor();
      const current = await m.status({ project: opts.project });
      if (opts.json) return printJson(io, current.jobs);
      for (const p of current.projects) {
        if (opts.project && p.project_name !== opts.project) continue;
        const muted = p.muted_until && p.muted_until > new Date() ? pc.dim(` (muted until ${when(p.muted_until)})`) : "";
        io.out(`${p.project_name}: ${status(p.status)}${p.status_reason ? ` — ${p.status_reason}` : ""}${muted}`);
      }
      if (current.jobs.length === 0) {
        io.out("No jobs yet: run `jobmon discover` or `jobmon check`.");
        return;
      }
      io.out(
        table(
          ["project", "job", "status", "last run", "reason"],
          current.jobs.map((j) => [j.project_name, j.job_name + (j.muted ? pc.dim(" (muted)") : ""), status(j.status), when(j.last_run_at), truncate(j.reason, 70)]),
        ),
      );
    });

  program
    .command("history")
    .description("the health log of one job")
    .argument("<job>", "inventory id or project/job_name")
    .option("--limit <n>", `entries to show (1 to ${HISTORY_LIMIT.max})`, wholeNumber("--limit", HISTORY_LIMIT.max), 50)
    .option("--json", "print the rows as JSON")
    .action(async (ref: string, opts: { limit: number; json?: boolean }) => {
      const { job, entries } = await monitor().history(ref, opts.limit);
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

  program
    .command("mute")
    .description("stop alerts for a job or a whole project for a while (state is still tracked)")
    .argument("<target>", "project name, project/job_name or job id")
    .requiredOption("--for <duration>", "how long, e.g. 30m, 4h, 2d (at most 366d)", durationOption("--for", JOB_SETTING_LIMITS.grace_seconds.max))
    .option("--json", "print the result as JSON")
    .action(async (target: string, opts: { for: number; json?: boolean }) => {
      const result = await monitor().mute(target, opts.for);
      if (opts.json) return printJson(io, result);
      io.out(`Muted ${result.kind} ${result.name} until ${when(result.until)}.`);
    });

  program
    .command("unmute")
    .description("alert again for a muted job or project")
    .argument("<target>", "project name, project/job_name or job id")
    .option("--json", "print the result as JSON")
    .action(async (target: string, opts: { json?: boolean }) => {
      const result = await monitor().mute(target, null);
      if (opts.json) return printJson(io, result);
      io.out(`Unmuted ${result.kind} ${result.name}.`);
    });

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

  const alerts = program
    .command("alerts")
    .description("recent alert deliveries with their state and errors")
    .option("--limit <n>", "deliveries to show", positiveInteger("--limit"), 30)
    .option("--json", "print the rows as JSON")
    .action(async (opts: { limit: number; json?: boolean }) => {
      const m = monitor();
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
      const results = await monitor().testAlertRoutes();
      if (opts.json) return printJson(io, results);
      if (results.length === 0) {
        throw new UsageError("no alert route is configured: set TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID and/or DISCORD_WEBHOOK_URL, or add rows to monitoring.alert_config");
      }
      for (const r of results) {
        io.out(r.ok ? `${pc.green("✓")} ${r.route}: delivered${r.wasBroken ? " (no longer marked broken)" : ""}` : `${pc.red("✗")} ${r.route}: ${r.error}`);
      }
      if (results.some((r) => !r.ok)) ctx.setExitCode(1);
    });

  return program;
}

function printCheckReport(io: Io, report: CheckReport): void {
  for (const p of report.projects) {
    const mark = p.status === "ok" ? pc.green("✓") : pc.red("✗");
    io.out(`${mark} ${p.project_name}: ${status(p.status)}${p.status === "ok" ? "" : ` — ${p.reason}`}`);
    for (const w of p.warnings) io.err(`  ${pc.yellow("warning:")} ${w}`);
  }
  if (report.jobs.length > 0) {
    io.out(
      table(
        ["project", "job", "status", "was", "last run", "reason"],
        report.jobs.map((j) => [j.project_name, j.job_name + (j.muted ? pc.dim(" (muted)") : ""), status(j.status), j.previous_status, when(j.last_run_at), truncate(j.reason, 70)]),
      ),
    );
  }
  const changes = report.events.length;
  io.out(changes ? `${changes} state change(s): ${report.events.map((e) => `${e.project_name}${e.job_name ? `/${e.job_name}` : ""} ${e.from ?? "new"} → ${e.to}${e.muted ? " (muted)" : ""}`).join("; ")}` : "No state changes.");
  const a = (report as CheckReport & { alerts?: DeliveryReport }).alerts;
  if (a) {
    if (a.messages > 0 || a.pending > 0) io.out(`Alerts: ${a.delivered} delivered in ${a.messages} message(s)${a.pending ? `, ${a.pending} pending for the next check` : ""}.`);
    for (const b of a.broken_routes) io.err(`${pc.red("route broken:")} ${b.route}: ${b.error}`);
    for (const note of a.notes) io.err(`${pc.yellow("note:")} ${note}`);
  }
  if (report.dry_run) io.out(pc.dim("(dry run: nothing was recorded or sent)"));
}

/** A mistake in how the command was called: printed without a stack, exit code 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
