import type { Config } from "../config.js";
import type { Criticality } from "../types.js";

/**
 * Routes: where alerts of each criticality go. From alert_config's enabled rows; when
 * there are none, from the environment with the seed's routing (critical → Telegram,
 * important and low → Discord). A criticality no route serves falls back to another route
 * (and says so): an alert is never dropped in silence.
 */

export interface AlertConfigRow {
  id: string;
  channel: string;
  criticality: string | null;
  webhook_url: string | null;
  bot_token: string | null;
  chat_id: string | null;
  enabled: boolean | null;
  name: string | null;
}

export type Route =
  | { id: string; channel: "discord"; name: string; serves: readonly (Criticality | "all")[]; webhookUrl: string }
  | { id: string; channel: "telegram"; name: string; serves: readonly (Criticality | "all")[]; apiUrl: string; botToken: string; chatId: string };

export function routesFromConfigRows(rows: readonly AlertConfigRow[], config: Config): Route[] {
  const routes: Route[] = [];
  for (const row of rows) {
    if (row.enabled === false) continue;
    const serves = [(row.criticality ?? "all") as Criticality | "all"];
    const name = row.name ?? `${row.channel} (${row.criticality ?? "all"})`;
    if (row.channel === "discord" && row.webhook_url) {
      routes.push({ id: row.id, channel: "discord", name, serves, webhookUrl: row.webhook_url });
    } else if (row.channel === "telegram" && row.bot_token && row.chat_id) {
      routes.push({ id: row.id, channel: "telegram", name, serves, apiUrl: config.telegram.apiUrl, botToken: row.bot_token, chatId: row.chat_id });
    }
  }
  return routes;
}

/** The seed's routing from DISCORD_WEBHOOK_URL and TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID. */
export function routesFromEnvironment(config: Config): Route[] {
  const routes: Route[] = [];
  if (config.telegram.botToken && config.telegram.chatId) {
    routes.push({ id: "env:telegram", channel: "telegram", name: "Telegram (TELEGRAM_CHAT_ID)", serves: ["critical"], apiUrl: config.telegram.apiUrl, botToken: config.telegram.botToken, chatId: config.telegram.chatId });
  }
  if (config.discord.webhookUrl) {
    routes.push({ id: "env:discord", channel: "discord", name: "Discord (DISCORD_WEBHOOK_URL)", serves: ["important", "low"], webhookUrl: config.discord.webhookUrl });
  }
  return routes;
}

export function resolveRoutes(rows: readonly AlertConfigRow[], config: Config): Route[] {
  const fromTable = routesFromConfigRows(rows, config);
  return fromTable.length > 0 ? fromTable : routesFromEnvironment(config);
}

export interface RouteChoice {
  routes: Route[];
  /** Set when no route serves the criticality and others stand in for it. */
  fallbackFrom: string | null;
}

/**
 * The routes for one criticality, skipping broken ones. Fallback order: the channel that
 * serves the nearest criticality first (critical ↔ important ↔ low), so that a critical
 * alert without Telegram goes to the Discord that gets important ones.
 */
export function chooseRoutes(criticality: Criticality, routes: readonly Route[], broken: ReadonlySet<string>): RouteChoice {
  const usable = routes.filter((r) => !broken.has(r.id));
  const direct = usable.filter((r) => r.serves.includes("all") || r.serves.includes(criticality));
  if (direct.length > 0) return { routes: direct, fallbackFrom: null };
  if (usable.length === 0) return { routes: [], fallbackFrom: null };
  const order: Record<Criticality, Criticality[]> = {
    critical: ["important", "low"],
    important: ["critical", "low"],
    low: ["important", "critical"],
  };
  for (const other of order[criticality]) {
    const standIns = usable.filter((r) => r.serves.includes(other));
    if (standIns.length > 0) return { routes: standIns, fallbackFrom: criticality };
  }
  return { routes: usable.slice(0, 1), fallbackFrom: criticality };
}

/** A route's name for people: never its token or webhook secret. */
export function describeRoute(route: Route): string {
  return `${route.name} [${route.id}]`;
}
