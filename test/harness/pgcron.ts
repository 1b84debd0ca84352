/**
 * Throwaway PostgreSQL 15 clusters with the real pg_cron extension, for integration tests.
 *
 * Speed: `initdb` (plus `create extension pg_cron`) runs once into a template directory
 * cached under os.tmpdir(), keyed by the PostgreSQL version, the pg_cron build and this
 * file's configuration; parallel test processes serialise its creation with a lock and
 * publish it with an atomic rename. Each cluster is then a `cp -a` of the template and a
 * `pg_ctl start`.
 *
 * Authentication (pg_hba.conf):
 *   local  all all               trust          -- unix socket, in the 0700 data directory
 *   host   all all 127.0.0.1/32  scram-sha-256  -- the only TCP listener
 * Every connection a test makes goes over TCP with a password, so password auth is
 * exercised for every role, the `postgres` superuser included (a wrong password fails).
 * pg_cron 1.4 in libpq mode (cron.use_background_workers = off, the default) connects to
 * `cron.host` as the job's role with no password: cron.host is set to the socket
 * directory, so those connections take the trusted socket line. A TCP `trust` line for
 * pg_cron would have let some role skip password auth over TCP; this does not.
 *
 * Cleanup: stop() stops the server and deletes its directory. Clusters still running when
 * the process exits or gets SIGINT/SIGTERM/SIGHUP are stopped synchronously. A process
 * killed with SIGKILL cannot clean up: the next process that starts a cluster reaps the
 * clusters whose owning process is gone (see reapOrphanedClusters).
 *
 * Root: PostgreSQL refuses to run as root, so when the tests run as root, initdb and
 * pg_ctl run as the `postgres` OS user (runuser) and own the data directories.
 *
 * Environment: JOBMON_PG_BIN overrides the PostgreSQL bin directory
 * (default /usr/lib/postgresql/15/bin).
 */
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import lockfile from "proper-lockfile";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";

export interface PgCronCluster {
  port: number;
  host: "127.0.0.1";
  /** Superuser URL (postgres:postgres) to the postgres database, over TCP with a password. */
  url: string;
  /** A URL for another role or database. The password defaults to the superuser's only for `postgres`. */
  urlFor(opts: { user?: string; password?: string; database?: string }): string;
  /** pg_extension.extversion, e.g. "1.4-1". */
  pgCronVersion: string;
  dataDir: string;
  /** Milliseconds startPgCronCluster took (template build or wait included). */
  startupMs: number;
  /** Runs one statement as superuser with bound parameters; int8 comes back as number. */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  /** Creates a LOGIN role. Without a password it cannot log in over TCP. */
  createRole(name: string, opts?: { password?: string; bypassrls?: boolean; superuser?: boolean }): Promise<void>;
  /** Waits until pg_stat_activity shows backend_type = 'pg_cron launcher'. */
  waitForLauncher(timeoutMs?: number): Promise<void>;
  /** Restarts the server (fast shutdown). pg_cron's launcher restarts: @reboot jobs run. */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra postgresql.conf settings, e.g. { "cron.log_run": false, "cron.max_running_jobs": 4 }. */
  settings?: Record<string, string | number | boolean>;
  /**
   * pg_cron's launcher runs (the scheduler looks healthy) but no run of its own reaches
   * cron.job_run_details: the rows there are exactly the ones the tests insert, at the instants
   * they choose. (cron.max_running_jobs = 0 does not stop pg_cron 1.4 from running jobs.) Its
   * job connections go to a socket directory that does not exist, so no job's command runs,
   * and a trigger drops the rows the launcher writes.
   */
  quiet?: boolean;
  /** Shows up in the directory name, for debugging. */
  name?: string;
}

const PG_BIN = process.env.JOBMON_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const SUPERUSER = "postgres";
const SUPERUSER_PASSWORD = "postgres";
const HOST = "127.0.0.1" as const;
const RUNNING_AS_ROOT = process.getuid?.() === 0;
const PG_OS_USER = RUNNING_AS_ROOT ? "postgres" : os.userInfo().username;
/** Owner of everything under it; per uid so users on one machine do not collide. */
const CACHE_ROOT = path.join(os.tmpdir(), `jobmon-pgcron-${process.getuid?.() ?? os.userInfo().username}`);

