/**
 * The benchmark's monitored project: one throwaway PostgreSQL 15 + pg_cron cluster (the test
 * harness), with pg_stat_statements, two login roles and set-based generators for a
 * realistic `cron.job_run_details`.
 */
import { postgresDb } from "../src/db/postgres.js";
import { EXTENSION_SETS, type ExtensionSet } from "../test/harness/extension-sets.js";
import { startPgCronCluster, type PgCronCluster } from "../test/harness/pgcron.js";

/** jobmon's connection: a read-only role with BYPASSRLS, as Supabase's supabase_read_only_user. */
export const READER = { user: "jobmon_reader", password: "bench-reader-pw" } as const;
/** The seed's connection: a separate role, so pg_stat_statements tells the two apart. */
export const SEED = { user: "seed_app", password: "bench-seed-pw" } as const;

/** History spread over the past 28 days: the seed's 7-day window holds a quarter of it. */
export const HISTORY_DAYS = 28;

export const CLUSTER_SETTINGS = {
  // pg_stat_statements measures every statement server-side (time and buffers).
  shared_preload_libraries: "pg_cron,pg_stat_statements",
  "pg_stat_statements.track": "all",
  "pg_stat_statements.track_planning": true,
  "pg_stat_statements.max": 5000,
  // Supabase's smallest computes run with 128 MB of shared buffers (the harness default is 32 MB).
  shared_buffers: "128MB",
  // 50 fan-out connections, the hub's pool and the bench's own connections.
  max_connections: 120,
  // Generation speed only: a truncate and insert in one transaction skip the WAL.
  wal_level: "minimal",
  max_wal_senders: 0,
  max_wal_size: "8GB",
  checkpoint_timeout: "1h",
  maintenance_work_mem: "256MB",
} as const;

/**
 * `supabase`: Supabase's role model (test/harness/supabase-roles.ts: `supabase_read_only_user`
 * reads, `supabase_admin` is the superuser); `set`: the extension set (one with pg_net keeps it
 * preloaded); `settings`: over CLUSTER_SETTINGS (e.g. more connections for a check that opens
 * hundreds of projects on one cluster).
 */
export async function startBenchCluster(
  name = "bench",
  opts: { supabase?: boolean; set?: ExtensionSet; settings?: Record<string, string | number | boolean> } = {},
): Promise<PgCronCluster> {
  const pgNet = opts.set !== undefined && EXTENSION_SETS[opts.set].pgNet !== null;
  const settings = { ...CLUSTER_SETTINGS, ...(pgNet ? { shared_preload_libraries: "pg_cron,pg_net,pg_stat_statements" } : {}), ...opts.settings };
  // Quiet: the launcher runs (so the scheduler looks healthy) but none of its runs reaches
  // cron.job_run_details, whose rows are exactly the ones the bench writes.
  const cluster = await startPgCronCluster({ name, settings, quiet: true, supabase: opts.supabase, set: opts.set });
  await cluster.waitForLauncher();
  await cluster.sql("create extension if not exists pg_stat_statements");
  for (const role of [READER, SEED]) {
    await cluster.createRole(role.user, { password: role.password, bypassrls: true });
    await cluster.sql(`grant usage on schema cron to ${role.user}`);
    await cluster.sql(`grant select on all tables in schema cron to ${role.user}`);
    await cluster.sql(`grant pg_read_all_stats, pg_read_all_settings to ${role.user}`);
  }
  await installNewRunsFunction(cluster);
  return cluster;
}

/** A realistic mix: most jobs every few minutes, some hourly, daily, weekly or monthly (pg_cron 1.4 has no seconds intervals). */
const SCHEDULES = [
  "* * * * *", "*/5 * * * *", "*/5 * * * *", "*/10 * * * *", "*/15 * * * *", "*/15 * * * *", "*/30 * * * *",
  "0 * * * *", "0 * * * *", "15 */2 * * *", "0 9-17 * * 1-5", "30 2 * * *", "0 4 * * 0", "0 0 1 * *", "*/2 * * * *",
];

/** Replaces every cron job with `count` jobs named job_001 … (jobids follow pg_cron's sequence). */
export async function scheduleJobs(cluster: PgCronCluster, count: number): Promise<number[]> {
  await cluster.sql("select cron.unschedule(jobid) from cron.job");
  const rows = await cluster.sql<{ jobid: number }>(
    `select cron.schedule(format('job_%s', lpad(i::text, 3, '0')), ($2::text[])[1 + (i - 1) % cardinality($2::text[])],
                          format('select public.sync_batch_%s()', i)) as jobid
       from generate_series(1, $1::int) as i`,
    [count, SCHEDULES],
  );
  return rows.map((r) => r.jobid);
}

/**
 * Replaces cron.job_run_details with `rows` runs of the scheduled jobs: runids 1…rows in
 * start order over the past HISTORY_DAYS days, about 96.5 % succeeded and 3.5 % failed with
 * pg_cron's error texts, stored in runid order as pg_cron appends them. One set-based insert
 * (deterministic pseudo-random mix, so every run of the bench sees the same data), then
 * vacuum analyze.
 */
