/**
 * Throwaway PostgreSQL 15 clusters with the real pg_cron extension (and pg_net), for
 * integration tests.
 *
 * Extension sets (StartOptions.set, default JOBMON_TEST_SET, else `debian`; see
 * test/harness/extension-sets.ts):
 *   debian  Debian's pg_cron 1.4.2 (/usr/lib/postgresql/15, or JOBMON_PG_BIN); no pg_net.
 *   pinned  pg_cron 1.6.4 + pg_net 0.11.0 (Supabase's pins).
 *   latest  pg_cron 1.6.7 + pg_net 0.20.5 (reports 0.20.4).
 * `pinned` and `latest` are copies of Debian's PostgreSQL 15 with the extensions built in,
 * by scripts/build-extensions.sh (which scripts/test.sh runs; a cluster of a missing set
 * runs it first). With pg_net (StartOptions.pgNet, on by default for those two sets)
 * shared_preload_libraries is 'pg_cron,pg_net' and its worker really sends requests.
 *
 * Role model (StartOptions.supabase): off, `postgres` is the bootstrap superuser. On,
 * Supabase's model (test/harness/supabase-roles.ts): `supabase_admin` is the superuser and
 * owns pg_cron and pg_net, `postgres` is demoted, `supabase_read_only_user` reads
 * everything through pg_read_all_data and BYPASSRLS. Every known role's password is in
 * `cluster.passwords` (urlFor and sqlAs use it).
 *
 * Speed: `initdb` (plus `create extension`s and roles) runs once into a template directory
 * cached under os.tmpdir(), keyed by the set, the role model, pg_net, the PostgreSQL
 * version, the extensions' builds and this file's configuration; parallel test processes
 * serialise its creation with a lock and publish it with an atomic rename. Each cluster is
 * then a `cp -a` of the template and a `pg_ctl start`.
 *
 * Authentication (pg_hba.conf):
 *   local  all all               trust          -- unix socket, in the 0700 data directory
 *   host   all all 127.0.0.1/32  scram-sha-256  -- the only TCP listener
 * Every connection a test makes goes over TCP with a password, so password auth is
 * exercised for every role, the superuser included (a wrong password fails).
 * pg_cron in libpq mode (cron.use_background_workers = off, the default) connects to
 * `cron.host` as the job's role with no password: cron.host is set to the socket
 * directory, so those connections take the trusted socket line, and a job runs as its
 * owner. A TCP `trust` line for pg_cron would have let some role skip password auth over
 * TCP; this does not.
 *
 * Cleanup: stop() stops the server and deletes its directory. Clusters still running when
 * the process exits or gets SIGINT/SIGTERM/SIGHUP are stopped synchronously. A process
 * killed with SIGKILL cannot clean up: the next process that starts a cluster reaps the
 * clusters whose owning process is gone (see reapOrphanedClusters).
 *
 * Root: PostgreSQL refuses to run as root, so when the tests run as root, initdb and
 * pg_ctl run as the `postgres` OS user (runuser) and own the data directories.
 *
 * Environment: JOBMON_PG_BIN overrides the bin directory of the `debian` set
 * (default /usr/lib/postgresql/15/bin); JOBMON_TEST_SET picks the default set;
 * JOBMON_EXT_CACHE moves the built sets (as for scripts/build-extensions.sh).
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
import { cleanUpAtExit, isAlive } from "./process.js";
import type { Db } from "../../src/db/types.js";
import {
  defaultExtensionSet,
  ensureExtensionSet,
  EXTENSION_SETS,
  extensionSetBin,
  type ExtensionSet,
} from "./extension-sets.js";
import {
  SUPABASE_PASSWORDS,
  SUPABASE_PG_CRON_GRANTS,
  SUPABASE_ROLES_SQL,
  SUPABASE_SUPERUSER,
  supabasePgNetGrants,
} from "./supabase-roles.js";

export {
  EXTENSION_SETS,
  extensionCacheDir,
  extensionSetBin,
  extensionSetRoot,
  ensureExtensionSet,
  type ExtensionSet,
} from "./extension-sets.js";
export { SUPABASE_PASSWORDS } from "./supabase-roles.js";

export interface PgCronCluster {
  port: number;
  host: "127.0.0.1";
  /** The extension set the server runs. */
  set: ExtensionSet;
  /** Whether Supabase's role model is in place (StartOptions.supabase). */
  supabase: boolean;
  /** The bootstrap superuser: `supabase_admin` with the Supabase model, else `postgres`. */
  superuser: string;
  /** Superuser URL to the postgres database, over TCP with a password. */
  url: string;
  /**
   * A URL for another role or database. Without a password, the known password of the
   * role (`passwords`) is used; roles made with createRole have none here.
   */
  urlFor(opts: { user?: string; password?: string; database?: string }): string;
  /** The passwords of the roles the template made (the superuser; with supabase, every LOGIN role). */
  passwords: Readonly<Record<string, string>>;
  /** pg_extension.extversion of pg_cron, e.g. "1.4-1"; every 1.6.x reports "1.6". */
  pgCronVersion: string;
  /** pg_extension.extversion of pg_net (0.20.5 reports "0.20.4"), null without pg_net. */
  pgNetVersion: string | null;
  dataDir: string;
  /** The PostgreSQL bin directory the server runs from. */
  bin: string;
  /** Milliseconds startPgCronCluster took (template build or wait included). */
  startupMs: number;
  /** Runs one statement as the superuser with bound parameters; int8 comes back as number. */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs one statement as another role, logged in over TCP with its password (a known
   * role's, or the one createRole was given). E.g. cron.schedule as `postgres`.
   */
  sqlAs<T = any>(role: string, text: string, params?: unknown[]): Promise<T[]>;
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
   * and a trigger drops the rows the launcher writes. Works on every set.
   */
  quiet?: boolean;
  /** The extension set; default JOBMON_TEST_SET, else `debian`. */
  set?: ExtensionSet;
  /** Supabase's role model (see the header). Default off. */
  supabase?: boolean;
  /** pg_net preloaded and created; default on for the sets that have it (not `debian`). */
  pgNet?: boolean;
  /** Shows up in the directory name, for debugging. */
  name?: string;
}

