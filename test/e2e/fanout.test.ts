/**
 * A fanned-out Edge cycle under the real Deno functions: 200 projects (on two clusters: what
 * counts is connections, rows and jobs), a hub with pg_cron 1.6, pg_net and pgmq as on
 * Supabase, workers started by the hub's pg_net, and the functions server killed while one
 * worker is in the middle of recording its batch and another has recorded its batch but not
 * yet archived its message. The hub's pg_cron resumes the cycle (monitoring.resume_check_cycles); it ends
 * with every project checked exactly once, every alert delivered exactly once, and one
 * heartbeat.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { migrate } from "../../src/hub/migrate.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.js";
import { FakeHttpServer, type FakeReply } from "../fakes/http-server.js";
import { freePort, insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { call, type FunctionsServer, startFunctionsServer } from "../helpers/functions-server.js";
import { waitFor } from "../helpers/wait.js";

const RESUME_MIGRATION = new URL("../../supabase/migrations/20261208000200_schedule_check_resume.sql", import.meta.url);
const PROJECTS = 200;
const BATCH = 25;
const SECRET = `fanout-${randomBytes(12).toString("hex")}`;
/** The project whose batch's worker is killed while recording it. */
const HANGING = "p013";
/** The batch whose worker is killed after recording, while archiving its message. */
const ARCHIVE_STALLED_BATCH = 5;

const hubs = usePgCronClusters(1, { set: "pinned", name: "fanout-e2e-hub", settings: { max_connections: 120 } });
const sources = usePgCronClusters(2, { quiet: true, name: "fanout-e2e-src", settings: { max_connections: 160 } });

class Heartbeat extends FakeHttpServer {
  constructor() {
    super();
  }
  protected handle(): FakeReply {
    return { status: 200, body: "OK" };
  }
}

const names = Array.from({ length: PROJECTS }, (_, i) => `p${String(i + 1).padStart(3, "0")}`);

