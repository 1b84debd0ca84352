/**
 * The extension sets the harness can run PostgreSQL 15 with, and where they live.
 *
 *   debian  Debian's pg_cron 1.4.2 in /usr/lib/postgresql/15 (or JOBMON_PG_BIN); no pg_net.
 *   pinned  pg_cron 1.6.4 + pg_net 0.11.0: what Supabase pins; with pgmq 1.4.4 (Supabase
 *           Queues, SQL only), which the hub's fanned-out check cycle uses.
 *   latest  pg_cron 1.6.7 + pg_net 0.20.5: the latest tags (pg_net 0.20.5 reports 0.20.4).
 *
 * `pinned` and `latest` are built by scripts/build-extensions.sh into copies of Debian's
 * PostgreSQL 15 under a cache directory; this module computes the same path the script
 * does (see set_key there: the recipe version, the set's lines of
 * scripts/extensions.sha256 and Debian's `postgres --version`, hashed).
 */
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export type ExtensionSet = "debian" | "pinned" | "latest";

export const EXTENSION_SETS: Record<ExtensionSet, { pgCron: string; pgNet: string | null; pgmq: string | null }> = {
  debian: { pgCron: "1.4.2", pgNet: null, pgmq: null },
  pinned: { pgCron: "1.6.4", pgNet: "0.11.0", pgmq: "1.4.4" },
  latest: { pgCron: "1.6.7", pgNet: "0.20.5", pgmq: null },
};

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const BUILD_SCRIPT = path.join(REPO, "scripts", "build-extensions.sh");
const CHECKSUMS = path.join(REPO, "scripts", "extensions.sha256");
const DEBIAN_PG = "/usr/lib/postgresql/15";
/** Written last into a set root by the script; the root is published by a rename anyway. */
const MARKER = "jobmon-extension-set.txt";
const SET_BIN = path.join("usr", "lib", "postgresql", "15", "bin");

export function isExtensionSet(value: string): value is ExtensionSet {
  return Object.hasOwn(EXTENSION_SETS, value);
}

/** StartOptions.set when none is given: JOBMON_TEST_SET, else `debian`. */
export function defaultExtensionSet(): ExtensionSet {
  const fromEnv = process.env.JOBMON_TEST_SET;
  if (!fromEnv) return "debian";
  if (!isExtensionSet(fromEnv)) {
    throw new Error(`JOBMON_TEST_SET=${fromEnv} is not an extension set (debian, pinned or latest).`);
  }
  return fromEnv;
}

/** Where scripts/build-extensions.sh keeps the sets (JOBMON_EXT_CACHE overrides). */
export function extensionCacheDir(): string {
  const uid = process.getuid?.() ?? os.userInfo().username;
  return process.env.JOBMON_EXT_CACHE || path.join(process.env.TMPDIR || "/tmp", `jobmon-ext-${uid}`);
}

let postgresVersionOutput: string | undefined;

/** The root of a built set (`pinned`, `latest`), built or not; null for `debian`. */
export function extensionSetRoot(set: ExtensionSet): string | null {
  const versions = EXTENSION_SETS[set];
  if (!versions.pgNet) return null;
  const script = fs.readFileSync(BUILD_SCRIPT, "utf8");
  const recipe = /^RECIPE_VERSION=(\d+)\s*$/m.exec(script)?.[1];
  if (!recipe) throw new Error(`${BUILD_SCRIPT} has no RECIPE_VERSION= line`);
  const sums = fs.readFileSync(CHECKSUMS, "utf8").split("\n");
  const archives = [`pg_cron-${versions.pgCron}`, `pg_net-${versions.pgNet}`, ...(versions.pgmq ? [`pgmq-${versions.pgmq}`] : [])];
  const lines = archives.map((name) => {
    const line = sums.find((l) => /^[0-9a-f]{64} {2}/.test(l) && l.slice(66) === `${name}.tar.gz`);
    if (!line) throw new Error(`${CHECKSUMS} has no checksum for ${name}.tar.gz`);
    return line;
  });
  if (postgresVersionOutput === undefined) {
    const postgres = path.join(DEBIAN_PG, "bin", "postgres");
    const result = spawnSync(postgres, ["--version"], { encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`PostgreSQL 15 is not installed (${postgres} --version failed): apt-get install postgresql-15.`);
    }
    postgresVersionOutput = result.stdout;
  }
  // Exactly the bytes set_key in the script hashes: its echo lines, then postgres's output.
  const text = `recipe ${recipe}\n${lines.map((l) => `${l}\n`).join("")}${postgresVersionOutput}`;
  const key = createHash("sha256").update(text).digest("hex").slice(0, 16);
  return path.join(extensionCacheDir(), `${set}-${key}`);
}

function isBuilt(root: string): boolean {
  return fs.existsSync(path.join(root, MARKER)) && fs.existsSync(path.join(root, SET_BIN, "postgres"));
}

/**
 * The PostgreSQL bin directory of a set. For `debian`: JOBMON_PG_BIN, else
 * /usr/lib/postgresql/15/bin. Throws when a built set is missing.
 */
export function extensionSetBin(set: ExtensionSet): string {
  const root = extensionSetRoot(set);
  if (root === null) return process.env.JOBMON_PG_BIN ?? path.join(DEBIAN_PG, "bin");
  if (!isBuilt(root)) {
    const { pgCron, pgNet } = EXTENSION_SETS[set];
    throw new Error(
      `The '${set}' extension set (pg_cron ${pgCron} + pg_net ${pgNet}) is not built: run scripts/build-extensions.sh (it goes to ${root}).`,
    );
  }
  return path.join(root, SET_BIN);
}

const building = new Map<ExtensionSet, Promise<string>>();

/**
 * extensionSetBin, building the set first when it is missing (scripts/build-extensions.sh,
 * whose lock keeps concurrent test processes from building the same set twice).
 */
export function ensureExtensionSet(set: ExtensionSet): Promise<string> {
  const root = extensionSetRoot(set);
  if (root === null || isBuilt(root)) return Promise.resolve(extensionSetBin(set));
  let promise = building.get(set);
  if (!promise) {
    promise = new Promise<string>((resolve, reject) => {
      execFile("bash", [BUILD_SCRIPT, set], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`scripts/build-extensions.sh ${set} failed: ${error.message}\n${stdout}${stderr}`.trim()));
          return;
        }
        try {
          resolve(extensionSetBin(set));
        } catch (notBuilt) {
          reject(notBuilt);
        }
      });
    });
    promise.catch(() => building.delete(set));
    building.set(set, promise);
  }
  return promise;
}