// Appended to the template's postgresql.conf (later lines win over initdb's).
const TEMPLATE_CONF = `
# --- jobmon test harness (test/harness/pgcron.ts) ---
listen_addresses = '${HOST}'
max_connections = 40
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
timezone = 'UTC'
log_timezone = 'UTC'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
# Per cluster: port, socket directory, cron.host and the caller's settings.
include_if_exists = 'jobmon-cluster.conf'
`;

const PG_HBA = `# jobmon test harness: see the header of test/harness/pgcron.ts.
# Unix socket (inside the 0700 data directory): pg_cron's own libpq connections (cron.host).
local   all   all                  trust
# TCP: a password for every role, postgres included.
host    all   all   127.0.0.1/32   scram-sha-256
`;

const CLUSTER_CONF = "jobmon-cluster.conf";

// ---------------------------------------------------------------------------------------
// Running PostgreSQL programs

/** PG* variables (PGPORT, PGDATA, PGHOST …) would leak into initdb/pg_ctl/postgres. */
function pgEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_ALL: "C" };
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("PG") && key !== "LC_ALL") env[key] = value;
  }
  return env;
}

function pgCommand(program: string, args: string[]): [string, string[]] {
  const exe = path.join(PG_BIN, program);
  return RUNNING_AS_ROOT ? ["runuser", ["-u", PG_OS_USER, "--", exe, ...args]] : [exe, args];
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // cwd "/": the postgres OS user may not be allowed into the caller's directory.
    execFile(cmd, args, { cwd: "/", env: pgEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`.trim()));
      else resolve(stdout);
    });
  });
}

function runPg(program: string, args: string[]): Promise<string> {
  const [cmd, argv] = pgCommand(program, args);
  return run(cmd, argv);
}

function stopServerSync(dataDir: string): void {
  if (!fs.existsSync(path.join(dataDir, "postmaster.pid"))) return;
  const [cmd, args] = pgCommand("pg_ctl", ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "10"]);
  spawnSync(cmd, args, { cwd: "/", env: pgEnv(), stdio: "ignore" });
}

let pgOwner: { uid: number; gid: number } | undefined;

/** Hands a path to the OS user the server runs as (a no-op when that is us). */
async function giveToPgUser(p: string): Promise<void> {
  if (!RUNNING_AS_ROOT) return;
  if (!pgOwner) {
    const id = (flag: string) => Number(spawnSync("id", [flag, PG_OS_USER], { encoding: "utf8" }).stdout.trim());
    const uid = id("-u");
    const gid = id("-g");
    if (!Number.isInteger(uid) || uid <= 0) {
      throw new Error(`Running as root needs the '${PG_OS_USER}' OS user (created by the postgresql-15 package).`);
    }
    pgOwner = { uid, gid };
  }
  await fsp.chown(p, pgOwner.uid, pgOwner.gid);
}

// ---------------------------------------------------------------------------------------
// The template

interface Installation {
  pgVersion: string;
  /** default_version from pg_cron.control, e.g. "1.4-1". */
  pgCronDefaultVersion: string;
  key: string;
}

function describeInstallation(): Installation {
  const postgresBin = path.join(PG_BIN, "postgres");
  if (!fs.existsSync(postgresBin)) {
    throw new Error(`PostgreSQL 15 is not installed (${postgresBin} is missing): apt-get install postgresql-15 postgresql-15-cron, or set JOBMON_PG_BIN.`);
  }
  const version = spawnSync(postgresBin, ["--version"], { encoding: "utf8" }).stdout.trim();
  const pgConfig = (flag: string) => spawnSync(path.join(PG_BIN, "pg_config"), [flag], { encoding: "utf8" }).stdout.trim();
  const cronSo = path.join(pgConfig("--pkglibdir"), "pg_cron.so");
  const cronControl = path.join(pgConfig("--sharedir"), "extension", "pg_cron.control");
  if (!fs.existsSync(cronSo) || !fs.existsSync(cronControl)) {
    throw new Error(`pg_cron is not installed (${cronSo} is missing): apt-get install postgresql-15-cron.`);
  }
  const control = fs.readFileSync(cronControl, "utf8");
  const so = fs.statSync(cronSo);
  const pgVersion = /\(PostgreSQL\) (\S+)/.exec(version)?.[1] ?? "unknown";
  const pgCronDefaultVersion = /default_version\s*=\s*'([^']+)'/.exec(control)?.[1] ?? "unknown";
  const key = createHash("sha256")
    .update([version, control, so.size, so.mtimeMs, TEMPLATE_CONF, PG_HBA, PG_OS_USER].join("\0"))
    .digest("hex")
    .slice(0, 12);
  return { pgVersion, pgCronDefaultVersion, key };
}

let templatePromise: Promise<string> | undefined;

function ensureTemplate(): Promise<string> {
  templatePromise ??= (async () => {
    const install = describeInstallation();
    await ensureCacheRoot();
    const final = path.join(CACHE_ROOT, `template-pg${install.pgVersion}-cron${install.pgCronDefaultVersion}-${install.key}`);
    if (fs.existsSync(final)) return final;
    const release = await lockfile.lock(CACHE_ROOT, {
      lockfilePath: `${final}.lock`,
      stale: 20_000,
      retries: { retries: 600, factor: 1, minTimeout: 200, maxTimeout: 200 },
      onCompromised: (error) => console.warn(`pgcron harness: template lock compromised: ${error.message}`),
    });
    try {
      if (!fs.existsSync(final)) await buildTemplate(final);
    } finally {
      await release();
    }
    return final;
  })();
  templatePromise.catch(() => (templatePromise = undefined));
  return templatePromise;
}

async function ensureCacheRoot(): Promise<void> {
  await fsp.mkdir(CACHE_ROOT, { recursive: true, mode: 0o755 });
  const stat = await fsp.lstat(CACHE_ROOT);
  if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
    throw new Error(`${CACHE_ROOT} is not a directory owned by this user: remove it.`);
  }
  // The postgres OS user must be able to reach its data directories inside.
  await fsp.chmod(CACHE_ROOT, 0o755);
}

async function buildTemplate(final: string): Promise<void> {
  const staging = `${final}.staging-${process.pid}-${Date.now()}`;
  const pwfile = `${staging}.pw`;
  const log = `${staging}.log`;
  await fsp.mkdir(staging, { mode: 0o700 });
  await giveToPgUser(staging);
  try {
    await fsp.writeFile(pwfile, SUPERUSER_PASSWORD, { mode: 0o600 });
    await giveToPgUser(pwfile);
    // The server writes its log as the postgres OS user, and may not create files here.
    await fsp.writeFile(log, "");
    await giveToPgUser(log);
    await runPg("initdb", [
      "-D", staging, "-U", SUPERUSER, `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C",
      "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
      // 1 MB WAL segments instead of 16 MB: less to copy per cluster.
      "--wal-segsize=1",
    ]);
    await fsp.appendFile(path.join(staging, "postgresql.conf"), TEMPLATE_CONF);
    await fsp.writeFile(path.join(staging, "pg_hba.conf"), PG_HBA);
    // Start it once to create the extension, then shut down cleanly so copies start
    // without crash recovery.
    const port = await startServer(staging, log, {});
    const db = postgresDb(superuserUrl(port), { max: 1, applicationName: "jobmon-test-harness" });
    try {
      await db.query("create extension pg_cron");
    } finally {
      await db.close();
    }
    await runPg("pg_ctl", ["stop", "-D", staging, "-m", "fast", "-w", "-t", "60"]);
    await fsp.rm(path.join(staging, CLUSTER_CONF));
    await fsp.rename(staging, final);
  } catch (error) {
    stopServerSync(staging);
    const tail = await logTail(log);
    await fsp.rm(staging, { recursive: true, force: true });
    throw new Error(`Could not build the pg_cron template cluster: ${(error as Error).message}${tail}`);
  } finally {
    await fsp.rm(pwfile, { force: true });
    await fsp.rm(log, { force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Starting and stopping servers

function confValue(value: string | number | boolean): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return String(value);
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

function clusterConf(dataDir: string, port: number, settings: StartOptions["settings"] = {}): string {
  const lines = [
    `port = ${port}`,
    `unix_socket_directories = ${confValue(dataDir)}`,
    // pg_cron's libpq connections go to the socket, which pg_hba trusts (see the header).
    `cron.host = ${confValue(dataDir)}`,
  ];
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`Invalid setting name: ${name}`);
    lines.push(`${name} = ${confValue(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

async function logTail(log: string): Promise<string> {
  const text = await fsp.readFile(log, "utf8").catch(() => "");
  return text ? `\n--- server log (last lines) ---\n${text.split("\n").slice(-25).join("\n")}` : "";
}

/** Writes the per-cluster settings and starts the server on a free port; returns the port. */
async function startServer(dataDir: string, log: string, settings: StartOptions["settings"]): Promise<number> {
  // The socket path (dataDir/.s.PGSQL.NNNNN) must fit in sun_path (108 bytes on Linux).
  if (Buffer.byteLength(dataDir) > 90) {
    throw new Error(`Data directory path too long for a unix socket: ${dataDir} (set TMPDIR to a shorter directory).`);
  }
  for (let attempt = 1; ; attempt++) {
    // Another process may take the port between freePort() and the server's bind().
    const port = await freePort();
    const conf = path.join(dataDir, CLUSTER_CONF);
    await fsp.writeFile(conf, clusterConf(dataDir, port, settings));
    await giveToPgUser(conf);
    try {
      await runPg("pg_ctl", ["start", "-D", dataDir, "-l", log, "-w", "-t", "60", "-s"]);
      return port;
    } catch (error) {
      const tail = await logTail(log);
      if (attempt < 3 && /could not bind|could not create any TCP\/IP sockets/.test(tail)) continue;
      throw new Error(`${(error as Error).message}${tail}`);
    }
  }
}

function superuserUrl(port: number): string {
  return buildUrl(port, SUPERUSER, SUPERUSER_PASSWORD, "postgres");
}

function buildUrl(port: number, user: string, password: string | undefined, database: string): string {
  const auth = password === undefined ? encodeURIComponent(user) : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return `postgres://${auth}@${HOST}:${port}/${encodeURIComponent(database)}`;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Cleanup: clusters of this process, and orphans of dead processes

/** Cluster directories of this process whose server may be running. */
const live = new Set<string>();
const OWNER_FILE = "owner.pid";

function cleanupSync(): void {
  for (const root of live) {
    try {
      stopServerSync(path.join(root, "data"));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      live.delete(root);
    }
  }
}

let exitHandlersInstalled = false;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on("exit", cleanupSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      cleanupSync();
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Stops and removes clusters (and half-built templates) left by test processes that died
 * without cleaning up (SIGKILL, a crashed runner). Runs once per process before its first
 * cluster starts; exported for the harness's own test. Returns the directories removed.
 */
export async function reapOrphanedClusters(): Promise<string[]> {
  const entries = await fsp.readdir(CACHE_ROOT).catch(() => [] as string[]);
  const reaped: string[] = [];
  for (const entry of entries) {
    const dir = path.join(CACHE_ROOT, entry);
    if (entry.startsWith("cluster-")) {
      const owner = Number(await fsp.readFile(path.join(dir, OWNER_FILE), "utf8").catch(() => NaN));
      if (Number.isInteger(owner) ? isAlive(owner) : !(await olderThan(dir, 60_000))) continue;
      stopServerSync(path.join(dir, "data"));
    } else if (entry.includes(".staging-")) {
      const builder = Number(/\.staging-(\d+)-/.exec(entry)?.[1]);
      if (isAlive(builder)) continue;
      stopServerSync(dir.replace(/\.(pw|log)$/, ""));
    } else {
      continue;
    }
    await fsp.rm(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}

async function olderThan(p: string, ms: number): Promise<boolean> {
  const stat = await fsp.stat(p).catch(() => undefined);
  return !stat || Date.now() - stat.mtimeMs > ms;
}

let reaped: Promise<unknown> | undefined;

// ---------------------------------------------------------------------------------------
// The cluster

export async function startPgCronCluster(opts: StartOptions = {}): Promise<PgCronCluster> {
  const startedAt = performance.now();
  const template = await ensureTemplate();
  reaped ??= reapOrphanedClusters().catch(() => undefined);
  await reaped;

  const name = (opts.name ?? "cluster").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 24);
  installExitHandlers();
  const root = await fsp.mkdtemp(path.join(CACHE_ROOT, `cluster-${name}-`));
  live.add(root);
  const dataDir = path.join(root, "data");
  const log = path.join(root, "server.log");
  let db: Db | undefined;
  try {
    await fsp.writeFile(path.join(root, OWNER_FILE), String(process.pid));
    await fsp.chmod(root, 0o755);
    await giveToPgUser(root);
    await run("cp", ["-a", template, dataDir]);
    const settings = opts.quiet ? { "cron.host": path.join(root, "no-socket-here"), ...opts.settings } : opts.settings;
    const port = await startServer(dataDir, log, settings);
    const url = superuserUrl(port);
    const connect = () => postgresDb(url, { max: 2, applicationName: "jobmon-test-harness" });
    db = connect();
    const [ext] = await db.query<{ extversion: string }>("select extversion from pg_extension where extname = 'pg_cron'");
    if (!ext) throw new Error("pg_cron is not installed in the postgres database");
    if (opts.quiet) await db.exec(QUIET_TRIGGER);

    let stopping: Promise<void> | undefined;
    const cluster: PgCronCluster = {
      port,
      host: HOST,
      url,
      urlFor: ({ user = SUPERUSER, password, database = "postgres" }) =>
        buildUrl(port, user, password ?? (user === SUPERUSER ? SUPERUSER_PASSWORD : undefined), database),
      pgCronVersion: ext.extversion,
      dataDir,
      startupMs: 0,
      sql: async (text, params = []) => (await db!.query(text, params)) as any[],
      async createRole(roleName, roleOpts = {}) {
        const parts = [`create role ${quoteIdent(roleName)} login`];
        if (roleOpts.password !== undefined) parts.push(`password ${quoteLiteral(roleOpts.password)}`);
        if (roleOpts.bypassrls) parts.push("bypassrls");
        if (roleOpts.superuser) parts.push("superuser");
        await db!.query(parts.join(" "));
      },
      async waitForLauncher(timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const rows = await db!.query("select 1 from pg_stat_activity where backend_type = 'pg_cron launcher'");
          if (rows.length > 0) return;
          if (Date.now() > deadline) throw new Error(`pg_cron launcher not running after ${timeoutMs} ms${await logTail(log)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      async restart() {
        await db!.close();
        try {
          await runPg("pg_ctl", ["restart", "-D", dataDir, "-l", log, "-m", "fast", "-w", "-t", "60", "-s"]);
        } finally {
          db = connect();
        }
      },
      stop() {
        stopping ??= (async () => {
          await db!.close().catch(() => undefined);
          await runPg("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"]).catch(() => stopServerSync(dataDir));
          await fsp.rm(root, { recursive: true, force: true });
          live.delete(root);
        })();
        return stopping;
      },
    };
    cluster.startupMs = Math.round(performance.now() - startedAt);
    return cluster;
  } catch (error) {
    await db?.close().catch(() => undefined);
    stopServerSync(dataDir);
    await fsp.rm(root, { recursive: true, force: true });
    live.delete(root);
    throw error;
  }
}

/**
 * StartOptions.quiet: the rows pg_cron's launcher writes into cron.job_run_details are
 * dropped (and noted in public.jobmon_harness_dropped_runs, the proof that it tried).
 */
const QUIET_TRIGGER = `
  create table public.jobmon_harness_dropped_runs (jobid bigint, status text, dropped_at timestamptz default now());
  create function public.jobmon_harness_quiet() returns trigger language plpgsql as $$
  declare
    -- Whether this session is the launcher, looked up once per session.
    launcher text := current_setting('jobmon_harness.launcher', true);
  begin
    if coalesce(launcher, '') = '' then
      launcher := case when exists (select 1 from pg_stat_activity where pid = pg_backend_pid() and backend_type = 'pg_cron launcher')
                       then 'yes' else 'no' end;
      perform set_config('jobmon_harness.launcher', launcher, false);
    end if;
    if launcher = 'yes' then
      insert into public.jobmon_harness_dropped_runs (jobid, status) values (new.jobid, new.status);
      return null;
    end if;
    return new;
  end $$;
  create trigger jobmon_harness_quiet before insert on cron.job_run_details
    for each row execute function public.jobmon_harness_quiet();`;

/**
 * For node:test files: starts `n` clusters in before() and stops them in after() (which
 * node:test runs even when tests fail). Call the returned getter inside tests.
 */
export function usePgCronClusters(n: number, opts: StartOptions = {}): () => PgCronCluster[] {
  let clusters: PgCronCluster[] | undefined;
  before(async () => {
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => startPgCronCluster({ ...opts, name: `${opts.name ?? "cluster"}${i + 1}` })),
    );
    const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await Promise.all(started.map((c) => c.stop()));
      throw failed.reason;
    }
    clusters = started;
  });
  after(async () => {
    await Promise.all((clusters ?? []).map((c) => c.stop()));
  });
  return () => {
    if (!clusters) throw new Error("pg_cron clusters are not started: call the getter inside a test, not at load time");
    return clusters;
  };
}

// ---------------------------------------------------------------------------------------
// Data helpers

export type RunStatus = "starting" | "connecting" | "sending" | "running" | "succeeded" | "failed";

export interface RunRow {
  jobid: number;
  /** Explicit runid; the sequence is moved past it so pg_cron's own runs come after. */
  runid?: number;
  status: RunStatus;
  return_message?: string | null;
  start_time?: Date | string | null;
  end_time?: Date | string | null;
  /** The next four default to the job's values in cron.job, else postgres/postgres/'select 1'. */
  command?: string;
  database?: string;
  username?: string;
  job_pid?: number | null;
}

const toTimestamp = (value: Date | string | null | undefined) =>
  value instanceof Date ? value.toISOString() : (value ?? null);

/** Inserts one row into cron.job_run_details, at exactly the times given; returns its runid. */
export async function insertRun(cluster: PgCronCluster, run: RunRow): Promise<number> {
  const [row] = await cluster.sql<{ runid: number }>(
    `insert into cron.job_run_details
       (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
     select $1::bigint, coalesce($2::bigint, nextval('cron.runid_seq')), $3::int,
            coalesce($4::text, j.database, 'postgres'), coalesce($5::text, j.username, 'postgres'),
            coalesce($6::text, j.command, 'select 1'), $7::text, $8::text, $9::timestamptz, $10::timestamptz
       from (select 1) as one left join cron.job j on j.jobid = $1::bigint
     returning runid`,
    [
      run.jobid, run.runid ?? null, run.job_pid ?? null, run.database ?? null, run.username ?? null,
      run.command ?? null, run.status, run.return_message ?? null, toTimestamp(run.start_time), toTimestamp(run.end_time),
    ],
  );
  if (run.runid !== undefined) {
    await cluster.sql("select setval('cron.runid_seq', greatest($1::bigint, (select last_value from cron.runid_seq)))", [run.runid]);
  }
  return row!.runid;
}

/** cron.schedule(name, schedule, command) as superuser; returns the jobid. */
export async function scheduleJob(cluster: PgCronCluster, name: string, schedule: string, command: string): Promise<number> {
  const [row] = await cluster.sql<{ jobid: number }>("select cron.schedule($1, $2, $3) as jobid", [name, schedule, command]);
  return row!.jobid;
}
