import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeSchedule, explainSchedule, parseSchedule, type PgCronVersion } from "../../src/health/schedule/index.js";

function sentence(text: string, timeZone?: string, version: PgCronVersion = "1.6"): string {
  const result = parseSchedule(text, version);
  assert.ok(result.ok, `${text}: ${result.ok ? "" : result.error}`);
  return describeSchedule(result.schedule, timeZone);
}

describe("describeSchedule", () => {
  const cases: Array<[string, string]> = [
    ["0 9 * * 1-5", "At 09:00, Monday through Friday (GMT)"],
    ["* * * * *", "Every minute (GMT)"],
    ["*/15 * * * *", "Every 15 minutes (GMT)"],
    ["*/15 9-17 * * *", "Every 15 minutes, between 09:00 and 17:59 (GMT)"],
    ["*/10 2 * * *", "Every 10 minutes, between 02:00 and 02:59 (GMT)"],
    ["*/7 * * * *", "At every 7th minute past every hour (GMT)"],
    ["0 */5 * * *", "At minute 0 past every 5th hour (GMT)"],
    ["0 */5 * * * *", "At minute 0 past every 5th hour (GMT)"],
    ["5,35 * * * *", "At minutes 5 and 35 past every hour (GMT)"],
    ["0-10 * * * *", "Every minute from 0 through 10 past every hour (GMT)"],
    ["0 9,17 * * *", "At 09:00 and 17:00 (GMT)"],
    ["0 0 $ * mon", "At 00:00 on the last day of the month or on Monday (GMT)"],
    ["0 12 $ * *", "At 12:00 on the last day of the month (GMT)"],
    ["0 0 1 * *", "At 00:00 on day 1 of the month (GMT)"],
    ["0 0 1,15 * *", "At 00:00 on days 1 and 15 of the month (GMT)"],
    ["0 0 13 * 5", "At 00:00 on day 13 of the month or on Friday (GMT)"],
    ["0 0 */2 * mon", "At 00:00 on every 2nd day of the month if it is a Monday (GMT)"],
    ["0 0 1-31 * 1", "At 00:00 (GMT)"],
    ["5 4 * * sun", "At 04:05, only on Sunday (GMT)"],
    ["0 0 * jan-mar *", "At 00:00, January through March (GMT)"],
    ["0 0 * */3 *", "At 00:00, every 3rd month (GMT)"],
    ["0 0 * 1,7 *", "At 00:00, only in January and July (GMT)"],
    ["@hourly", "At minute 0 past every hour (GMT)"],
    ["@weekly", "At 00:00, only on Sunday (GMT)"],
    ["@monthly", "At 00:00 on day 1 of the month (GMT)"],
    ["50-10 * * * *", "At minutes 8 through 10 and 50 through 55 past every hour (GMT)"],
    ["0 0 31 2 *", "Never fires: no selected month has the selected day of the month (GMT)"],
  ];
  for (const [text, expected] of cases) {
    it(`describes ${JSON.stringify(text)}`, () => {
      assert.equal(sentence(text), expected);
    });
  }

  it("describes what 1.4/1.5 make of @yearly, and 1.6's empty month set", () => {
    assert.equal(sentence("@yearly", "GMT", "1.5"), "At 00:00 on day 1 of the month, only in January (GMT)");
    assert.match(sentence("@yearly", "GMT", "1.6"), /^Never fires: @yearly has an empty month set on pg_cron 1\.6/);
  });

  it("names the zone, except on 1.4 which always uses GMT", () => {
    assert.equal(sentence("0 9 * * 1-5", "Europe/Berlin"), "At 09:00, Monday through Friday (Europe/Berlin)");
    assert.equal(sentence("0 9 * * 1-5", "Europe/Berlin", "1.4"), "At 09:00, Monday through Friday (GMT)");
  });

  it("describes intervals and @reboot without a zone", () => {
    assert.equal(sentence("30 seconds"), "Every 30 seconds");
    assert.equal(sentence("1 second"), "Every second");
    assert.equal(sentence("@reboot"), "At server start (@reboot)");
  });
});

