import type { Queryable } from "../db/types.js";

/**
 * Hub reads that only `GET /metrics` needs: the check runs and the alert deliveries, as
 * counts and latest values. Each is one aggregate statement, so a scrape costs the same
 * few statements however many checks and alerts the hub keeps.
 */

/** What a completed check run recorded of itself (check/record.ts writes the summary). */
export interface CheckRunSummary {
  projects?: number;
  jobs?: number;
  events?: number;
  /** Management API calls the check made reading its projects (absent when it used none). */
  management_api_calls?: number;
}

export interface CheckRunFacts {
  /** Rows per status (`completed`, `failed`), over the rows the hub keeps (pruned with the health log). */
  counts: { status: string; runs: number; last_finished_at: Date | null }[];
  /** The newest completed run. */
  lastCompleted: { started_at: Date; finished_at: Date; summary: CheckRunSummary | null } | null;
}

export async function checkRunFacts(db: Queryable): Promise<CheckRunFacts> {
  const counts = await db.query<{ status: string; runs: number; last_finished_at: Date | null }>(
    `select status, count(*)::int as runs, max(coalesce(finished_at, started_at)) as last_finished_at
       from monitoring.check_run group by status order by status`,
  );
  const [last] = await db.query<{ started_at: Date; finished_at: Date; summary: CheckRunSummary | null }>(
    `select started_at, finished_at, summary from monitoring.check_run
      where status = 'completed' and finished_at is not null
      order by finished_at desc limit 1`,
  );
  return { counts, lastCompleted: last ?? null };
}

/** Deliveries per route, channel and status, over every row the hub keeps (none are pruned). */
export interface DeliveryCount {
  route_id: string;
  channel: string;
  status: "pending" | "sending" | "delivered" | "failed";
  deliveries: number;
}

export async function deliveryCounts(db: Queryable): Promise<DeliveryCount[]> {
  return db.query<DeliveryCount & Record<string, unknown>>(
    `select route_id, channel, status, count(*)::int as deliveries
       from monitoring.alert_delivery group by route_id, channel, status order by route_id, status`,
  );
}

/** Unmuted alert events since `since` that no route took (no delivery planned). */
export async function unroutedEventCount(db: Queryable, since: Date): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `select count(*)::int as n from monitoring.alert_event e
      where not e.muted and e.created_at >= $1
        and not exists (select 1 from monitoring.alert_delivery d where d.event_id = e.id)`,
    [since],
  );
  return row?.n ?? 0;
}