describe("a fanned-out check cycle of 200 projects under the real Deno functions, with a worker killed mid-batch", () => {
  let hubCluster: PgCronCluster;
  let hub: Db;
  let discord: FakeDiscord;
  let heartbeat: Heartbeat;
  let server: FunctionsServer | undefined;
  let port: number;
  let env: Record<string, string>;

  before(async () => {
    hubCluster = hubs()[0]!;
    const [a, b] = sources();
    for (const c of [a!, b!]) {
      await c.waitForLauncher();
      const failing = await scheduleJob(c, "nightly-export", "0 3 * * *", "select 1");
      await scheduleJob(c, "refresh", "0 0 1 1 *", "select 2");
      await insertRun(c, { jobid: failing, status: "failed", return_message: "ERROR:  disk full", start_time: new Date(Date.now() - 60_000), end_time: new Date(Date.now() - 59_000) });
    }
    await hubCluster.sql("create extension if not exists pgmq");
    hub = postgresDb(hubCluster.url, { max: 4 });
    await migrate(hub);
    // Stalls the archiving of one batch's message (after its worker recorded the batch) until the
    // test has killed the functions server.
    await hubCluster.sql(`create or replace function public.stall_archive() returns trigger language plpgsql as $$
      begin
        if (new.message->>'batch')::int = ${ARCHIVE_STALLED_BATCH} and new.read_ct = 1 then perform pg_sleep(120); end if;
        return new;
      end $$`);
    await hubCluster.sql("create trigger stall_archive before insert on pgmq.a_jobmon_check for each row execute function public.stall_archive()");
    // Stalls the first worker of the hanging project's batch in the middle of recording it (before
    // its transaction commits; whatever it read of the project): killed there, it leaves nothing recorded.
    await hubCluster.sql(`create or replace function public.stall_record() returns trigger language plpgsql as $$
      begin
        if new.project_name = '${HANGING}'
           and (select max(claims) from monitoring.check_cycle_project where project_name = '${HANGING}') = 1 then
          perform pg_sleep(120);
        end if;
        return new;
      end $$`);
    await hubCluster.sql("create trigger stall_record before insert or update on monitoring.project_state for each row execute function public.stall_record()");
    discord = await startFakeDiscord();
    heartbeat = await new Heartbeat().listen();
    port = await freePort();
    env = {
      SUPABASE_DB_URL: hubCluster.url,
      JOBMON_FUNCTION_SECRET: SECRET,
      JOBMON_FUNCTIONS_URL: `http://127.0.0.1:${port}`,
      JOBMON_FANOUT: "on",
      JOBMON_FANOUT_BATCH: String(BATCH),
      // Each worker opens its 25 projects at once in one Deno process, on a machine running other
      // tests: SCRAM logins alone take seconds of CPU there.
      JOBMON_PROJECT_TIMEOUT: "20s",
      JOBMON_PROJECT_NAMES: names.join(","),
      DISCORD_WEBHOOK_URL: discord.webhookUrl,
      JOBMON_HEARTBEAT_URL: `${heartbeat.baseUrl}/ping/fanout`,
    };
    names.forEach((name, i) => {
      const cluster = i % 2 === 0 ? a! : b!;
      env[i === 0 ? "JOBMON_POSTGRES_URL" : `JOBMON_POSTGRES_URL_${i + 1}`] = cluster.url;
    });
    server = await startFunctionsServer(env, { port });
  });
  after(async () => {
    await server?.stop();
    await discord?.close();
    await heartbeat?.close();
    await hub?.close();
  });

  it("checks every project exactly once, delivers every alert exactly once, and pings the heartbeat once", async () => {
    const planned = await call(server!, "check-job-health", { token: SECRET, raw: "{}" });
    assert.equal(planned.status, 202, planned.text);
    assert.deepEqual([planned.json.projects, planned.json.batches, planned.json.workers], [PROJECTS, PROJECTS / BATCH, PROJECTS / BATCH]);
    const cycleId: string = planned.json.cycle;

    const progress = async () =>
      (await hub.query<{ checked: number; queued: number; stalled: number; answered: number }>(
        `select (select count(*)::int from monitoring.check_cycle_project where cycle_id = $1 and checked_at is not null) as checked,
                (select count(*)::int from net._http_response where status_code = 200) as answered,
                (select count(*)::int from pgmq.q_jobmon_check where message->>'cycle' = $1::text) as queued,
                (select count(*)::int from pg_stat_activity where wait_event = 'PgSleep') as stalled`,
        [cycleId],
      ))[0]!;
    // Everything done but two batches: the hanging project's (its worker stalled while recording)
    // and the stalled one's (recorded, archiving). The six other workers have answered (their alerts sent).
    await waitFor("six batches done, one worker stalled recording, one stalled archiving", 150_000, async () => {
      const p = await progress();
      return p.checked === PROJECTS - BATCH && p.queued === 2 && p.stalled === 2 && p.answered === PROJECTS / BATCH - 2 ? p : undefined;
    });

    // Kill the functions server: both workers die (SIGKILL, no clean-up), and their hub sessions
    // with them (the stalled statements are ended as PostgreSQL ends a dead client's).
    await server!.kill();
    await hubCluster.sql("select pg_terminate_backend(pid) from pg_stat_activity where wait_event = 'PgSleep'");
    server = await startFunctionsServer(env, { port });
    // The hub's pg_cron resumes the cycle: the deployed job (supabase/migrations/…_schedule_check_resume.sql,
    // reading Vault, here a stand-in table), run every 5 s instead of every minute.
    await hubCluster.sql("create schema if not exists vault");
    await hubCluster.sql("create table if not exists vault.decrypted_secrets (name text primary key, decrypted_secret text)");
    await hubCluster.sql("insert into vault.decrypted_secrets values ('jobmon_project_url', $1), ('jobmon_function_secret', $2)", [`http://127.0.0.1:${port}`, SECRET]);
    await hubCluster.sql(fs.readFileSync(RESUME_MIGRATION, "utf8"));
    const [resume] = await hubCluster.sql<{ jobid: number; schedule: string }>("select jobid, schedule from cron.job where jobname = 'jobmon-check-resume'");
    assert.equal(resume?.schedule, "* * * * *");
    await hubCluster.sql("select cron.alter_job($1, schedule := '5 seconds')", [resume!.jobid]);

    // Complete, and its last worker done: alerts sent, heartbeat pinged, summary written.
    const done = await waitFor("the cycle to complete", 120_000, async () => {
      const [c] = await hub.query<{ status: string }>("select status from monitoring.check_cycle where id = $1 and summary is not null", [cycleId]);
      return c?.status === "completed" ? c : undefined;
    });
    assert.equal(done.status, "completed");
    await hubCluster.sql("select cron.unschedule('jobmon-check-resume')");
    const resumed = await hubCluster.sql<{ status: string; n: number }>("select status, count(*)::int as n from cron.job_run_details where jobid = $1 group by 1", [resume!.jobid]);
    // A run may still be going when the job is unscheduled; none failed.
    assert.ok(resumed.some((r) => r.status === "succeeded" && r.n > 0), "the resume job ran");
    assert.ok(!resumed.some((r) => r.status === "failed"), `the resume job never failed: ${JSON.stringify(resumed)}`);

    // Every project checked exactly once: one mark, and one health-log row per job.
    const rows = await hub.query<{ project_name: string; batch: number; claims: number; check_id: string; status: string; reason: string }>(
      "select project_name, batch, claims, check_id::text, report->'project'->>'status' as status, report->'project'->>'reason' as reason from monitoring.check_cycle_project where cycle_id = $1 and checked_at is not null",
      [cycleId],
    );
    assert.equal(rows.length, PROJECTS);
    assert.deepEqual(rows.filter((r) => r.status !== "ok").map((r) => `${r.project_name}: ${r.status} (${r.reason})`), [], "every project read");
    const hangingBatch = rows.find((r) => r.project_name === HANGING)!.batch;
    for (const r of rows) assert.equal(r.claims, r.batch === hangingBatch ? 2 : 1, `${r.project_name}: claimed ${r.claims} time(s)`);
    const checkIds = [...new Set(rows.map((r) => r.check_id))];
    assert.equal(checkIds.length, PROJECTS / BATCH);
    const logRows = await hub.query<{ project_name: string; n: number }>(
      `select j.project_name, count(*)::int as n from monitoring.job_health_log l join monitoring.job_inventory j on j.id = l.job_inventory_id
        where l.check_id::text in (select jsonb_array_elements_text($1::text::jsonb)) and l.run_id is null group by 1`,
      [JSON.stringify(checkIds)],
    );
    assert.equal(logRows.length, PROJECTS);
    assert.ok(logRows.every((r) => r.n === 2), "two jobs, one row each, per project");

    // Every alert delivered exactly once: one event per project (nightly-export failed), each
    // delivered once, each in Discord once.
    const events = await hub.query<{ id: string; project_name: string }>(
      "select id::text, project_name from monitoring.alert_event where check_id::text in (select jsonb_array_elements_text($1::text::jsonb))",
      [JSON.stringify(checkIds)],
    );
    assert.equal(events.length, PROJECTS);
    const delivered = await hub.query<{ event_id: string; n: number }>(
      "select event_id::text, count(*)::int as n from monitoring.alert_delivery where status = 'delivered' group by 1",
    );
    const statuses = await hub.query("select status, left(coalesce(last_error, ''), 200) as error, count(*)::int as n from monitoring.alert_delivery group by 1, 2");
    assert.equal(delivered.length, PROJECTS, JSON.stringify(statuses));
    assert.ok(delivered.every((d) => d.n === 1));
    const titles = discord.messages.flatMap((m) => m.embeds.map((e) => String((e as { title?: string }).title)));
    for (const name of names) assert.equal(titles.filter((t) => t.includes(`${name} / nightly-export`)).length, 1, `${name}'s alert sent once`);

    assert.equal(heartbeat.requests.length, 1, "the heartbeat is pinged once, when the whole cycle completes");
    const [cycle] = await hub.query<{ summary: { checked: number; unchecked: string[]; heartbeat: string } }>("select summary from monitoring.check_cycle where id = $1", [cycleId]);
    assert.deepEqual([cycle!.summary.checked, cycle!.summary.unchecked, cycle!.summary.heartbeat], [PROJECTS, [], "ok"]);
  });
});