describe("explainSchedule", () => {
  it("lists the next fire times in ISO UTC", () => {
    assert.deepEqual(explainSchedule("0 0 $ * *", { after: "2026-02-01T00:00:00Z", count: 3 }), {
      schedule: "0 0 $ * *",
      valid: true,
      kind: "cron",
      warnings: [],
      description: "At 00:00 on the last day of the month (GMT)",
      next: ["2026-02-28T00:00:00.000Z", "2026-03-31T00:00:00.000Z", "2026-04-30T00:00:00.000Z"],
    });
  });

  it("defaults to five fire times after now, in GMT, on 1.6", () => {
    const before = Date.now();
    const explanation = explainSchedule("* * * * *");
    assert.equal(explanation.next.length, 5);
    assert.ok(Date.parse(explanation.next[0]!) > before);
    assert.ok(explanation.description?.endsWith("(GMT)"));
    assert.equal(explainSchedule("0 0 $ * *").valid, true, "1.6 by default");
  });

  it("evaluates in the given zone", () => {
    const explanation = explainSchedule("0 9 * * *", { timezone: "Europe/Berlin", after: new Date("2026-03-28T00:00:00Z"), count: 2 });
    assert.deepEqual(explanation.next, ["2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z"]);
  });

  it("reports an invalid expression with its error and nothing else", () => {
    assert.deepEqual(explainSchedule("61 * * * *"), {
      schedule: "61 * * * *",
      valid: false,
      kind: null,
      error: "minute field: 61 is out of range 0-59",
      warnings: [],
      next: [],
    });
  });

  it("parses per version, taking extversion strings", () => {
    assert.equal(explainSchedule("30 seconds", { pgCronVersion: "1.4-1" }).valid, false);
    assert.equal(explainSchedule("30 seconds", { pgCronVersion: "1.5" }).valid, true);
    assert.equal(explainSchedule("0 0 $ * *", { pgCronVersion: "1.5" }).valid, false);
    const oversized = explainSchedule("*/60 * * * *", { pgCronVersion: "1.6.4" });
    assert.equal(oversized.valid, true, "1.6.0 to 1.6.4 accept a step larger than the range");
    assert.match(oversized.warnings.join("\n"), /1\.6\.5 and later reject it/);
  });

  it("explains an interval with its seconds and no fire times", () => {
    assert.deepEqual(explainSchedule("30 seconds", { after: "2026-01-01T00:00:00Z" }), {
      schedule: "30 seconds",
      valid: true,
      kind: "interval",
      warnings: [],
      intervalSeconds: 30,
      description: "Every 30 seconds",
      next: [],
    });
  });

  it("warns that @reboot only runs at server start", () => {
    const explanation = explainSchedule("@reboot");
    assert.equal(explanation.kind, "reboot");
    assert.deepEqual(explanation.next, []);
    assert.match(explanation.warnings.join("\n"), /only runs when the server .* starts/);
  });

  it("keeps a never-firing schedule valid, with no fire times and a warning", () => {
    for (const text of ["0 0 31 2 *", "@yearly"]) {
      const explanation = explainSchedule(text, { after: "2026-01-01T00:00:00Z" });
      assert.equal(explanation.valid, true, text);
      assert.deepEqual(explanation.next, [], text);
      assert.ok(explanation.warnings.some((w) => w.includes("never fires")), text);
    }
  });

  it("passes the parser's warnings on, e.g. the ignored sixth field", () => {
    const explanation = explainSchedule("0 */5 * * * *", { after: "2026-01-01T00:00:00Z", count: 2 });
    assert.deepEqual(explanation.warnings, ["text after the fifth field is ignored by pg_cron: '*'"]);
    assert.deepEqual(explanation.next, ["2026-01-01T05:00:00.000Z", "2026-01-01T10:00:00.000Z"]);
  });

  it("warns when ORed day fields make a schedule run every day", () => {
    const explanation = explainSchedule("0 0 1-31 * 1", { after: "2026-03-01T00:00:00Z", count: 2 });
    assert.match(explanation.warnings.join("\n"), /does not start with '\*', so pg_cron ORs it .*: this runs every day/);
    assert.deepEqual(explanation.next, ["2026-03-02T00:00:00.000Z", "2026-03-03T00:00:00.000Z"]);
    assert.deepEqual(explainSchedule("0 0 * * 1", { count: 1 }).warnings, []);
  });

  it("uses GMT on 1.4 and says that the requested zone is not used", () => {
    const explanation = explainSchedule("0 9 * * *", { pgCronVersion: "1.4", timezone: "Europe/Berlin", after: "2026-07-01T00:00:00Z", count: 1 });
    assert.deepEqual(explanation.next, ["2026-07-01T09:00:00.000Z"]);
    assert.equal(explanation.description, "At 09:00 (GMT)");
    assert.match(explanation.warnings.join("\n"), /pg_cron 1\.4 has no cron\.timezone .* "Europe\/Berlin" is not used/);
    assert.deepEqual(explainSchedule("0 9 * * *", { pgCronVersion: "1.4", timezone: "UTC", count: 1 }).warnings, []);
  });

  it("keeps the expression valid but reports an invalid zone in `error`, with no fire times", () => {
    const explanation = explainSchedule("0 9 * * *", { timezone: "Mars/Olympus" });
    assert.equal(explanation.valid, true);
    assert.match(explanation.error ?? "", /invalid time zone "Mars\/Olympus"/);
    assert.deepEqual(explanation.next, []);
  });

  it("reports an invalid `after` in `error`", () => {
    const explanation = explainSchedule("0 9 * * *", { after: "yesterday-ish" });
    assert.equal(explanation.valid, true);
    assert.match(explanation.error ?? "", /after: "yesterday-ish" is not a valid date/);
  });

  it("honours count, including 0", () => {
    assert.equal(explainSchedule("* * * * *", { count: 12 }).next.length, 12);
    assert.equal(explainSchedule("* * * * *", { count: 0 }).next.length, 0);
  });
});