const DEFAULT_BIN = process.env.JOBMON_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const DEFAULT_SUPERUSER = "postgres";
const DEFAULT_SUPERUSER_PASSWORD = "postgres";
const HOST = "127.0.0.1" as const;
const RUNNING_AS_ROOT = process.getuid?.() === 0;
const PG_OS_USER = RUNNING_AS_ROOT ? "postgres" : os.userInfo().username;
/** Owner of everything under it; per uid so users on one machine do not collide. */
const CACHE_ROOT = path.join(os.tmpdir(), `jobmon-pgcron-${process.getuid?.() ?? os.userInfo().username}`);

// Appended to the template's postgresql.conf (later lines win over initdb's).
const templateConf = (preload: string) => `
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
shared_preload_libraries = '${preload}'
cron.database_name = 'postgres'
# Per cluster: port, socket directory, cron.host and the caller's settings.
include_if_exists = 'jobmon-cluster.conf'
`;

const PG_HBA = `# jobmon test harness: see the header of test/harness/pgcron.ts.
# Unix socket (inside the 0700 data directory): pg_cron's own libpq connections (cron.host).
local   all   all                  trust
# TCP: a password for every role, the superuser included.
host    all   all   127.0.0.1/32   scram-sha-256
`;

const CLUSTER_CONF = "jobmon-cluster.conf";

/** What a template (and every cluster copied from it) is made of. */
interface Flavour {
  set: ExtensionSet;
  bin: string;
  supabase: boolean;
  pgNet: boolean;
  superuser: string;
  passwords: Readonly<Record<string, string>>;
}

async function resolveFlavour(opts: StartOptions): Promise<Flavour> {
  const set = opts.set ?? defaultExtensionSet();
  if (!Object.hasOwn(EXTENSION_SETS, set)) throw new Error(`Unknown extension set: ${String(set)} (debian, pinned or latest)`);
  const hasPgNet = EXTENSION_SETS[set].pgNet !== null;
  const pgNet = opts.pgNet ?? hasPgNet;
  if (pgNet && !hasPgNet) throw new Error(`The '${set}' set has no pg_net: use set 'pinned' or 'latest' for pg_net.`);
  const bin = set === "debian" ? extensionSetBin(set) : await ensureExtensionSet(set);
  const supabase = opts.supabase ?? false;
  return supabase
    ? { set, bin, supabase, pgNet, superuser: SUPABASE_SUPERUSER, passwords: SUPABASE_PASSWORDS }
    : { set, bin, supabase, pgNet, superuser: DEFAULT_SUPERUSER, passwords: { [DEFAULT_SUPERUSER]: DEFAULT_SUPERUSER_PASSWORD } };
}

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

