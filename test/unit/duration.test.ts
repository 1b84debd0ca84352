import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration, parseIntervalSeconds } from "../../src/duration.js";

describe("parseDuration", () => {
  it("accepts seconds, minutes, hours, days and combinations", () => {
    assert.equal(parseDuration("90s"), 90);
    assert.equal(parseDuration("30m"), 1800);
    assert.equal(parseDuration("2h"), 7200);
    assert.equal(parseDuration("1d"), 86400);
    assert.equal(parseDuration("1h30m"), 5400);
    assert.equal(parseDuration("45"), 45);
  });
  it("rejects what is not a duration", () => {
    for (const bad of ["", "soon", "5x", "m5", "1.5h", "-5m", "5m trailing"]) assert.equal(parseDuration(bad), null, bad);
  });
});

describe("formatDuration", () => {
  it("prints the two largest units", () => {
    assert.equal(formatDuration(45), "45s");
    assert.equal(formatDuration(5400), "1h 30m");
    assert.equal(formatDuration(90061), "1d 1h");
  });
});

describe("parseIntervalSeconds", () => {
  it("reads the forms pg_net.ttl takes, for the check and the doctor alike", () => {
    assert.equal(parseIntervalSeconds("6 hours"), 21_600);
    assert.equal(parseIntervalSeconds("30 min"), 1800);
    assert.equal(parseIntervalSeconds("1 day"), 86_400);
    assert.equal(parseIntervalSeconds("90s"), 90);
    assert.equal(parseIntervalSeconds("3600"), 3600);
    assert.equal(parseIntervalSeconds("00:10:00"), 600);
    assert.equal(parseIntervalSeconds("1 day 02:00:00"), 93_600);
    assert.equal(parseIntervalSeconds("forever"), null);
    assert.equal(parseIntervalSeconds(null), null);
  });
});
