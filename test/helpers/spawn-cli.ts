/**
 * The built CLI as a child process the test can watch and signal (test/helpers/cli.ts runs
 * it to completion only). Every process started here is killed, and every directory made
 * here removed, by `cleanUp()` — call it in an `after` hook so a failing test leaves nothing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "./cli.js";

export interface CliExit {
  /** The exit code; null when the process was ended by a signal (or by the test's deadline). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  /** True when the process outlived `killAfterMs` and the test killed it. */
  killed: boolean;
  /** Milliseconds from spawn to its first output on stderr (an error message), null without any. */
  stderrAt: number | null;
}

export interface RunningCli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exit: Promise<CliExit>;
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

/**
 * Starts `jobmon …` with exactly `env` (plus PATH and HOME). A process still running after
 * `killAfterMs` (or `killAfterStderrMs` after its first error output) is killed (SIGKILL) and
 * reported `killed`: a test of "exits promptly" fails instead of waiting.
 */
export interface StartOptions {
  env: Record<string, string>;
  cwd?: string;
  /** Kill (SIGKILL) a process still running this long after it started. Default 2 min (a busy machine is slow). */
  killAfterMs?: number;
  /** Kill a process still running this long after its first output on stderr (its error). */
  killAfterStderrMs?: number;
}

export function startCli(args: string[], options: StartOptions): RunningCli {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? tempDir(),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  let stderrAt: number | null = null;
  child.stdout!.on("data", (d) => (stdout += d));
  let killed = false;
  const kill = () => {
    killed = true;
    child.kill("SIGKILL");
  };
  let afterStderr: ReturnType<typeof setTimeout> | undefined;
  child.stderr!.on("data", (d) => {
    if (stderrAt === null) {
      stderrAt = performance.now() - started;
      if (options.killAfterStderrMs !== undefined) afterStderr = setTimeout(kill, options.killAfterStderrMs);
    }
    stderr += d;
  });
  const timer = setTimeout(kill, options.killAfterMs ?? 120_000);
  const exit = new Promise<CliExit>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(afterStderr);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, killed, stderrAt });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exit,
  };
}

export function runCliFor(args: string[], options: StartOptions): Promise<CliExit> {
  return startCli(args, options).exit;
}

/** A new temporary directory, removed by cleanUp(). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "jobmon-lifecycle-"));
  dirs.add(dir);
  return dir;
}

/** Kills what is still running and removes the directories. */
export async function cleanUp(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("close", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Polls `probe` every 25 ms until it is true; fails after `timeoutMs` naming `what`. */
export async function until(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
