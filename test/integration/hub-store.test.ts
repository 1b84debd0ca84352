import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Db } from "../../src/db/types.js";
import { jobHistory, writeProjectStates } from "../../src/hub/check-results.js";
import { findJob, listJobs, syncInventory, updateJob, type DiscoveredJob } from "../../src/hub/inventory.js";
import { migrate } from "../../src/hub/migrate.js";
import { HUB_MIGRATIONS } from "../../src/hub/migrations.generated.js";
import { ensureProject, listProjectStates, recordDiscovery } from "../../src/hub/projects.js";
import { usePgCronClusters } from "../harness/pgcron.js";
import { freshHubDb, HUB_KINDS } from "../helpers/hub.js";

const clusters = usePgCronClusters(1);
const cluster = () => clusters()[0]!;
const opened: Db[] = [];
after(async () => {
  await Promise.all(opened.map((db) => db.close().catch(() => {})));
});

function job(name: string, overrides: Partial<DiscoveredJob> = {}): DiscoveredJob {
  return {
    job_name: name,
    source_id: "1",
    schedule: "*/5 * * * *",
    command: "select 1",
    active: true,
    run_as: "postgres",
    database_name: "postgres",
    ...overrides,
  };
}

const T0 = new Date("2026-11-30T10:00:00Z");
const T1 = new Date("2026-11-30T10:15:00Z");

