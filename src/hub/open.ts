import { redactSecrets } from "../lib/redact.js";
import type { HubConfig } from "../config.js";
import { postgresDb } from "../db/postgres.js";
import type { Db, Queryable } from "../db/types.js";
import { type ErrorClass, JobmonError } from "../errors.js";

export interface OpenHubOptions {
  /** How long to wait for the embedded hub when another process holds it (ms). */
  waitMs?: number;
  /**
   * How long a Postgres hub may take to accept a connection and answer its startup, in ms
   * (default 15 s). MonitoringAPI passes the project timeout (JOBMON_PROJECT_TIMEOUT), so a hub
   * that does not answer costs no more than a monitored project that does not.
   */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * Opens the hub the configuration names: a Postgres database, or the embedded PGlite one.
 * A Postgres hub may sit behind a transaction pooler (Supabase's port 6543): the hub keeps no
 * session state between transactions. Migrations lock with pg_advisory_xact_lock (released
 * with their transaction), the check lease is a row, and there is no LISTEN, session SET or
 * named prepared statement.
 *
 * A Postgres hub's errors say they are the hub's (HubError: `hub (JOBMON_HUB_URL): …`), so that
 * they are not taken for a monitored project's, and never hold the URL's password.
 */
export async function openHub(hub: HubConfig, options: OpenHubOptions = {}): Promise<Db> {
  if (hub.kind === "postgres") {
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) throw new TypeError(`connectTimeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
    // postgres.js takes seconds, fractions included; its timer runs until the server is ready for queries.
    const db = postgresDb(hub.url, { max: 4, connectTimeoutSeconds: timeoutMs / 1000, applicationName: "jobmon-hub" });
    return namedHub(db, { source: hub.source, url: hub.url, connectTimeoutMs: timeoutMs });
  }
  // Node only (files, locks): loaded on demand so Edge Functions never touch it.
  const { openEmbeddedHub } = await import("../node/embedded-hub.js");
  return openEmbeddedHub(hub.dir, options);
}

/**
 * An error from a Postgres hub: its message starts with `hub (<where its URL came from>): `.
 * The driver's error is the cause; its SQLSTATE or system error code stays in `driverCode`.
 */
export class HubError extends JobmonError {
  readonly driverCode: string | undefined;
  constructor(message: string, errorClass: ErrorClass, cause: unknown, driverCode: string | undefined) {
    super("hub", message, errorClass, { cause });
    this.driverCode = driverCode;
  }
}

interface HubIdentity {
  /** Where the URL came from, e.g. JOBMON_HUB_URL or JOBMON_HUB=smoothed. */
  source: string;
  url: string;
  connectTimeoutMs: number;
}

/** Connection failures that may pass; authentication and a wrong address or database do not. */
const TRANSIENT_CODES = new Set(["CONNECT_TIMEOUT", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "57P01", "57P03", "53300"]);
const CONFIGURATION_CODES = new Set(["ENOTFOUND", "3D000", "28000", "28P01", "42501"]);

function urlPassword(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

/** The driver's error as the hub's; jobmon's own errors (and ones already named) pass as they are. */
export function hubError(error: unknown, hub: HubIdentity): unknown {
  if (error instanceof HubError || error instanceof JobmonError || !(error instanceof Error)) return error;
  const raw = (error as Error & { code?: unknown }).code;
  const code = typeof raw === "string" ? raw : undefined;
  let text = error.message || error.name;
  if (code === "CONNECT_TIMEOUT") {
    // postgres.js says "write CONNECT_TIMEOUT host:port".
    const where = text.replace(/^write CONNECT_TIMEOUT\s*/, "") || "the hub";
    text = `no answer from ${where} within ${hub.connectTimeoutMs / 1000} s (connect timeout)`;
  }
  const errorClass: ErrorClass = code && CONFIGURATION_CODES.has(code) ? "configuration" : code && TRANSIENT_CODES.has(code) ? "transient" : "permanent";
  const message = redactSecrets(`hub (${hub.source}): ${text}`, urlPassword(hub.url));
  return new HubError(message, errorClass, error, code);
}

function namedQueryable<Q extends Queryable & { exec(sql: string): Promise<void> }>(q: Q, hub: HubIdentity): Q {
  return {
    ...q,
    query: (sql: string, params?: readonly unknown[]) => q.query(sql, params).catch((error: unknown) => Promise.reject(hubError(error, hub))),
    exec: (sql: string) => q.exec(sql).catch((error: unknown) => Promise.reject(hubError(error, hub))),
  };
}

function namedHub(db: Db, hub: HubIdentity): Db {
  const named = namedQueryable(db, hub);
  return {
    dialect: db.dialect,
    query: named.query,
    exec: named.exec,
    batch: (statements) => db.batch(statements).catch((error: unknown) => Promise.reject(hubError(error, hub))),
    async transaction(fn) {
      // What the callback throws is the caller's own (or already named by its queries).
      const thrownByCallback = new WeakSet<object>();
      try {
        return await db.transaction(async (tx) => {
          try {
            return await fn(namedQueryable(tx, hub));
          } catch (error) {
            if (typeof error === "object" && error !== null) thrownByCallback.add(error);
            throw error;
          }
        });
      } catch (error) {
        if (typeof error === "object" && error !== null && thrownByCallback.has(error)) throw error;
        throw hubError(error, hub);
      }
    },
    close: () => db.close().catch((error: unknown) => Promise.reject(hubError(error, hub))),
  };
}
