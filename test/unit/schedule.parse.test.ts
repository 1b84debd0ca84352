import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CronSchedule,
  type PgCronVersion,
  parseSchedule,
  PG_CRON_VERSIONS,
} from "../../src/health/schedule/index.js";

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function cron(text: string, version: PgCronVersion = "1.6"): CronSchedule {
  const result = parseSchedule(text, version);
  assert.ok(result.ok, `expected ${JSON.stringify(text)} to parse on ${version}: ${result.ok ? "" : result.error}`);
  assert.equal(result.schedule.kind, "cron");
  return result.schedule as CronSchedule;
}

function warnings(text: string, version: PgCronVersion = "1.6"): string[] {
  const result = parseSchedule(text, version);
  assert.ok(result.ok, `expected ${JSON.stringify(text)} to parse on ${version}`);
  return result.warnings;
}

function error(text: string, version: PgCronVersion = "1.6"): string {
  const result = parseSchedule(text, version);
  assert.ok(!result.ok, `expected ${JSON.stringify(text)} to be rejected on ${version}`);
  return result.error;
}

describe("parseSchedule: what every version accepts", () => {
  it("parses the five fields into value sets", () => {
    const s = cron("5,35 9-17/2 1,15 jan-mar mon-fri");
    assert.deepEqual(s.minutes, [5, 35]);
    assert.deepEqual(s.hours, [9, 11, 13, 15, 17]);
    assert.deepEqual(s.daysOfMonth, [1, 15]);
    assert.deepEqual(s.months, [1, 2, 3]);
    assert.deepEqual(s.daysOfWeek, [1, 2, 3, 4, 5]);
    assert.equal(s.domStar, false);
    assert.equal(s.dowStar, false);
    assert.equal(s.lastDayOfMonth, false);
    assert.equal(s.macro, null);
  });

  it("reads * and */n over the whole field", () => {
    for (const version of PG_CRON_VERSIONS) {
      const s = cron("*/15 * * * *", version);
      assert.deepEqual(s.minutes, [0, 15, 30, 45]);
      assert.deepEqual(s.hours, range(0, 23));
      assert.deepEqual(s.daysOfMonth, range(1, 31));
      assert.deepEqual(s.months, range(1, 12));
      assert.deepEqual(s.daysOfWeek, range(0, 6));
      assert.equal(s.minuteStar, true);
      assert.equal(s.hourStar, true);
    }
  });

  it("takes 3-letter month and weekday names in any case, and rejects longer names", () => {
    assert.deepEqual(cron("0 0 1 JAN,Feb,dec *").months, [1, 2, 12]);
    assert.deepEqual(cron("0 0 * * SUN,Mon,sat").daysOfWeek, [0, 1, 6]);
    assert.match(error("0 0 1 January *"), /^month field: "January" is not a number or a 3-letter month name/);
    assert.match(error("0 0 * * Monday"), /^day-of-week field: "Monday" is not a number/);
    assert.match(error("0 jan * * *"), /^hour field: "jan" is not a number$/);
  });

  it("folds weekday 7 into Sunday", () => {
    assert.deepEqual(cron("0 0 * * 7").daysOfWeek, [0]);
    assert.deepEqual(cron("0 0 * * 5-7").daysOfWeek, [0, 5, 6]);
    assert.deepEqual(cron("0 0 * * sun-7").daysOfWeek, range(0, 6), "sun is 0: sun-7 is 0-7");
  });

  it("sets DOM_STAR / DOW_STAR only when the field's text starts with *", () => {
    assert.equal(cron("0 0 */2 * 1").domStar, true);
    assert.equal(cron("0 0 *,1 * 1").domStar, true);
    assert.equal(cron("0 0 1,* * 1").domStar, false);
    assert.equal(cron("0 0 1-31 * 1").domStar, false);
    assert.equal(cron("0 0 1 * */2").dowStar, true);
    assert.equal(cron("0 0 1 * 0-7").dowStar, false);
  });

  it("expands the macros, case-sensitively, with @restart meaning @reboot", () => {
    const daily = cron("@daily");
    assert.deepEqual([daily.minutes, daily.hours, daily.daysOfMonth.length, daily.daysOfWeek.length], [[0], [0], 31, 7]);
    assert.equal(cron("@midnight").macro, "@midnight");
    const hourly = cron("@hourly");
    assert.deepEqual([hourly.minutes, hourly.hours.length, hourly.hourStar], [[0], 24, true]);
    const weekly = cron("@weekly");
    assert.deepEqual(weekly.daysOfWeek, [0]);
    assert.ok(weekly.domStar || weekly.dowStar, "@weekly ANDs all days of the month with Sunday");
    const monthly = cron("@monthly");
    assert.deepEqual([monthly.daysOfMonth, monthly.dowStar], [[1], true]);
    for (const text of ["@reboot", "@restart"]) {
      const result = parseSchedule(text, "1.6");
      assert.ok(result.ok && result.schedule.kind === "reboot", text);
    }
    assert.match(error("@Daily"), /unknown macro "@Daily"/);
    assert.match(error("@every_minute"), /unknown macro/);
    assert.match(error("@ daily"), /unknown macro "@"/);
  });

  it("@yearly is January 1st on 1.4 and 1.5 but has no month at all on 1.6", () => {
    for (const version of ["1.4", "1.5"] as const) {
      const s = cron("@yearly", version);
      assert.deepEqual([s.minutes, s.hours, s.daysOfMonth, s.months], [[0], [0], [1], [1]], version);
    }
    assert.deepEqual(cron("@yearly", "1.6").months, []);
    assert.deepEqual(cron("@annually", "1.6").months, []);
  });

  it("skips leading blank lines and # comment lines, with a warning", () => {
    const s = cron("\n  \n# nightly\n\t# more\n0 3 * * *");
    assert.deepEqual([s.minutes, s.hours], [[0], [3]]);
    assert.ok(warnings("\n# x\n0 3 * * *").some((w) => w.includes("comment")));
    assert.deepEqual(warnings("  0 3 * * *"), [], "leading blanks on the first line are not comments");
    assert.match(error("# only a comment"), /only blank lines and # comments/);
    assert.match(error("#c\n"), /minute field is missing/);
  });

  it("accepts blanks and tabs between fields but not a newline", () => {
    assert.deepEqual(cron("\t0\t3  *  * *").hours, [3]);
    assert.match(error("0 0\n* * *"), /^day-of-month field is missing/);
  });
});

describe("parseSchedule: text pg_cron ignores", () => {
  it("ignores text after the fifth field, so a sixth field does not mean seconds", () => {
    const s = cron("0 */5 * * * *");
    assert.deepEqual(s.minutes, [0]);
    assert.deepEqual(s.hours, [0, 5, 10, 15, 20]);
    assert.deepEqual(warnings("0 */5 * * * *"), ["text after the fifth field is ignored by pg_cron: '*'"]);
    assert.deepEqual(warnings("0 0 * * * echo hi"), ["text after the fifth field is ignored by pg_cron: 'echo hi'"]);
    assert.deepEqual(warnings("@hourly extra"), ["text after @hourly is ignored by pg_cron: 'extra'"]);
    assert.deepEqual(warnings("0 0 * * *  "), []);
  });

  it("skips non-blank junk after a field's value list up to the next blank", () => {
    assert.deepEqual(cron("*a * * * *").minutes, range(0, 59));
    assert.deepEqual(cron("5;x * * * *").minutes, [5]);
    assert.deepEqual(cron("0.5 * * * *").minutes, [0]);
    assert.deepEqual(cron("1-5-7 * * * *").minutes, [1, 2, 3, 4, 5]);
    assert.deepEqual(cron("*/20/2 * * * *").minutes, [0, 20, 40]);
    assert.deepEqual(cron("*-5 * * * *").minutes, range(0, 59));
    assert.deepEqual(cron("0é * * * *").minutes, [0]);
    assert.deepEqual(warnings("0.5 * * * *"), ['minute field: pg_cron ignores ".5" after "0"']);
    assert.deepEqual(warnings("*a * * * *"), ['minute field: pg_cron ignores "a" after "*"']);
  });

  it("rejects junk that is part of the value itself", () => {
    assert.equal(error("5x * * * *"), 'minute field: "5x" is not a number');
    assert.match(error("0,  5 * * * *"), /^minute field: "0,": expected a number but found a blank/);
    assert.match(error("0 0 * * mon,"), /^day-of-week field: "mon,"/);
    assert.match(error("-5 * * * *"), /^minute field: "-5"/);
    assert.match(error("1- * * * *"), /^minute field: "1-"/);
  });

  it("reads numbers as C's atoi does, wrapping at 32 bits", () => {
    assert.deepEqual(cron("4294967296 * * * *").minutes, [0]);
    assert.deepEqual(cron("007 * * * *").minutes, [7]);
    assert.match(error("99999999999999999999 * * * *"), /^minute field: -1 is out of range 0-59/);
  });
});

describe("parseSchedule: rejected everywhere", () => {
  const cases: Array<[string, RegExp]> = [
    ["60 * * * *", /^minute field: 60 is out of range 0-59$/],
    ["0 24 * * *", /^hour field: 24 is out of range 0-23$/],
    ["0 0 0 * *", /^day-of-month field: 0 is out of range 1-31$/],
    ["0 0 32 * *", /^day-of-month field: 32 is out of range 1-31$/],
    ["0 0 * 0 *", /^month field: 0 is out of range 1-12$/],
    ["0 0 * 13 *", /^month field: 13 is out of range 1-12$/],
    ["0 0 * * 8", /^day-of-week field: 8 is out of range 0-7$/],
    ["5-64/30 * * * *", /^minute field: 64 is out of range 0-59$/],
    ["*/0 * * * *", /^minute field: "\*\/0": the step must be at least 1$/],
    ["5/15 * * * *", /^minute field: "5\/15": a step needs a range or \*/],
    ["0 0 * *", /^day-of-week field is missing/],
    ["", /^minute field is missing/],
    ["*/ * * * *", /^minute field: "\*\/": expected a step/],
  ];
  for (const [text, expected] of cases) {
    it(`rejects ${JSON.stringify(text)} on every version, naming the field and the value`, () => {
      for (const version of PG_CRON_VERSIONS) assert.match(error(text, version), expected, version);
    });
  }

  it("rejects a cron schedule of 1000 bytes or more (pg_cron's buffer), counting UTF-8 bytes", () => {
    const pad999 = `0 0 * * *${" ".repeat(990)}`;
    assert.equal(new TextEncoder().encode(pad999).length, 999);
    assert.deepEqual(cron(pad999).minutes, [0]);
    assert.match(error(`${pad999} `), /1000 bytes: pg_cron rejects cron schedules of 1000 bytes or more/);
    const multibyte = `0 0 * * * ${"é".repeat(495)}`;
    assert.match(error(multibyte), /1000 bytes/);
  });

  it("still accepts a 1000-byte interval on 1.5+: the limit belongs to the cron parser", () => {
    const result = parseSchedule(`${" ".repeat(1000)}5 seconds`, "1.5");
    assert.ok(result.ok && result.schedule.kind === "interval" && result.schedule.seconds === 5);
  });
});

describe("parseSchedule: `N seconds` (1.5+)", () => {
  const accepted: Array<[string, number]> = [
    ["1 seconds", 1],
    ["30 seconds", 30],
    ["59 seconds", 59],
    ["10seconds", 10],
    ["+5 seconds", 5],
    ["05 seconds", 5],
    ["59 Second", 59],
    ["2 second", 2],
    [" 5 SECONDS ", 5],
    ["5\tseconds\n", 5],
  ];
  for (const [text, seconds] of accepted) {
    it(`accepts ${JSON.stringify(text)} as every ${seconds} s on 1.5 and 1.6`, () => {
      for (const version of ["1.5", "1.6"] as const) {
        const result = parseSchedule(text, version);
        assert.ok(result.ok, `${version}: ${result.ok ? "" : result.error}`);
        assert.deepEqual(result.schedule, { kind: "interval", text, seconds });
      }
    });
  }

  const rejected: Array<[string, RegExp]> = [
    ["5 seconds ago", /^interval: unexpected text/],
    ["60 seconds", /^interval: 60 seconds is out of range 1-59$/],
    ["0 seconds", /^interval: 0 seconds is out of range 1-59$/],
    ["-5 seconds", /^interval: 4294967291 seconds is out of range/],
    ["1 minute", /^interval: only seconds are supported/],
    ["5 secs", /^interval: only seconds are supported/],
    ["5 second ", /^interval: unexpected text/],
    ["5 secondss", /^interval: unexpected text/],
  ];
  for (const [text, expected] of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.match(error(text, "1.6"), expected);
    });
  }

  it("reads the number as sscanf's %u does: unsigned, cut to 32 bits", () => {
    const result = parseSchedule("-4294967295 seconds", "1.6");
    assert.ok(result.ok && result.schedule.kind === "interval" && result.schedule.seconds === 1);
  });

  it("is not available on 1.4", () => {
    assert.match(error("30 seconds", "1.4"), /interval schedules \('N seconds'\) need pg_cron 1\.5 or later/);
  });
});

