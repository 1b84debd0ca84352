import type { ProjectDb, Row } from "../db/types.js";
import { JobmonError } from "../errors.js";
import { isRecord } from "../lib/http.js";
import { type ManagementApi, ManagementApiError } from "./management-api.js";

/**
 * A monitored project read through the Management API's read-only SQL endpoint instead of a
 * Postgres connection: the same statements (sources/facts.ts, pgcron.ts, pgnet.ts), the same
 * rows, one HTTP call per `query` and one per `batch`.
 *
 * Round trips: on a Postgres connection, statements issued at the same moment travel together
 * (readProject relies on it: cron.job, the runs and pg_net's responses are separate `query`
 * calls issued together). Here, `query` calls issued in the same turn of the event loop are
 * sent as one batch, one HTTP call. A batch fails as a whole, so when one of them fails on a
 * statement, each is sent again on its own and gets its own rows or its own error, as on a
 * connection (more calls, only then).
 *
 * Every call sends ONE statement (the endpoint's answer to several is undocumented), and that
 * statement renders its rows itself, with PostgreSQL's JSON:
 *
 *   select json_build_array(
 *            (select coalesce(json_agg(jobmon_rows), '[]'::json) from (<s1>) as jobmon_rows),
 *            (select … from (<s2>) as jobmon_rows), …) as results
 *
 * so the answer is one row with one `json` column, whatever the API's own driver does with
 * column types (timestamps, int8). Each statement is a subquery: jobmon's statements are
 * plain selects, CTEs included, without a trailing semicolon. Their rows keep the statement's
 * `order by`: PostgreSQL's documentation gives an aggregate over a sorted subquery as the way
 * to feed it ordered input (no other operation sits between them here), and the tests check it
 * on tables whose physical order differs from the one asked for.
 *
 * Decoding to the values postgres.js gives on the URL path (db/postgres.ts):
 * - int8, int4, booleans, text (newlines, quotes, markup) and NULL arrive as the same JSON
 *   values; json/jsonb columns arrive parsed, as postgres.js parses them; numbers beyond 2^53
 *   lose precision in both.
 * - timestamptz arrives as ISO 8601 text with its offset (`2026-11-30T09:00:00.123456+00:00`)
 *   and becomes a Date, only in the columns named in TIMESTAMPTZ_COLUMNS: the timestamptz
 *   columns of jobmon's statements. A text column is never turned into a Date, whatever it
 *   holds. The test that runs every statement through both transports keeps that list honest.
 * - Not handled (jobmon's statements have none): numeric (postgres.js gives a string, JSON a
 *   number), timestamp without time zone, date, interval, arrays of those.
 *
 * Errors: SQL that PostgreSQL refuses becomes a StatementError with its SQLSTATE and a
 * `severity`, as postgres.js gives a statement's failure, so that readProject's fallback after
 * a failed batch works the same on both transports. Every other failure (HTTP, network, rate
 * limit, a token refused) stays a ManagementApiError, which never looks like a statement's.
 */

/** The timestamptz columns of jobmon's statements: cron.job_run_details' times, pg_net's `created`, the read bound `upper`. */
export const TIMESTAMPTZ_COLUMNS: ReadonlySet<string> = new Set(["start_time", "end_time", "created", "upper"]);

/** PostgreSQL's JSON rendering of a timestamptz: date, `T`, time with up to 6 fractional digits, an offset. */
const TIMESTAMPTZ_JSON = /^\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}(?::\d{2}){0,2}|Z)$/;

/** json_build_array takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS). */
export const MAX_BATCH_STATEMENTS = 100;

/** A statement the project's PostgreSQL refused, read through the Management API. */
export class StatementError extends JobmonError {
  /** As on a postgres.js error. */
  readonly severity = "ERROR";
  /** PostgreSQL's SQLSTATE, e.g. `42P01` (a statement's failure is told from a connection's by it). */
  readonly sqlState: string;
  /** The project ref. */
  readonly ref: string;
  constructor(sqlState: string, ref: string, message: string, cause: ManagementApiError) {
    super("sql_statement", message, "permanent", { cause });
    this.sqlState = sqlState;
    this.ref = ref;
  }
}

