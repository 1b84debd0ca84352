#!/usr/bin/env node
// `npm run functions:serve -- --port 8787 [--host 127.0.0.1]`: serves the Edge Functions
// under a real Deno (the `deno` npm package) at http://127.0.0.1:8787/functions/v1/<name>,
// the paths they have on Supabase. The environment is the CLI's: the process environment
// over `.env` in the working directory. The bundle the functions import is rebuilt first.
//
//   curl -X POST -H "Authorization: Bearer $JOBMON_FUNCTION_SECRET" \
//     http://127.0.0.1:8787/functions/v1/check-job-health
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "dotenv";
import { buildFunctions } from "./build-functions.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const functionsDir = join(root, "supabase", "functions");
const require = createRequire(import.meta.url);

function usage(message) {
  console.error(`serve-functions: ${message}\nusage: npm run functions:serve -- [--port 8787] [--host 127.0.0.1]`);
  process.exit(2);
}

function options(argv) {
  const out = { port: "8787", host: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    if (flag !== "--port" && flag !== "--host") usage(`unknown argument ${argv[i]}`);
    const value = inline ?? argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    out[flag.slice(2)] = value;
  }
  if (!/^\d+$/.test(out.port) || Number(out.port) > 65535) usage(`--port takes a port number, not "${out.port}"`);
  return out;
}

/** The binary of the `deno` devDependency (its postinstall downloads it; install it now if not). */
function denoBinary() {
  const dir = dirname(require.resolve("deno/package.json"));
  const exe = join(dir, process.platform === "win32" ? "deno.exe" : "deno");
  if (existsSync(exe)) return exe;
  return require(join(dir, "install_api.cjs")).runInstall();
}

/** Every function gets one import map here; they must agree, or one would be served wrongly. */
function sharedConfig() {
  const configs = [];
  for (const name of readdirSync(functionsDir).filter((n) => !n.startsWith("_") && existsSync(join(functionsDir, n, "index.ts")))) {
    const file = join(functionsDir, name, "deno.json");
    if (!existsSync(file)) throw new Error(`${file} is missing: every function needs its deno.json (the npm: import map)`);
    configs.push({ file, imports: JSON.stringify(JSON.parse(readFileSync(file, "utf8")).imports ?? {}) });
  }
  const different = configs.find((c) => c.imports !== configs[0].imports);
  if (different) throw new Error(`${different.file} maps imports differently from ${configs[0].file}: one server cannot serve both`);
  return configs[0].file;
}

/**
 * The CLI's environment (src/cli/env-file.ts): real variables win over `.env`. Deno trusts
 * only its own CA list unless told: the system's store is added, so that the functions' npm
 * packages load behind a proxy whose CA the system trusts (DENO_TLS_CA_STORE overrides).
 */
function environment() {
  const file = join(process.cwd(), ".env");
  const fromFile = existsSync(file) ? parse(readFileSync(file)) : {};
  return { DENO_TLS_CA_STORE: "mozilla,system", ...fromFile, ...process.env };
}

const { port, host } = options(process.argv.slice(2));
let deno;
let config;
try {
  await buildFunctions();
  deno = denoBinary();
  config = sharedConfig();
} catch (error) {
  console.error(`serve-functions: ${error?.errors?.[0]?.text ?? error?.message ?? error}`);
  process.exit(1);
}

const child = spawn(
  deno,
  [
    "run",
    "--no-prompt",
    // What the functions use: the network (hub, projects, Telegram, Discord, the listener),
    // the environment (configuration) and reads (finding the function directories).
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--config",
    config,
    join(functionsDir, "_shared", "local-server.ts"),
    "--port",
    port,
    "--host",
    host,
  ],
  { stdio: "inherit", env: environment() },
);

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
// Do not outlive whoever started the server (a test runner killed with SIGKILL sends no
// signal on): once this process is orphaned, stop Deno too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) child.kill("SIGTERM");
}, 1000).unref();
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
