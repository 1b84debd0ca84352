import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { projectFacts } from "../../src/sources/facts.js";
import { cronInventory } from "../../src/sources/pgcron.js";

/** FACTS_SQL's row for Supabase's supabase_read_only_user on pg_cron 1.6: BYPASSRLS, pg_read_all_data only. */
const readOnlyRow = {
  role: "supabase_read_only_user",
  rolsuper: false,
  rolbypassrls: true,
  extversion: "1.6",
  timezone: null,
  launch_active_jobs: null,
  log_run: null,
  launcher_running: true,
  reads_settings: false,
  reads_stats: false,
  net_present: true,
  net_readable: true,
};

describe("project facts as a role that cannot read cron.* settings", () => {
  it("say which settings were not readable, and that fire times assume GMT", () => {
    const inventory = cronInventory(projectFacts(readOnlyRow), []);
    assert.equal(inventory.timezone, "GMT");
    assert.deepEqual(inventory.warnings, [
      "role supabase_read_only_user cannot read cron.timezone, cron.log_run, cron.launch_active_jobs (superuser-only settings; pg_read_all_settings shows them): " +
        "fire times are computed in GMT, pg_cron's default, which is wrong if this project sets cron.timezone",
    ]);
  });

  it("say nothing when the role reads them, or on 1.4 (no cron.timezone there)", () => {
    assert.deepEqual(cronInventory(projectFacts({ ...readOnlyRow, reads_settings: true, timezone: "Europe/Berlin", log_run: "on", launch_active_jobs: "on" }), []).warnings, []);
    const old = cronInventory(projectFacts({ ...readOnlyRow, extversion: "1.4-1" }), []);
    assert.deepEqual(old.warnings, ["role supabase_read_only_user cannot read cron.log_run (superuser-only settings; pg_read_all_settings shows them)"]);
  });

  it("leave the launcher unknown, not down, when the role sees none and cannot read other roles' backends", () => {
    const unseen = projectFacts({ ...readOnlyRow, launcher_running: false });
    assert.equal(unseen.scheduler.launcherRunning, null);
    assert.match(cronInventory(unseen, []).warnings.join("\n"), /cannot see pg_cron's launcher in pg_stat_activity .*judged from the jobs' runs only/);
    assert.equal(projectFacts({ ...readOnlyRow, launcher_running: false, reads_stats: true }).scheduler.launcherRunning, false);
    assert.equal(projectFacts({ ...readOnlyRow, launcher_running: false, rolsuper: true }).scheduler.launcherRunning, false);
  });
});
