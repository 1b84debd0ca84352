import { PGlite, types } from "@electric-sql/pglite";
import type { Db, Queryable, Row } from "./types.js";

/**
 * How every PGlite jobmon starts (the embedded hub, the demo's databases): PGlite's own
 * parameters, with 16 MB of shared buffers instead of PostgreSQL's 128 MB. PGlite sets up
 * all of its shared memory at every start, which made the 128 MB a third of what opening
 * the hub costs (about 0.4 s of CPU per command); a hub is a few megabytes, and its files
 * stay in the operating system's cache behind the buffers anyway.
 */
export function pgliteStartParams(): string[] {
  return [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];
}

/**
 * A Db over PGlite, the embedded hub. `dataDir` undefined keeps it in memory; `template`
 * (a dumped data directory) seeds a new one without running initdb.
 * int8 is parsed to number, as in the postgres.js adapter.
 */
export async function pgliteDb(dataDir?: string, options: { template?: Blob } = {}): Promise<Db> {
  const pg = await PGlite.create(dataDir, {
    parsers: { [types.INT8]: (value: string) => Number(value) },
    startParams: pgliteStartParams(),
    ...(options.template ? { loadDataDir: options.template } : {}),
  });
  return fromPGlite(pg);
}

type PGliteLike = Pick<PGlite, "query" | "exec" | "transaction" | "close">;

function queryable(pg: Pick<PGlite, "query" | "exec">): Queryable & { exec(text: string): Promise<void> } {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await pg.query<T>(text, params as unknown[]);
      return result.rows;
    },
    async exec(text: string): Promise<void> {
      await pg.exec(text);
    },
  };
}

export function fromPGlite(pg: PGliteLike, onClose?: () => Promise<void>): Db {
  const base = queryable(pg);
  return {
    dialect: "pglite",
    query: base.query,
    exec: base.exec,
    async batch(statements) {
      if (statements.length === 0) return [];
      const results = await pg.exec(statements.join(";\n"));
      return results.map((r) => r.rows as Row[]);
    },
    async transaction(fn) {
      return pg.transaction((tx) => fn(queryable(tx)));
    },
    async close() {
      await pg.close();
      await onClose?.();
    },
  };
}
