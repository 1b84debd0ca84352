import type { HubConfig } from "../config.js";
import { postgresDb } from "../db/postgres.js";
import type { Db } from "../db/types.js";

/**
 * Opens the hub the configuration names: a Postgres database, or the embedded PGlite one.
 * A Postgres hub may sit behind a transaction pooler (Supabase's port 6543): the hub keeps no
 * session state between transactions. Migrations lock with pg_advisory_xact_lock (released
 * with their transaction), the check lease is a row, and there is no LISTEN, session SET or
 * named prepared statement.
 */
export async function openHub(hub: HubConfig, options: { waitMs?: number } = {}): Promise<Db> {
  if (hub.kind === "postgres") {
    return postgresDb(hub.url, { max: 4, connectTimeoutSeconds: 15, applicationName: "jobmon-hub" });
  }
  // Node only (files, locks): loaded on demand so Edge Functions never touch it.
  const { openEmbeddedHub } = await import("../node/embedded-hub.js");
  return openEmbeddedHub(hub.dir, options);
}
