/**
 * Time zones and DST, pinned to what pg_cron's launcher does: it walks UTC minutes and
 * converts each to cron.timezone only to match it (src/pg_cron.c ShouldRunTask), so a DST
 * gap skips the wall-clock times that do not exist and a DST overlap runs the repeated
 * ones twice. Its "clock jump" handling compares UTC instants and never sees DST.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  matchesMinute,
  nextFireTime,
  parseSchedule,
  type PgCronVersion,
  previousFireTime,
  type Schedule,
  schedulePeriodSeconds,
} from "../../src/health/schedule/index.js";

const BERLIN = "Europe/Berlin";
const NEW_YORK = "America/New_York";

function schedule(text: string, version: PgCronVersion = "1.6"): Schedule {
  const result = parseSchedule(text, version);
  assert.ok(result.ok, `${text}: ${result.ok ? "" : result.error}`);
  return result.schedule;
}

function fires(text: string, from: string, until: string, timeZone: string, version: PgCronVersion = "1.6"): string[] {
  const s = schedule(text, version);
  const out: string[] = [];
  let cursor = new Date(from);
  for (;;) {
    const next = nextFireTime(s, cursor, timeZone);
    if (!next || next.getTime() > Date.parse(until)) return out;
    out.push(next.toISOString().replace(":00.000Z", "Z"));
    cursor = next;
  }
}

describe("Europe/Berlin, spring forward on 2026-03-29 (02:00 CET becomes 03:00 CEST at 01:00 UTC)", () => {
  it("skips a job due at 02:30: that wall-clock time does not exist that day", () => {
    assert.deepEqual(fires("30 2 * * *", "2026-03-27T12:00:00Z", "2026-03-31T00:00:00Z", BERLIN), ["2026-03-28T01:30Z", "2026-03-30T00:30Z"]);
  });

  it("runs nothing from a job limited to hour 2 that day", () => {
    assert.deepEqual(fires("*/15 2 * * *", "2026-03-28T23:00:00Z", "2026-03-29T23:59:00Z", BERLIN), []);
  });

  it("runs 01:59 CET and 03:00 CEST one UTC minute after the other", () => {
    assert.deepEqual(fires("59 1 * * *", "2026-03-28T23:00:00Z", "2026-03-29T23:00:00Z", BERLIN), ["2026-03-29T00:59Z"]);
    assert.deepEqual(fires("0 3 * * *", "2026-03-28T23:00:00Z", "2026-03-29T23:00:00Z", BERLIN), ["2026-03-29T01:00Z"]);
  });

  it("moves a daily 09:00 from 08:00 UTC to 07:00 UTC, a 23-hour period", () => {
    assert.deepEqual(fires("0 9 * * *", "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", BERLIN), ["2026-03-28T08:00Z", "2026-03-29T07:00Z"]);
    assert.equal(schedulePeriodSeconds(schedule("0 9 * * *"), new Date("2026-03-29T05:00:00Z"), BERLIN), 23 * 3600);
  });

  it("finds the previous 02:30 two days back, across the gap", () => {
    assert.equal(previousFireTime(schedule("30 2 * * *"), new Date("2026-03-30T00:00:00Z"), BERLIN)?.toISOString(), "2026-03-28T01:30:00.000Z");
  });
});

describe("Europe/Berlin, fall back on 2026-10-25 (03:00 CEST becomes 02:00 CET at 01:00 UTC)", () => {
  it("runs a job due at 02:30 twice, an hour apart", () => {
    assert.deepEqual(fires("30 2 * * *", "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z", BERLIN), [
      "2026-10-25T00:30Z",
      "2026-10-25T01:30Z",
      "2026-10-26T01:30Z",
    ]);
  });

  it("runs every repeated minute of hour 2 twice: six runs of */20 2 * * *", () => {
    assert.deepEqual(fires("*/20 2 * * *", "2026-10-24T23:00:00Z", "2026-10-25T23:00:00Z", BERLIN), [
      "2026-10-25T00:00Z",
      "2026-10-25T00:20Z",
      "2026-10-25T00:40Z",
      "2026-10-25T01:00Z",
      "2026-10-25T01:20Z",
      "2026-10-25T01:40Z",
    ]);
  });

  it("runs 03:00 once", () => {
    assert.deepEqual(fires("0 3 * * *", "2026-10-24T23:00:00Z", "2026-10-25T23:00:00Z", BERLIN), ["2026-10-25T02:00Z"]);
  });

  it("has a 25-hour period for a daily job across the change", () => {
    assert.equal(schedulePeriodSeconds(schedule("0 9 * * *"), new Date("2026-10-25T05:00:00Z"), BERLIN), 25 * 3600);
  });

  it("finds either of the two 02:30 runs as the previous one", () => {
    const s = schedule("30 2 * * *");
    assert.equal(previousFireTime(s, new Date("2026-10-25T01:45:00Z"), BERLIN)?.toISOString(), "2026-10-25T01:30:00.000Z");
    assert.equal(previousFireTime(s, new Date("2026-10-25T01:29:00Z"), BERLIN)?.toISOString(), "2026-10-25T00:30:00.000Z");
  });
});

