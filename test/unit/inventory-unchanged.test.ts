import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DiscoveredJob, inventoryUnchanged, type JobRow } from "../../src/hub/inventory.js";

const job = (over: Partial<DiscoveredJob> = {}): DiscoveredJob => ({
  job_name: "nightly",
  source_id: "7",
  schedule: "0 3 * * *",
  command: "call refresh()",
  active: true,
  run_as: "postgres",
  database_name: "postgres",
  source_meta: {},
  ...over,
});

/** The parts of a hub row that inventoryUnchanged reads, as the hub returns them. */
const row = (d: DiscoveredJob): JobRow => ({ ...d, source_meta: d.source_meta ?? {} }) as unknown as JobRow;

describe("inventoryUnchanged (whether a check may skip the inventory write)", () => {
  it("is true for the same jobs with the same definitions, whatever the order", () => {
    const jobs = [job(), job({ job_name: "job_9", source_id: "9", source_meta: { unnamed: true, b: 1 } })];
    const rows = [row(jobs[1]!), row(job())].map((r) => (r.job_name === "job_9" ? { ...r, source_meta: { b: 1, unnamed: true } } : r));
    assert.equal(inventoryUnchanged(rows, jobs), true);
    assert.equal(inventoryUnchanged([], []), true);
  });

  it("is false as soon as anything syncInventory writes differs", () => {
    const rows = [row(job())];
    for (const changed of [
      { schedule: "0 4 * * *" },
      { command: "call refresh(true)" },
      { active: false },
      { run_as: "app" },
      { database_name: "app" },
      { source_id: "8" },
      { source_meta: { unnamed: true } },
      { job_name: "renamed" },
    ] satisfies Partial<DiscoveredJob>[]) {
      assert.equal(inventoryUnchanged(rows, [job(changed)]), false, JSON.stringify(changed));
    }
    assert.equal(inventoryUnchanged(rows, []), false, "a job left the source");
    assert.equal(inventoryUnchanged(rows, [job(), job({ job_name: "new", source_id: "8" })]), false, "a new job");
  });
});
