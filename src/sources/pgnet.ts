import type { Queryable, Row } from "../db/types.js";
import { parseIntervalSeconds } from "../duration.js";
import { errorMessage } from "../errors.js";
import { type ProjectFacts, readProjectFacts } from "./facts.js";
import { sqlInt, sqlSeconds, sqlTimestamptz } from "./literal.js";

/**
 * pg_net's responses, read from a monitored project (docs/platform.md "pg_net").
 *
 * `net._http_response(id, status_code, content_type, headers, content, timed_out, error_msg,
 * created)` is indexed on `created` only, holds no URL, and loses its rows after
 * `pg_net.ttl` (6 hours by default). It is read forward from a `{created, id}` cursor the
 * caller keeps: `created` bounds the index range scan, `id` breaks ties (pg_net's worker
 * writes a batch of responses in one transaction, so many rows share one `created`).
 *
 * The cursor is compared at millisecond precision: `created` has microseconds, a JS `Date`
 * (and so the hub's copy of the cursor after a round trip) only milliseconds. Ordering and
 * comparing by `(date_trunc('milliseconds', created), id)` keeps a cursor read back from the
 * hub exact; `created >= cursor` still bounds the index range.
 *
 * Every response is returned, light (no body) when it succeeded: the caller counts them to
 * know that traffic exists. Failed ones (`status_code >= 400`, `error_msg`, `timed_out`)
 * carry the start of their body, never the whole of it (`left(content, n)`): a function can
 * answer megabytes.
 */

export interface NetCursor {
  created: Date;
  id: number;
}

export interface PgNetResponse {
  /** The request id (net.http_post's return value). */
  id: number;
  /** When pg_net's worker stored the response (its transaction's start). */
  created: Date;
  /** NULL when no HTTP answer came (timeout, connection error). */
  status_code: number | null;
  timed_out: boolean;
  /** libcurl's error text (e.g. "Timeout of 5000 ms reached", "Couldn't resolve host name"). */
  error_msg: string | null;
  content_type: string | null;
  /** Failed responses only: the start of the body (at most `contentLimit` characters). */
  content: string | null;
  /** The body was longer than what `content` holds. */
  content_truncated: boolean;
  /** `status_code >= 400 OR error_msg IS NOT NULL OR timed_out`. */
  failed: boolean;
}

export type PgNetRead =
  | {
      available: false;
      /** `absent`: no pg_net here (skip quietly); `forbidden`: it exists but this role cannot read it (say so). */
      kind: "absent" | "forbidden";
      reason: string;
    }
  | {
      available: true;
      /** Every response read, oldest first (by created, id). */
      responses: PgNetResponse[];
      /** How many of `responses` failed. */
      failed: number;
      /** The new cursor: the last row read; when nothing was read on a first read, the read's upper bound. */
      cursor: NetCursor | null;
      /** `maxRows` stopped the read: the rest is read by the next call. */
      truncated: boolean;
      /** The read's upper bound (database clock): responses stamped later are left for the next read. */
      upper: Date;
      warnings: string[];
    };

export interface NetReadOptions {
  /** Where the previous read stopped; null on a project's first check. */
  cursor: NetCursor | null;
  /** First read: how far back to read, seconds (never the whole table). Default 3600. */
  bootstrapSeconds?: number;
  /**
   * Rows newer than this many seconds (database clock) are left for the next read. pg_net's
   * worker stamps `created` with its transaction's start (`default now()`), so a batch still
   * being written shows up later with an older `created`: reading right up to now and moving
   * the cursor past it would skip that batch. Default 10.
   */
  settleSeconds?: number;
  /** Rows per page. Default 1000. */
  pageSize?: number;
  /** Most rows read in one call. Default 20 000. */
  maxRows?: number;
  /** Longest body kept for a failed response, characters. Default 2000. */
  contentLimit?: number;
}

const FAILED = "(status_code >= 400 or error_msg is not null or coalesce(timed_out, false))";

type Unavailable = Extract<PgNetRead, { available: false }>;
type Available = Extract<PgNetRead, { available: true }>;

/** Why pg_net's responses cannot be read here, from the project's facts; null when they can. */
export function netUnavailable(facts: Pick<ProjectFacts, "pgNet" | "role">): Unavailable | null {
  if (facts.pgNet === "absent") return { available: false, kind: "absent", reason: "pg_net is not installed (no net._http_response)" };
  if (facts.pgNet === "forbidden") {
    return {
      available: false,
      kind: "forbidden",
      reason: `role ${facts.role} cannot read net._http_response: grant usage on schema net and select on net._http_response to it, or pg_net failures stay invisible`,
    };
  }
  return null;
}

/**
 * Reads the responses stored since `cursor`. A project without pg_net (no `net` schema or
 * no `net._http_response`) answers `{available: false, kind: "absent"}` without an error.
 */
export async function readNetResponses(db: Queryable, options: NetReadOptions): Promise<PgNetRead> {
  const facts = await readProjectFacts(db);
  return netUnavailable(facts) ?? startNetRead(options).read(db);
}