describe("America/New_York, 2026-03-08 and 2026-11-01", () => {
  it("skips 02:30 on the spring-forward day", () => {
    assert.deepEqual(fires("30 2 * * *", "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z", NEW_YORK), ["2026-03-07T07:30Z", "2026-03-09T06:30Z"]);
  });

  it("runs 01:30 twice on the fall-back day, EDT then EST", () => {
    assert.deepEqual(fires("30 1 * * *", "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z", NEW_YORK), [
      "2026-11-01T05:30Z",
      "2026-11-01T06:30Z",
      "2026-11-02T06:30Z",
    ]);
  });
});

describe("`$` near a DST change: pg_cron tests whether now + 24 hours is the 1st", () => {
  it("skips 0 0 $ in Europe/Berlin in October 2027: the 31st has 25 hours, so 00:00 + 24 h is still the 31st", () => {
    assert.deepEqual(fires("0 0 $ * *", "2027-10-01T00:00:00Z", "2027-12-01T00:00:00Z", BERLIN), ["2027-11-29T23:00Z"]);
    assert.equal(matchesMinute(schedule("0 0 $ * *"), new Date("2027-10-30T22:00:00Z"), BERLIN), false);
    assert.deepEqual(fires("0 0 $ * *", "2027-10-01T00:00:00Z", "2027-11-01T00:00:00Z", "GMT"), ["2027-10-31T00:00Z"]);
  });

  it("still runs 0 1 $ on that 31st: 01:00 CEST + 24 h is November 1st", () => {
    assert.deepEqual(fires("0 1 $ * *", "2027-10-29T00:00:00Z", "2027-11-01T00:00:00Z", BERLIN), ["2027-10-30T23:00Z"]);
  });

  it("runs 30 23 $ on 2030-03-30 too: the 31st has 23 hours, so the 30th at 23:30 + 24 h is April 1st", () => {
    assert.deepEqual(fires("30 23 $ * *", "2030-03-29T00:00:00Z", "2030-04-01T00:00:00Z", BERLIN), ["2030-03-30T22:30Z", "2030-03-31T21:30Z"]);
  });
});

describe("which zone is used", () => {
  it("1.4 always evaluates in GMT: it has no cron.timezone", () => {
    const from = new Date("2026-07-01T00:00:00Z");
    assert.equal(nextFireTime(schedule("0 9 * * *", "1.4"), from, BERLIN)?.toISOString(), "2026-07-01T09:00:00.000Z");
    assert.equal(nextFireTime(schedule("0 9 * * *", "1.5"), from, BERLIN)?.toISOString(), "2026-07-01T07:00:00.000Z");
    assert.equal(nextFireTime(schedule("0 9 * * *", "1.6"), from, BERLIN)?.toISOString(), "2026-07-01T07:00:00.000Z");
  });

  it("defaults to GMT and takes the UTC spellings as GMT", () => {
    const s = schedule("0 9 * * *");
    const from = new Date("2026-07-01T00:00:00Z");
    for (const zone of [undefined, "GMT", "UTC", "Etc/UTC", "utc", ""]) {
      assert.equal(nextFireTime(s, from, zone)?.toISOString(), "2026-07-01T09:00:00.000Z", String(zone));
    }
  });

  it("reads GMT-3 as PostgreSQL does, POSIX style: three hours east of Greenwich", () => {
    assert.equal(nextFireTime(schedule("0 9 * * *"), new Date("2026-07-01T00:00:00Z"), "GMT-3")?.toISOString(), "2026-07-01T06:00:00.000Z");
  });

  it("handles half-hour zones (Asia/Kolkata, UTC+05:30)", () => {
    assert.equal(nextFireTime(schedule("0 9 * * *"), new Date("2026-07-01T00:00:00Z"), "Asia/Kolkata")?.toISOString(), "2026-07-01T03:30:00.000Z");
  });

  it("throws a RangeError naming an unknown zone, on every version", () => {
    const at = new Date("2026-07-01T00:00:00Z");
    for (const version of ["1.4", "1.6"] as const) {
      const s = schedule("0 9 * * *", version);
      assert.throws(() => nextFireTime(s, at, "Mars/Olympus"), { name: "RangeError", message: /invalid time zone "Mars\/Olympus"/ });
      assert.throws(() => previousFireTime(s, at, "Mars/Olympus"), RangeError);
      assert.throws(() => schedulePeriodSeconds(s, at, "Mars/Olympus"), RangeError);
    }
  });
});
