/**
 * A stand-in for Supabase's functions gateway that measures each invocation: a request to
 * /functions/v1/<name> starts a fresh Deno process for it (Supabase gives an invocation its
 * own isolate), bench/edge-entry.ts loading supabase/functions/<name>/index.ts unchanged.
 * Once it listens, its CPU is read from /proc (the boot), the request is forwarded, and when
 * the answer is in, CPU and peak RSS are read again before the process is stopped. The
 * request's CPU is what counts against Supabase's 2 s per invocation.
 *
 * Invocations may overlap (a fanned-out cycle has pg_net post many at once): each has its
 * own process and record. Records keep the body's top-level keys to tell invocations apart.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cleanUpAtExit } from "../test/harness/process.js";
import { bodyKind, processCpuMs, processPeakRssMb } from "./edge-proc.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FUNCTIONS_DIR = path.join(ROOT, "supabase", "functions");
const ENTRY = path.join(ROOT, "bench", "edge-entry.ts");
const HEAP_HEADER = "x-jobmon-bench-heap";
/** Longest a function process may take to listen: a first start may fetch its npm packages. */
const BOOT_TIMEOUT_MS = 120_000;

export interface HeapFigures {
  /** Deno.memoryUsage().heapUsed, the highest of the samples taken while the handler ran, in MB. */
  peakHeapUsedMb: number;
  /** After the handler returned, in MB. */
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export interface Invocation {
  /** 1, 2, … in the order requests arrived. */
  seq: number;
  fn: string;
  /** bodyKind: "{}", "(empty)", or the body's sorted top-level keys ("worker"). */
  body: string;
  bodyKeys: string[];
  /** Epoch ms: request received by the gateway, answer sent back. */
  receivedAt: number;
  answeredAt: number;
  /** Process start → listening, wall and CPU (module loading included). */
  bootWallMs: number;
  bootCpuMs: number;
  /** Request forwarded → answer received, wall and CPU: the invocation's own cost. */
  requestWallMs: number;
  requestCpuMs: number;
  /** VmHWM of the process, boot included, in MB. */
  peakRssMb: number;
  heap: HeapFigures | null;
  status: number;
  responseBytes: number;
  /** Set when the gateway could not run the invocation (then status is 502). */
  error?: string;
}

export interface GatewayOptions {
  /** The functions' environment (secrets, URLs); PATH, HOME, DENO_DIR … are added. */
  env: Record<string, string>;
  /** Called with each finished invocation, e.g. to log progress. */
  onInvocation?: (invocation: Invocation) => void;
}

export interface Gateway {
  url: string;
  port: number;
  /** Every finished invocation, in the order they finished (`seq` is the order they arrived). */
  readonly invocations: readonly Invocation[];
  /** Invocations received but not answered yet. */
  inFlight(): number;
  /** Epoch ms of the last request received or answered. */
  lastActivityAt(): number;
  /** Replaces the functions' environment for the invocations that start from now on. */
  setEnv(env: Record<string, string>): void;
  close(): Promise<void>;
}

/** The `deno` devDependency's binary (scripts/serve-functions.mjs finds it the same way). */
export function denoBinary(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("deno/package.json")), process.platform === "win32" ? "deno.exe" : "deno");
}

/**
 * Only what Deno needs from this process's environment, so nothing jobmon reads leaks in.
 * DENO_TLS_CA_STORE: Deno trusts only its own CA list unless told, and the npm registry may
 * be behind a proxy whose CA only the system trusts.
 */
function denoEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_TLS_CA_STORE: "mozilla,system" };
  for (const key of ["PATH", "HOME", "TMPDIR", "DENO_DIR", "XDG_CACHE_HOME", "DENO_TLS_CA_STORE", "DENO_CERT", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

const live = new Set<ChildProcess>();

function killAllSync(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

interface Started {
  child: ChildProcess;
  pid: number;
  port: number;
  bootWallMs: number;
  output: () => string;
}

function startFunction(fn: string, env: Record<string, string>): Promise<Started> {
  const fnDir = path.join(FUNCTIONS_DIR, fn);
  const args = ["run", "--no-prompt", "--allow-net", "--allow-env", "--allow-read", "--config", path.join(fnDir, "deno.json"), ENTRY, pathToFileURL(path.join(fnDir, "index.ts")).href];
  const started = performance.now();
  // cwd: a directory with no .env or package.json of its own, as a deployed function has.
  const child = spawn(denoBinary(), args, { cwd: FUNCTIONS_DIR, env: { ...denoEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  // The last few kilobytes of the function's output, for the error message when it fails.
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the ${fn} process did not listen within ${BOOT_TIMEOUT_MS / 1000} s`)), BOOT_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n${output}`));
    };
    const onData = () => {
      const match = /JOBMON_BENCH_LISTENING (\d+)/.exec(output);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      resolve({ child, pid: child.pid!, port: Number(match[1]), bootWallMs: performance.now() - started, output: () => output });
    };
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`the ${fn} process exited (${code ?? signal}) before it listened`));
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", fail);
  });
}

