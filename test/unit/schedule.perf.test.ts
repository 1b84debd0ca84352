/**
 * A check computes the next fire and the period of every job. For 10,000 jobs that must
 * stay well under 100 ms of CPU; the bound here is looser (CI machines vary, tsx adds
 * overhead) but fails on any order-of-magnitude regression such as minute-by-minute scans.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextFireTime, parseSchedule, schedulePeriodSeconds } from "../../src/health/schedule/index.js";

const TEXTS = [
  "*/5 * * * *", "0 9 * * 1-5", "0 0 $ * *", "30 2 * * *", "0 0 1 * *", "15 */2 * * *", "0 12 $ * mon",
  "0 0 29 2 *", "@hourly", "@daily", "0 0 31 2 *", "* * * * *", "0 4 * * 0", "45 23 * * 6", "0 0 1 1 *", "30 seconds",
];

function check(jobs: number, at: Date, zone: string): number {
  const start = performance.now();
  for (let i = 0; i < jobs; i++) {
    // About 700 distinct texts; the timed round re-parses them from the cache, as a
    // check does with the schedules it saw in the previous check.
    const text = TEXTS[i % TEXTS.length]!.replace(/^(\d+|\*\/5) /, `${i % 60} `);
    const parsed = parseSchedule(text, "1.6");
    if (!parsed.ok) continue;
    nextFireTime(parsed.schedule, at, zone);
    schedulePeriodSeconds(parsed.schedule, at, zone);
  }
  return performance.now() - start;
}

describe("schedule performance", () => {
  for (const zone of ["GMT", "Europe/Berlin"]) {
    it(`parses and computes next fire and period for 10,000 jobs quickly (${zone})`, (t) => {
      const at = new Date("2026-03-28T23:30:00Z");
      check(10_000, at, zone); // warm-up: JIT, zone tables
      const ms = check(10_000, at, zone);
      t.diagnostic(`10,000 jobs in ${ms.toFixed(1)} ms (${zone})`);
      assert.ok(ms < 500, `10,000 jobs took ${ms.toFixed(1)} ms`);
    });
  }
});