for (const kind of HUB_KINDS) {
  describe(`hub store on ${kind}`, () => {
    async function hub(): Promise<Db> {
      const { db } = await freshHubDb(kind, cluster);
      opened.push(db);
      await migrate(db);
      return db;
    }

    it("applies the migrations once: a second run applies nothing", async () => {
      const { db } = await freshHubDb(kind, cluster);
      opened.push(db);
      const first = await migrate(db);
      assert.equal(first.applied.length, HUB_MIGRATIONS.length);
      const second = await migrate(db);
      assert.deepEqual(second.applied, []);
      const versions = await db.query<{ version: string }>("select version from monitoring.schema_migrations order by version");
      assert.deepEqual(versions.map((v) => v.version), HUB_MIGRATIONS.map((m) => m.version));
    });

    it("can apply the migration SQL again, as `supabase db push` after `jobmon migrate` would", async () => {
      const { db } = await freshHubDb(kind, cluster);
      opened.push(db);
      await migrate(db);
      for (const m of HUB_MIGRATIONS) await db.exec(m.sql);
      const [count] = await db.query<{ n: number }>("select count(*)::int as n from monitoring.check_lock");
      assert.equal(count?.n, 1);
    });

    it("survives two migrations started at the same moment", async () => {
      const { db, url } = await freshHubDb(kind, cluster);
      opened.push(db);
      let other: Db = db;
      if (url) {
        const { postgresDb } = await import("../../src/db/postgres.js");
        other = postgresDb(url, { max: 1 });
        opened.push(other);
      }
      const results = await Promise.all([migrate(db), migrate(other)]);
      assert.equal(results[0].applied.length + results[1].applied.length, HUB_MIGRATIONS.length);
      const [count] = await db.query<{ n: number }>("select count(*)::int as n from monitoring.schema_migrations");
      assert.equal(count?.n, HUB_MIGRATIONS.length);
    });

    it("has the documented columns first, in their documented order, and RLS on every table", async () => {
      const db = await hub();
      const columns = await db.query<{ table_name: string; column_name: string }>(
        `select table_name, column_name from information_schema.columns
          where table_schema = 'monitoring' and table_name in ('job_inventory', 'job_health_log', 'alert_config')
          order by table_name, ordinal_position`,
      );
      const of = (t: string) => columns.filter((c) => c.table_name === t).map((c) => c.column_name);
      assert.deepEqual(of("job_inventory").slice(0, 12), [
        "id", "project_name", "job_type", "job_name", "schedule", "description", "success_criteria",
        "criticality", "last_seen_at", "created_at", "updated_at", "source_id",
      ].slice(0, 12));
      assert.deepEqual(of("job_health_log").slice(0, 6), ["id", "job_inventory_id", "status", "error_message", "run_at", "collected_at"]);
      assert.deepEqual(of("alert_config").slice(0, 7), ["id", "channel", "criticality", "webhook_url", "bot_token", "chat_id", "enabled"]);
      const noRls = await db.query<{ relname: string }>(
        `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'monitoring' and c.relkind = 'r' and not c.relrowsecurity`,
      );
      assert.deepEqual(noRls, []);
    });

    it("inserts new jobs, refreshes discovered fields and keeps hand annotations", async () => {
      const db = await hub();
      const first = await syncInventory(db, "smoothed", "pg_cron", [job("sync-leads"), job("nightly", { schedule: "0 3 * * *" })], T0);
      assert.deepEqual(first.inserted.sort(), ["nightly", "sync-leads"]);
      const leads = await findJob(db, "smoothed/sync-leads");
      await updateJob(db, leads.id, { description: "Syncs leads", success_criteria: "rows arrive", criticality: "critical", grace_seconds: 600 }, T0);

      const second = await syncInventory(db, "smoothed", "pg_cron", [job("sync-leads", { schedule: "*/10 * * * *", active: false }), job("nightly", { schedule: "0 3 * * *" })], T1);
      assert.deepEqual(second.inserted, []);
      assert.deepEqual(second.changed, ["sync-leads"]);
      assert.equal(second.unchanged, 1);
      const after = await findJob(db, leads.id);
      assert.equal(after.schedule, "*/10 * * * *");
      assert.equal(after.active, false);
      assert.equal(after.description, "Syncs leads");
      assert.equal(after.success_criteria, "rows arrive");
      assert.equal(after.criticality, "critical");
      assert.equal(after.grace_seconds, 600);
      assert.equal(after.last_seen_at?.toISOString(), T1.toISOString());
      assert.equal(after.created_at.toISOString(), T0.toISOString());
    });

    it("marks a job that left its source removed, keeps it, and revives it when it returns", async () => {
      const db = await hub();
      await syncInventory(db, "p", "pg_cron", [job("a"), job("b")], T0);
      const gone = await syncInventory(db, "p", "pg_cron", [job("a")], T1);
      assert.deepEqual(gone.removed, ["b"]);
      const b = await findJob(db, "p/b");
      assert.equal(b.removed_at?.toISOString(), T1.toISOString());
      assert.equal((await listJobs(db, { project: "p" })).length, 2);
      assert.equal((await listJobs(db, { project: "p", includeRemoved: false })).length, 1);
      const back = await syncInventory(db, "p", "pg_cron", [job("a"), job("b")], new Date("2026-11-30T11:00:00Z"));
      assert.deepEqual(back.changed, ["b"]);
      assert.equal((await findJob(db, "p/b")).removed_at, null);
    });

    it("keeps projects apart: removal in one project leaves another alone", async () => {
      const db = await hub();
      await syncInventory(db, "one", "pg_cron", [job("x")], T0);
      await syncInventory(db, "two", "pg_cron", [job("x")], T0);
      await syncInventory(db, "one", "pg_cron", [], T1);
      assert.ok((await findJob(db, "one/x")).removed_at);
      assert.equal((await findJob(db, "two/x")).removed_at, null);
    });

    it("finds jobs by id or project/job_name, including names with slashes, quotes and non-ASCII", async () => {
      const db = await hub();
      const names = ["a/b/c", `it's "quoted"`, "Überprüfung ✓ 日本"];
      await syncInventory(db, "p", "pg_cron", names.map((n) => job(n)), T0);
      for (const name of names) {
        const row = await findJob(db, `p/${name}`);
        assert.equal(row.job_name, name);
        assert.equal((await findJob(db, row.id)).job_name, name);
      }
      await assert.rejects(findJob(db, "p/nope"), /no job named "nope" in project "p"/);
      await assert.rejects(findJob(db, "nope"), /neither a job id nor project\/job_name/);
    });

    it("asks which one when a cron job and an Edge Function share a name", async () => {
      const db = await hub();
      await syncInventory(db, "p", "pg_cron", [job("sync")], T0);
      await syncInventory(db, "p", "edge_function", [job("sync", { schedule: null, command: null })], T0);
      await assert.rejects(findJob(db, "p/sync"), /matches 2 jobs: use p\/edge_function:sync or p\/pg_cron:sync/);
      assert.equal((await findJob(db, "p/edge_function:sync")).job_type, "edge_function");
    });

    it("refuses out-of-range settings before they reach the hub, with the range, and writes nothing", async () => {
      const db = await hub();
      await syncInventory(db, "p", "pg_cron", [job("a")], T0);
      const before = await findJob(db, "p/a");
      for (const [patch, range] of [
        [{ grace_seconds: 99_999 * 86_400 }, /from 1s to 366d/],
        [{ max_runtime_seconds: 99_999_999_999 * 86_400 }, /from 1s to 366d/],
        [{ failure_threshold: 1e20 }, /from 1 to 1000/],
        [{ description: "kept back too", grace_seconds: 0 }, /from 1s to 366d/],
      ] as const) {
        await assert.rejects(updateJob(db, before.id, patch, T1), range, JSON.stringify(patch));
      }
      assert.deepEqual(await findJob(db, before.id), before);
      await assert.rejects(jobHistory(db, before.id, 1e20), /limit must be a whole number from 1 to 10000/);
    });

    it("says unknown for a project no check has observed, never ok; a check's observation replaces it", async () => {
      const db = await hub();
      await ensureProject(db, "never-reached", null, T0);
      await recordDiscovery(db, "discovered", { projectRef: null, source: "postgres", pgCronVersion: "1.6", timezone: "GMT", role: "postgres", seesAllJobs: true }, T0);
      let states = await listProjectStates(db);
      assert.deepEqual(states.map((s) => [s.project_name, s.status]), [["discovered", "unknown"], ["never-reached", "unknown"]]);
      for (const s of states) assert.match(s.status_reason ?? "", /no check has reached it yet/);

      const observed = { project_ref: null, source: "postgres" as const, status_since: T1, last_error: "connection refused", down_since: T1, alerted_status: "unreachable" as const, alerted_at: T1 };
      await writeProjectStates(db, [
        { ...observed, project_name: "never-reached", status: "unreachable", status_reason: "cannot connect: connection refused" },
        { ...observed, project_name: "discovered", status: "ok", status_reason: "", down_since: null, alerted_status: null, alerted_at: null, last_error: null },
      ], T1);
      // A later discovery that cannot reach it leaves what the check observed.
      await ensureProject(db, "never-reached", null, T1);
      states = await listProjectStates(db);
      assert.deepEqual(states.map((s) => [s.project_name, s.status]), [["discovered", "ok"], ["never-reached", "unreachable"]]);
      assert.equal(states[1]?.status_reason, "cannot connect: connection refused");
    });

    it("turns the rows of projects never checked from ok to unknown when it upgrades an older hub", async () => {
      const { db } = await freshHubDb(kind, cluster);
      opened.push(db);
      await migrate(db, HUB_MIGRATIONS.filter((m) => m.version < "20261206000200"));
      // Rows as the hub of that time wrote them (today's ensureProject writes later columns).
      for (const name of ["never-checked", "checked"]) {
        await db.query("insert into monitoring.project_state (project_name, status_since, updated_at) values ($1, $2, $2)", [name, T0]);
      }
      await db.query("update monitoring.project_state set last_checked_at = $1 where project_name = 'checked'", [T1]);
      assert.deepEqual((await listProjectStates(db)).map((s) => s.status), ["ok", "ok"]);
      await migrate(db);
      assert.deepEqual((await listProjectStates(db)).map((s) => [s.project_name, s.status]), [["checked", "ok"], ["never-checked", "unknown"]]);
    });

    it("rejects an invalid criticality at the database too", async () => {
      const db = await hub();
      await syncInventory(db, "p", "pg_cron", [job("a")], T0);
      const row = await findJob(db, "p/a");
      await assert.rejects(updateJob(db, row.id, { criticality: "urgent" as never }, T1));
      assert.equal((await findJob(db, row.id)).criticality, null);
    });
  });
}
