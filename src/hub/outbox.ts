import type { AlertEntry } from "../alerts/types.js";
import type { Queryable } from "../db/types.js";

/**
 * The alert outbox: events are recorded by the check (hub/check-results.ts); here they are
 * planned onto routes, claimed with a compare-and-set update, and marked delivered.
 */

/** A row of monitoring.alert_config: the columns a channel may read (alerts/channel.ts validates them per channel). */
export interface AlertConfigRow {
  id: string;
  channel: string;
  criticality: string | null;
  webhook_url: string | null;
  bot_token: string | null;
  chat_id: string | null;
  /** The signing secret of a `webhook` row. */
  secret?: string | null;
  enabled: boolean | null;
  name: string | null;
}

export async function loadAlertConfig(db: Queryable): Promise<AlertConfigRow[]> {
  return db.query<AlertConfigRow & Record<string, unknown>>(
    "select id::text, channel, criticality, webhook_url, bot_token, chat_id, secret, enabled, name from monitoring.alert_config order by created_at, id",
  );
}

export interface RouteStateRow {
  route_id: string;
  channel: string;
  broken_at: Date | null;
  broken_reason: string | null;
  chat_id_override: string | null;
}

export async function loadRouteStates(db: Queryable): Promise<Map<string, RouteStateRow>> {
  const rows = await db.query<RouteStateRow & Record<string, unknown>>("select * from monitoring.route_state");
  return new Map(rows.map((r) => [r.route_id, r]));
}

export async function markRouteBroken(db: Queryable, routeId: string, channel: string, reason: string, at: Date): Promise<void> {
  await db.query(
    `insert into monitoring.route_state (route_id, channel, broken_at, broken_reason, updated_at) values ($1, $2, $3, $4, $3)
     on conflict (route_id) do update set broken_at = $3, broken_reason = $4, updated_at = $3`,
    [routeId, channel, at, reason],
  );
}

/** Clears a route's broken mark (after its configuration was fixed). */
export async function clearRouteBroken(db: Queryable, routeId: string, at: Date): Promise<void> {
  await db.query("update monitoring.route_state set broken_at = null, broken_reason = null, updated_at = $2 where route_id = $1", [routeId, at]);
}

/** What a route's answers asked it to use from now on (Telegram's migrated chat id). */
export async function setChatOverride(db: Queryable, routeId: string, channel: string, chatId: string, at: Date): Promise<void> {
  await db.query(
    `insert into monitoring.route_state (route_id, channel, chat_id_override, updated_at) values ($1, $4, $2, $3)
     on conflict (route_id) do update set chat_id_override = $2, updated_at = $3`,
    [routeId, chatId, at, channel],
  );
}

export interface PendingEvent {
  id: string;
  kind: "job" | "project" | "message";
  project_name: string | null;
  criticality: string;
  created_at: Date;
  payload: AlertEntry;
}

/** Events that are not muted and have no delivery planned yet (bounded to the last week). */
export async function unplannedEvents(db: Queryable, since: Date, eventIds?: readonly string[]): Promise<PendingEvent[]> {
  return db.query<PendingEvent & Record<string, unknown>>(
    `select e.id::text, e.kind, e.project_name, e.criticality, e.created_at, e.payload
       from monitoring.alert_event e
      where not e.muted and e.created_at >= $1
        and not exists (select 1 from monitoring.alert_delivery d where d.event_id = e.id)
        and ($2::text is null or e.id = any (select (jsonb_array_elements_text($2::text::jsonb))::uuid))
      order by e.created_at, e.id`,
    [since, eventIds ? JSON.stringify(eventIds) : null],
  );
}

export interface PlannedDelivery {
  event_id: string;
  route_id: string;
  channel: string;
  fallback_from: string | null;
}

export async function planDeliveries(db: Queryable, rows: readonly PlannedDelivery[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `insert into monitoring.alert_delivery (event_id, route_id, channel, fallback_from, created_at)
     select d.event_id, d.route_id, d.channel, d.fallback_from, $2
       from jsonb_to_recordset($1::text::jsonb) as d(event_id uuid, route_id text, channel text, fallback_from text)
     on conflict (event_id, route_id) do nothing`,
    [JSON.stringify(rows), at],
  );
}

