import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { LeaseProcess } from "../hub/lock.js";

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
