import type { Config } from "../config.js";
import type { Db } from "../db/types.js";
import {
  claimDeliveries,
  clearRouteBroken,
  type ClaimedDelivery,
  insertMessageEvent,
  loadAlertConfig,
  loadRouteStates,
  markDeliveries,
  markRouteBroken,
  planDeliveries,
  type PlannedDelivery,
  setChatOverride,
  unplannedEvents,
} from "../hub/outbox.js";
import { isCriticality, type Criticality } from "../types.js";
import { DEFAULT_TIMEOUT_MS, type RetryOptions, type SendOutcome, realSleep, withRetries } from "../lib/http.js";
import { groupBy } from "../lib/collections.js";
import { redactSecrets } from "../lib/redact.js";
import type { AnyChannel, SendContext } from "./channel.js";
import { channelOf, noRouteHint } from "./channels/index.js";
import { chooseRoutes, describeRoute, resolveRoutes, type Route } from "./route.js";
import type { AlertEntry, MessageAlert } from "./types.js";

/**
 * Delivery of the outbox: plan each unsent event onto its routes, claim the
 * deliveries, send them grouped (one message per project and route, split only where a
 * channel's limits force it), and mark each delivered. What cannot be sent now stays
 * pending for the next cycle; a permanent error marks the route broken, moves its alerts to
 * another route and says so there. Which channel a route uses is the channel's business
 * (channel.ts): nothing here knows one from another.
 */

export interface DeliverOptions {
  now?: () => Date;
  newId?: () => string;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** Pause between two messages to the same route, by channel name; default the channel's own. */
  minIntervalMs?: Partial<Record<string, number>>;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  /** Only these events (send-alert delivers its own event at once, nothing else). */
  onlyEvents?: readonly string[];
  /** Only deliveries already planned (pending, or claimed too long ago): no new event is planned. */
  retryOnly?: boolean;
  /** A delivery claimed longer ago than this by a sender that never finished is retried. */
  staleClaimSeconds?: number;
  dashboardBaseUrl?: string;
  /**
   * Stops delivery (its reason names the signal): no request starts after it, the one in flight
   * is waited for (at most IN_FLIGHT_WAIT_MS, or the request timeout if shorter) and recorded,
   * and the deliveries not sent go back to pending for the next cycle.
   */
  signal?: AbortSignal;
}

export interface DeliveryReport {
  /** Alert deliveries (event × route) marked delivered. */
  delivered: number;
  /** HTTP messages sent. */
  messages: number;
  /** Deliveries left pending for the next cycle. */
  pending: number;
  /** Events with no usable route at all. */
  unrouted: number;
  broken_routes: { route: string; error: string }[];
  fallbacks: { criticality: string; to: string[] }[];
  notes: string[];
  /** Where each event went: event id → route descriptions. */
  routed: Record<string, string[]>;
  /**
   * Set when delivery was stopped (DeliverOptions.signal) while a request was still unanswered
   * after the wait: its deliveries stay `sending`, and a later cycle sends them again once
   * their claim is stale (the message may arrive twice).
   */
  unknown?: number;
}

/** Longest wait, once delivery is stopped, for the request in flight to be answered. */
export const IN_FLIGHT_WAIT_MS = 10_000;

const UNANSWERED = Symbol("unanswered");

/** A sleep that ends early when `signal` is aborted (the caller then sends nothing more). */
function stoppableSleep(sleep: (ms: number) => Promise<void>, signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  if (!signal) return sleep;
  return (ms) =>
    signal.aborted
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener("abort", done);
            resolve();
          };
          signal.addEventListener("abort", done, { once: true });
          sleep(ms).then(done, done);
        });
}

/** `promise`, or UNANSWERED when it is still pending `boundMs` after `signal` was aborted. */
function answeredWithin<T>(promise: Promise<T>, signal: AbortSignal | undefined, boundMs: number): Promise<T | typeof UNANSWERED> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(UNANSWERED), boundMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

const stopReason = (signal: AbortSignal): string => `not sent: delivery was stopped (${typeof signal.reason === "string" ? signal.reason : "interrupted"}); the next cycle sends it`;

