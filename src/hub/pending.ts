import { noRouteHint } from "../alerts/channels/index.js";
import { resolveRoutes } from "../alerts/route.js";
import type { Config } from "../config.js";
import type { Queryable } from "../db/types.js";
import { InvalidSettingError } from "./inventory.js";
import { loadAlertConfig } from "./outbox.js";
import type { AlertEventSummary } from "./outbox.js";

/**
 * Alerts that wait in the outbox, each with why: recorded and not delivered anywhere yet.
 * What `jobmon alerts` shows next to the deliveries it lists, so that an empty delivery list
 * never hides alerts that could not go out.
 */

export type WaitReason =
  /** No route took it: none is configured. */
  | "no_route"
  /** Its route is broken (route_state.broken_at), or every route is. */
  | "route_broken"
  /** Sending failed for a passing reason (or its sender stopped): the next delivery tries again. */
  | "retrying"
  /** Not sent yet: the next delivery sends it. */
  | "queued"
  /** A sender holds it right now. */
  | "sending";

export interface WaitingAlert extends AlertEventSummary {
  /** Null for an alert no route took (no delivery planned). */
  delivery_id: string | null;
  /** When the alert was recorded. */
  created_at: Date;
  route_id: string | null;
  channel: string | null;
  /** The delivery's status, or `unrouted` when none was planned. */
  status: "unrouted" | "pending" | "sending" | "failed";
  attempts: number;
  last_error: string | null;
  claimed_at: Date | null;
  route_broken_at: Date | null;
  route_broken_reason: string | null;
  why: WaitReason;
  /** One line saying why, for people. */
  reason: string;
}

export interface WaitingAlertsOptions {
  now: Date;
  /**
   * The routes configured now (alert/route.ts resolveRoutes). Without it, an alert no route
   * took is put down to a missing route.
   */
  routes?: readonly { id: string; name?: string }[];
  /** At most this many, newest first (1 to 10,000; default 50). */
  limit?: number;
}

/** Events older than this are no longer planned onto routes (alerts/deliver.ts plans the last week). */
export const PLAN_WINDOW_MS = 7 * 86_400_000;
/** A claim older than this is taken over by the next sender (deliver.ts staleClaimSeconds' default). */
const STALE_CLAIM_MS = 300_000;

const NO_ROUTE = `no alert route is configured (${noRouteHint()})`;

type Row = Omit<WaitingAlert, "why" | "reason">;

/**
 * Every alert recorded and not delivered on any route: deliveries pending, being sent or
 * failed (a failed one only while no other route holds or has delivered the alert), and
 * events no route took (from the last week, which is what delivery still plans). Muted
 * alerts are left out: they are recorded, never sent.
 */
export async function waitingAlerts(db: Queryable, options: WaitingAlertsOptions): Promise<WaitingAlert[]> {
  const limit = options.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidSettingError(`limit must be a whole number from 1 to 10000, not ${String(limit)}`);
  }
  const rows = await db.query<Row & Record<string, unknown>>(
    `with waiting as (
       select d.id::text as delivery_id, d.event_id, d.route_id, d.channel, d.status, d.attempts,
              d.last_error, d.claimed_at
         from monitoring.alert_delivery d
        where d.status <> 'delivered'
          and not exists (select 1 from monitoring.alert_delivery o where o.event_id = d.event_id and o.status = 'delivered')
          and not (d.status = 'failed' and exists (
                select 1 from monitoring.alert_delivery o
                 where o.event_id = d.event_id and o.id <> d.id and o.status in ('pending', 'sending')))
       union all
       select null, e.id, null, null, 'unrouted', 0, null, null
         from monitoring.alert_event e
        where not e.muted and e.created_at >= $1
          and not exists (select 1 from monitoring.alert_delivery d where d.event_id = e.id)
     )
     select w.delivery_id, e.id::text as event_id, e.created_at, e.kind, e.project_name,
            e.job_inventory_id::text, e.criticality, e.from_status, e.to_status,
            coalesce(e.payload ->> 'jobName', e.payload ->> 'title', e.project_name) as title,
            w.route_id, w.channel, w.status, w.attempts, w.last_error, w.claimed_at,
            r.broken_at as route_broken_at, r.broken_reason as route_broken_reason
       from waiting w
       join monitoring.alert_event e on e.id = w.event_id
       left join monitoring.route_state r on r.route_id = w.route_id
      order by e.created_at desc, e.id, w.route_id
      limit $2`,
    [new Date(options.now.getTime() - PLAN_WINDOW_MS), limit],
  );
  const routes = options.routes;
  const broken = routes && routes.length > 0 ? await brokenRoutesOf(db, routes) : [];
  return rows.map((row) => ({ ...row, ...explain(row, options.now, routes, broken) }));
}

