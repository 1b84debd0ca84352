import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after } from "node:test";

export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `jobmon` CLI with exactly the given environment (plus PATH and HOME). Without
 * a `cwd` it runs in a temporary directory of its own, removed as soon as it exits.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const ownDir = options.cwd === undefined ? tempDir() : null;
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? (ownDir as string),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      if (ownDir) removeTempDir(ownDir);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (ownDir) removeTempDir(ownDir);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Directories made by tempDir() in this process and not removed yet. */
const made = new Set<string>();

/**
 * A new directory under the system's temporary directory, named `jobmon-cli-<pid>-…` (so a
 * run's leftovers can be told from another process's). It is removed when the test file
 * ends, whether its tests passed or failed, and at the latest when the process exits.
 */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), `jobmon-cli-${process.pid}-`));
  made.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  made.delete(dir);
}

function removeAll(): void {
  for (const dir of made) {
    try {
      removeTempDir(dir);
    } catch {
      // Best effort: the exit hook tries again.
    }
  }
}

// node:test runs a file's root after() hooks when its tests end, failed or not; the exit
// hook covers a file that ends otherwise (process.exit, an uncaught error).
after(removeAll);
process.on("exit", removeAll);
