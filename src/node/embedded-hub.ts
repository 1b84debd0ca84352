import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import lockfile from "proper-lockfile";
import { pgliteDb } from "../db/pglite.js";
import { JobmonError } from "../errors.js";
import { extractPgliteTemplate, pgliteTemplate } from "./pglite-template.js";
import type { Db } from "../db/types.js";

/**
 * The embedded hub: a PGlite database in a directory (default ./.jobmon/). PGlite is one
 * process's database, so a lock file keeps two jobmon processes from opening it at once;
 * a second process waits up to `waitMs` for the first to finish, then gives up clearly.
 */
export class HubBusyError extends JobmonError {
  constructor(dir: string) {
    super("hub_busy", `the embedded hub in ${dir} is in use by another jobmon process`, "transient");
  }
}

export async function openEmbeddedHub(dir: string, options: { waitMs?: number } = {}): Promise<Db> {
  const path = resolve(dir);
  mkdirSync(path, { recursive: true });
  const waitMs = options.waitMs ?? 60_000;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      lockfilePath: `${path}/hub.lock`,
      // The holder refreshes the lock every 5 s; only a lock untouched for 30 s (a process
      // that died) is taken over, even on a machine too busy to run timers on time.
      stale: 30_000,
      update: 5_000,
      retries: waitMs > 0 ? { retries: Math.ceil(waitMs / 250), factor: 1, minTimeout: 250, maxTimeout: 250 } : 0,
    });
  } catch (error) {
    if ((error as { code?: string }).code === "ELOCKED") throw new HubBusyError(path);
    throw error;
  }
  try {
    const dataDir = `${path}/pgdata`;
    // A new hub starts from the prebuilt template (no initdb); an existing one opens as is.
    // The template is unpacked here when the directory is new; PGlite loads it itself only into
    // a directory that holds something already (and is no database yet).
    let template: Blob | undefined;
    if (!existsSync(`${dataDir}/PG_VERSION`)) {
      const isNew = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
      if (!(isNew && extractPgliteTemplate(dataDir))) template = pgliteTemplate();
    }
    const db = await pgliteDb(dataDir, { template });
    const close = db.close;
    return { ...db, close: async () => { await close(); await release(); } };
  } catch (error) {
    await release();
    throw error;
  }
}
