/**
 * The Edge Functions under a real Deno, as `npm run functions:serve` runs them
 * (scripts/serve-functions.mjs): start, call, measure the Deno process's CPU, stop.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const SERVE_SCRIPT = path.join(repoRoot, "scripts", "serve-functions.mjs");

// ---------------------------------------------------------------------------------------
// The functions server: `node scripts/serve-functions.mjs --port 0`, as `npm run functions:serve` runs it.

export interface FunctionsServer {
  baseUrl: string;
  /** The Deno process (the launcher's child), for CPU accounting; undefined off Linux. */
  denoPid: number | undefined;
  /** CPU the Deno process used to start (load both functions, listen); null off Linux. */
  bootCpuMs: number | null;
  output(): string;
  stop(): Promise<void>;
  /** Kills Deno and its launcher at once (SIGKILL): a crash, with no clean-up of any kind. */
  kill(): Promise<void>;
}

/**
 * Only what Deno needs from the test's environment: nothing jobmon reads leaks in. Deno
 * fetches the functions' npm packages, and trusts only its own CA list unless told: where the
 * registry is reached through a proxy with a CA of the system's, the system store is needed.
 */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", DENO_TLS_CA_STORE: "mozilla,system" };
  for (const key of ["PATH", "HOME", "TMPDIR", "DENO_DIR", "XDG_CACHE_HOME", "DENO_TLS_CA_STORE", "DENO_CERT", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function childPid(parent: number, name: string): number | undefined {
  if (!fs.existsSync("/proc")) return undefined;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && comm === name) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

export async function startFunctionsServer(env: Record<string, string>, options: { port?: number } = {}): Promise<FunctionsServer> {
  // cwd: a directory without a .env, so a developer's own .env cannot leak in.
  const child: ChildProcess = spawn(process.execPath, [SERVE_SCRIPT, "--port", String(options.port ?? 0)], {
    cwd: os.tmpdir(),
    env: { ...baseEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the functions server did not start within 90 s:\n${output}`)), 90_000);
    child.stdout!.on("data", () => {
      const match = /listening on (http:\/\/[\d.]+:\d+)\//.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the functions server exited with ${code} before listening:\n${output}`));
    });
  });
  const denoPid = child.pid === undefined ? undefined : childPid(child.pid, "deno");
  const killDeno = () => {
    if (denoPid === undefined) return;
    try {
      process.kill(denoPid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  process.once("exit", killDeno);
  return {
    baseUrl,
    denoPid,
    bootCpuMs: cpuMs(denoPid),
    output: () => output,
    async kill() {
      killDeno();
      child.kill("SIGKILL");
      await exited;
      process.off("exit", killDeno);
    },
    async stop() {
      child.kill("SIGTERM");
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([exited, timeout]);
      killDeno();
      child.kill("SIGKILL");
      process.off("exit", killDeno);
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(
  server: FunctionsServer,
  name: string,
  opts: { method?: string; token?: string | null; body?: unknown; raw?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers["authorization"] = `Bearer ${opts.token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${server.baseUrl}/functions/v1/${name}`, { method: opts.method ?? "POST", headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    assert.fail(`${name} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, text, json };
}

// ---------------------------------------------------------------------------------------
// CPU time of the Deno process, from /proc/<pid>/stat (utime + stime, in clock ticks).

export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function cpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
