import { randomUUID } from "node:crypto";
import { pgliteDb } from "../../src/db/pglite.js";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db, Queryable } from "../../src/db/types.js";
import { migrate } from "../../src/hub/migrate.js";
import { pgliteTemplate } from "../../src/node/pglite-template.js";
import type { PgCronCluster } from "../harness/pgcron.js";

export type HubKind = "pglite" | "postgres";
export const HUB_KINDS: readonly HubKind[] = ["pglite", "postgres"];

/**
 * A new in-memory PGlite hub, seeded from the build's template data directory (which skips
 * PGlite's initdb: about half of what a new PGlite costs).
 */
export function testHub(): Promise<Db> {
  return pgliteDb(undefined, { template: pgliteTemplate() });
}

/** A new, empty database on the cluster, for a hub: its URL. */
export async function freshHubUrl(cluster: PgCronCluster): Promise<string> {
  const name = `hub_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  await cluster.sql(`create database ${name}`);
  return cluster.urlFor({ database: name });
}

/**
 * The environment of a CLI test whose subject is not the embedded hub: a new Postgres hub
 * (JOBMON_HUB_URL) on the test's cluster. Every CLI process that opens the embedded hub
 * starts PGlite (about a second of CPU, more for a new hub); a Postgres hub is a connection.
 * The tests of the embedded hub itself (demo, lifecycle, locks, the default ./.jobmon) keep it.
 */
export async function postgresHubEnv(cluster: PgCronCluster): Promise<{ JOBMON_HUB_URL: string }> {
  return { JOBMON_HUB_URL: await freshHubUrl(cluster) };
}

/** A fresh database for one test: in-memory PGlite, or a new database on a real cluster. */
export async function freshHubDb(kind: HubKind, cluster: () => PgCronCluster): Promise<{ db: Db; url: string | null }> {
  if (kind === "pglite") return { db: await testHub(), url: null };
  const url = await freshHubUrl(cluster());
  return { db: postgresDb(url, { max: 4 }), url };
}

export async function migratedHub(kind: HubKind, cluster: () => PgCronCluster): Promise<Db> {
  const { db } = await freshHubDb(kind, cluster);
  await migrate(db);
  return db;
}

/** The hub, with the text of every statement sent to it (in and out of transactions) logged. */
export function recordingHub(db: Db, log: string[]): Db {
  const record = <Q extends Queryable>(q: Q): Q => ({
    ...q,
    query: (sql: string, params?: readonly unknown[]) => {
      log.push(sql);
      return q.query(sql, params);
    },
  });
  return { ...record(db), transaction: (fn) => db.transaction((tx) => fn(record(tx))) };
}
