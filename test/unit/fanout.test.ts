import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { packBatches } from "../../src/check/cycle.js";
import { resolveConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";

describe("packBatches", () => {
  const projects = (...jobs: number[]) => jobs.map((n, i) => ({ name: `p${i + 1}`, jobs: n }));
  const names = (batches: { name: string }[][]) => batches.map((b) => b.map((p) => p.name));

  it("fills each batch up to its job budget, in list order", () => {
    assert.deepEqual(names(packBatches(projects(50, 50, 50, 50, 50), (p) => p.jobs, 100, 10)), [["p1", "p2"], ["p3", "p4"], ["p5"]]);
  });

  it("gives a project larger than the budget a batch of its own rather than dropping it", () => {
    assert.deepEqual(names(packBatches(projects(10, 500, 10), (p) => p.jobs, 100, 10)), [["p1"], ["p2"], ["p3"]]);
  });

  it("caps the projects per batch whatever their size, and counts an empty project as one job", () => {
    assert.deepEqual(names(packBatches(projects(0, 0, 0, 0, 0), (p) => p.jobs, 2_500, 2)), [["p1", "p2"], ["p3", "p4"], ["p5"]]);
  });

  it("returns no batch for no project, and every project exactly once", () => {
    assert.deepEqual(packBatches([], () => 1, 10, 10), []);
    const many = projects(...Array.from({ length: 1000 }, (_, i) => (i * 37) % 120));
    const packed = packBatches(many, (p) => p.jobs, 2_500, 100);
    assert.deepEqual(packed.flat().map((p) => p.name), many.map((p) => p.name));
    for (const batch of packed) assert.ok(batch.length === 1 || batch.reduce((n, p) => n + Math.max(1, p.jobs), 0) <= 2_500);
  });
});

describe("JOBMON_FANOUT settings", () => {
  const base = { SUPABASE_POSTGRES_URL: "postgresql://u:p@db.example.com:5432/postgres" };

  it("defaults to auto, batches chosen from the hub, a 10-minute window", () => {
    assert.deepEqual(resolveConfig(base).fanout, { mode: "auto", batchProjects: null, windowSeconds: 600 });
  });

  it("reads on/off, a batch size and a window", () => {
    assert.deepEqual(resolveConfig({ ...base, JOBMON_FANOUT: "ON", JOBMON_FANOUT_BATCH: "40", JOBMON_FANOUT_WINDOW: "12m" }).fanout, { mode: "on", batchProjects: 40, windowSeconds: 720 });
    assert.equal(resolveConfig({ ...base, JOBMON_FANOUT: "off" }).fanout.mode, "off");
  });

  it("refuses what it cannot use, naming the variable", () => {
    for (const [name, value, message] of [
      ["JOBMON_FANOUT", "sometimes", /"sometimes" is not one of auto, on, off/],
      ["JOBMON_FANOUT_BATCH", "0", /between 1 and 1000/],
      ["JOBMON_FANOUT_BATCH", "2.5", /between 1 and 1000/],
      ["JOBMON_FANOUT_WINDOW", "5s", /not a duration/],
    ] as const) {
      assert.throws(() => resolveConfig({ ...base, [name]: value }), (error: unknown) => error instanceof ConfigError && error.message.includes(name) && message.test(error.message));
    }
  });
});
