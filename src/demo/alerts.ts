import { formatPlainText } from "../alerts/channels/index.js";
import { chooseRoutes, describeRoute, resolveRoutes, type Route, routesFromEnvironment } from "../alerts/route.js";
import type { AlertEntry } from "../alerts/types.js";
import type { Config } from "../config.js";
import type { Db } from "../db/types.js";
import { loadAlertConfig, loadRouteStates, unplannedEvents } from "../hub/outbox.js";
import { type Criticality, isCriticality } from "../types.js";
import { groupBy } from "../lib/collections.js";

/**
 * What the demo's check would send: the outbox's unsent events, routed and grouped the way
 * alerts/deliver.ts does it (routes by criticality with the same fallbacks, one message per
 * project and kind on each route), rendered as plain text with the channel's layout.
 */

export interface MessagePreview {
  project: string | null;
  kind: string;
  /** Alert events in this message. */
  events: number;
  text: string;
}

export interface RoutePreview {
  route: string;
  channel: Route["channel"];
  /** False for the default route shown when no route is configured at all. */
  configured: boolean;
  serves: string[];
  /** Criticalities this route gets only because no route serves them. */
  stands_in_for: string[];
  messages: MessagePreview[];
}

export interface AlertPreview {
  /** Some alert route is configured (environment or alert_config). */
  routes_configured: boolean;
  events: number;
  routes: RoutePreview[];
}

/**
 * The default routing (critical → Telegram, important and low → Discord), named exactly as
 * routesFromEnvironment names it, for showing where alerts would go before anything is set.
 * The placeholder credentials never leave this module: only names are printed.
 */
function seedDefaultRoutes(config: Config): Route[] {
  return routesFromEnvironment({
    ...config,
    telegram: { ...config.telegram, botToken: "0:placeholder", chatId: "0" },
    discord: { webhookUrl: "https://discord.invalid/api/webhooks/0/placeholder" },
  });
}

/**
 * Previews the events recorded since `since` that no route has been planned for yet.
 * `projectOrder` orders each route's messages (delivery order is not part of the contract).
 */
export async function previewAlerts(hub: Db, config: Config, since: Date, projectOrder: readonly string[] = []): Promise<AlertPreview> {
  const events = await unplannedEvents(hub, since);
  const configuredRoutes = resolveRoutes(await loadAlertConfig(hub), config);
  const configured = configuredRoutes.length > 0;
  const routes = configured ? configuredRoutes : seedDefaultRoutes(config);
  const broken = new Set([...(await loadRouteStates(hub)).values()].filter((s) => s.broken_at).map((s) => s.route_id));

  const perRoute = new Map<string, { event: (typeof events)[number]; fallbackFrom: string | null }[]>();
  for (const event of events) {
    const criticality: Criticality = isCriticality(event.criticality) ? event.criticality : "important";
    const choice = chooseRoutes(criticality, routes, broken);
    for (const route of choice.routes) perRoute.set(route.id, [...(perRoute.get(route.id) ?? []), { event, fallbackFrom: choice.fallbackFrom }]);
  }

  return {
    routes_configured: configured,
    events: events.length,
    routes: routes.map((route) => {
      const planned = perRoute.get(route.id) ?? [];
      // As deliver.ts groups a route's deliveries: per project, and project alerts apart from job alerts.
      const groups = groupBy(planned, (p) => `${p.event.project_name ?? ""}\u0000${p.event.kind}`);
      const rank = (project: string | null) => (project === null ? -1 : projectOrder.indexOf(project));
      return {
        route: describeRoute(route),
        channel: route.channel,
        configured,
        serves: [...route.serves],
        stands_in_for: [...new Set(planned.map((p) => p.fallbackFrom).filter((c): c is string => c !== null))],
        messages: [...groups.values()]
          .sort((a, b) => rank(a[0]?.event.project_name ?? null) - rank(b[0]?.event.project_name ?? null))
          .map((group) => ({
            project: group[0]?.event.project_name ?? null,
            kind: group[0]?.event.kind ?? "job",
            events: group.length,
            text: formatPlainText(
              group.map((p) => p.event.payload as AlertEntry),
              { extraSecrets: config.secrets, channel: route.channel },
            ),
          })),
      };
    }),
  };
}