function pgCommand(bin: string, program: string, args: string[]): [string, string[]] {
  const exe = path.join(bin, program);
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

function runPg(bin: string, program: string, args: string[]): Promise<string> {
  const [cmd, argv] = pgCommand(bin, program, args);
  return run(cmd, argv);
}

/** Any PostgreSQL 15 pg_ctl can stop any of the clusters: Debian's (or JOBMON_PG_BIN) by default. */
function stopServerSync(dataDir: string, bin = DEFAULT_BIN): void {
  if (!fs.existsSync(path.join(dataDir, "postmaster.pid"))) return;
  const [cmd, args] = pgCommand(bin, "pg_ctl", ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "10"]);
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
  /** What the template appends to postgresql.conf. */
  conf: string;
  /** Hash of everything the template is made of. */
  key: string;
}

function describeInstallation(flavour: Flavour): Installation {
  const { bin } = flavour;
  const postgresBin = path.join(bin, "postgres");
  if (!fs.existsSync(postgresBin)) {
    throw new Error(`PostgreSQL 15 is not installed (${postgresBin} is missing): apt-get install postgresql-15 postgresql-15-cron, or set JOBMON_PG_BIN.`);
  }
  const version = spawnSync(postgresBin, ["--version"], { encoding: "utf8" }).stdout.trim();
  const pgConfig = (flag: string) => spawnSync(path.join(bin, "pg_config"), [flag], { encoding: "utf8" }).stdout.trim();
  const pkglibdir = pgConfig("--pkglibdir");
  const extensionDir = path.join(pgConfig("--sharedir"), "extension");
  const describe = (ext: string, hint: string) => {
    const so = path.join(pkglibdir, `${ext}.so`);
    const controlFile = path.join(extensionDir, `${ext}.control`);
    if (!fs.existsSync(so) || !fs.existsSync(controlFile)) throw new Error(`${ext} is not installed (${so} is missing): ${hint}.`);
    const control = fs.readFileSync(controlFile, "utf8");
    const stat = fs.statSync(so);
    return {
      defaultVersion: /default_version\s*=\s*'([^']+)'/.exec(control)?.[1] ?? "unknown",
      fingerprint: [control, stat.size, stat.mtimeMs].join("\0"),
    };
  };
  const cron = describe("pg_cron", flavour.set === "debian" ? "apt-get install postgresql-15-cron" : "run scripts/build-extensions.sh");
  const pgNet = flavour.pgNet ? describe("pg_net", "run scripts/build-extensions.sh") : null;
  const conf = templateConf(flavour.pgNet ? "pg_cron,pg_net" : "pg_cron");
  const parts: unknown[] = [version, cron.fingerprint, conf, PG_HBA, PG_OS_USER, flavour.set, bin];
  if (pgNet) parts.push("pg_net", pgNet.fingerprint);
  if (flavour.supabase) parts.push("supabase", SUPABASE_ROLES_SQL, SUPABASE_PG_CRON_GRANTS, supabasePgNetGrants(pgNet?.defaultVersion ?? ""));
  const key = createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 12);
  return { conf, key };
}

/** Template directories by flavour (set, bin directory, role model, pg_net). */
const templates = new Map<string, Promise<string>>();

