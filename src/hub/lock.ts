import type { Queryable } from "../db/types.js";

/**
 * The check-run lease (one row in monitoring.check_lock). Taken with a compare-and-set
 * update, so it works on PGlite, on Postgres and behind a transaction pooler.
 *
 * A lease names its check and, when the check can say so, the host and process running it.
 * Another check takes it over:
 * - at once when the holder ran on the same host (and PID namespace) and its process is gone
 *   (killed, crashed): nothing else can release it;
 * - when it has expired: the holder sets the expiry when it takes the lease, to the longest
 *   its check can run (src/check/run.ts, checkLeaseSeconds), so a holder that is still running
 *   is never taken over, and one whose process cannot be looked at (another host, an Edge
 *   Function) blocks checks for no longer than that.
 */
export interface LeaseHolder {
  holder: string;
  acquired_at: Date;
  expires_at: Date | null;
  holder_host: string | null;
  holder_pid: number | null;
  holder_pid_namespace: string | null;
}

/** The process taking the lease, as far as it can tell (Node; an Edge Function has none). */
export interface LeaseProcess {
  host: string;
  pid: number;
  /** Linux: the target of /proc/self/ns/pid; null where there is none. */
  pidNamespace: string | null;
  /** Whether a process with this PID runs (in this PID namespace). */
  isAlive(pid: number): boolean;
}

export type LeaseOutcome =
  | { acquired: true; takenOver: { previous: LeaseHolder; reason: "gone" | "expired" } | null }
  | { acquired: false; holder: LeaseHolder | null };

const COLUMNS = "holder::text, acquired_at, expires_at, holder_host, holder_pid, holder_pid_namespace";

/**
 * Takes the lease for `holder` until `now + leaseSeconds`, or says who holds it. The common
 * case (a free lease) is one statement; taking over reads the holder first and then swaps it
 * only if it is still that holder, so two checks never both take it over.
 */
export async function acquireCheckLease(db: Queryable, holder: string, now: Date, leaseSeconds: number, self: LeaseProcess | null = null): Promise<LeaseOutcome> {
  const take = (condition: string, previous: string | null) =>
    db.query(
      `update monitoring.check_lock
          set holder = $1, acquired_at = $2, expires_at = $2::timestamptz + make_interval(secs => $3),
              holder_host = $4, holder_pid = $5, holder_pid_namespace = $6
        where id and ${condition}
        returning holder`,
      [holder, now, leaseSeconds, self?.host ?? null, self?.pid ?? null, self?.pidNamespace ?? null, ...(previous === null ? [] : [previous])],
    );
  if ((await take("holder is null", null)).length === 1) return { acquired: true, takenOver: null };

  const current = await currentLease(db);
  if (!current) {
    // Released in between: try once more, as a free lease.
    return (await take("holder is null", null)).length === 1 ? { acquired: true, takenOver: null } : { acquired: false, holder: await currentLease(db) };
  }
  const reason = takeoverReason(current, now, self);
  if (!reason) return { acquired: false, holder: current };
  if ((await take("holder = $7::uuid", current.holder)).length === 1) return { acquired: true, takenOver: { previous: current, reason } };
  return { acquired: false, holder: await currentLease(db) };
}

function takeoverReason(lease: LeaseHolder, now: Date, self: LeaseProcess | null): "gone" | "expired" | null {
  if (lease.expires_at === null || lease.expires_at.getTime() < now.getTime()) return "expired";
  const sameMachine = self !== null && lease.holder_host === self.host && lease.holder_pid_namespace === self.pidNamespace;
  if (sameMachine && lease.holder_pid !== null && !self.isAlive(lease.holder_pid)) return "gone";
  return null;
}

export async function currentLease(db: Queryable): Promise<LeaseHolder | null> {
  const [row] = await db.query<LeaseHolder & Record<string, unknown>>(`select ${COLUMNS} from monitoring.check_lock where id`);
  return row?.holder ? row : null;
}

/**
 * Whether `holder` still holds the lease; inside a transaction, locks the row until it ends, so
 * that no check takes the lease over meanwhile. `share`: the workers of one fanned-out cycle,
 * which record at the same time under their cycle's lease, each take a shared lock.
 */
export async function holdsCheckLease(tx: Queryable, holder: string, lock: "update" | "share" = "update"): Promise<boolean> {
  return (await tx.query(`select 1 from monitoring.check_lock where id and holder = $1 for ${lock === "share" ? "share" : "update"}`, [holder])).length === 1;
}

export async function releaseCheckLease(db: Queryable, holder: string): Promise<void> {
  await db.query(
    "update monitoring.check_lock set holder = null, expires_at = null, holder_host = null, holder_pid = null, holder_pid_namespace = null where id and holder = $1",
    [holder],
  );
}

/** Who holds a lease, in words: `check <id> (PID 123 on host, started <iso>)`. */
export function describeLease(lease: LeaseHolder): string {
  const where = lease.holder_pid !== null ? `PID ${lease.holder_pid} on ${lease.holder_host ?? "an unknown host"}` : "an unknown process";
  return `check ${lease.holder} (${where}, started ${lease.acquired_at.toISOString()})`;
}
