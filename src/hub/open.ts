import type { HubConfig } from "../config.js";
import { postgresDb } from "../db/postgres.js";
import type { Db } from "../db/types.js";

/** Opens the hub the configuration names: a Postgres database, or the embedded PGlite one. */
export async function openHub(hub: HubConfig, options: { waitMs?: number } = {}): Promise<Db> {
  if (hub.kind === "postgres") {
    return postgresDb(hub.url, { max: 4, connectTimeoutSeconds: 15, applicationName: "jobmon-hub" });
  }
  // Node only (files, locks): loaded on demand so Edge Functions never touch it.
  const { openEmbeddedHub } = await import("../node/embedded-hub.js");
  return openEmbeddedHub(hub.dir, options);
}
