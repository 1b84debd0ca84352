/**
 * The one narrow database port. Everything that talks to Postgres (the hub store and the
 * project sources) goes through it, so the same code runs on postgres.js and on PGlite.
 *
 * Values are always bound parameters ($1, $2 …); SQL text is never assembled from values.
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
  close(): Promise<void>;
}