export interface ApiDbOptions {
  /** The client; its counters (`usage()`) count this transport's calls too. */
  api: ManagementApi;
  /** The project ref. */
  ref: string;
}

/** A ProjectDb (readProject's port) over the read-only SQL endpoint of one project. */
export function apiDb(options: ApiDbOptions): ProjectDb {
  const { api, ref } = options;
  const batch = async (statements: readonly string[]): Promise<Row[][]> => {
    if (statements.length === 0) return [];
    if (statements.length > MAX_BATCH_STATEMENTS) throw new RangeError(`apiDb: at most ${MAX_BATCH_STATEMENTS} statements per batch, got ${statements.length}`);
    let rows: unknown[];
    try {
      rows = await api.readOnlyQuery(ref, batchStatement(statements));
    } catch (error) {
      throw asStatementError(error, ref);
    }
    return decodeBatch(rows, statements.length, ref);
  };

  // `query` calls of one turn of the event loop, sent together when it ends.
  let pending: { sql: string; resolve: (rows: Row[]) => void; reject: (error: unknown) => void }[] = [];
  const flush = async (): Promise<void> => {
    const group = pending;
    pending = [];
    for (let start = 0; start < group.length; start += MAX_BATCH_STATEMENTS) {
      const part = group.slice(start, start + MAX_BATCH_STATEMENTS);
      try {
        const results = await batch(part.map((q) => q.sql));
        part.forEach((q, i) => q.resolve(results[i] ?? []));
      } catch (error) {
        if (part.length === 1 || !(error instanceof StatementError)) {
          for (const q of part) q.reject(error);
          continue;
        }
        // One of them failed and took the others with it: each on its own now.
        await Promise.all(part.map((q) => batch([q.sql]).then((results) => q.resolve(results[0] ?? []), q.reject)));
      }
    }
  };

  return {
    query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      if (params.length > 0) return Promise.reject(new TypeError("apiDb: statements sent to a project carry no bound parameters (sources/literal.ts)"));
      return new Promise<Row[]>((resolve, reject) => {
        if (pending.length === 0) setTimeout(() => void flush(), 0);
        pending.push({ sql, resolve, reject });
      }) as Promise<T[]>;
    },
    batch,
  };
}

/** The one statement that returns the rows of every statement given, as JSON. */
export function batchStatement(statements: readonly string[]): string {
  const parts = statements.map((statement) => `(select coalesce(json_agg(jobmon_rows), '[]'::json) from (\n${bare(statement)}\n) as jobmon_rows)`);
  return `select json_build_array(${parts.join(",\n")}) as results`;
}

/** A statement without the trailing semicolons a subquery cannot hold. */
function bare(statement: string): string {
  return statement.replace(/[\s;]+$/, "");
}

function asStatementError(error: unknown, ref: string): unknown {
  if (error instanceof ManagementApiError && error.kind === "sql" && error.sqlState !== undefined) {
    return new StatementError(error.sqlState, ref, error.message, error);
  }
  return error;
}

function decodeBatch(rows: unknown[], count: number, ref: string): Row[][] {
  const results = isRecord(rows[0]) ? rows[0]["results"] : undefined;
  if (rows.length !== 1 || !Array.isArray(results) || results.length !== count || !results.every((r) => Array.isArray(r) && r.every(isRecord))) {
    throw new ManagementApiError("bad_response", "query", `unexpected answer from the Management API (query) for project ${ref}: expected one row whose \`results\` holds ${count} arrays of rows`);
  }
  return (results as Record<string, unknown>[][]).map((statementRows) => statementRows.map(decodeRow));
}

/** One row: the timestamptz columns' text to Dates, everything else as JSON gave it. */
export function decodeRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) {
    out[name] = TIMESTAMPTZ_COLUMNS.has(name) && typeof value === "string" && TIMESTAMPTZ_JSON.test(value) ? new Date(value) : value;
  }
  return out;
}
