/**
 * The harness's pg_cron 1.6 sets (`pinned`: pg_cron 1.6.4 + pg_net 0.11.0, `latest`:
 * pg_cron 1.6.7 + pg_net 0.20.5) with Supabase's role model: the versions really built,
 * the roles as Supabase has them, what supabase_read_only_user can and cannot see, and
 * pg_cron and pg_net doing real work (jobs run as postgres, requests reach a local server).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { postgresDb } from "../../src/db/postgres.js";
import { closedPort, HttpTarget } from "../harness/http-target.js";
import {
  extensionSetBin,
  extensionSetRoot,
  insertRun,
  scheduleJob,
  startPgCronCluster,
  usePgCronClusters,
  type PgCronCluster,
} from "../harness/pgcron.js";
import { waitFor } from "../helpers/wait.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));


const sets = [
  // pg_net 0.20.5 calls itself 0.20.4 (its Makefile's EXTVERSION was not bumped).
  { set: "pinned", pgNet: "0.11.0", pgCronRelease: "1.6.4", acceptsOversizedStep: true },
  { set: "latest", pgNet: "0.20.4", pgCronRelease: "1.6.7", acceptsOversizedStep: false },
] as const;

let target: HttpTarget;
before(async () => {
  target = await HttpTarget.start();
});
after(async () => {
  await target?.stop();
});

for (const expected of sets) {
  describe(`the '${expected.set}' set with Supabase's roles`, () => {
    const clusters = usePgCronClusters(1, { set: expected.set, supabase: true, name: expected.set });
    const cluster = () => clusters()[0]!;

    test("runs the pg_cron and pg_net it was built with, both preloaded", async (t) => {
      const c = cluster();
      t.diagnostic(`startup: ${c.startupMs} ms`);
      assert.equal(c.set, expected.set);
      assert.equal(c.pgCronVersion, "1.6");
      assert.equal(c.pgNetVersion, expected.pgNet);
      assert.equal(c.superuser, "supabase_admin");
      const [row] = await c.sql("select current_setting('shared_preload_libraries') as libs");
      assert.equal(row.libs, "pg_cron,pg_net");
      // The worker names itself after the version compiled into pg_net.so.
      const workers = await c.sql("select backend_type from pg_stat_activity where backend_type like 'pg_net%'");
      assert.deepEqual(workers.map((w) => w.backend_type), [`pg_net ${expected.pgNet} worker`]);
      // Every 1.6.x says "1.6"; the release shows in what it accepts: a step larger than
      // the field's range is taken by 1.6.0-1.6.4 and refused from 1.6.5 on.
      const oversized = await c.sql("select cron.schedule('oversized-step', '0 */24 * * *', 'select 1') as jobid").then(
        () => true,
        (error: Error) => (assert.match(error.message, /invalid schedule/), false),
      );
      assert.equal(oversized, expected.acceptsOversizedStep, `pg_cron ${expected.pgCronRelease}`);
      await c.sql("select cron.unschedule(jobid) from cron.job where jobname = 'oversized-step'");
      await c.waitForLauncher();
    });

    test("supabase_admin owns the extensions and runs the launcher; postgres is demoted", async () => {
      const c = cluster();
      const owners = await c.sql(
        "select extname, extowner::regrole::text as owner from pg_extension where extname in ('pg_cron', 'pg_net') order by extname",
      );
      assert.deepEqual(owners, [{ extname: "pg_cron", owner: "supabase_admin" }, { extname: "pg_net", owner: "supabase_admin" }]);
      const [launcher] = await c.sql("select usename from pg_stat_activity where backend_type = 'pg_cron launcher'");
      assert.equal(launcher.usename, "supabase_admin");

      const roles = await c.sql(
        `select rolname, rolsuper, rolbypassrls, rolcanlogin, rolcreatedb, rolcreaterole,
                array(select b.rolname::text from pg_auth_members m join pg_roles b on b.oid = m.roleid
                       where m.member = r.oid order by 1) as member_of
           from pg_roles r where rolname in ('supabase_admin', 'postgres', 'supabase_read_only_user') order by rolname`,
      );
      const byName = Object.fromEntries(roles.map((r) => [r.rolname, r]));
      assert.equal(byName.supabase_admin.rolsuper, true);
      assert.deepEqual(
        { ...byName.postgres },
        {
          rolname: "postgres", rolsuper: false, rolbypassrls: true, rolcanlogin: true, rolcreatedb: true, rolcreaterole: true,
          member_of: ["pg_monitor", "pg_read_all_data", "pg_signal_backend"],
        },
      );
      assert.deepEqual(
        { ...byName.supabase_read_only_user },
        {
          rolname: "supabase_read_only_user", rolsuper: false, rolbypassrls: true, rolcanlogin: true, rolcreatedb: false,
          rolcreaterole: false, member_of: ["pg_read_all_data"],
        },
      );

      // pg_cron's after-create grants: cron.job is read-only for postgres, the rest is its.
      const [cron] = await c.sql(
        `select has_schema_privilege('postgres', 'cron', 'usage') as usage,
                has_table_privilege('postgres', 'cron.job', 'select') as job_select,
                has_table_privilege('postgres', 'cron.job', 'insert') as job_insert,
                has_table_privilege('postgres', 'cron.job', 'update') as job_update,
                has_table_privilege('postgres', 'cron.job_run_details', 'select, insert, update, delete') as details_all,
                has_function_privilege('postgres', 'cron.schedule(text, text, text)', 'execute') as schedule`,
      );
      assert.deepEqual({ ...cron }, { usage: true, job_select: true, job_insert: false, job_update: false, details_all: true, schedule: true });
      // pg_net: postgres may call every net.http_* function and read the responses.
      const net = await c.sql(
        `select p.oid::regprocedure::text as fn, has_function_privilege('postgres', p.oid, 'execute') as can
           from pg_proc p where p.pronamespace = 'net'::regnamespace and p.proname in ('http_get', 'http_post', 'http_delete')`,
      );
      assert.equal(net.length, 3);
      assert.ok(net.every((f) => f.can), JSON.stringify(net));
      const [tables] = await c.sql(
        `select has_schema_privilege('postgres', 'net', 'usage') as usage,
                has_table_privilege('postgres', 'net._http_response', 'select, delete') as responses`,
      );
      assert.deepEqual({ ...tables }, { usage: true, responses: true });
    });

    test("every role logs in over TCP with its password; urlFor knows the passwords", async () => {
      const c = cluster();
      for (const user of ["supabase_admin", "postgres", "supabase_read_only_user"]) {
        const db = postgresDb(c.urlFor({ user }), { connectTimeoutSeconds: 5 });
        try {
          assert.deepEqual(await db.query("select current_user::text as u"), [{ u: user }]);
        } finally {
          await db.close();
        }
      }
      const wrong = postgresDb(c.urlFor({ user: "supabase_read_only_user", password: "nope" }), { connectTimeoutSeconds: 5 });
      await assert.rejects(wrong.query("select 1"), (error: { code?: string }) => error.code === "28P01");
      await wrong.close();
      assert.equal(c.url, c.urlFor({ user: "supabase_admin" }));
    });

    test("supabase_read_only_user sees every job and run, but not pg_cron's settings", async () => {
      const c = cluster();
      const mine = await scheduleJob(c, "ro-postgres", "0 0 1 1 *", "select 'postgres'", { as: "postgres" });
      const admins = await scheduleJob(c, "ro-admin", "0 0 1 1 *", "select 'admin'");
      await c.createRole("someone_else", { password: "else-pw" });
      await c.sql("grant usage on schema cron to someone_else");
      const theirs = await scheduleJob(c, "ro-else", "0 0 1 1 *", "select 'else'", { as: "someone_else" });
      for (const jobid of [mine, admins, theirs]) {
        await insertRun(c, { jobid, status: "succeeded", return_message: "1 row", start_time: "2026-01-01T00:00:00Z", end_time: "2026-01-01T00:00:01Z" });
      }
      const count = async (role: string, table: string) =>
        (await c.sqlAs(role, `select count(*)::int as n from ${table} where jobid in ($1, $2, $3)`, [mine, admins, theirs]))[0].n;
      for (const table of ["cron.job", "cron.job_run_details"]) {
        assert.equal(await count("supabase_admin", table), 3);
        assert.equal(await count("supabase_read_only_user", table), 3, `${table} through pg_read_all_data and BYPASSRLS`);
        assert.equal(await count("postgres", table), 3, `${table} through BYPASSRLS`);
        // Without BYPASSRLS, pg_cron's row-level security shows a role only its own rows.
        assert.equal(await count("someone_else", table), 1);
      }
      const [users] = await c.sqlAs("supabase_read_only_user", "select array_agg(username::text order by username) as u from cron.job where jobid in ($1, $2, $3)", [mine, admins, theirs]);
      assert.deepEqual(users.u, ["postgres", "someone_else", "supabase_admin"]);

      // cron.* settings are superuser-only: current_setting(name, true) does not hide that
      // (missing_ok is for unknown names), and pg_settings leaves them out.
      await assert.rejects(
        c.sqlAs("supabase_read_only_user", "select current_setting('cron.log_run', true)"),
        /pg_read_all_settings/,
      );
      const [hidden] = await c.sqlAs("supabase_read_only_user", "select count(*)::int as n from pg_settings where name like 'cron.%'");
      assert.equal(hidden.n, 0);
      const [visible] = await c.sqlAs("postgres", "select current_setting('cron.log_run', true) as v");
      assert.equal(visible.v, "on", "postgres reads them through pg_monitor (pg_read_all_settings)");
      // Responses of pg_net are readable too.
      await c.sqlAs("supabase_read_only_user", "select count(*) from net._http_response");
      await c.sql("select cron.unschedule(jobid) from cron.job where jobid in ($1, $2, $3)", [mine, admins, theirs]);
    });

    test("to supabase_read_only_user the launcher's backend_type is NULL, its application_name 'pg_cron scheduler'", async () => {
      const c = cluster();
      await c.waitForLauncher();
      const query = `select backend_type, application_name, usename::text from pg_stat_activity
                      where application_name = 'pg_cron scheduler' or backend_type = 'pg_cron launcher'`;
      assert.deepEqual(await c.sqlAs("supabase_read_only_user", query), [
        { backend_type: null, application_name: "pg_cron scheduler", usename: "supabase_admin" },
      ]);
      // postgres has pg_monitor (so pg_read_all_stats) and sees it whole.
      assert.deepEqual(await c.sqlAs("postgres", query), [
        { backend_type: "pg_cron launcher", application_name: "pg_cron scheduler", usename: "supabase_admin" },
      ]);
    });

    test("a '5 seconds' job of postgres runs as postgres, and pg_net's worker answers jobs and sessions", async (t) => {
      const c = cluster();
      const closed = await closedPort();
      const before = target.counts();
      const jobs = {
        plain: await scheduleJob(c, "every-5s", "5 seconds", "select 1", { as: "postgres" }),
        ok: await scheduleJob(c, "net-ok", "5 seconds", `select net.http_get('${target.url("/ok")}')`, { as: "postgres" }),
        fail: await scheduleJob(c, "net-fail", "5 seconds", `select net.http_get('${target.url("/fail")}')`, { as: "postgres" }),
        closed: await scheduleJob(c, "net-closed", "5 seconds", `select net.http_get('http://127.0.0.1:${closed}/')`, { as: "postgres" }),
      };
      // A request from a session, with its id.
      const [direct] = await c.sqlAs<{ id: number }>("postgres", `select net.http_get('${target.url("/ok?from=session")}') as id`);
      const started = Date.now();
      try {
        const runs = await waitFor("a finished run of every job", 20_000, async () => {
          const rows = await c.sqlAs(
            "supabase_read_only_user",
            "select jobid, username, status, return_message from cron.job_run_details where jobid = any($1::bigint[]) and status in ('succeeded', 'failed')",
            [`{${Object.values(jobs).join(",")}}`],
          );
          return Object.values(jobs).every((id) => rows.some((r) => r.jobid === id)) ? rows : undefined;
        });
        t.diagnostic(`every job finished a run ${Date.now() - started} ms after scheduling`);
        for (const run of runs) {
          assert.deepEqual({ username: run.username, status: run.status, return_message: run.return_message }, {
            username: "postgres", status: "succeeded", return_message: "1 row",
          });
        }

        const responses = await waitFor("responses to the jobs' requests", 20_000, async () => {
          const rows = await c.sqlAs("supabase_read_only_user", "select * from net._http_response order by id");
          const ok = rows.find((r) => r.status_code === 200 && r.id !== direct!.id);
          const fail = rows.find((r) => r.status_code === 500);
          const refused = rows.find((r) => r.status_code === null && r.error_msg !== null);
          const session = rows.find((r) => r.id === direct!.id);
          return ok && fail && refused && session ? { ok, fail, refused, session } : undefined;
        });
        t.diagnostic(`responses written ${Date.now() - started} ms after scheduling`);
        assert.deepEqual(JSON.parse(responses.ok.content), { ok: true });
        assert.match(responses.ok.content_type, /^application\/json/);
        assert.equal(responses.ok.error_msg, null);
        assert.deepEqual(JSON.parse(responses.fail.content), { error: "failure requested" });
        assert.equal(responses.fail.error_msg, null, "an HTTP 500 is an answer, not an error");
        assert.match(responses.refused.error_msg, /connect/i);
        assert.notEqual(responses.refused.timed_out, true);
        assert.equal(responses.session.status_code, 200);

        const now = target.counts();
        assert.ok((now["/ok"] ?? 0) - (before["/ok"] ?? 0) >= 2, "the job's request and the session's reached the target");
        assert.ok((now["/fail"] ?? 0) - (before["/fail"] ?? 0) >= 1);
      } finally {
        await c.sqlAs("postgres", "select cron.unschedule(jobid) from cron.job where jobid = any($1::bigint[])", [
          `{${Object.values(jobs).join(",")}}`,
        ]);
      }
    });

    test("a request past its timeout leaves a row with the timeout in error_msg", async () => {
      const c = cluster();
      const [request] = await c.sqlAs<{ id: number }>(
        "postgres",
        `select net.http_get('${target.url("/hang")}', timeout_milliseconds := 300) as id`,
      );
      const row = await waitFor("the timed-out response", 15_000, async () => {
        const [found] = await c.sql("select * from net._http_response where id = $1", [request!.id]);
        return found;
      });
      assert.equal(row.status_code, null);
      assert.match(row.error_msg, /timeout/i);
      // 0.11 leaves timed_out NULL on a timeout; 0.20 sets it.
      assert.equal(row.timed_out, expected.set === "pinned" ? null : true);
    });
  });
}