export async function deliverAlerts(config: Config, hub: Db, options: DeliverOptions = {}): Promise<DeliveryReport> {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? (() => crypto.randomUUID());
  const claimer = newId();
  const report: DeliveryReport = { delivered: 0, messages: 0, pending: 0, unrouted: 0, broken_routes: [], fallbacks: [], notes: [], routed: {} };
  const problems: string[] = [];
  const routes = resolveRoutes(await loadAlertConfig(hub), config, problems);
  report.notes.push(...problems);
  const states = await loadRouteStates(hub);
  const broken = new Set([...states.values()].filter((s) => s.broken_at).map((s) => s.route_id));

  // Rounds: a route that breaks moves its alerts to other routes, which are sent in the next
  // round of this same cycle.
  const { signal } = options;
  for (let round = 0; round < 3 && !signal?.aborted; round++) {
    if (!options.retryOnly) await plan(hub, routes, broken, report, now(), options.onlyEvents);
    if (signal?.aborted) break;
    const claimed = await claimDeliveries(hub, claimer, now(), options.staleClaimSeconds ?? 300, options.onlyEvents);
    if (claimed.length === 0) break;
    let newlyBroken = false;
    for (const [routeId, deliveries] of groupBy(claimed, (d) => d.route_id)) {
      if (signal?.aborted) {
        // Stopped while another route was sending: these were claimed, never sent.
        await markDeliveries(hub, deliveries.map((d) => d.id), "pending", now(), stopReason(signal));
        continue;
      }
      const route = routes.find((r) => r.id === routeId);
      if (!route || broken.has(routeId)) {
        // The route was removed or broke since planning: re-plan these alerts elsewhere.
        await markDeliveries(hub, deliveries.map((d) => d.id), "failed", now(), route ? "route is broken" : "route no longer configured");
        await replan(hub, deliveries, routes, broken, routeId, now());
        continue;
      }
      const chatOverride = states.get(routeId)?.chat_id_override ?? null;
      const outcome = await sendRoute(config, hub, route, chatOverride, deliveries, options, report, now);
      if (outcome.state === "broken") {
        // Its undelivered alerts move to the other routes, sent in the next round.
        broken.add(routeId);
        newlyBroken = true;
        await replan(hub, outcome.undelivered, routes, broken, routeId, now());
      }
    }
    if (!newlyBroken) break;
  }
  const [pending] = await hub.query<{ n: number }>(
    `select count(*)::int as n from monitoring.alert_delivery
      where status = 'pending' and ($1::text is null or event_id = any (select (jsonb_array_elements_text($1::text::jsonb))::uuid))`,
    [options.onlyEvents ? JSON.stringify(options.onlyEvents) : null],
  );
  report.pending = pending?.n ?? 0;
  return report;
}

async function plan(hub: Db, routes: readonly Route[], broken: ReadonlySet<string>, report: DeliveryReport, at: Date, onlyEvents?: readonly string[]): Promise<void> {
  const events = await unplannedEvents(hub, new Date(at.getTime() - 7 * 86_400_000), onlyEvents);
  const rows: PlannedDelivery[] = [];
  let unrouted = 0;
  for (const event of events) {
    const criticality: Criticality = isCriticality(event.criticality) ? event.criticality : "important";
    const choice = chooseRoutes(criticality, routes, broken);
    if (choice.routes.length === 0) {
      unrouted++;
      continue;
    }
    if (choice.fallbackFrom && !report.fallbacks.some((f) => f.criticality === choice.fallbackFrom)) {
      report.fallbacks.push({ criticality: choice.fallbackFrom, to: choice.routes.map(describeRoute) });
      report.notes.push(`no route serves ${choice.fallbackFrom} alerts: sent to ${choice.routes.map(describeRoute).join(", ")} instead`);
    }
    for (const route of choice.routes) rows.push({ event_id: event.id, route_id: route.id, channel: route.channel, fallback_from: choice.fallbackFrom });
  }
  await planDeliveries(hub, rows, at);
  if (unrouted > 0) {
    report.unrouted = unrouted;
    const note =
      routes.length === 0
        ? `${unrouted} alert(s) not sent: no alert route is configured (${noRouteHint()}); they stay in the outbox`
        : `${unrouted} alert(s) not sent: every alert route is broken; they stay in the outbox`;
    if (!report.notes.includes(note)) report.notes.push(note);
  }
}

async function replan(hub: Db, deliveries: readonly ClaimedDelivery[], routes: readonly Route[], broken: ReadonlySet<string>, from: string, at: Date): Promise<void> {
  const rows: PlannedDelivery[] = [];
  for (const d of deliveries) {
    const criticality: Criticality = isCriticality(d.criticality) ? d.criticality : "important";
    for (const route of chooseRoutes(criticality, routes, broken).routes) {
      if (route.id !== from) rows.push({ event_id: d.event_id, route_id: route.id, channel: route.channel, fallback_from: from });
    }
  }
  await planDeliveries(hub, rows, at);
}

interface Batch<M> {
  message: M;
  deliveries: ClaimedDelivery[];
}

/**
 * Splits a group into messages so that each message knows the deliveries it carries: a
 * failure part-way through marks only the unsent ones pending (nothing is sent twice).
 * Finds the longest prefix that formats into one message; formatting is pure and cheap.
 */