async function stopFunction(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // The measurements are taken: nothing is left for the process to finish.
  child.kill("SIGKILL");
  await exited;
}

function forward(port: number, method: string, headers: http.IncomingHttpHeaders, url: string, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, method, path: url, headers: { ...headers, host: `127.0.0.1:${port}`, "content-length": String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function heapFrom(header: string | string[] | undefined): HeapFigures | null {
  if (typeof header !== "string") return null;
  try {
    const raw = JSON.parse(header) as { peakHeapUsed: number; heapUsed: number; heapTotal: number; external: number };
    const mb = (bytes: number) => bytes / 1048576;
    return { peakHeapUsedMb: mb(raw.peakHeapUsed), heapUsedMb: mb(raw.heapUsed), heapTotalMb: mb(raw.heapTotal), externalMb: mb(raw.external) };
  } catch {
    return null;
  }
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  cleanUpAtExit(killAllSync);
  let env = options.env;
  const invocations: Invocation[] = [];
  let seq = 0;
  let inFlight = 0;
  let lastActivity = Date.now();

  const invoke = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const receivedAt = Date.now();
    const mySeq = ++seq;
    const url = request.url ?? "/";
    const fn = /^\/functions\/v1\/([^/?]+)/.exec(url)?.[1];
    const body = await readBody(request);
    const { kind, keys } = bodyKind(body.toString("utf8"));
    if (!fn || !/^[a-z0-9_-]+$/i.test(fn) || fn.startsWith("_")) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: "NOT_FOUND", message: "Requested function was not found" }));
      return;
    }
    const record: Invocation = {
      seq: mySeq,
      fn,
      body: kind,
      bodyKeys: keys,
      receivedAt,
      answeredAt: Number.NaN,
      bootWallMs: Number.NaN,
      bootCpuMs: Number.NaN,
      requestWallMs: Number.NaN,
      requestCpuMs: Number.NaN,
      peakRssMb: Number.NaN,
      heap: null,
      status: 502,
      responseBytes: 0,
    };
    let started: Started | undefined;
    const finish = () => {
      record.answeredAt = Date.now();
      invocations.push(record);
      options.onInvocation?.(record);
    };
    try {
      started = await startFunction(fn, env);
      record.bootWallMs = started.bootWallMs;
      const cpuAtListen = processCpuMs(started.pid);
      record.bootCpuMs = cpuAtListen;
      const t = performance.now();
      const answer = await forward(started.port, request.method ?? "POST", request.headers, url, body);
      record.requestWallMs = performance.now() - t;
      record.requestCpuMs = processCpuMs(started.pid) - cpuAtListen;
      record.peakRssMb = processPeakRssMb(started.pid);
      record.heap = heapFrom(answer.headers[HEAP_HEADER]);
      record.status = answer.status;
      record.responseBytes = answer.body.length;
      const headers = { ...answer.headers };
      delete headers[HEAP_HEADER];
      delete headers["content-length"];
      delete headers["transfer-encoding"];
      delete headers.connection;
      // Recorded before the caller gets its answer, so the record is there when its request returns.
      finish();
      response.writeHead(answer.status, { ...headers, "content-length": String(answer.body.length) }).end(answer.body);
    } catch (error) {
      record.error = `${error instanceof Error ? error.message : String(error)}${started ? `\n${started.output()}` : ""}`.slice(0, 4000);
      finish();
      if (!response.headersSent) response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ code: "BENCH_GATEWAY_ERROR", message: record.error.slice(0, 500) }));
    } finally {
      if (started) await stopFunction(started.child);
    }
  };

  const server = http.createServer((request, response) => {
    inFlight++;
    lastActivity = Date.now();
    invoke(request, response)
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500).end(String(error));
      })
      .finally(() => {
        inFlight--;
        lastActivity = Date.now();
      });
  });
  // A cycle may run for minutes: no limit of the gateway's own cuts it short.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    invocations,
    inFlight: () => inFlight,
    lastActivityAt: () => lastActivity,
    setEnv(next) {
      env = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...live].map((child) => stopFunction(child)));
    },
  };
}
