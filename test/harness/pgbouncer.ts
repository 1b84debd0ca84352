/**
 * A throwaway PgBouncer in front of a test cluster, configured like Supabase's transaction
 * pooler (port 6543): `pool_mode = transaction`, and `ignore_startup_parameters =
 * extra_float_digits` only, so any other startup parameter a client sends (statement_timeout,
 * options …) is refused with "unsupported startup parameter". The pool per (database, user) is
 * small, so clients really do share server connections one after another: a session-level SET
 * that outlives its transaction shows up in the next client's session.
 *
 * Clients authenticate with SCRAM against an auth_file holding the users' passwords in plain
 * text, which PgBouncer also uses to log in to the server (also SCRAM, see pgcron.ts's pg_hba).
 * Every database name is forwarded to the target (`* = host=… port=…`).
 *
 * Root: like PostgreSQL, PgBouncer refuses to run as root, so when the tests run as root it
 * runs as the `postgres` OS user (runuser), and its directory (configuration, auth file, log,
 * pid file) belongs to that user.
 *
 * Cleanup: stop() stops it and deletes its directory. Bouncers still running when the process
 * exits or gets SIGINT/SIGTERM/SIGHUP are killed synchronously. A bouncer left by a process
 * killed with SIGKILL is killed by the next process that starts one (see reapOrphans).
 */
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "./pgcron.js";
import { cleanUpAtExit, isAlive } from "./process.js";

export interface PgBouncer {
  port: number;
  host: "127.0.0.1";
  /** A URL through the bouncer. The password defaults to the one in `users`; the database to postgres. */
  url(user: string, password?: string, database?: string): string;
  /** The end of PgBouncer's log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** Stops it and deletes its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  target: { host: string; port: number };
  /** Role → password: who may log in (and what PgBouncer logs in to the server with). */
  users: Record<string, string>;
  poolMode?: "transaction" | "session";
  /** Server connections per (database, user). Default 2. */
  poolSize?: number;
}

const BIN = process.env.JOBMON_PGBOUNCER_BIN ?? "/usr/sbin/pgbouncer";
const HOST = "127.0.0.1" as const;
const RUNNING_AS_ROOT = process.getuid?.() === 0;
const OS_USER = RUNNING_AS_ROOT ? "postgres" : os.userInfo().username;
const DIR_PREFIX = `jobmon-pgbouncer-${process.getuid?.() ?? os.userInfo().username}-`;
const OWNER_FILE = "owner.pid";

/** Quoted for the auth_file: a double quote inside is doubled. */
const authQuote = (text: string) => `"${text.replace(/"/g, '""')}"`;

function config(dir: string, port: number, opts: PgBouncerOptions): string {
  return `;; jobmon test harness (test/harness/pgbouncer.ts)
[databases]
* = host=${opts.target.host} port=${opts.target.port}

[pgbouncer]
listen_addr = ${HOST}
listen_port = ${port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${path.join(dir, "userlist.txt")}
pool_mode = ${opts.poolMode ?? "transaction"}
ignore_startup_parameters = extra_float_digits
max_client_conn = 50
default_pool_size = ${opts.poolSize ?? 2}
min_pool_size = 0
reserve_pool_size = 0
server_lifetime = 3600
server_idle_timeout = 600
logfile = ${path.join(dir, "pgbouncer.log")}
pidfile = ${path.join(dir, "pgbouncer.pid")}
`;
}

/** PG* variables would change nothing here, but keep the environment as plain as the cluster's. */
function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { LC_ALL: "C" };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("PG") && key !== "LC_ALL") out[key] = value;
  return out;
}

