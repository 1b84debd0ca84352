import postgres from "postgres";
import type { Db, Queryable, Row } from "./types.js";

export interface PostgresDbOptions {
  /** Seconds to wait for a connection (postgres.js `connect_timeout`). */
  connectTimeoutSeconds?: number;
  /** Server-side `statement_timeout` in milliseconds; 0 disables it. */
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
 * A Db over postgres.js. `prepare: false` keeps it usable behind Supabase's transaction
 * pooler (port 6543), where named prepared statements do not survive between transactions.
 */
export function postgresDb(url: string, options: PostgresDbOptions = {}): Db {
  const sql = postgres(url, {
    max: options.max ?? 1,
    prepare: false,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: 20,
    onnotice: () => {},
    types: { int8: int8AsNumber },
    fetch_types: options.fetchTypes ?? true,
    connection: {
      application_name: options.applicationName ?? "jobmon",
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  });
  return wrap(sql);
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

function wrap(sql: postgres.Sql): Db {
  const base = queryable(sql);
  return {
    dialect: "postgres",
    query: base.query,
    exec: base.exec,
    async batch(statements) {
      if (statements.length === 0) return [];
      const result = await sql.unsafe(statements.join(";\n")).simple();
      // One statement answers one result; several, a list of them.
      const results = (statements.length === 1 ? [result] : result) as unknown as Iterable<Row>[];
      return Array.from(results, (rows) => Array.from(rows));
    },
    async transaction(fn) {
      return (await sql.begin((tx) => fn(queryable(tx)))) as Awaited<ReturnType<typeof fn>>;
    },
    async close() {
      await sql.end({ timeout: 1 });
    },
  };
}
