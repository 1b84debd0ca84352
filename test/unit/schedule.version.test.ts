import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePgCronVersion } from "../../src/health/schedule/index.js";

describe("parsePgCronVersion", () => {
  it("reads extversion leniently: Debian's 1.4-1, Supabase's 1.6.4, plain 1.5", () => {
    assert.equal(parsePgCronVersion("1.4-1"), "1.4");
    assert.equal(parsePgCronVersion("1.4"), "1.4");
    assert.equal(parsePgCronVersion("1.5"), "1.5");
    assert.equal(parsePgCronVersion("1.5.2"), "1.5");
    assert.equal(parsePgCronVersion("1.6"), "1.6");
    assert.equal(parsePgCronVersion("1.6.4"), "1.6");
    assert.equal(parsePgCronVersion(" 1.6.7 "), "1.6");
  });

  it("falls back to 1.6 (what Supabase runs) when the version is unknown", () => {
    assert.equal(parsePgCronVersion(null), "1.6");
    assert.equal(parsePgCronVersion(undefined), "1.6");
    assert.equal(parsePgCronVersion(""), "1.6");
    assert.equal(parsePgCronVersion("unknown"), "1.6");
  });

  it("clamps: newer releases behave like 1.6, older ones like 1.4", () => {
    assert.equal(parsePgCronVersion("1.7"), "1.6");
    assert.equal(parsePgCronVersion("2.0"), "1.6");
    assert.equal(parsePgCronVersion("1.3"), "1.4");
    assert.equal(parsePgCronVersion("1.0"), "1.4");
    assert.equal(parsePgCronVersion("1"), "1.4");
  });
});
