import type { Command } from "commander";
import type { Env } from "../config.js";
import { JobmonError } from "../errors.js";
import type { MonitoringAPI } from "../monitor.js";
import type { Io } from "./output.js";

/** What every command module (src/cli/commands/*.ts) gets to register itself. */
export interface CommandContext {
  io: Io;
  env: Env;
  /**
   * The library facade, created on first use from the environment (and closed after the
   * command). `hubWaitMs` (how long to wait for an embedded hub another process holds;
   * default 60 s) applies when this call creates it.
   */
  monitor(options?: { hubWaitMs?: number }): MonitoringAPI;
  /** Sets the process exit code (commands that did not do their work set 1). */
  setExitCode(code: number): void;
  /**
   * Aborted, with the signal's name as its reason, when the process is told to stop (SIGINT,
   * SIGTERM): a running check stops, records what it must and releases what it holds.
   */
  signal?: AbortSignal;
  /**
   * Asks the user a yes/no question (an interactive terminal only); absent when nobody can
   * answer, and then a command that needs a yes refuses unless it was given one (`--yes`).
   */
  confirm?: (question: string) => Promise<boolean>;
}

/** The one kind of export a command module has: it adds its command(s) to the program. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** What the CLI's entry point (main.ts) or a test gives the program. */
export type CliContext = Omit<CommandContext, "monitor">;

/**
 * EX_TEMPFAIL (sysexits.h): the check did nothing because another check holds the lease or
 * another process the embedded hub; run it again later. Not 0: a monitor that did not check
 * must not look like one that did.
 */
export const EXIT_CHECK_SKIPPED = 75;

/** A command stopped by a signal exits 128 + the signal's number, as a shell reports it. */
export const EXIT_ON_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;

/** A mistake in how the command was called: printed without a stack, exit code 1. */
export class UsageError extends JobmonError {
  constructor(message: string) {
    super("usage", message, "configuration");
  }
}