export function batches<M>(deliveries: readonly ClaimedDelivery[], format: (entries: AlertEntry[]) => M[]): Batch<M>[] {
  const out: Batch<M>[] = [];
  let rest = [...deliveries];
  while (rest.length > 0) {
    let lo = 1;
    let hi = rest.length;
    if (format(rest.map((d) => d.payload)).length <= 1) lo = hi;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (format(rest.slice(0, mid).map((d) => d.payload)).length <= 1) lo = mid;
      else hi = mid - 1;
    }
    const chunk = rest.slice(0, lo);
    for (const message of format(chunk.map((d) => d.payload))) out.push({ message, deliveries: chunk });
    rest = rest.slice(lo);
  }
  return out;
}

async function sendRoute(
  config: Config,
  hub: Db,
  route: Route,
  chatOverride: string | null,
  deliveries: ClaimedDelivery[],
  options: DeliverOptions,
  report: DeliveryReport,
  now: () => Date,
): Promise<{ state: "ok" | "pending" | "broken"; undelivered: ClaimedDelivery[] }> {
  const { signal } = options;
  const sleep = stoppableSleep(options.sleep ?? realSleep, signal);
  const retry: RetryOptions = { sleep, ...options.retry };
  retry.sleep = stoppableSleep(retry.sleep ?? realSleep, signal);
  const channel = channelOf(route.channel);
  const interval = options.minIntervalMs?.[route.channel] ?? channel.minIntervalMs;
  const context = sendContext(config, options, chatOverride);
  const inFlightWaitMs = Math.min(IN_FLIGHT_WAIT_MS, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const formatOptions = { extraSecrets: config.secrets, dashboardBaseUrl: options.dashboardBaseUrl };

  // One message per project (and kind) per route: groups never mix projects.
  const groups = groupBy(deliveries, (d) => `${d.project_name ?? ""}\u0000${d.kind === "project" ? "project" : d.kind}`);
  const queue: Batch<unknown>[] = [];
  for (const group of groups.values()) {
    queue.push(...batches(group, (entries) => channel.format(entries, formatOptions)));
  }
  const done = new Set<string>();
  const notDone = () => deliveries.map((d) => d.id).filter((id) => !done.has(id));
  for (let i = 0; i < queue.length; i++) {
    const batch = queue[i] as Batch<unknown>;
    if (i > 0 && interval > 0) await sleep(interval);
    if (signal?.aborted) {
      // Stopped: no new request. What is not delivered goes back to pending (an alert split
      // into several messages and stopped between them is sent again whole).
      await markDeliveries(hub, notDone(), "pending", now(), stopReason(signal));
      return { state: "pending", undelivered: [] };
    }
    const sending = withRetries((): Promise<SendOutcome> => {
      // No new attempt once stopped: only the request already in flight is waited for.
      if (signal?.aborted) return Promise.resolve({ ok: false, kind: "transient", error: stopReason(signal) });
      return channel.send(route.target, batch.message, context);
    }, retry);
    const answered = await answeredWithin(sending, signal, inFlightWaitMs);
    if (answered === UNANSWERED) {
      // Stopped, and the request in flight is still unanswered: whether the message arrived is
      // unknown. Its deliveries stay `sending` (a later cycle sends them once the claim is stale);
      // the others go back to pending.
      const inFlight = new Set(batch.deliveries.map((d) => d.id));
      await markDeliveries(hub, notDone().filter((id) => !inFlight.has(id)), "pending", now(), stopReason(signal!));
      report.unknown = (report.unknown ?? 0) + [...inFlight].filter((id) => !done.has(id)).length;
      return { state: "pending", undelivered: [] };
    }
    const outcome: SendOutcome & { attempts: number } = answered;
    if (outcome.migratedChatId && outcome.migratedChatId !== context.override) {
      context.override = outcome.migratedChatId;
      await setChatOverride(hub, route.id, route.channel, context.override, now());
      report.notes.push(overrideNote(channel, route, context.override));
    }
    // The last message of a batch that shares its deliveries with earlier ones decides.
    const lastOfBatch = queue[i + 1]?.deliveries !== batch.deliveries;
    const ids = batch.deliveries.map((d) => d.id).filter((id) => !done.has(id));
    if (outcome.ok) {
      report.messages++;
      if (lastOfBatch) {
        await markDeliveries(hub, ids, "delivered", now(), null);
        ids.forEach((id) => done.add(id));
        report.delivered += ids.length;
        for (const d of batch.deliveries) (report.routed[d.event_id] ??= []).push(describeRoute(route));
      }
      continue;
    }
    const error = redactSecrets(outcome.error, config.secrets);
    const remaining = notDone();
    if (outcome.kind === "transient") {
      await markDeliveries(hub, remaining, "pending", now(), `${error} (after ${outcome.attempts} attempt(s))`);
      report.notes.push(`${describeRoute(route)}: ${error}; ${remaining.length} alert(s) will be retried next cycle`);
      return { state: "pending", undelivered: [] };
    }
    // Permanent: the route is broken until someone fixes it. Its alerts move elsewhere, and
    // the other routes are told.
    await markDeliveries(hub, remaining, "failed", now(), error);
    await markRouteBroken(hub, route.id, route.channel, error, now());
    report.broken_routes.push({ route: describeRoute(route), error });
    const notice: MessageAlert = {
      kind: "message",
      eventId: options.newId?.() ?? crypto.randomUUID(),
      criticality: "critical",
      title: `Alert route broken: ${route.name}`,
      message: `jobmon stopped using ${describeRoute(route)} after a permanent error: ${error}. Its alerts go to the other routes until it is fixed (then run \`jobmon alerts test\`).`,
      projectName: null,
      jobName: null,
    };
    await insertMessageEvent(hub, notice.eventId, "critical", null, notice, now());
    return { state: "broken", undelivered: deliveries.filter((d) => !done.has(d.id)) };
  }
  return { state: "ok", undelivered: [] };
}

function sendContext(config: Config, options: DeliverOptions, override: string | null): SendContext {
  return { fetch: options.fetch, timeoutMs: options.timeoutMs, override, secrets: config.secrets, ...(options.now ? { now: options.now } : {}) };
}

function overrideNote(channel: AnyChannel, route: Route, override: string): string {
  return channel.overrideNote?.(describeRoute(route), override) ?? `${describeRoute(route)} now sends to ${override}`;
}

export interface RouteTestResult {
  route: string;
  channel: string;
  ok: boolean;
  error?: string;
  wasBroken: boolean;
}

/**
 * `jobmon alerts test`: one test message through every enabled route, broken ones
 * included; a route that delivers again is no longer marked broken.
 */
export async function testRoutes(config: Config, hub: Db, options: DeliverOptions = {}): Promise<RouteTestResult[]> {
  const now = options.now ?? (() => new Date());
  const routes = resolveRoutes(await loadAlertConfig(hub), config);
  const states = await loadRouteStates(hub);
  const results: RouteTestResult[] = [];
  for (const route of routes) {
    const message: MessageAlert = {
      kind: "message",
      eventId: options.newId?.() ?? crypto.randomUUID(),
      criticality: route.serves.includes("critical") ? "critical" : route.serves.includes("all") ? "important" : (route.serves[0] as Criticality),
      title: "jobmon test alert",
      message: `This is a test from jobmon: alerts for ${route.serves.join(", ")} reach ${route.name}. No action needed.`,
      projectName: null,
      jobName: null,
    };
    const state = states.get(route.id);
    const channel = channelOf(route.channel);
    const context = sendContext(config, options, state?.chat_id_override ?? null);
    const [formatted] = channel.format([message], { extraSecrets: config.secrets, dashboardBaseUrl: options.dashboardBaseUrl });
    const outcome = await withRetries(() => channel.send(route.target, formatted, context), { sleep: options.sleep, ...options.retry });
    if (outcome.migratedChatId && outcome.migratedChatId !== context.override) await setChatOverride(hub, route.id, route.channel, outcome.migratedChatId, now());
    if (outcome.ok && state?.broken_at) await clearRouteBroken(hub, route.id, now());
    results.push({
      route: describeRoute(route),
      channel: route.channel,
      ok: outcome.ok,
      wasBroken: Boolean(state?.broken_at),
      ...(outcome.ok ? {} : { error: redactSecrets(outcome.error, config.secrets) }),
    });
  }
  return results;
}

export interface AdHocAlert {
  criticality: Criticality;
  title: string;
  message: string;
  project?: string | null;
  job?: string | null;
}

export interface AdHocResult {
  event_id: string;
  /** Routes that accepted the message. */
  delivered_to: string[];
  /** Deliveries left for the next check (a channel was down). */
  pending: number;
  notes: string[];
}

/**
 * `send_alert`: an ad-hoc message routed exactly like check alerts (recorded in
 * the outbox first, so a channel that is down now gets it on the next check).
 */
export async function sendAdHocAlert(config: Config, hub: Db, alert: AdHocAlert, options: DeliverOptions = {}): Promise<AdHocResult> {
  const now = options.now ?? (() => new Date());
  const id = options.newId?.() ?? crypto.randomUUID();
  const entry: MessageAlert = {
    kind: "message",
    eventId: id,
    criticality: alert.criticality,
    title: alert.title,
    message: alert.message,
    projectName: alert.project ?? null,
    jobName: alert.job ?? null,
  };
  await insertMessageEvent(hub, id, alert.criticality, alert.project ?? null, entry, now());
  const report = await deliverAlerts(config, hub, { ...options, onlyEvents: [id] });
  return { event_id: id, delivered_to: report.routed[id] ?? [], pending: report.pending, notes: report.notes };
}
