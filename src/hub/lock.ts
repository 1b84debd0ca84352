import type { Queryable } from "../db/types.js";

/**
 * The check-run lease (one row in monitoring.check_lock). Taken with a compare-and-set
 * update, so it works on PGlite, on Postgres and behind a transaction pooler; it expires,
 * so a crashed check does not block the next ones forever.
 */
export interface LeaseHolder {
  holder: string;
  acquired_at: Date;
  expires_at: Date;
}

export async function acquireCheckLease(db: Queryable, holder: string, now: Date, leaseSeconds: number): Promise<LeaseHolder | null> {
  const rows = await db.query<{ holder: string; acquired_at: Date; expires_at: Date }>(
    `update monitoring.check_lock
        set holder = $1, acquired_at = $2, expires_at = $2::timestamptz + make_interval(secs => $3)
      where id and (holder is null or expires_at < $2)
      returning holder::text, acquired_at, expires_at`,
    [holder, now, leaseSeconds],
  );
  return rows[0] ?? null;
}

export async function currentLease(db: Queryable): Promise<LeaseHolder | null> {
  const [row] = await db.query<{ holder: string | null; acquired_at: Date; expires_at: Date }>(
    "select holder::text, acquired_at, expires_at from monitoring.check_lock where id",
  );
  return row?.holder ? (row as LeaseHolder) : null;
}

export async function releaseCheckLease(db: Queryable, holder: string): Promise<void> {
  await db.query("update monitoring.check_lock set holder = null, expires_at = null where id and holder = $1", [holder]);
}