describe("parseSchedule: `$` (1.6+)", () => {
  it("reads `$` in the day-of-month field as the last day, not a star", () => {
    const s = cron("0 12 $ * mon");
    assert.equal(s.lastDayOfMonth, true);
    assert.deepEqual(s.daysOfMonth, []);
    assert.equal(s.domStar, false);
    assert.deepEqual(s.daysOfWeek, [1]);
  });

  it("requires `$` to be the whole field", () => {
    assert.match(error("0 0 15,$ * *"), /^day-of-month field: "15,\$": "\$" \(last day of the month\) must be the whole field/);
    assert.match(error("0 0 $,15 * *"), /must be the whole field/);
    assert.match(error("0 0 $5 * *"), /must be the whole field/);
    assert.match(error("0 0 $"), /^month field is missing/);
    assert.match(error("$ 0 * * *"), /"\$" is only allowed as the whole day-of-month field/);
  });

  it("is rejected before 1.6", () => {
    for (const version of ["1.4", "1.5"] as const) {
      assert.match(error("0 0 $ * *", version), /"\$" \(last day of the month\) needs pg_cron 1\.6 or later/);
    }
  });
});

describe("parseSchedule: reversed ranges", () => {
  it("match nothing on 1.4 and 1.5", () => {
    for (const version of ["1.4", "1.5"] as const) {
      assert.deepEqual(cron("50-10 * * * *", version).minutes, [], version);
      assert.deepEqual(cron("0 22-2 * * *", version).hours, [], version);
      assert.deepEqual(cron("0 0 * 12-2 *", version).months, [], version);
      assert.ok(warnings("50-10 * * * *", version).some((w) => w.includes("matches nothing")));
    }
  });

  it("are filled byte-wise by bit_nset on 1.6: the rest of the start byte and the head of the stop byte", () => {
    assert.deepEqual(cron("50-10 * * * *").minutes, [8, 9, 10, 50, 51, 52, 53, 54, 55]);
    assert.deepEqual(cron("0 22-2 * * *").hours, [0, 1, 2, 22, 23]);
    assert.deepEqual(cron("0 13-6 * * *").hours, [0, 1, 2, 3, 4, 5, 6, 13, 14, 15]);
    // Day-of-month bits start at day 1: 20-3 is bits 19..23 and 0..2.
    assert.deepEqual(cron("0 0 20-3 * *").daysOfMonth, [1, 2, 3, 20, 21, 22, 23, 24]);
    // Month bits 11..15 (12 and the invalid 13-16) and 0..1.
    assert.deepEqual(cron("0 0 * 12-2 *").months, [1, 2, 12]);
    assert.deepEqual(warnings("50-10 * * * *"), ['minute field: reversed range "50-10" is filled byte-wise by pg_cron 1.6: it matches 8-10,50-55']);
  });

  it("are empty on 1.6 when both ends fall in the same byte (5-1, sat-sun)", () => {
    assert.deepEqual(cron("5-1 * * * *").minutes, []);
    assert.deepEqual(cron("0 0 * * sat-sun").daysOfWeek, []);
    assert.deepEqual(cron("0 0 * * mon-sun").daysOfWeek, [], "sun is 0, so mon-sun is 1-0");
    assert.deepEqual(cron("0 0 * * sat-sun", "1.4").daysOfWeek, []);
  });

  it("with a step are empty on every version (set_range loops upwards)", () => {
    assert.deepEqual(cron("50-10/2 * * * *").minutes, []);
    assert.deepEqual(cron("50-10/2 * * * *", "1.4").minutes, []);
  });
});

