/**
 * What the Edge bench's gateway reads about one function process from /proc (Linux), and how
 * it names a request body. Pure parsers plus thin readers, so the parsing is unit-tested.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";

let ticksPerSecond: number | undefined;

/** Kernel clock ticks per second (utime and stime are counted in them); 100 almost everywhere. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * utime + stime of a /proc/<pid>/stat line, in ticks: user and system CPU of every thread of
 * the process, the ones that already ended included. The command name (field 2) may hold
 * spaces and parentheses, so fields are counted from its closing parenthesis.
 */
export function parseStatCpuTicks(stat: string): number {
  const close = stat.lastIndexOf(")");
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  // After ") ": state (field 3), ppid (4) … utime (14), stime (15).
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`no utime/stime in /proc/<pid>/stat: ${stat.slice(0, 120)}`);
  return utime + stime;
}

/** A `Name:   1234 kB` line of /proc/<pid>/status, in kB; null when the field is absent. */
export function parseStatusKb(status: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** CPU (user + system) the process has used so far, in ms; resolution one clock tick (10 ms). */
export function processCpuMs(pid: number): number {
  return (parseStatCpuTicks(fs.readFileSync(`/proc/${pid}/stat`, "utf8")) * 1000) / clockTicksPerSecond();
}

/** Resident-set high-water mark (VmHWM) of the process, in MB. */
export function processPeakRssMb(pid: number): number {
  const kb = parseStatusKb(fs.readFileSync(`/proc/${pid}/status`, "utf8"), "VmHWM");
  if (kb === null) throw new Error(`/proc/${pid}/status has no VmHWM`);
  return kb / 1024;
}

/**
 * How a request body is told apart in the records: "(empty)", "{}" for an empty object,
 * the sorted top-level keys of a JSON object ("worker", "cycle,worker"), else its JSON type
 * or "(not JSON)".
 */
export function bodyKind(body: string): { kind: string; keys: string[] } {
  if (body.trim() === "") return { kind: "(empty)", keys: [] };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: "(not JSON)", keys: [] };
  }
  if (value === null || typeof value !== "object") return { kind: `(${value === null ? "null" : typeof value})`, keys: [] };
  if (Array.isArray(value)) return { kind: "(array)", keys: [] };
  const keys = Object.keys(value).sort();
  return { kind: keys.length === 0 ? "{}" : keys.join(","), keys };
}

/** Load averages and cores: the machine is shared, so every table says how busy it was. */
export function machineLoad(loadavg: readonly number[], cores: number): string {
  return `load ${loadavg.map((l) => l.toFixed(2)).join(" / ")} (1/5/15 min) on ${cores} cores`;
}
