/**
 * Cross-checks of the fast paths against slow references:
 * - the cached zone offset tables against Intl.DateTimeFormat asked directly;
 * - nextFireTime/previousFireTime against a minute-by-minute scan with matchesMinute (the
 *   direct port of pg_cron's ShouldRunTask), over random schedules, instants and zones.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CronSchedule,
  matchesMinute,
  nextFireTime,
  parseSchedule,
  previousFireTime,
  resolveZone,
} from "../../src/health/schedule/index.js";

/** Deterministic pseudo-random numbers (a failure reproduces). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function intlOffset(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(ms);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  return wall - Math.floor(ms / 1000) * 1000;
}

const ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "Pacific/Chatham", "Africa/Casablanca"];

describe("zone offset tables", () => {
  for (const name of ZONES) {
    it(`agree with Intl for ${name}, at random instants and around every transition`, () => {
      const zone = resolveZone(name);
      const next = random(name.length * 7919);
      const from = Date.UTC(2024, 0, 1);
      const to = Date.UTC(2031, 0, 1);
      for (let i = 0; i < 300; i++) {
        const ms = from + Math.floor(next() * (to - from));
        assert.equal(zone.offsetAt(ms), intlOffset(name, ms), new Date(ms).toISOString());
      }
      let transitions = 0;
      for (let t = zone.nextTransition(from, to); t !== null; t = zone.nextTransition(t, to)) {
        transitions++;
        for (const delta of [-60_000, -1000, 0, 1000, 60_000]) {
          assert.equal(zone.offsetAt(t + delta), intlOffset(name, t + delta), `${new Date(t + delta).toISOString()} (${delta})`);
        }
        assert.notEqual(zone.offsetAt(t - 1000), zone.offsetAt(t), "a transition changes the offset");
      }
      if (name !== "Asia/Kolkata") assert.ok(transitions >= 4, `${name} has DST transitions`);
    });
  }

  it("finds the previous transition symmetrically", () => {
    const zone = resolveZone("Europe/Berlin");
    const spring = Date.parse("2026-03-29T01:00:00Z");
    assert.equal(zone.nextTransition(Date.parse("2026-01-01T00:00:00Z"), Date.parse("2027-01-01T00:00:00Z")), spring);
    assert.equal(zone.previousTransition(Date.parse("2026-06-01T00:00:00Z"), Date.parse("2026-01-01T00:00:00Z")), spring);
    assert.equal(zone.previousTransition(spring, spring), spring, "at-or-before includes the instant");
  });
});

describe("fast search against a minute-by-minute ShouldRunTask scan", () => {
  const minutes = ["*", "0", "30", "*/15", "5,35", "0-10", "59", "*/7", "50-10"];
  const hours = ["*", "2", "1-3", "*/5", "22-2", "0", "23", "2,3"];
  const doms = ["*", "1", "31", "$", "29", "*/2", "28-31", "1-31", "13"];
  const months = ["*", "2", "3", "10", "*/3", "12-2"];
  const dows = ["*", "0", "mon", "1-5", "*/2", "sat-sun", "fri"];
  const zones = ["GMT", ...ZONES];
  const anchors = [
    "2026-03-29T00:00:00Z", "2026-10-25T00:00:00Z", "2026-03-08T06:00:00Z", "2026-11-01T05:00:00Z",
    "2027-10-30T12:00:00Z", "2030-03-30T12:00:00Z", "2028-02-28T12:00:00Z", "2026-04-05T12:00:00Z",
    "2026-09-06T12:00:00Z", "2026-12-31T20:00:00Z",
  ];
  const WINDOW = 2 * 86_400_000;

  it("finds the same next and previous fire for 400 random schedules, instants and zones", () => {
    const next = random(20261130);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const text = [pick(minutes), pick(hours), pick(doms), pick(months), pick(dows)].join(" ");
      const parsed = parseSchedule(text, "1.6");
      if (!parsed.ok) continue;
      const s = parsed.schedule as CronSchedule;
      const zone = pick(zones);
      const at = new Date(Date.parse(pick(anchors)) + Math.floor(next() * 48) * 1_800_000 + Math.floor(next() * 60_000));
      const label = `${text} in ${zone} around ${at.toISOString()}`;

      let forward: number | null = null;
      for (let t = Math.floor(at.getTime() / 60_000) * 60_000 + 60_000; t <= at.getTime() + WINDOW; t += 60_000) {
        if (matchesMinute(s, new Date(t), zone)) {
          forward = t;
          break;
        }
      }
      const fast = nextFireTime(s, at, zone);
      if (forward === null) assert.ok(fast === null || fast.getTime() > at.getTime() + WINDOW, `next: ${label}`);
      else assert.equal(fast?.getTime(), forward, `next: ${label}`);

      let backward: number | null = null;
      for (let t = Math.floor(at.getTime() / 60_000) * 60_000; t >= at.getTime() - WINDOW; t -= 60_000) {
        if (matchesMinute(s, new Date(t), zone)) {
          backward = t;
          break;
        }
      }
      const fastPrevious = previousFireTime(s, at, zone);
      if (backward === null) assert.ok(fastPrevious === null || fastPrevious.getTime() < at.getTime() - WINDOW, `previous: ${label}`);
      else assert.equal(fastPrevious?.getTime(), backward, `previous: ${label}`);
      compared++;
    }
    assert.ok(compared > 300, `compared ${compared} schedules`);
  });
});
