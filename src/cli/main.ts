#!/usr/bin/env node
import { redactSecrets } from "../lib/redact.js";
import { ConfigError, errorMessage } from "../errors.js";
import { createInterface } from "node:readline/promises";
import { loadEnv } from "./env-file.js";
import { stdio } from "./output.js";
import { EXIT_ON_SIGNAL, UsageError } from "./context.js";
import { buildProgram, closeProgram } from "./program.js";

/**
 * How long a command may take to stop after SIGINT/SIGTERM before the process exits anyway:
 * a check waits up to 10 s for the alert request in flight, then records it. A second signal
 * exits at once.
 */
const STOP_DEADLINE_MS = 15_000;

/** How long the process may linger after its command ended and closed the hub (a leaked handle) before it exits anyway. */
const LINGER_MS = 5_000;

/** Commands that stop themselves on a signal as their normal end (the dashboard runs until Ctrl-C). */
const STOPPED_BY_SIGNAL = new Set(["serve"]);

const env = loadEnv(process.cwd());
const stop = new AbortController();
const program = buildProgram({
  env,
  io: stdio,
  setExitCode: (code) => {
    process.exitCode = code;
  },
  signal: stop.signal,
  // Only a person at a terminal can answer: piped or scripted runs pass --yes instead.
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askOnTerminal } : {}),
});

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(?:es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

let running: string | null = null;
program.hook("preAction", (_program, command) => {
  running = command.name();
});

let stopping: keyof typeof EXIT_ON_SIGNAL | null = null;
function onSignal(signal: keyof typeof EXIT_ON_SIGNAL): void {
  if (running !== null && STOPPED_BY_SIGNAL.has(running)) return;
  const code = EXIT_ON_SIGNAL[signal];
  if (stopping) {
    stdio.err(`jobmon: ${signal} again: stopping now`);
    process.exit(code);
  }
  stopping = signal;
  process.exitCode = code;
  stop.abort(signal);
  setTimeout(() => {
    stdio.err(`jobmon: still stopping ${STOP_DEADLINE_MS / 1000} s after ${signal}: exiting`);
    void closeProgram(program).finally(() => process.exit(code));
    setTimeout(() => process.exit(code), 2_000).unref();
  }, STOP_DEADLINE_MS).unref();
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // The error classes of the library load only when there is an error to sort: a command that
  // threw one has loaded its module already, and --help starts without them.
  const [{ CheckInterruptedError }, { InvalidSettingError, JobNotFoundError }, { DoctorFixRefusedError }] = await Promise.all([
    import("../check/index.js"),
    import("../hub/inventory.js"),
    import("../sources/doctor-fix.js"),
  ]);
  if (error instanceof CheckInterruptedError) {
    stdio.err(`jobmon: ${error.message}`);
  } else {
    // Known mistakes get one line; anything else gets its message (never a URL password).
    const known = error instanceof ConfigError || error instanceof UsageError || error instanceof JobNotFoundError || error instanceof InvalidSettingError || error instanceof DoctorFixRefusedError;
    const message = redactSecrets(errorMessage(error));
    stdio.err(`jobmon: ${known ? "" : "error: "}${message}`);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  }
} finally {
  // Every path closes the hub (and with it the embedded hub's lock): success, error or signal.
  await closeProgram(program);
}

if (stopping) {
  // A stopped check may leave a project's connection to time out: nothing more to wait for.
  process.exitCode = EXIT_ON_SIGNAL[stopping];
  process.exit();
}
// Everything is closed, so the process ends by itself; should some handle linger, do not hang.
setTimeout(() => process.exit(), LINGER_MS).unref();