/** waitingAlerts with the routes the configuration (and monitoring.alert_config) gives now. */
export async function waitingAlertsFor(config: Config, db: Queryable, now: Date, limit?: number): Promise<WaitingAlert[]> {
  const routes = resolveRoutes(await loadAlertConfig(db), config);
  return waitingAlerts(db, { now, routes, limit });
}

/** How many alerts wait (capped at `cap`). */
export async function countWaitingAlerts(db: Queryable, now: Date, cap = 10_000): Promise<number> {
  return (await waitingAlerts(db, { now, limit: cap })).length;
}

async function brokenRoutesOf(db: Queryable, routes: readonly { id: string; name?: string }[]): Promise<{ id: string; name: string; reason: string | null }[]> {
  const rows = await db.query<{ route_id: string; broken_reason: string | null }>(
    "select route_id, broken_reason from monitoring.route_state where broken_at is not null",
  );
  const reasons = new Map(rows.map((r) => [r.route_id, r.broken_reason]));
  return routes.filter((r) => reasons.has(r.id)).map((r) => ({ id: r.id, name: r.name ?? r.id, reason: reasons.get(r.id) ?? null }));
}

function explain(
  row: Row,
  now: Date,
  routes: readonly { id: string }[] | undefined,
  broken: readonly { id: string; name: string; reason: string | null }[],
): { why: WaitReason; reason: string } {
  if (row.status === "unrouted") {
    if (!routes || routes.length === 0) return { why: "no_route", reason: `not sent: ${NO_ROUTE}` };
    if (broken.length === routes.length) {
      const which = broken.map((b) => `${b.name}: ${b.reason ?? "broken"}`).join("; ");
      return { why: "route_broken", reason: `not sent: every alert route is broken (${which}); run \`jobmon alerts test\` once fixed` };
    }
    return { why: "queued", reason: "not routed yet: the next check's delivery sends it" };
  }
  if (row.route_broken_at) {
    const since = row.route_broken_at.toISOString();
    const tail = row.status === "failed" ? "no other route took it" : "the next delivery moves it to another route";
    return { why: "route_broken", reason: `route ${row.route_id} is broken since ${since}: ${row.route_broken_reason ?? row.last_error ?? "permanent error"}; ${tail}` };
  }
  if (row.status === "failed") {
    return { why: "route_broken", reason: `route ${row.route_id} failed: ${row.last_error ?? "permanent error"}; no other route took it` };
  }
  if (row.status === "sending") {
    const claimed = row.claimed_at;
    if (claimed && now.getTime() - claimed.getTime() > STALE_CLAIM_MS) {
      return { why: "retrying", reason: `its sender stopped while sending it (at ${claimed.toISOString()}): the next delivery sends it again` };
    }
    return { why: "sending", reason: `being sent${claimed ? ` since ${claimed.toISOString()}` : ""}` };
  }
  if (row.attempts > 0 || row.last_error) {
    return { why: "retrying", reason: `retrying: ${row.attempts} attempt(s) so far, last error: ${row.last_error ?? "unknown"}` };
  }
  return { why: "queued", reason: "waits for the next check's delivery" };
}
