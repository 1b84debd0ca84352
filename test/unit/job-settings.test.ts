import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JobmonError } from "../../src/errors.js";
import { checkHistoryLimit, HISTORY_LIMIT, InvalidSettingError, JOB_SETTING_LIMITS, validateJobPatch } from "../../src/hub/inventory.js";

describe("job settings' ranges", () => {
  it("are documented bounds that fit the hub's int4 columns (slow_factor: a float8 column from 0)", () => {
    const { slow_factor, ...whole } = JOB_SETTING_LIMITS;
    assert.deepEqual([slow_factor.min, slow_factor.max], [0, 100]);
    for (const { min, max } of [...Object.values(whole), HISTORY_LIMIT]) {
      assert.ok(Number.isSafeInteger(min) && min >= 1, String(min));
      assert.ok(Number.isSafeInteger(max) && max <= 2 ** 31 - 1, String(max));
    }
    assert.equal(JOB_SETTING_LIMITS.grace_seconds.max, 366 * 86_400);
    assert.equal(JOB_SETTING_LIMITS.max_runtime_seconds.max, 366 * 86_400);
    assert.equal(JOB_SETTING_LIMITS.failure_threshold.max, 1000);
    assert.equal(HISTORY_LIMIT.max, 10_000);
  });

  it("accept every value in range, null where a setting can be cleared, and leave undefined alone", () => {
    validateJobPatch({ grace_seconds: 1, max_runtime_seconds: 366 * 86_400, failure_threshold: 1000 });
    validateJobPatch({ grace_seconds: null, max_runtime_seconds: null, failure_threshold: 1 });
    validateJobPatch({ slow_factor: 0, slow_after_seconds: 1 });
    validateJobPatch({ slow_factor: 2.5, slow_after_seconds: 366 * 86_400 });
    validateJobPatch({ slow_factor: null, slow_after_seconds: null });
    validateJobPatch({ description: "x" });
    validateJobPatch({ muted_until: new Date("2026-12-01T00:00:00Z") });
    checkHistoryLimit(1);
    checkHistoryLimit(10_000);
  });

  it("refuse absurd values with the allowed range in the message", () => {
    const cases: [Parameters<typeof validateJobPatch>[0], RegExp][] = [
      [{ grace_seconds: 99_999 * 86_400 }, /grace_seconds must be from 1s to 366d \(1 to 31622400 seconds\), not 8639913600/],
      [{ grace_seconds: 0 }, /grace_seconds must be from 1s to 366d/],
      [{ grace_seconds: 1.5 }, /grace_seconds must be from 1s to 366d/],
      [{ max_runtime_seconds: 99_999_999_999 * 86_400 }, /max_runtime_seconds must be from 1s to 366d/],
      [{ max_runtime_seconds: Number.NaN }, /max_runtime_seconds must be from 1s to 366d.*not NaN/],
      [{ failure_threshold: 1e20 }, /failure_threshold must be a whole number from 1 to 1000, not 100000000000000000000/],
      [{ failure_threshold: 0 }, /failure_threshold must be a whole number from 1 to 1000/],
      [{ failure_threshold: null as unknown as number }, /failure_threshold must be a whole number from 1 to 1000, not null/],
      [{ grace_seconds: "600" as unknown as number }, /grace_seconds must be from 1s to 366d/],
      [{ muted_until: new Date(Number.NaN) }, /muted_until is not a valid instant/],
      [{ slow_factor: -1 }, /slow_factor must be a number from 0 to 100, not -1/],
      [{ slow_factor: 101 }, /slow_factor must be a number from 0 to 100/],
      [{ slow_factor: Number.POSITIVE_INFINITY }, /slow_factor must be a number from 0 to 100, not Infinity/],
      [{ slow_after_seconds: 0 }, /slow_after_seconds must be from 1s to 366d/],
      [{ slow_after_seconds: 2.5 }, /slow_after_seconds must be from 1s to 366d/],
    ];
    for (const [patch, message] of cases) {
      assert.throws(() => validateJobPatch(patch), (error: unknown) => {
        assert.ok(error instanceof InvalidSettingError, `${JSON.stringify(patch)}: ${String(error)}`);
        assert.ok(error instanceof JobmonError);
        assert.equal(error.errorClass, "configuration");
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it("refuse a history limit out of range", () => {
    for (const limit of [0, -1, 10_001, 1e20, 2.5, Number.NaN]) {
      assert.throws(() => checkHistoryLimit(limit), /limit must be a whole number from 1 to 10000/, String(limit));
    }
  });
});