/** A read of responses, for a project whose facts show `net._http_response` readable. */
export interface NetRead {
  /** The first page, with the read's bounds: sent with a project's other statements. */
  statement: string;
  /** Its rows → the read, reading further pages when the first one came back full. */
  finish(db: Queryable, rows: readonly Row[]): Promise<Available>;
  /** The whole read on its own. */
  read(db: Queryable): Promise<Available>;
}

/**
 * A read of responses in two halves, so that a caller can send its first statement with
 * others. That statement also fixes the read's bounds on the database clock — the upper bound
 * every page shares, the lower one of a first read, and pg_net.ttl — and returns them on an
 * empty read too: one round trip when everything fits one page.
 */
export function startNetRead(options: NetReadOptions): NetRead {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  const maxRows = Math.max(pageSize, Math.floor(options.maxRows ?? 20_000));
  const contentLimit = Math.max(1, Math.floor(options.contentLimit ?? 2000));
  const bootstrapSeconds = Math.max(0, options.bootstrapSeconds ?? 3600);
  const settleSeconds = Math.max(0, options.settleSeconds ?? 10);

  // Cursor (created_ms, id): `created >= after` is the index range (created_ms <= created);
  // the OR skips rows read before.
  const pageSql = (after: string, afterId: string, upper: string) =>
    `select id, date_trunc('milliseconds', created) as created, status_code, coalesce(timed_out, false) as timed_out,
            left(error_msg, ${sqlInt(contentLimit)}) as error_msg, content_type,
            case when ${FAILED} then left(content, ${sqlInt(contentLimit + 1)}) end as content,
            ${FAILED} as failed
       from net._http_response
      where created >= ${after} and (date_trunc('milliseconds', created) > ${after} or id > ${afterId}) and created < ${upper}
      order by date_trunc('milliseconds', created), id
      limit ${sqlInt(pageSize)}`;
  const from = options.cursor ? { after: sqlTimestamptz(options.cursor.created), id: sqlInt(options.cursor.id) } : { after: "b.lower", id: "0" };
  const statement = `with b as (select now() - ${sqlSeconds(settleSeconds)} as upper, now() - ${sqlSeconds(bootstrapSeconds)} as lower,
                     current_setting('pg_net.ttl', true) as ttl)
   select b.upper, b.ttl, r.* from b left join lateral (${pageSql(from.after, from.id, "b.upper")}) as r on true
   order by r.created, r.id`;

  const read: NetRead = {
    statement,
    read: async (db) => read.finish(db, await queryNet(db, statement)),
    async finish(db, rows) {
      const firstRows = rows as (RawResponse & Bounds)[];
      const bounds = firstRows[0];
      if (!bounds) throw new Error("net._http_response: could not read the database clock");
      const warnings: string[] = [];
      const ttl = parseIntervalSeconds(bounds.ttl);
      const ttlSeconds = ttl !== null && ttl > 0 ? ttl : DEFAULT_TTL_SECONDS;
      if (options.cursor && bounds.upper.getTime() - options.cursor.created.getTime() > ttlSeconds * 1000) {
        warnings.push(
          `the previous pg_net read was at ${options.cursor.created.toISOString()}, longer ago than pg_net.ttl (${Math.round(ttlSeconds / 60)} min): ` +
            "responses stored in between may already have been deleted",
        );
      }

      const responses: PgNetResponse[] = [];
      let truncated = false;
      let page: RawResponse[] = firstRows.filter((row) => row.id !== null);
      for (;;) {
        for (const row of page) responses.push(toResponse(row, contentLimit));
        if (page.length < pageSize) break;
        if (responses.length >= maxRows) {
          truncated = true;
          break;
        }
        const last = responses[responses.length - 1] as PgNetResponse;
        page = (await queryNet(db, pageSql(sqlTimestamptz(last.created), sqlInt(last.id), sqlTimestamptz(bounds.upper)))) as RawResponse[];
      }

      const last = responses.at(-1);
      const cursor = last ? { created: last.created, id: last.id } : (options.cursor ?? { created: bounds.upper, id: 0 });
      return { available: true, responses, failed: responses.filter((r) => r.failed).length, cursor, truncated, upper: truncated && last ? last.created : bounds.upper, warnings };
    },
  };
  return read;
}

async function queryNet(db: Queryable, statement: string): Promise<Row[]> {
  try {
    return await db.query(statement);
  } catch (error) {
    throw new Error(`cannot read net._http_response: ${errorMessage(error)}`, { cause: error });
  }
}

interface Bounds extends Record<string, unknown> {
  upper: Date;
  ttl: string | null;
}

interface RawResponse extends Record<string, unknown> {
  /** null only on the bounds row of an empty first page. */
  id: number | string | null;
  created: Date;
  status_code: number | null;
  timed_out: boolean;
  error_msg: string | null;
  content_type: string | null;
  content: string | null;
  failed: boolean;
}

function toResponse(row: RawResponse, contentLimit: number): PgNetResponse {
  const long = row.content !== null && row.content.length > contentLimit;
  return {
    id: Number(row.id),
    created: row.created,
    status_code: row.status_code,
    timed_out: row.timed_out,
    error_msg: row.error_msg,
    content_type: row.content_type,
    content: row.content === null ? null : long ? row.content.slice(0, contentLimit) : row.content,
    content_truncated: long,
    failed: row.failed,
  };
}

const DEFAULT_TTL_SECONDS = 6 * 3600;