export async function generateHistory(cluster: PgCronCluster, rows: number): Promise<void> {
  const jobs = await jobCount(cluster);
  const db = postgresDb(cluster.url, { max: 1, applicationName: "jobmon-bench" });
  try {
    // Truncate and insert in one transaction: with wal_level = minimal the new relfilenode
    // is written without WAL, which makes 5 M rows a matter of seconds.
    await db.transaction(async (tx) => {
      await tx.query("set local jit = off");
      // The quiet cluster's trigger (test/harness/pgcron.ts) is for pg_cron's launcher alone.
      await tx.query("set local session_replication_role = replica");
      await tx.query("truncate cron.job_run_details");
      // The primary key is dropped and rebuilt (same name, same definition): a sorted index
      // build is ~4x cheaper than maintaining it row by row.
      await tx.query("alter table cron.job_run_details drop constraint job_run_details_pkey");
      await tx.query(
        `insert into cron.job_run_details
           (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
         select j.jobid, g.i, 20000 + (g.i % 40000)::int, j.database, j.username, j.command,
                case when g.r < 35 then 'failed' else 'succeeded' end,
                case when g.r < 20 then 'ERROR:  canceling statement due to statement timeout'
                     when g.r < 35 then E'ERROR:  duplicate key value violates unique constraint "leads_pkey"\\nDETAIL:  Key (id)=(' || g.i || ') already exists.'
                     when g.r < 500 then 'SELECT 1'
                     else 'INSERT 0 ' || (g.i % 500) end,
                g.start, g.start + make_interval(secs => 0.02::float8 + (g.r % 997) / 40.0::float8)
           from (select i, ((i * 2654435761) % 1000)::int as r,
                        now() - make_interval(days => $2::int) + (make_interval(days => $2::int) - interval '20 minutes') * (i::float8 / $1::bigint) as start
                   from generate_series(1, $1::bigint) as i) as g
           join (select jobid, database, username, command, row_number() over (order by jobid) - 1 as k from cron.job) as j
             on j.k = (g.i * 7919) % $3::int
          order by g.i`,
        [rows, HISTORY_DAYS, jobs],
      );
      await tx.query("alter table cron.job_run_details add constraint job_run_details_pkey primary key (runid)");
      await tx.query("select setval('cron.runid_seq', $1::bigint)", [rows]);
      await tx.query("update public.bench_history set generated = $1::bigint", [rows]);
    });
  } finally {
    await db.close();
  }
  await cluster.sql("vacuum analyze cron.job_run_details");
}

async function jobCount(cluster: PgCronCluster): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>("select count(*)::int as n from cron.job");
  if (!row?.n) throw new Error("schedule the jobs before generating their history");
  return row.n;
}

/**
 * `public.bench_new_runs(n, open)`: `n` new runs since the last check (the last ~15 minutes,
 * spread over every job), as pg_cron writes them: runids from its sequence, ~3.5 % failed,
 * and the last `open` still running (the next check re-reads them by runid). The runs the
 * previous call added are deleted first — but the ones left running, which have finished
 * since — so the table keeps the generated history plus about `n`: every repetition of a
 * steady-state check sees the same history size. A function, so the workers (child
 * processes) add runs with one statement of their own.
 */
async function installNewRunsFunction(cluster: PgCronCluster): Promise<void> {
  // The highest generated runid: what bench_new_runs added is above it.
  await cluster.sql("create table public.bench_history (generated bigint not null)");
  await cluster.sql("insert into public.bench_history values (0)");
  await cluster.sql(
    `create or replace function public.bench_new_runs(n int, open_runs int default 3) returns void
     language sql as $fn$
     delete from cron.job_run_details where runid > (select generated from public.bench_history) and status <> 'running';
     update cron.job_run_details set status = 'succeeded', return_message = 'SELECT 1', end_time = now() - interval '14 minutes'
      where runid > (select generated from public.bench_history) and status = 'running';
     insert into cron.job_run_details
       (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
     select j.jobid, nextval('cron.runid_seq'), 60000 + g.i, j.database, j.username, j.command,
            case when g.i > n - open_runs then 'running' when h.r < 35 then 'failed' else 'succeeded' end,
            case when g.i > n - open_runs then null
                 when h.r < 35 then 'ERROR:  canceling statement due to statement timeout'
                 else 'SELECT 1' end,
            now() - interval '15 minutes' + interval '14 minutes' * (g.i::float8 / n),
            case when g.i > n - open_runs then null
                 else now() - interval '15 minutes' + interval '14 minutes' * (g.i::float8 / n) + interval '2 seconds' end
       from generate_series(1, n) as g(i)
       cross join lateral (select ((g.i * 2654435761 + (extract(epoch from clock_timestamp()) * 1000)::bigint) % 1000)::int as r) as h
       join (select jobid, database, username, command, row_number() over (order by jobid) - 1 as k from cron.job) as j
         on j.k = g.i % (select count(*) from cron.job)
      order by g.i
     $fn$`,
  );
}

export async function insertNewRuns(cluster: PgCronCluster, count: number, open = 3): Promise<void> {
  await cluster.sql("select public.bench_new_runs($1::int, $2::int)", [count, open]);
}

/** A fresh database for a hub on the same cluster (jobmon's own writes stay out of the measured database). */
export async function createHubDatabase(cluster: PgCronCluster, name: string): Promise<string> {
  await cluster.sql(`drop database if exists ${name}`);
  await cluster.sql(`create database ${name}`);
  return cluster.urlFor({ database: name });
}
