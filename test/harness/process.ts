/**
 * What the harness's servers (PostgreSQL clusters, PgBouncers) share about this process:
 * cleanup when it exits or is told to stop, and whether another process is still alive.
 */
import os from "node:os";

const cleanups = new Set<() => void>();
let installed = false;

/**
 * Runs `cleanup` (synchronous) when the process exits, and on SIGINT/SIGTERM/SIGHUP, which
 * then exit with 128 + the signal's number. A process killed with SIGKILL runs nothing: each
 * server's owner reaps what such a process left (reapOrphanedClusters, …).
 */
export function cleanUpAtExit(cleanup: () => void): void {
  cleanups.add(cleanup);
  if (installed) return;
  installed = true;
  const runAll = () => {
    for (const fn of cleanups) fn();
  };
  process.on("exit", runAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => process.exit(128 + (os.constants.signals[signal] ?? 0)));
  }
}

/** Whether a process exists (one of another user's counts: kill answers EPERM). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