export interface ClaimedDelivery {
  id: string;
  event_id: string;
  route_id: string;
  channel: string;
  attempts: number;
  fallback_from: string | null;
  kind: "job" | "project" | "message";
  project_name: string | null;
  criticality: string;
  created_at: Date;
  payload: AlertEntry;
}

/**
 * Claims every delivery that is pending, or was claimed by a sender that never finished
 * (crashed between send and mark: it goes out at most once more). The update is the
 * compare-and-set: two senders never claim the same row.
 */
export async function claimDeliveries(db: Queryable, claimer: string, at: Date, staleSeconds: number, eventIds?: readonly string[]): Promise<ClaimedDelivery[]> {
  return db.query<ClaimedDelivery & Record<string, unknown>>(
    `with claimed as (
       update monitoring.alert_delivery d
          set status = 'sending', claimed_by = $1, claimed_at = $2, attempts = d.attempts + 1
        where (d.status = 'pending' or (d.status = 'sending' and d.claimed_at < $2::timestamptz - make_interval(secs => $3)))
          and ($4::text is null or d.event_id = any (select (jsonb_array_elements_text($4::text::jsonb))::uuid))
        returning d.id, d.event_id, d.route_id, d.channel, d.attempts, d.fallback_from)
     select c.id::text, c.event_id::text, c.route_id, c.channel, c.attempts, c.fallback_from,
            e.kind, e.project_name, e.criticality, e.created_at, e.payload
       from claimed c join monitoring.alert_event e on e.id = c.event_id
      order by e.created_at, e.id`,
    [claimer, at, staleSeconds, eventIds ? JSON.stringify(eventIds) : null],
  );
}

export async function markDeliveries(
  db: Queryable,
  ids: readonly string[],
  status: "delivered" | "pending" | "failed",
  at: Date,
  error: string | null,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `update monitoring.alert_delivery
        set status = $2, last_error = $4, claimed_by = null,
            delivered_at = case when $2 = 'delivered' then $3 else delivered_at end
      where id = any (select (jsonb_array_elements_text($1::text::jsonb))::uuid)`,
    [JSON.stringify(ids), status, at, error],
  );
}

/** What a listing shows of the alert event behind a delivery. */
export interface AlertEventSummary {
  event_id: string;
  kind: string;
  project_name: string | null;
  job_inventory_id: string | null;
  criticality: string;
  from_status: string | null;
  to_status: string | null;
  title: string | null;
}

export interface DeliveryListRow extends AlertEventSummary {
  id: string;
  created_at: Date;
  delivered_at: Date | null;
  status: string;
  attempts: number;
  route_id: string;
  channel: string;
  fallback_from: string | null;
  last_error: string | null;
}

export async function recentDeliveries(db: Queryable, limit: number, jobId?: string): Promise<DeliveryListRow[]> {
  return db.query<DeliveryListRow & Record<string, unknown>>(
    `select d.id::text, d.created_at, d.delivered_at, d.status, d.attempts, d.route_id, d.channel, d.fallback_from,
            d.last_error, e.id::text as event_id, e.kind, e.project_name, e.job_inventory_id::text, e.criticality,
            e.from_status, e.to_status,
            coalesce(e.payload ->> 'jobName', e.payload ->> 'title', e.project_name) as title
       from monitoring.alert_delivery d join monitoring.alert_event e on e.id = d.event_id
      where ($2::uuid is null or e.job_inventory_id = $2)
      order by d.created_at desc, d.id limit $1`,
    [limit, jobId ?? null],
  );
}

export async function insertMessageEvent(db: Queryable, id: string, criticality: string, projectName: string | null, payload: AlertEntry, at: Date): Promise<void> {
  await db.query(
    `insert into monitoring.alert_event (id, created_at, kind, project_name, criticality, payload)
     values ($1, $2, 'message', $3, $4, $5::text::jsonb)`,
    [id, at, projectName, criticality, JSON.stringify(payload)],
  );
}
