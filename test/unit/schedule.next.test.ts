import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  matchesMinute,
  neverFires,
  nextFireTime,
  parseSchedule,
  type PgCronVersion,
  previousFireTime,
  type Schedule,
  schedulePeriodSeconds,
} from "../../src/health/schedule/index.js";

function schedule(text: string, version: PgCronVersion = "1.6"): Schedule {
  const result = parseSchedule(text, version);
  assert.ok(result.ok, `${text}: ${result.ok ? "" : result.error}`);
  return result.schedule;
}

/** The next `count` fire times after `from`, as ISO strings. */
function fires(text: string, from: string, count: number, version: PgCronVersion = "1.6", timeZone = "GMT"): string[] {
  const s = schedule(text, version);
  const out: string[] = [];
  let cursor = new Date(from);
  for (let i = 0; i < count; i++) {
    const next = nextFireTime(s, cursor, timeZone);
    if (!next) break;
    out.push(next.toISOString());
    cursor = next;
  }
  return out;
}

const iso = (day: string, time = "00:00"): string => `${day}T${time}:00.000Z`;

describe("nextFireTime in GMT", () => {
  it("returns the first fire strictly after the given instant", () => {
    const s = schedule("*/5 * * * *");
    assert.equal(nextFireTime(s, new Date("2026-02-28T23:59:00Z"))?.toISOString(), iso("2026-03-01"));
    assert.equal(nextFireTime(s, new Date("2026-03-01T00:00:00Z"))?.toISOString(), iso("2026-03-01", "00:05"));
    assert.equal(nextFireTime(s, new Date("2026-03-01T00:04:59.999Z"))?.toISOString(), iso("2026-03-01", "00:05"));
  });

  it("skips months without a 31st", () => {
    assert.deepEqual(fires("0 0 31 * *", "2026-02-28T23:59:00Z", 6), [
      iso("2026-03-31"), iso("2026-05-31"), iso("2026-07-31"), iso("2026-08-31"), iso("2026-10-31"), iso("2026-12-31"),
    ]);
  });

  it("skips February for the 30th", () => {
    assert.deepEqual(fires("0 0 30 * *", "2026-01-31T00:00:00Z", 2), [iso("2026-03-30"), iso("2026-04-30")]);
  });

  it("fires on February 29 only in leap years: 2028, 2032 (2026 and 2027 are common years)", () => {
    assert.deepEqual(fires("0 0 29 2 *", "2026-02-28T23:59:00Z", 2), [iso("2028-02-29"), iso("2032-02-29")]);
    assert.deepEqual(fires("0 0 28 2 *", "2026-03-01T00:00:00Z", 2), [iso("2027-02-28"), iso("2028-02-28")]);
  });

  it("gives up past the five-year horizon: 2100 is not a leap year", () => {
    assert.equal(nextFireTime(schedule("0 0 29 2 *"), new Date("2096-03-01T00:00:00Z")), null);
  });

  it("takes `$` as the last day of each month, 28 or 29 in February", () => {
    assert.deepEqual(fires("0 0 $ * *", "2026-02-01T00:00:00Z", 3), [iso("2026-02-28"), iso("2026-03-31"), iso("2026-04-30")]);
    assert.deepEqual(fires("0 0 $ * *", "2028-02-01T00:00:00Z", 1), [iso("2028-02-29")]);
    assert.deepEqual(fires("0 0 $ 2 *", "2027-01-01T00:00:00Z", 2), [iso("2027-02-28"), iso("2028-02-29")]);
  });

  it("ORs `$` with the weekday: 0 12 $ * mon is the last day or a Monday", () => {
    assert.deepEqual(fires("0 12 $ * mon", "2026-02-20T00:00:00Z", 4), [
      iso("2026-02-23", "12:00"), iso("2026-02-28", "12:00"), iso("2026-03-02", "12:00"), iso("2026-03-09", "12:00"),
    ]);
    assert.deepEqual(fires("0 12 $ * mon", "2026-03-29T00:00:00Z", 3), [
      iso("2026-03-30", "12:00"), iso("2026-03-31", "12:00"), iso("2026-04-06", "12:00"),
    ]);
  });

  it("ORs day-of-month and day-of-week when neither starts with *: the 13th or a Friday", () => {
    assert.deepEqual(fires("0 0 13 * 5", "2026-03-14T00:00:00Z", 6), [
      iso("2026-03-20"), iso("2026-03-27"), iso("2026-04-03"), iso("2026-04-10"), iso("2026-04-13"), iso("2026-04-17"),
    ]);
  });

  it("ANDs them when either field starts with *: */2 and Friday is an odd-numbered Friday", () => {
    assert.deepEqual(fires("0 0 */2 * 5", "2026-03-01T00:00:00Z", 4), [iso("2026-03-13"), iso("2026-03-27"), iso("2026-04-03"), iso("2026-04-17")]);
    assert.deepEqual(fires("0 0 *,1 * 1", "2026-03-01T00:00:00Z", 3), [iso("2026-03-02"), iso("2026-03-09"), iso("2026-03-16")]);
    assert.deepEqual(fires("0 0 1 * */2", "2026-03-01T00:00:00Z", 3), [iso("2026-08-01"), iso("2026-09-01"), iso("2026-10-01")]);
  });

  it("runs 0 0 1-31 * 1 every day: 1-31 is not a star, so it is ORed", () => {
    assert.deepEqual(fires("0 0 1-31 * 1", "2026-03-01T00:00:00Z", 3), [iso("2026-03-02"), iso("2026-03-03"), iso("2026-03-04")]);
    assert.deepEqual(fires("0 0 1,* * 1", "2026-03-01T00:00:00Z", 2), [iso("2026-03-02"), iso("2026-03-03")]);
  });

  it("treats weekday 7 and sun as Sunday", () => {
    assert.deepEqual(fires("0 0 * * 7", "2026-03-01T00:00:00Z", 2), [iso("2026-03-08"), iso("2026-03-15")]);
    assert.deepEqual(fires("0 0 * * SUN", "2026-03-01T00:00:00Z", 1), [iso("2026-03-08")]);
  });

  it("ignores the sixth field: 0 */5 * * * * is minute 0 of every fifth hour", () => {
    assert.deepEqual(fires("0 */5 * * * *", "2026-03-01T00:00:00Z", 5), [
      iso("2026-03-01", "05:00"), iso("2026-03-01", "10:00"), iso("2026-03-01", "15:00"), iso("2026-03-01", "20:00"), iso("2026-03-02"),
    ]);
  });

  it("follows 1.6's byte-wise reversed ranges and 1.4's empty ones", () => {
    assert.deepEqual(fires("50-10 * * * *", "2026-03-01T00:00:00Z", 4), [
      iso("2026-03-01", "00:08"), iso("2026-03-01", "00:09"), iso("2026-03-01", "00:10"), iso("2026-03-01", "00:50"),
    ]);
    assert.deepEqual(fires("0 22-2 * * *", "2026-03-01T02:30:00Z", 6), [
      iso("2026-03-01", "22:00"), iso("2026-03-01", "23:00"), iso("2026-03-02"), iso("2026-03-02", "01:00"), iso("2026-03-02", "02:00"), iso("2026-03-02", "22:00"),
    ]);
    assert.deepEqual(fires("50-10 * * * *", "2026-03-01T00:00:00Z", 1, "1.4"), []);
  });

  it("follows 1.4/1.5's over-sized steps: */60 is minute 0 only", () => {
    assert.deepEqual(fires("*/60 * * * *", "2026-03-01T00:00:00Z", 2, "1.4"), [iso("2026-03-01", "01:00"), iso("2026-03-01", "02:00")]);
    assert.deepEqual(fires("0 */24 * * *", "2026-03-01T00:00:00Z", 2, "1.5"), [iso("2026-03-02"), iso("2026-03-03")]);
  });

  it("runs the macros: @weekly on Sundays, @monthly on the 1st, @yearly on January 1st before 1.6", () => {
    assert.deepEqual(fires("@weekly", "2026-03-01T00:00:00Z", 2), [iso("2026-03-08"), iso("2026-03-15")]);
    assert.deepEqual(fires("@monthly", "2026-03-01T00:00:00Z", 2), [iso("2026-04-01"), iso("2026-05-01")]);
    assert.deepEqual(fires("@hourly", "2026-03-01T00:30:00Z", 2), [iso("2026-03-01", "01:00"), iso("2026-03-01", "02:00")]);
    assert.deepEqual(fires("@yearly", "2026-03-01T00:00:00Z", 2, "1.5"), [iso("2027-01-01"), iso("2028-01-01")]);
    assert.deepEqual(fires("@yearly", "2026-03-01T00:00:00Z", 1, "1.6"), []);
  });

  it("returns null for interval and reboot schedules", () => {
    assert.equal(nextFireTime(schedule("30 seconds"), new Date("2026-03-01T00:00:00Z")), null);
    assert.equal(nextFireTime(schedule("@reboot"), new Date("2026-03-01T00:00:00Z")), null);
    assert.equal(previousFireTime(schedule("30 seconds"), new Date("2026-03-01T00:00:00Z")), null);
  });

  it("throws a RangeError for an invalid instant", () => {
    assert.throws(() => nextFireTime(schedule("* * * * *"), new Date("nope")), RangeError);
  });
});