describe("parseSchedule: steps larger than the range", () => {
  it("are accepted on 1.4 and 1.5 and give the first value only", () => {
    for (const version of ["1.4", "1.5"] as const) {
      assert.deepEqual(cron("*/60 * * * *", version).minutes, [0], version);
      assert.deepEqual(cron("0 */24 * * *", version).hours, [0], version);
      assert.deepEqual(cron("*/4294967297 * * * *", version).minutes, range(0, 59), "atoi wraps the step to 1");
      assert.ok(warnings("*/60 * * * *", version).some((w) => w.includes("only 0 matches")));
    }
  });

  it("are accepted on 1.6 as 1.6.0 to 1.6.4 run them (first value only), with a warning that 1.6.5+ reject them", () => {
    // Every 1.6.x reports extversion "1.6": a schedule stored in cron.job was accepted by the
    // release that stored it, so jobmon must not call it invalid.
    assert.deepEqual(cron("*/100 * * * *").minutes, [0]);
    assert.deepEqual(cron("*/60 * * * *").minutes, [0]);
    assert.deepEqual(cron("0 */24 * * *").hours, [0]);
    assert.deepEqual(cron("5-40/70 * * * *").minutes, [5]);
    assert.deepEqual(warnings("*/100 * * * *"), [
      'minute field: step 100 in "*/100" is larger than the range 0-59: pg_cron 1.6.0 to 1.6.4 accept it and match 0 only (read that way here); 1.6.5 and later reject it',
    ]);
    assert.match(warnings("0 */24 * * *")[0] ?? "", /^hour field: step 24 in "\*\/24" is larger than the range 0-23/);
    assert.deepEqual(cron("*/59 * * * *").minutes, [0, 59]);
    assert.deepEqual(cron("0 */23 * * *").hours, [0, 23]);
    assert.deepEqual(warnings("*/59 * * * *"), []);
  });

  it("overflow C's int in Vixie's loop on 1.4 and 1.5 (i += step), which rejects the schedule", () => {
    assert.match(error("1-59/2147483647 * * * *", "1.4"), /out of range/);
  });
});

describe("parseSchedule results", () => {
  it("are frozen, because they are cached and shared", () => {
    const s = cron("0 9 * * 1-5");
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.minutes));
    assert.equal(cron("0 9 * * 1-5"), s);
    assert.notEqual(cron("0 9 * * 1-5", "1.5"), s, "the cache is per version");
  });

  it("keep the text and the version", () => {
    const s = cron("0 9 * * *", "1.5");
    assert.deepEqual([s.text, s.version], ["0 9 * * *", "1.5"]);
  });
});
