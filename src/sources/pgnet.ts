import type { Queryable } from "../db/types.js";
import { errorMessage } from "../errors.js";

/**
 * pg_net's responses, read from a monitored project (PLATFORM.md "pg_net").
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

/**
 * Reads the responses stored since `cursor`. A project without pg_net (no `net` schema or
 * no `net._http_response`) answers `{available: false, kind: "absent"}` without an error.
 */
export async function readNetResponses(db: Queryable, options: NetReadOptions): Promise<PgNetRead> {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  const maxRows = Math.max(pageSize, Math.floor(options.maxRows ?? 20_000));
  const contentLimit = Math.max(1, Math.floor(options.contentLimit ?? 2000));
  const bootstrapSeconds = Math.max(0, options.bootstrapSeconds ?? 3600);
  const settleSeconds = Math.max(0, options.settleSeconds ?? 10);

  // From the catalogs, by oid: naming `net._http_response` (to_regclass, has_table_privilege
  // with text) already needs USAGE on the schema, and would fail where we want a reason.
  const [probe] = await db.query<{ present: boolean; can_read: boolean | null; role: string }>(
    `select c.oid is not null as present,
            has_schema_privilege(n.oid, 'USAGE') and has_table_privilege(c.oid, 'SELECT') as can_read,
            current_user::text as role
       from (select 1) as one
       left join pg_namespace n on n.nspname = 'net'
       left join pg_class c on c.relnamespace = n.oid and c.relname = '_http_response'`,
  );
  if (!probe?.present) return { available: false, kind: "absent", reason: "pg_net is not installed (no net._http_response)" };
  if (!probe.can_read) {
    return {
      available: false,
      kind: "forbidden",
      reason: `role ${probe.role} cannot read net._http_response: grant usage on schema net and select on net._http_response to it, or pg_net failures stay invisible`,
    };
  }

  // One upper bound (database clock) for every page, so the pages of one read agree.
  // pg_net.ttl comes in the same statement: each statement is a round trip to a project
  // that may be far away.
  const [bounds] = await db.query<{ upper: Date; lower: Date; ttl: string | null }>(
    `select now() - make_interval(secs => $1) as upper, now() - make_interval(secs => $2) as lower,
            current_setting('pg_net.ttl', true) as ttl`,
    [settleSeconds, bootstrapSeconds],
  );
  if (!bounds) throw new Error("net._http_response: could not read the database clock");
  const warnings: string[] = [];
  const ttlSeconds = parseIntervalSeconds(bounds.ttl) ?? DEFAULT_TTL_SECONDS;
  if (options.cursor && bounds.upper.getTime() - options.cursor.created.getTime() > ttlSeconds * 1000) {
    warnings.push(
      `the previous pg_net read was at ${options.cursor.created.toISOString()}, longer ago than pg_net.ttl (${Math.round(ttlSeconds / 60)} min): ` +
        "responses stored in between may already have been deleted",
    );
  }

  // Cursor (created_ms, id): `created >= $1` is the index range (created_ms <= created); the
  // OR skips rows read before.
  let after: NetCursor = options.cursor ?? { created: bounds.lower, id: 0 };
  const responses: PgNetResponse[] = [];
  let truncated = false;
  for (;;) {
    let page: RawResponse[];
    try {
      page = await db.query<RawResponse>(
        `select id, date_trunc('milliseconds', created) as created, status_code, coalesce(timed_out, false) as timed_out,
                left(error_msg, $4) as error_msg, content_type,
                case when ${FAILED} then left(content, $4 + 1) end as content,
                ${FAILED} as failed
           from net._http_response
          where created >= $1 and (date_trunc('milliseconds', created) > $1 or id > $2) and created < $3
          order by date_trunc('milliseconds', created), id
          limit $5`,
        [after.created, after.id, bounds.upper, contentLimit, pageSize],
      );
    } catch (error) {
      throw new Error(`cannot read net._http_response: ${errorMessage(error)}`, { cause: error });
    }
    for (const row of page) responses.push(toResponse(row, contentLimit));
    const last = page.at(-1);
    if (last) after = { created: last.created, id: Number(last.id) };
    if (page.length < pageSize) break;
    if (responses.length >= maxRows) {
      truncated = true;
      break;
    }
  }

  const cursor = responses.length > 0 ? after : (options.cursor ?? { created: bounds.upper, id: 0 });
  return { available: true, responses, failed: responses.filter((r) => r.failed).length, cursor, truncated, warnings };
}

interface RawResponse extends Record<string, unknown> {
  id: number | string;
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

const INTERVAL_UNITS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600, d: 86400, day: 86400 };

/** `6 hours`, `30 min`, `1 day`, `90s`, a bare number of seconds; null otherwise. */
export function parseIntervalSeconds(text: string | null): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*?)s?\s*$/i.exec(text ?? "");
  if (!match) return null;
  const unit = (match[2] ?? "").toLowerCase();
  const size = unit === "" ? 1 : INTERVAL_UNITS[unit];
  const seconds = size === undefined ? NaN : Number(match[1]) * size;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}
