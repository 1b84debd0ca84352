import type { Config } from "../config.js";
import type { Criticality } from "../types.js";
import type { AlertConfigRow, Serves } from "./channel.js";
import { CHANNELS, findChannel } from "./channels/index.js";

export type { AlertConfigRow } from "./channel.js";

/**
 * Routes: where alerts of each criticality go. From alert_config's enabled rows; when
 * there are none, from the environment (each channel names its own defaults; see
 * `routesFromEnvironment`). A criticality no route serves falls back to another route
 * (and says so): an alert is never dropped in silence.
 */

export interface Route<T = unknown> {
  /** alert_config.id, or `env:<channel>`. */
  id: string;
  /** The channel's name (channels/index.ts). */
  channel: string;
  name: string;
  serves: Serves;
  /** The channel's own fields (URL, token, chat), as its row schema validated them. */
  target: T;
  /** Gets a copy of what it serves without standing in the way of other routes (channel.ts EnvRoute). */
  copy: boolean;
}

/**
 * The routes of the enabled rows. A row whose channel is unknown or whose fields do not
 * validate is left out, and `problems` (when given) says why, without the row's secrets.
 */
export function routesFromConfigRows(rows: readonly AlertConfigRow[], config: Config, problems?: string[]): Route[] {
  const routes: Route[] = [];
  for (const row of rows) {
    if (row.enabled === false) continue;
    const serves = [(row.criticality ?? "all") as Criticality | "all"];
    const name = row.name ?? `${row.channel} (${row.criticality ?? "all"})`;
    const channel = findChannel(row.channel);
    if (channel === undefined) {
      problems?.push(`alert_config row ${name} [${row.id}] is ignored: no channel named "${row.channel}"`);
      continue;
    }
    const parsed = channel.rowSchema(config).safeParse(row);
    if (!parsed.success) {
      const why = parsed.error.issues.map((issue) => issue.message).join("; ");
      problems?.push(`alert_config row ${name} [${row.id}] is ignored: ${why}`);
      continue;
    }
    routes.push({ id: row.id, channel: channel.name, name, serves, target: parsed.data, copy: false });
  }
  return routes;
}

/**
 * The routes the environment gives, channel by channel (channels/index.ts order):
 * - TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID: critical;
 * - DISCORD_WEBHOOK_URL: important and low;
 * - SLACK_WEBHOOK_URL: important and low (a chat channel, like Discord);
 * - JOBMON_WEBHOOK_URL + JOBMON_WEBHOOK_SECRET: a copy of every alert, whatever else is set.
 * A criticality no chat route serves falls back to the nearest one (`chooseRoutes`).
 */
export function routesFromEnvironment(config: Config): Route[] {
  return CHANNELS.flatMap((channel) => channel.fromEnvironment(config).map((r) => ({ ...r, channel: channel.name, copy: r.copy ?? false })));
}

export function resolveRoutes(rows: readonly AlertConfigRow[], config: Config, problems?: string[]): Route[] {
  const fromTable = routesFromConfigRows(rows, config, problems);
  return fromTable.length > 0 ? fromTable : routesFromEnvironment(config);
}

export interface RouteChoice {
  routes: Route[];
  /** Set when no route serves the criticality and others stand in for it. */
  fallbackFrom: string | null;
}

const serving = (route: Route, criticality: Criticality | "all"): boolean => route.serves.includes("all") || route.serves.includes(criticality);

/**
 * The routes for one criticality, skipping broken ones. Fallback order: the route that
 * serves the nearest criticality first (critical ↔ important ↔ low), so that a critical
 * alert without Telegram goes to the chat that gets important ones. Copy routes get what
 * they serve and take no part in the choice.
 */
export function chooseRoutes(criticality: Criticality, routes: readonly Route[], broken: ReadonlySet<string>): RouteChoice {
  const usable = routes.filter((r) => !broken.has(r.id));
  const copies = usable.filter((r) => r.copy && serving(r, criticality));
  const primary = usable.filter((r) => !r.copy);
  const direct = primary.filter((r) => serving(r, criticality));
  if (direct.length > 0) return { routes: [...direct, ...copies], fallbackFrom: null };
  if (primary.length === 0) return { routes: copies, fallbackFrom: null };
  const order: Record<Criticality, Criticality[]> = {
    critical: ["important", "low"],
    important: ["critical", "low"],
    low: ["important", "critical"],
  };
  for (const other of order[criticality]) {
    const standIns = primary.filter((r) => r.serves.includes(other));
    if (standIns.length > 0) return { routes: [...standIns, ...copies], fallbackFrom: criticality };
  }
  return { routes: [...primary.slice(0, 1), ...copies], fallbackFrom: criticality };
}

/** A route's name for people: never its token or webhook secret. */
export function describeRoute(route: Route): string {
  return `${route.name} [${route.id}]`;
}
