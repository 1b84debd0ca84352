import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqlBigintArray, sqlInt, sqlSeconds, sqlTimestamptz } from "../../src/sources/literal.js";

describe("SQL literals for monitored projects", () => {
  it("writes whole numbers, lists of them, instants and durations", () => {
    assert.equal(sqlInt(0), "0");
    assert.equal(sqlInt(-12), "-12");
    assert.equal(sqlInt(9_007_199_254_740_991), "9007199254740991");
    assert.equal(sqlBigintArray([3, 1, 2]), "'{3,1,2}'::bigint[]");
    assert.equal(sqlBigintArray([]), "'{}'::bigint[]");
    assert.equal(sqlTimestamptz(new Date("2026-11-30T09:15:00.123Z")), "'2026-11-30T09:15:00.123Z'::timestamptz");
    assert.equal(sqlSeconds(10), "make_interval(secs => 10)");
    assert.equal(sqlSeconds(0.5), "make_interval(secs => 0.5)");
  });

  it("refuses anything else, so no text can reach the SQL", () => {
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, "1; drop table cron.job" as unknown as number, null as unknown as number]) {
      assert.throws(() => sqlInt(bad), TypeError, String(bad));
    }
    assert.throws(() => sqlBigintArray([1, "2) or (true" as unknown as number]), TypeError);
    assert.throws(() => sqlTimestamptz(new Date("not a date")), TypeError);
    assert.throws(() => sqlTimestamptz("2026-11-30'; select 1; --" as unknown as Date), TypeError);
    assert.throws(() => sqlSeconds(-1), TypeError);
    assert.throws(() => sqlSeconds(Number.NaN), TypeError);
  });
});