function ensureTemplate(flavour: Flavour): Promise<string> {
  const id = [flavour.set, flavour.bin, flavour.supabase, flavour.pgNet].join("\0");
  let promise = templates.get(id);
  if (!promise) {
    promise = (async () => {
      const install = describeInstallation(flavour);
      // Short: the staging directory's socket path must fit in sun_path. The key covers the versions.
      const name = `template-${flavour.set}${flavour.supabase ? "-supabase" : ""}-${install.key}`;
      await ensureCacheRoot();
      const final = path.join(CACHE_ROOT, name);
      if (fs.existsSync(final)) return final;
      const release = await lockfile.lock(CACHE_ROOT, {
        lockfilePath: `${final}.lock`,
        stale: 20_000,
        retries: { retries: 600, factor: 1, minTimeout: 200, maxTimeout: 200 },
        onCompromised: (error) => console.warn(`pgcron harness: template lock compromised: ${error.message}`),
      });
      try {
        if (!fs.existsSync(final)) await buildTemplate(final, flavour, install);
      } finally {
        await release();
      }
      return final;
    })();
    promise.catch(() => templates.delete(id));
    templates.set(id, promise);
  }
  return promise;
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

async function buildTemplate(final: string, flavour: Flavour, install: Installation): Promise<void> {
  const { bin, superuser } = flavour;
  const staging = `${final}.staging-${process.pid}-${Date.now()}`;
  const pwfile = `${staging}.pw`;
  const log = `${staging}.log`;
  await fsp.mkdir(staging, { mode: 0o700 });
  await giveToPgUser(staging);
  try {
    await fsp.writeFile(pwfile, flavour.passwords[superuser]!, { mode: 0o600 });
    await giveToPgUser(pwfile);
    // The server writes its log as the postgres OS user, and may not create files here.
    await fsp.writeFile(log, "");
    await giveToPgUser(log);
    await runPg(bin, "initdb", [
      "-D", staging, "-U", superuser, `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C",
      "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
      // 1 MB WAL segments instead of 16 MB: less to copy per cluster.
      "--wal-segsize=1",
    ]);
    await fsp.appendFile(path.join(staging, "postgresql.conf"), install.conf);
    await fsp.writeFile(path.join(staging, "pg_hba.conf"), PG_HBA);
    // Start it once to create the roles and extensions, then shut down cleanly so copies
    // start without crash recovery.
    const port = await startServer(bin, staging, log, {});
    const db = postgresDb(buildUrl(port, superuser, flavour.passwords[superuser], "postgres"), {
      max: 1,
      applicationName: "jobmon-test-harness",
    });
    try {
      if (flavour.supabase) await db.exec(SUPABASE_ROLES_SQL);
      await db.query("create extension pg_cron");
      if (flavour.supabase) await db.exec(SUPABASE_PG_CRON_GRANTS);
      if (flavour.pgNet) {
        await db.query("create extension pg_net");
        if (flavour.supabase) {
          const [ext] = await db.query<{ extversion: string }>("select extversion from pg_extension where extname = 'pg_net'");
          await db.exec(supabasePgNetGrants(ext!.extversion));
        }
      }
    } finally {
      await db.close();
    }
    await runPg(bin, "pg_ctl", ["stop", "-D", staging, "-m", "fast", "-w", "-t", "60"]);
    await fsp.rm(path.join(staging, CLUSTER_CONF));
    await fsp.rename(staging, final);
  } catch (error) {
    stopServerSync(staging, bin);
    const tail = await logTail(log);
    await fsp.rm(staging, { recursive: true, force: true });
    throw new Error(`Could not build the pg_cron template cluster (${path.basename(final)}): ${(error as Error).message}${tail}`);
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
async function startServer(bin: string, dataDir: string, log: string, settings: StartOptions["settings"]): Promise<number> {
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
      await runPg(bin, "pg_ctl", ["start", "-D", dataDir, "-l", log, "-w", "-t", "60", "-s"]);
      return port;
    } catch (error) {
      const tail = await logTail(log);
      if (attempt < 3 && /could not bind|could not create any TCP\/IP sockets/.test(tail)) continue;
      throw new Error(`${(error as Error).message}${tail}`);
    }
  }
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

/** Cluster directories of this process whose server may be running, with their bin directory. */
const live = new Map<string, string>();
const OWNER_FILE = "owner.pid";

function cleanupSync(): void {
  for (const [root, bin] of live) {
    try {
      stopServerSync(path.join(root, "data"), bin);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      live.delete(root);
    }
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
  const flavour = await resolveFlavour(opts);
  const { bin, superuser, passwords } = flavour;
  const template = await ensureTemplate(flavour);
  reaped ??= reapOrphanedClusters().catch(() => undefined);
  await reaped;

  const name = (opts.name ?? "cluster").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 24);
  cleanUpAtExit(cleanupSync);
  const root = await fsp.mkdtemp(path.join(CACHE_ROOT, `cluster-${name}-`));
  live.set(root, bin);
  const dataDir = path.join(root, "data");
  const log = path.join(root, "server.log");
  let db: Db | undefined;
  /** Pools of sqlAs, one per role; closed on restart and stop. */
  const rolePools = new Map<string, Db>();
  /** Passwords given to createRole, for sqlAs. */
  const createdPasswords = new Map<string, string>();
  const closeRolePools = async () => {
    const pools = [...rolePools.values()];
    rolePools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
  };
  try {
    await fsp.writeFile(path.join(root, OWNER_FILE), String(process.pid));
    await fsp.chmod(root, 0o755);
    await giveToPgUser(root);
    await run("cp", ["-a", template, dataDir]);
    const settings = opts.quiet ? { "cron.host": path.join(root, "no-socket-here"), ...opts.settings } : opts.settings;
    const port = await startServer(bin, dataDir, log, settings);
    const knownPassword = (role: string) => (Object.hasOwn(passwords, role) ? passwords[role] : undefined);
    const urlFor: PgCronCluster["urlFor"] = ({ user = superuser, password, database = "postgres" }) =>
      buildUrl(port, user, password ?? knownPassword(user), database);
    const url = urlFor({});
    const connect = () => postgresDb(url, { max: 2, applicationName: "jobmon-test-harness" });
    db = connect();
    const extensions = await db.query<{ extname: string; extversion: string }>(
      "select extname, extversion from pg_extension where extname in ('pg_cron', 'pg_net')",
    );
    const version = (ext: string) => extensions.find((e) => e.extname === ext)?.extversion ?? null;
    const pgCronVersion = version("pg_cron");
    if (!pgCronVersion) throw new Error("pg_cron is not installed in the postgres database");
    if (opts.quiet) await db.exec(QUIET_TRIGGER);

    let stopping: Promise<void> | undefined;
    const cluster: PgCronCluster = {
      port,
      host: HOST,
      set: flavour.set,
      supabase: flavour.supabase,
      superuser,
      url,
      urlFor,
      passwords,
      pgCronVersion,
      pgNetVersion: version("pg_net"),
      dataDir,
      bin,
      startupMs: 0,
      sql: async (text, params = []) => (await db!.query(text, params)) as any[],
      async sqlAs(role, text, params = []) {
        if (role === superuser) return (await db!.query(text, params)) as any[];
        let pool = rolePools.get(role);
        if (!pool) {
          const password = knownPassword(role) ?? createdPasswords.get(role);
          if (password === undefined) throw new Error(`sqlAs: no password known for role ${role} (createRole it with one)`);
          pool = postgresDb(buildUrl(port, role, password, "postgres"), { max: 1, applicationName: "jobmon-test-harness" });
          rolePools.set(role, pool);
        }
        return (await pool.query(text, params)) as any[];
      },
      async createRole(roleName, roleOpts = {}) {
        const parts = [`create role ${quoteIdent(roleName)} login`];
        if (roleOpts.password !== undefined) parts.push(`password ${quoteLiteral(roleOpts.password)}`);
        if (roleOpts.bypassrls) parts.push("bypassrls");
        if (roleOpts.superuser) parts.push("superuser");
        await db!.query(parts.join(" "));
        if (roleOpts.password !== undefined) createdPasswords.set(roleName, roleOpts.password);
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
        await closeRolePools();
        await db!.close();
        try {
          await runPg(bin, "pg_ctl", ["restart", "-D", dataDir, "-l", log, "-m", "fast", "-w", "-t", "60", "-s"]);
        } finally {
          db = connect();
        }
      },
      stop() {
        stopping ??= (async () => {
          await closeRolePools();
          await db!.close().catch(() => undefined);
          await runPg(bin, "pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"]).catch(() => stopServerSync(dataDir, bin));
          await fsp.rm(root, { recursive: true, force: true });
          live.delete(root);
        })();
        return stopping;
      },
    };
    cluster.startupMs = Math.round(performance.now() - startedAt);
    return cluster;
  } catch (error) {
    await closeRolePools();
    await db?.close().catch(() => undefined);
    stopServerSync(dataDir, bin);
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

/** Inserts one row into cron.job_run_details (as the superuser), at exactly the times given; returns its runid. */
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

/**
 * cron.schedule(name, schedule, command); returns the jobid. As the superuser unless `as`
 * names another role (on Supabase, jobs are usually owned by `postgres`: { as: "postgres" }).
 */
export async function scheduleJob(
  cluster: PgCronCluster,
  name: string,
  schedule: string,
  command: string,
  opts: { as?: string } = {},
): Promise<number> {
  const text = "select cron.schedule($1, $2, $3) as jobid";
  const params = [name, schedule, command];
  const [row] = opts.as ? await cluster.sqlAs<{ jobid: number }>(opts.as, text, params) : await cluster.sql<{ jobid: number }>(text, params);
  return row!.jobid;
}
