/**
 * The one narrow database port. Everything that talks to Postgres (the hub store and the
 * project sources) goes through it, so the same code runs on postgres.js and on PGlite.
 *
 * Values are bound parameters ($1, $2 …); SQL text is never assembled from values. The one
 * exception is what jobmon reads from monitored projects, where round trips count: those
 * statements hold only jobmon's own numbers, as checked literals (sources/literal.ts).
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one statement with bound parameters and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly dialect: "postgres" | "pglite";
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations only). */
  exec(sql: string): Promise<void>;
  /**
   * Runs statements without parameters as one message (the simple query protocol): one round
   * trip for all of them, each one's rows in order. They succeed or fail together.
   */
  batch(statements: readonly string[]): Promise<Row[][]>;
  close(): Promise<void>;
}

/**
 * What jobmon needs of a monitored project: statements without parameters, alone or
 * together. A postgres.js connection is one; the Management API's read-only SQL endpoint
 * (sources/api-db.ts) is the other.
 */
export type ProjectDb = Pick<Db, "query" | "batch">;
