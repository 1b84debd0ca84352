import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type StoredState, transition } from "../../src/health/transitions.js";

const t0 = new Date("2026-11-30T10:00:00Z");
const t1 = new Date("2026-11-30T10:15:00Z");
const t2 = new Date("2026-11-30T12:15:00Z");
const fresh: StoredState = { status: "new", statusSince: null, downSince: null, alertedStatus: null, alertedAt: null };

describe("transition", () => {
  it("says nothing for new → success", () => {
    assert.equal(transition({ state: fresh, status: "success", now: t0 }).event, null);
  });

  it("announces a change into failed, missed or stuck once", () => {
    const first = transition({ state: fresh, status: "failed", now: t0 });
    assert.deepEqual(first.event, { type: "down", from: null, to: "failed", since: t0 });
    const again = transition({ state: first.next, status: "failed", now: t1 });
    assert.equal(again.event, null, "no resend when nothing changed");
    const stuck = transition({ state: again.next, status: "stuck", now: t1 });
    assert.equal(stuck.event?.type, "down");
    assert.equal(stuck.event?.from, "failed");
  });

  it("sends a recovery notice with the downtime", () => {
    const down = transition({ state: fresh, status: "missed", now: t0 }).next;
    const still = transition({ state: down, status: "failed", now: t1 }).next;
    const up = transition({ state: still, status: "success", now: t2 });
    assert.equal(up.event?.type, "recovery");
    assert.equal(up.event?.type === "recovery" ? up.event.downSeconds : null, 8100);
    assert.equal(up.next.alertedStatus, "success");
  });

  it("waits for the failure threshold before alerting a failed job", () => {
    const one = transition({ state: fresh, status: "failed", now: t0, trailingFailures: 1, failureThreshold: 3 });
    assert.equal(one.event, null);
    const three = transition({ state: one.next, status: "failed", now: t1, trailingFailures: 3, failureThreshold: 3 });
    assert.equal(three.event?.type, "down");
  });

  it("does not announce a recovery for a failure that was never announced", () => {
    const below = transition({ state: fresh, status: "failed", now: t0, trailingFailures: 1, failureThreshold: 2 }).next;
    assert.equal(transition({ state: below, status: "success", now: t1 }).event, null);
  });

  it("says nothing for paused → success", () => {
    const paused = transition({ state: { ...fresh, status: "success", alertedStatus: "success" }, status: "paused", now: t0 }).next;
    assert.equal(transition({ state: paused, status: "success", now: t1 }).event, null);
  });

  it("reminds while a job stays down, when reminders are on", () => {
    const down = transition({ state: fresh, status: "failed", now: t0, reminderSeconds: 3600 }).next;
    assert.equal(transition({ state: down, status: "failed", now: t1, reminderSeconds: 3600 }).event, null);
    const reminded = transition({ state: down, status: "failed", now: t2, reminderSeconds: 3600 });
    assert.equal(reminded.event?.type, "reminder");
    assert.equal(reminded.next.alertedAt, t2);
    assert.equal(transition({ state: down, status: "failed", now: t2 }).event, null, "off by default");
  });

  it("handles projects: ok → unreachable → ok", () => {
    const ok: StoredState = { status: "ok", statusSince: t0, downSince: null, alertedStatus: null, alertedAt: null };
    const down = transition({ state: ok, status: "unreachable", now: t0 });
    assert.equal(down.event?.type, "down");
    const back = transition({ state: down.next, status: "ok", now: t1 });
    assert.equal(back.event?.type, "recovery");
  });
});