describe("where the sets live", () => {
  test("the harness finds each set where scripts/build-extensions.sh puts it", async (t) => {
    const started = Date.now();
    const { stdout } = await promisify(execFile)("bash", ["scripts/build-extensions.sh", "debian", "pinned", "latest"], { cwd: repoRoot });
    t.diagnostic(`build-extensions.sh with every set built: ${Date.now() - started} ms`);
    const printed = Object.fromEntries(stdout.trim().split("\n").map((line) => /^(\w+): (\S+)/.exec(line)!.slice(1, 3)));
    assert.equal(printed.debian, "/usr/lib/postgresql/15");
    for (const set of ["pinned", "latest"] as const) {
      assert.equal(extensionSetRoot(set), printed[set]);
      assert.equal(extensionSetBin(set), path.join(printed[set]!, "usr/lib/postgresql/15/bin"));
      // The postgres OS user runs the servers from there.
      assert.equal(fs.statSync(printed[set]!).mode & 0o005, 0o005);
    }
    assert.equal(extensionSetRoot("debian"), null);
  });

  test("a set that is not built is a clear error naming the script", () => {
    const saved = process.env.JOBMON_EXT_CACHE;
    process.env.JOBMON_EXT_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), "jobmon-ext-empty-"));
    try {
      assert.throws(() => extensionSetBin("latest"), /'latest' extension set \(pg_cron 1\.6\.7 \+ pg_net 0\.20\.5\) is not built: run scripts\/build-extensions\.sh/);
    } finally {
      fs.rmSync(process.env.JOBMON_EXT_CACHE, { recursive: true, force: true });
      if (saved === undefined) delete process.env.JOBMON_EXT_CACHE;
      else process.env.JOBMON_EXT_CACHE = saved;
    }
  });
});

describe("a quiet cluster on pg_cron 1.6", () => {
  test("the launcher tries a '1 seconds' job, but no command runs and no run row stays", async () => {
    const q: PgCronCluster = await startPgCronCluster({ set: "latest", supabase: true, quiet: true, name: "quiet16" });
    try {
      const jobid = await scheduleJob(q, "would-write", "1 seconds", "create table ran_for_real ()", { as: "postgres" });
      await waitFor("the launcher's attempts", 15_000, async () => {
        const rows = await q.sql("select 1 from public.jobmon_harness_dropped_runs where jobid = $1", [jobid]);
        return rows.length > 0 ? rows : undefined;
      });
      assert.deepEqual(await q.sql("select runid from cron.job_run_details"), []);
      const [ran] = await q.sql("select to_regclass('public.ran_for_real') as t");
      assert.equal(ran.t, null, "the job's command did not run");
    } finally {
      await q.stop();
    }
  });
});