function command(args: string[]): [string, string[]] {
  return RUNNING_AS_ROOT ? ["runuser", ["-u", OS_USER, "--", BIN, ...args]] : [BIN, args];
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // cwd "/": the postgres OS user may not be allowed into the caller's directory.
    execFile(cmd, args, { cwd: "/", env: env() }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`.trim()));
      else resolve();
    });
  });
}

let owner: { uid: number; gid: number } | undefined;

async function giveToOsUser(p: string): Promise<void> {
  if (!RUNNING_AS_ROOT) return;
  if (!owner) {
    const id = (flag: string) => Number(spawnSync("id", [flag, OS_USER], { encoding: "utf8" }).stdout.trim());
    owner = { uid: id("-u"), gid: id("-g") };
    if (!Number.isInteger(owner.uid) || owner.uid <= 0) {
      throw new Error(`Running as root needs the '${OS_USER}' OS user (created by the postgresql-15 package).`);
    }
  }
  await fsp.chown(p, owner.uid, owner.gid);
}

function readPid(dir: string): number | null {
  const pid = Number(fs.readFileSync(path.join(dir, "pgbouncer.pid"), { encoding: "utf8", flag: "r" }).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function pidOf(dir: string): number | null {
  try {
    return readPid(dir);
  } catch {
    return null;
  }
}


/** Kills the bouncer of `dir`, if its pid file names a running pgbouncer. */
function killSync(dir: string): void {
  const pid = pidOf(dir);
  if (pid === null || !isAlive(pid)) return;
  // The pid file may be stale and its pid reused: only a pgbouncer is killed.
  const comm = (() => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      return "";
    }
  })();
  if (comm !== "pgbouncer") return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

const live = new Set<string>();

function cleanupSync(): void {
  for (const dir of live) {
    try {
      killSync(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      live.delete(dir);
    }
  }
}


/** Bouncers (and their directories) left by test processes that are gone. */
async function reapOrphans(): Promise<void> {
  const entries = await fsp.readdir(os.tmpdir()).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    const ownerPid = Number(await fsp.readFile(path.join(dir, OWNER_FILE), "utf8").catch(() => NaN));
    if (Number.isInteger(ownerPid) && isAlive(ownerPid)) continue;
    if (!Number.isInteger(ownerPid)) {
      // Being set up right now, or left half-made: only an old one is removed.
      const stat = await fsp.stat(dir).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs < 60_000) continue;
    }
    killSync(dir);
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

let reaped: Promise<void> | undefined;

async function waitForPid(dir: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = pidOf(dir);
    if (pid !== null && isAlive(pid)) return pid;
    if (Date.now() > deadline) throw new Error(`pgbouncer wrote no pid file within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await fsp.readFile(file, "utf8").catch(() => "");
  return text.split("\n").slice(-lines - 1).join("\n");
}

export async function startPgBouncer(opts: PgBouncerOptions): Promise<PgBouncer> {
  if (!fs.existsSync(BIN)) throw new Error(`PgBouncer is not installed (${BIN} is missing): apt-get install pgbouncer, or set JOBMON_PGBOUNCER_BIN.`);
  reaped ??= reapOrphans().catch(() => undefined);
  await reaped;
  cleanUpAtExit(cleanupSync);

  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  live.add(dir);
  const log = path.join(dir, "pgbouncer.log");
  try {
    await fsp.writeFile(path.join(dir, OWNER_FILE), String(process.pid));
    await fsp.chmod(dir, 0o700);
    const userlist = path.join(dir, "userlist.txt");
    await fsp.writeFile(userlist, Object.entries(opts.users).map(([user, password]) => `${authQuote(user)} ${authQuote(password)}\n`).join(""), { mode: 0o600 });
    await fsp.writeFile(log, "", { mode: 0o600 });
    for (const file of [userlist, log]) await giveToOsUser(file);
    await giveToOsUser(dir);

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      // Another process may take the port between freePort() and PgBouncer's bind().
      port = await freePort();
      const ini = path.join(dir, "pgbouncer.ini");
      await fsp.writeFile(ini, config(dir, port, opts), { mode: 0o600 });
      await giveToOsUser(ini);
      const [cmd, args] = command(["-d", "-q", ini]);
      try {
        // -d: it forks, writes the pid file and returns; a bad configuration or a taken port
        // fails before the fork, with a non-zero exit.
        await run(cmd, args);
        await waitForPid(dir, 5_000);
        break;
      } catch (error) {
        const text = `${(error as Error).message}\n${await tail(log, 20)}`;
        if (attempt < 3 && /Address already in use|bind/.test(text)) continue;
        throw new Error(`Could not start PgBouncer: ${text}`);
      }
    }

    let stopping: Promise<void> | undefined;
    return {
      port,
      host: HOST,
      url(user, password, database = "postgres") {
        const pass = password ?? opts.users[user];
        const auth = pass === undefined ? encodeURIComponent(user) : `${encodeURIComponent(user)}:${encodeURIComponent(pass)}`;
        return `postgres://${auth}@${HOST}:${port}/${encodeURIComponent(database)}`;
      },
      logTail: (lines = 20) => tail(log, lines),
      stop() {
        stopping ??= (async () => {
          const pid = pidOf(dir);
          if (pid !== null && isAlive(pid)) {
            // SIGINT: a safe shutdown (nothing runs between a test's transactions); SIGKILL after 5 s.
            try {
              process.kill(pid, "SIGINT");
            } catch {
              // gone already
            }
            const deadline = Date.now() + 5_000;
            while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
            killSync(dir);
          }
          await fsp.rm(dir, { recursive: true, force: true });
          live.delete(dir);
        })();
        return stopping;
      },
    };
  } catch (error) {
    killSync(dir);
    await fsp.rm(dir, { recursive: true, force: true });
    live.delete(dir);
    throw error;
  }
}