describe("neverFires", () => {
  const never: Array<[string, PgCronVersion]> = [
    ["0 0 31 2 *", "1.6"],
    ["0 0 30 2 *", "1.6"],
    ["0 0 31 4,6,9,11 *", "1.6"],
    ["@yearly", "1.6"],
    ["@annually", "1.6"],
    ["5-1 * * * *", "1.6"],
    ["0 0 * * sat-sun", "1.6"],
    ["50-10 * * * *", "1.4"],
    ["0 22-2 * * *", "1.5"],
  ];
  for (const [text, version] of never) {
    it(`is true for ${text} on ${version}, and then there is no next, previous or period`, () => {
      const s = schedule(text, version);
      const at = new Date("2026-06-15T12:00:00Z");
      assert.equal(neverFires(s), true);
      assert.equal(nextFireTime(s, at), null);
      assert.equal(previousFireTime(s, at), null);
      assert.equal(schedulePeriodSeconds(s, at), null);
    });
  }

  it("is false for schedules that fire, however rarely, and for interval and reboot", () => {
    for (const text of ["0 0 29 2 *", "0 0 1 * sat-sun", "0 0 $ 2 *", "@yearly", "50-10 * * * *"]) {
      assert.equal(neverFires(schedule(text, text === "@yearly" ? "1.5" : "1.6")), false, text);
    }
    assert.equal(neverFires(schedule("5 seconds")), false);
    assert.equal(neverFires(schedule("@reboot")), false);
  });
});

