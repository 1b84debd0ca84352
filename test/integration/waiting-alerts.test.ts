import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { resolveConfig } from "../../src/config.js";
import type { Db } from "../../src/db/types.js";
import { insertAlertEvents } from "../../src/hub/check-results.js";
import { migrate } from "../../src/hub/migrate.js";
import { markDeliveries, markRouteBroken, planDeliveries } from "../../src/hub/outbox.js";
import { waitingAlerts, waitingAlertsFor } from "../../src/hub/pending.js";
import { testHub } from "../helpers/hub.js";

const opened: Db[] = [];
after(async () => {
  await Promise.all(opened.map((db) => db.close().catch(() => {})));
});

const T0 = new Date("2026-12-01T10:00:00Z");
const NOW = new Date("2026-12-01T10:05:00Z");
let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

async function hub(): Promise<Db> {
  const db = await testHub();
  opened.push(db);
  await migrate(db);
  return db;
}

async function event(db: Db, title: string, options: { at?: Date; muted?: boolean } = {}): Promise<string> {
  const id = uuid();
  await insertAlertEvents(
    db,
    null,
    [{ id, kind: "message", project_name: "smoothed", job_inventory_id: null, criticality: "critical", from_status: null, to_status: null, muted: options.muted ?? false, payload: { kind: "message", eventId: id, criticality: "critical", title, message: "m", projectName: "smoothed", jobName: null } }],
    options.at ?? T0,
  );
  return id;
}

async function deliveryIds(db: Db, eventId: string): Promise<Record<string, string>> {
  const rows = await db.query<{ id: string; route_id: string }>("select id::text, route_id from monitoring.alert_delivery where event_id = $1", [eventId]);
  return Object.fromEntries(rows.map((r) => [r.route_id, r.id]));
}

describe("alerts that wait in the outbox", () => {
  it("lists each undelivered alert with why it waits, and leaves out what was delivered, muted or superseded", async () => {
    const db = await hub();
    const unrouted = await event(db, "unrouted");
    await event(db, "muted", { muted: true });
    await event(db, "too old to be routed", { at: new Date(NOW.getTime() - 8 * 86_400_000) });

    const queued = await event(db, "queued");
    const retrying = await event(db, "retrying");
    const broken = await event(db, "route broke");
    const rerouted = await event(db, "rerouted and delivered");
    const delivered = await event(db, "delivered");
    const sending = await event(db, "being sent");
    await planDeliveries(
      db,
      [
        { event_id: queued, route_id: "env:discord", channel: "discord", fallback_from: null },
        { event_id: retrying, route_id: "env:discord", channel: "discord", fallback_from: null },
        { event_id: broken, route_id: "env:telegram", channel: "telegram", fallback_from: null },
        { event_id: rerouted, route_id: "env:telegram", channel: "telegram", fallback_from: null },
        { event_id: rerouted, route_id: "env:discord", channel: "discord", fallback_from: "env:telegram" },
        { event_id: delivered, route_id: "env:discord", channel: "discord", fallback_from: null },
        { event_id: sending, route_id: "env:discord", channel: "discord", fallback_from: null },
      ],
      T0,
    );
    const retry = (await deliveryIds(db, retrying))["env:discord"]!;
    await db.query("update monitoring.alert_delivery set attempts = 2 where id = $1", [retry]);
    await markDeliveries(db, [retry], "pending", T0, "HTTP 502 Bad Gateway (after 3 attempt(s))");
    await markDeliveries(db, [(await deliveryIds(db, broken))["env:telegram"]!, (await deliveryIds(db, rerouted))["env:telegram"]!], "failed", T0, "HTTP 401 Unauthorized");
    await markRouteBroken(db, "env:telegram", "telegram", "HTTP 401 Unauthorized: the bot token was revoked", T0);
    await markDeliveries(db, [(await deliveryIds(db, rerouted))["env:discord"]!, (await deliveryIds(db, delivered))["env:discord"]!], "delivered", T0, null);
    await db.query("update monitoring.alert_delivery set status = 'sending', attempts = 1, claimed_at = $2 where id = $1", [(await deliveryIds(db, sending))["env:discord"]!, new Date(NOW.getTime() - 10_000)]);

    const rows = await waitingAlerts(db, { now: NOW, routes: [] });
    const byTitle = new Map(rows.map((r) => [r.title, r]));
    assert.deepEqual([...byTitle.keys()].sort(), ["being sent", "queued", "retrying", "route broke", "unrouted"]);

    assert.equal(byTitle.get("unrouted")?.why, "no_route");
    assert.equal(byTitle.get("unrouted")?.status, "unrouted");
    assert.equal(byTitle.get("unrouted")?.event_id, unrouted);
    assert.match(byTitle.get("unrouted")?.reason ?? "", /no alert route is configured/);

    assert.equal(byTitle.get("queued")?.why, "queued");
    assert.equal(byTitle.get("queued")?.route_id, "env:discord");

    const r = byTitle.get("retrying")!;
    assert.equal(r.why, "retrying");
    assert.equal(r.attempts, 2);
    assert.equal(r.last_error, "HTTP 502 Bad Gateway (after 3 attempt(s))");
    assert.match(r.reason, /2 attempt\(s\).*HTTP 502 Bad Gateway/);

    const b = byTitle.get("route broke")!;
    assert.equal(b.why, "route_broken");
    assert.equal(b.status, "failed");
    assert.equal(b.route_broken_at?.toISOString(), T0.toISOString());
    assert.equal(b.route_broken_reason, "HTTP 401 Unauthorized: the bot token was revoked");
    assert.match(b.reason, /env:telegram is broken.*bot token was revoked/);

    assert.equal(byTitle.get("being sent")?.why, "sending");

    // Newest first, like the delivery list; a limit keeps the newest.
    assert.deepEqual((await waitingAlerts(db, { now: NOW, routes: [], limit: 2 })).map((w) => w.title), rows.slice(0, 2).map((w) => w.title));
  });

  it("says why an unrouted alert waits: no route configured, or every route broken", async () => {
    const db = await hub();
    await event(db, "stuck");
    const none = await waitingAlertsFor(resolveConfig({}), db, NOW);
    assert.equal(none[0]?.why, "no_route");
    assert.match(none[0]?.reason ?? "", /no alert route is configured.*DISCORD_WEBHOOK_URL/);

    await markRouteBroken(db, "env:discord", "discord", "HTTP 404 Unknown Webhook", T0);
    const config = resolveConfig({ DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/123/tok3nS3cret" });
    const allBroken = await waitingAlertsFor(config, db, NOW);
    assert.equal(allBroken[0]?.why, "route_broken");
    assert.match(allBroken[0]?.reason ?? "", /every alert route is broken.*HTTP 404 Unknown Webhook/);
    assert.doesNotMatch(JSON.stringify(allBroken), /tok3nS3cret/);
  });
});
