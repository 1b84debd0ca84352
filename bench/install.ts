/**
 * PostgreSQL 15 and pg_cron for the bench, installed the way scripts/test.sh installs them
 * for the tests (Debian packages, as root), so `npm run bench` also runs on a fresh machine.
 * JOBMON_PG_BIN (another PostgreSQL 15 bin directory with pg_cron) skips the check.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const PG_CRON_SO = "/usr/lib/postgresql/15/lib/pg_cron.so";
const PG_STAT_STATEMENTS_SO = "/usr/lib/postgresql/15/lib/pg_stat_statements.so";
const PACKAGES = ["postgresql-15", "postgresql-15-cron"];

function run(cmd: string, args: string[]): void {
  const result = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`);
}

export function ensurePostgres(log: (message: string) => void): void {
  if (process.env.JOBMON_PG_BIN) return;
  if (fs.existsSync(PG_CRON_SO) && fs.existsSync(PG_STAT_STATEMENTS_SO)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the bench needs PostgreSQL 15 with pg_cron and pg_stat_statements (${PG_CRON_SO} is missing). ` +
        `Install them as root: sudo apt-get install ${PACKAGES.join(" ")} (or point JOBMON_PG_BIN at a PostgreSQL 15 bin directory that has both).`,
    );
  }
  log(`installing ${PACKAGES.join(" ")} with apt-get (as scripts/test.sh does)`);
  const hadMainCluster = fs.existsSync("/etc/postgresql/15/main");
  run("apt-get", ["update"]);
  run("apt-get", ["install", "-y", "--no-install-recommends", ...PACKAGES]);
  // The package creates (and may start) a 'main' cluster on port 5432; the bench does not use it.
  if (!hadMainCluster && fs.existsSync("/etc/postgresql/15/main")) run("pg_dropcluster", ["--stop", "15", "main"]);
}