describe("previousFireTime", () => {
  it("includes the instant itself when it is a fire time", () => {
    const s = schedule("0 9 * * 1-5");
    assert.equal(previousFireTime(s, new Date("2026-03-02T09:00:00Z"))?.toISOString(), iso("2026-03-02", "09:00"));
    assert.equal(previousFireTime(s, new Date("2026-03-02T09:00:59Z"))?.toISOString(), iso("2026-03-02", "09:00"));
    assert.equal(previousFireTime(s, new Date("2026-03-02T08:59:59Z"))?.toISOString(), iso("2026-02-27", "09:00"));
  });

  it("goes back across years to the last February 29", () => {
    assert.equal(previousFireTime(schedule("0 0 29 2 *"), new Date("2026-02-28T23:59:00Z"))?.toISOString(), iso("2024-02-29"));
  });

  for (const text of ["*/5 * * * *", "0 9 * * 1-5", "0 12 $ * mon", "0 0 29 2 *", "50-10 * * * *", "0 0 13 * 5", "0 0 */2 * 5", "30 2 * 2,8 *"]) {
    it(`mirrors nextFireTime for ${text}`, () => {
      const s = schedule(text);
      const seq: Date[] = [];
      let cursor = new Date("2026-01-30T10:17:00Z");
      for (let i = 0; i < 12; i++) {
        const next = nextFireTime(s, cursor);
        assert.ok(next);
        seq.push(next);
        cursor = next;
      }
      for (let i = 1; i < seq.length; i++) {
        const fire = seq[i]!;
        const before = seq[i - 1]!;
        assert.equal(previousFireTime(s, fire)?.getTime(), fire.getTime());
        assert.equal(previousFireTime(s, new Date(fire.getTime() - 1))?.getTime(), before.getTime());
        assert.equal(nextFireTime(s, before)?.getTime(), fire.getTime());
      }
    });
  }
});

describe("schedulePeriodSeconds", () => {
  it("is the gap between the fires around the instant", () => {
    assert.equal(schedulePeriodSeconds(schedule("*/5 * * * *"), new Date("2026-03-04T10:02:00Z")), 300);
    assert.equal(schedulePeriodSeconds(schedule("0 9 * * 1-5"), new Date("2026-03-04T10:00:00Z")), 86_400);
    assert.equal(schedulePeriodSeconds(schedule("0 9 * * 1-5"), new Date("2026-03-07T10:00:00Z")), 3 * 86_400, "Friday to Monday");
    assert.equal(schedulePeriodSeconds(schedule("0 0 29 2 *"), new Date("2026-06-01T00:00:00Z")), 1461 * 86_400);
  });

  it("is the interval for `N seconds` and null for @reboot", () => {
    assert.equal(schedulePeriodSeconds(schedule("30 seconds"), new Date("2026-03-04T10:00:00Z")), 30);
    assert.equal(schedulePeriodSeconds(schedule("@reboot"), new Date("2026-03-04T10:00:00Z")), null);
  });
});

describe("matchesMinute", () => {
  it("answers whether pg_cron runs the job in the minute containing the instant", () => {
    const s = schedule("0 9 * * 1-5");
    assert.equal(matchesMinute(s, new Date("2026-03-02T09:00:30Z")), true);
    assert.equal(matchesMinute(s, new Date("2026-03-02T09:01:00Z")), false);
    assert.equal(matchesMinute(s, new Date("2026-03-07T09:00:00Z")), false, "Saturday");
    assert.equal(matchesMinute(schedule("5 seconds"), new Date("2026-03-02T09:00:00Z")), false);
  });
});
