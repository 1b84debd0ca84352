import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bodyKind, parseStatCpuTicks, parseStatusKb, processCpuMs, processPeakRssMb } from "../../bench/edge-proc.js";
import { crossing, slope } from "../../bench/edge-report.js";

/** The Edge bench's measuring helpers (bench/edge-proc.ts) and its half-limit estimate (bench/edge-report.ts). */
describe("edge bench: /proc parsing", () => {
  test("utime + stime are fields 14 and 15, counted after the command name, which may hold spaces and parentheses", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = "4242 (deno (x) y) S 1 4242 4242 0 -1 4194304 900 0 0 0 137 25 0 0 20 0 9 0 1941205 3133440 408";
    assert.equal(parseStatCpuTicks(stat), 162);
  });

  test("a line that is not /proc/<pid>/stat is an error, not zero", () => {
    assert.throws(() => parseStatCpuTicks("no parenthesis here"));
    assert.throws(() => parseStatCpuTicks("1 (x) S 1"));
  });

  test("status fields in kB by name; an absent field is null", () => {
    const status = "Name:\tdeno\nVmPeak:\t  900000 kB\nVmHWM:\t  151552 kB\nVmRSS:\t  140000 kB\n";
    assert.equal(parseStatusKb(status, "VmHWM"), 151552);
    assert.equal(parseStatusKb(status, "VmRSS"), 140000);
    assert.equal(parseStatusKb(status, "VmSwap"), null);
  });

  test("this process's own CPU and peak RSS read from /proc", { skip: process.platform !== "linux" }, () => {
    const cpu = processCpuMs(process.pid);
    assert.ok(cpu > 0 && cpu % 10 === 0, `CPU ${cpu} ms, in whole ticks`);
    assert.ok(processPeakRssMb(process.pid) > 10);
  });
});

describe("edge bench: request bodies", () => {
  test("told apart by their sorted top-level keys", () => {
    assert.deepEqual(bodyKind('{"worker": 3, "cycle": "c1"}'), { kind: "cycle,worker", keys: ["cycle", "worker"] });
    assert.deepEqual(bodyKind("{}"), { kind: "{}", keys: [] });
    assert.deepEqual(bodyKind("  "), { kind: "(empty)", keys: [] });
    assert.equal(bodyKind("[1]").kind, "(array)");
    assert.equal(bodyKind("null").kind, "(null)");
    assert.equal(bodyKind("{oops").kind, "(not JSON)");
  });
});

describe("edge bench: where a limit is passed", () => {
  const points = [
    { x: 50, y: 500 },
    { x: 200, y: 2000 },
    { x: 500, y: 5000 },
  ];

  test("interpolated between the two sizes around the threshold", () => {
    assert.deepEqual(crossing(points, 1000), { projects: 100, how: "interpolated" });
  });

  test("extrapolated along the last two sizes past the largest", () => {
    assert.deepEqual(crossing(points, 8000), { projects: 800, how: "extrapolated" });
  });

  test("already passed at the smallest size, or never when the figure does not grow", () => {
    assert.deepEqual(crossing(points, 100), { projects: 50, how: "below" });
    assert.equal(crossing([{ x: 50, y: 10 }, { x: 200, y: 9 }], 100).how, "none");
    assert.equal(crossing([{ x: 50, y: 10 }], 100).how, "unknown");
  });

  test("the cost of one more project: the least-squares slope", () => {
    assert.equal(slope(points), 10);
    assert.ok(Number.isNaN(slope([{ x: 50, y: 1 }])));
  });
});
