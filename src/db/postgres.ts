import postgres from "postgres";
import type { Db, Queryable, Row } from "./types.js";

export interface PostgresDbOptions {
  /** Seconds to wait for a connection (postgres.js `connect_timeout`). */
  connectTimeoutSeconds?: number;
  /**
   * Server-side `statement_timeout` in milliseconds for every statement sent; 0 or unset
   * leaves the server's own. Set inside each message's transaction (see `timeoutPrefix`),
   * never as a startup parameter or a session setting.
   */
  statementTimeoutMs?: number;
  /** Connections in the pool. A monitored project needs one; the hub a few. */
  max?: number;
  applicationName?: string;
  /** postgres.js `fetch_types`: off saves a round trip per connection but disables array
   * parameters (pass lists as JSON text instead). Default on. */
  fetchTypes?: boolean;
}

// int8 values (runid, jobid, counts) come back as numbers: they stay far below 2^53 in
// practice, and PGlite is configured the same way so the hub code sees one shape.
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (value: unknown) => String(value),
  parse: (value: string) => Number(value),
};

/**
 * A Db over postgres.js, usable behind Supabase's transaction pooler (port 6543, PgBouncer or
 * Supavisor), where each transaction may run on another server connection:
 *
 * - `prepare: false`: named prepared statements do not survive between transactions.
 * - The startup message holds only what a pooler accepts: postgres.js sends user, database,
 *   client_encoding (UTF8) and the `connection` object, here application_name alone (PgBouncer
 *   tracks client_encoding and application_name itself). Any other parameter (statement_timeout,
 *   options …) is refused by PgBouncer with "unsupported startup parameter". Parameters in the
 *   URL's query string that postgres.js does not know also go into the startup message.
 * - No session state: a session-level SET would stay on the server connection and reach
 *   whichever client gets it next. The statement timeout is set per transaction instead.
 */
export function postgresDb(url: string, options: PostgresDbOptions = {}): Db {
  const sql = postgres(withoutClientOnlyParameters(url), {
    max: options.max ?? 1,
    prepare: false,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: 20,
    onnotice: () => {},
    types: { int8: int8AsNumber },
    fetch_types: options.fetchTypes ?? true,
    connection: { application_name: options.applicationName ?? "jobmon" },
  });
  return wrap(sql, timeoutPrefix(options.statementTimeoutMs));
}

/**
 * Query-string parameters that other clients read and no server knows: Prisma's (Supabase's
 * dashboard gives its pooler URL with `?pgbouncer=true`, Prisma's docs add `connection_limit`).
 * postgres.js would send them to the server as startup parameters, which a pooler refuses
 * ("unsupported startup parameter") and PostgreSQL too: they are dropped. Everything else in
 * the query string is left as the user wrote it.
 */
const CLIENT_ONLY_PARAMETERS = ["pgbouncer", "connection_limit", "pool_timeout", "schema", "statement_cache_size", "socket_timeout"];

export function withoutClientOnlyParameters(url: string): string {
  if (!url.includes("?")) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // postgres.js reports what is wrong with it
  }
  const present = CLIENT_ONLY_PARAMETERS.filter((name) => parsed.searchParams.has(name));
  if (present.length === 0) return url;
  for (const name of present) parsed.searchParams.delete(name);
  return parsed.toString();
}

/**
 * The statement that sets the timeout for the transaction it runs in: `set_config(…, true)`
 * is `SET LOCAL`, undone when that transaction ends, so it cannot outlive it on a pooled
 * server connection. A message of several statements (the simple query protocol) is one
 * implicit transaction, and PostgreSQL arms the timeout afresh for each statement in it: sent
 * first in a message, it bounds every statement after it in that message, and costs no round
 * trip. A `select` rather than `set local` because it answers a result of its own (a row
 * description), so the results after it keep their places.
 */
function timeoutPrefix(ms: number | undefined): string | null {
  if (!ms || ms <= 0) return null;
  if (!Number.isSafeInteger(ms)) throw new TypeError(`statementTimeoutMs must be a whole number of milliseconds, got ${String(ms)}`);
  return `select set_config('statement_timeout', '${ms}', true)`;
}

type SimpleResult = postgres.RowList<postgres.Row[]>;

/** The results of a simple-protocol message: one result alone, several as a list of them. */
function resultList(result: unknown): SimpleResult[] {
  // postgres.js resolves one result as itself (a Result, with a `command`) and several as a plain array of them.
  return Array.isArray(result) && !("command" in result) ? (result as SimpleResult[]) : [result as SimpleResult];
}

function queryable(sql: postgres.Sql | postgres.TransactionSql): Queryable & { exec(text: string): Promise<void> } {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return Array.from(rows) as unknown as T[];
    },
    async exec(text: string): Promise<void> {
      await sql.unsafe(text).simple();
    },
  };
}

/**
 * With a statement timeout, every message starts with `prefix` (timeoutPrefix), which makes it
 * a message of several statements, one implicit transaction: what cannot run in a transaction
 * block (VACUUM, CREATE DATABASE …) cannot run on such a Db. A statement with bound parameters
 * cannot share its message, so it runs in a transaction of its own, after the prefix: correct,
 * but three more round trips (what jobmon sends to monitored projects has none, see literal.ts).
 */
function timed(sql: postgres.Sql, prefix: string): Queryable & { exec(text: string): Promise<void> } {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      if (params.length > 0) {
        return (await sql.begin(async (tx) => {
          await tx.unsafe(prefix);
          return queryable(tx).query<T>(text, params);
        })) as T[];
      }
      const results = resultList(await sql.unsafe(`${prefix};\n${text}`).simple());
      return Array.from(results.at(-1) ?? []) as unknown as T[];
    },
    async exec(text: string): Promise<void> {
      await sql.unsafe(`${prefix};\n${text}`).simple();
    },
  };
}

function wrap(sql: postgres.Sql, prefix: string | null): Db {
  const base = prefix ? timed(sql, prefix) : queryable(sql);
  return {
    dialect: "postgres",
    query: base.query,
    exec: base.exec,
    async batch(statements) {
      if (statements.length === 0) return [];
      const text = (prefix ? [prefix, ...statements] : statements).join(";\n");
      const results = resultList(await sql.unsafe(text).simple());
      return results.slice(prefix ? 1 : 0).map((rows) => Array.from(rows));
    },
    async transaction(fn) {
      return (await sql.begin(async (tx) => {
        if (prefix) await tx.unsafe(prefix);
        return fn(queryable(tx));
      })) as Awaited<ReturnType<typeof fn>>;
    },
    async close() {
      await sql.end({ timeout: 1 });
    },
  };
}
