import { pgliteTemplate } from "../node/pglite-template.js";
import { PGlite, types } from "@electric-sql/pglite";
import { fromPGlite, pgliteStartParams } from "../db/pglite.js";
import type { Db } from "../db/types.js";
import type { ProjectConnector } from "../sources/connect.js";
import { SAMPLE_PG_CRON_VERSION, type SampleProjectData } from "./sample.js";

/**
 * The sample projects' databases: in-memory PGlite databases that answer jobmon's project
 * queries (src/sources/pgcron.ts, pgnet.ts) the way a Supabase database with pg_cron 1.6 and
 * pg_net does. Only the demo writes SQL here: these are its own throwaway databases, not
 * monitored projects.
 */

// int8 as number, as src/db/pglite.ts and the postgres.js adapter do (runid, jobid are bigint).
const PARSERS = { [types.INT8]: (value: string) => Number(value) };

/**
 * pg_cron's own tables, exactly as pg_cron 1.6 creates them (citusdata/pg_cron
 * pg_cron.sql, pg_cron--1.0--1.1.sql, --1.2--1.3.sql, --1.3--1.4.sql; 1.5 and 1.6 change no
 * table), with its row-level security; and pg_net's response table as supabase/pg_net
 * creates it (unlogged, indexed on `created` only).
 */
const PG_CRON_AND_PG_NET_TABLES = `
create schema cron;
comment on schema cron is 'jobmon demo: a copy of pg_cron''s tables holding a made-up sample history (not a real pg_cron)';
create sequence cron.jobid_seq;
create table cron.job (
  jobid bigint primary key default nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport int not null default inet_server_port(),
  database text not null default current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname name,
  constraint jobname_username_uniq unique (jobname, username)
);
grant select on cron.job to public;
alter table cron.job enable row level security;
create policy cron_job_policy on cron.job using (username = current_user);

create sequence cron.runid_seq;
create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
grant select on cron.job_run_details to public;
alter table cron.job_run_details enable row level security;
create policy cron_job_run_details_policy on cron.job_run_details using (username = current_user);

create schema net;
comment on schema net is 'jobmon demo: a copy of pg_net''s response table holding made-up responses (not a real pg_net)';
create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index on net._http_response (created);
`;

/**
 * PGlite has no pg_cron extension and runs no background workers, so two catalog answers
 * jobmon relies on are simulated here, openly: a pg_cron row in pg_extension (the version
 * decides schedule semantics) and a 'pg_cron launcher' row in pg_stat_activity (without it
 * the project is judged scheduler_down). Both views add one row to the real catalog view.
 * They sit in a schema listed BEFORE pg_catalog in search_path: PostgreSQL searches
 * pg_catalog in its listed position when the path names it, so an unqualified
 * `pg_extension` finds these views; the product's SQL stays as it is.
 */
const PG_CRON_STAND_INS = `
create schema demo_pg_cron;
comment on schema demo_pg_cron is 'jobmon demo: stand-ins for pg_cron''s catalog entry and its background worker (PGlite has neither)';
create view demo_pg_cron.pg_extension as
  select * from pg_catalog.pg_extension
  union all
  select (jsonb_populate_record(null::pg_catalog.pg_extension, jsonb_build_object(
    'oid', 0, 'extname', 'pg_cron', 'extowner', 10, 'extnamespace', 11, 'extrelocatable', false, 'extversion', '${SAMPLE_PG_CRON_VERSION}'))).*
  union all
  select (jsonb_populate_record(null::pg_catalog.pg_extension, jsonb_build_object(
    'oid', 0, 'extname', 'pg_net', 'extowner', 10, 'extnamespace', 11, 'extrelocatable', false, 'extversion', '0.14.0'))).*;
comment on view demo_pg_cron.pg_extension is 'jobmon demo: pg_extension plus simulated pg_cron and pg_net rows';
create view demo_pg_cron.pg_stat_activity as
  select * from pg_catalog.pg_stat_activity
  union all
  select (jsonb_populate_record(null::pg_catalog.pg_stat_activity, jsonb_build_object(
    'datname', 'postgres', 'usename', 'postgres', 'application_name', 'pg_cron scheduler',
    'backend_type', 'pg_cron launcher', 'state', 'idle', 'backend_start', now() - interval '9 days'))).*;
comment on view demo_pg_cron.pg_stat_activity is 'jobmon demo: pg_stat_activity plus a simulated pg_cron launcher (PGlite runs no background workers)';
`;

/**
 * Per session: the search path that puts the stand-ins first, and pg_cron's and pg_net's
 * settings as Supabase has them (cron.timezone GMT, runs logged, jobs launched; responses
 * kept 6 hours).
 */
const SESSION = `
set search_path = demo_pg_cron, pg_catalog, public;
set cron.timezone = 'GMT';
set cron.log_run = 'on';
set cron.launch_active_jobs = 'on';
set pg_net.ttl = '6 hours';
`;

export interface SampleDatabases {
  /** One database per sample project, by name. */
  projects: Map<string, Db>;
  /** A pristine PGlite data directory (tarball), for seeding the embedded hub without another initdb. */
  pristine: Blob;
  /** Fills the projects' tables with their sample history. */
  load(data: readonly SampleProjectData[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates one empty database per project (the data comes later, from `load`, so that the
 * history ends as close as possible to the check). `initdb` is what makes a PGlite
 * database slow to create (seconds), so it runs once: the first database is dumped before
 * and after the shared schema, and the others (and the hub, see run.ts) are loaded from
 * those dumps.
 */
export async function createSampleDatabases(projectNames: readonly string[]): Promise<SampleDatabases> {
  // With the build's template, even the first database skips initdb.
  const template = pgliteTemplate();
  const first = await PGlite.create({ parsers: PARSERS, startParams: pgliteStartParams(), ...(template ? { loadDataDir: template } : {}) });
  const instances: PGlite[] = [first];
  try {
    const pristine = template ?? (await first.dumpDataDir("none"));
    await first.exec(PG_CRON_AND_PG_NET_TABLES + PG_CRON_STAND_INS);
    const withSchema = await first.dumpDataDir("none");
    for (let i = 1; i < projectNames.length; i++) instances.push(await PGlite.create({ loadDataDir: withSchema, parsers: PARSERS, startParams: pgliteStartParams() }));
    const byName = new Map<string, PGlite>();
    for (const [i, name] of projectNames.entries()) {
      const pg = instances[i] as PGlite;
      await pg.exec(SESSION);
      byName.set(name, pg);
    }
    return {
      projects: new Map([...byName].map(([name, pg]) => [name, fromPGlite(pg)])),
      pristine,
      async load(data) {
        for (const project of data) {
          const pg = byName.get(project.project);
          if (!pg) throw new Error(`no sample database for project ${project.project}`);
          await loadSample(pg, project);
        }
      },
      async close() {
        await Promise.all(instances.map((pg) => pg.close()));
      },
    };
  } catch (error) {
    await Promise.all(instances.map((pg) => pg.close().catch(() => {})));
    throw error;
  }
}

async function loadSample(pg: PGlite, data: SampleProjectData): Promise<void> {
  await pg.transaction(async (tx) => {
    // nodeport: pg_cron's default is inet_server_port(), which is NULL without a TCP listener.
    await tx.query(
      `insert into cron.job (jobid, jobname, schedule, command, nodename, nodeport, database, username, active)
       select j.jobid, j.jobname, j.schedule, j.command, 'localhost', 5432, 'postgres', 'postgres', j.active
         from jsonb_to_recordset($1::text::jsonb) as j(jobid bigint, jobname text, schedule text, command text, active boolean)`,
      [JSON.stringify(data.jobs)],
    );
    await tx.query(
      `insert into cron.job_run_details (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
       select r.jobid, r.runid, r.job_pid, r.database, r.username, r.command, r.status, r.return_message, r.start_time, r.end_time
         from jsonb_to_recordset($1::text::jsonb) as r(jobid bigint, runid bigint, job_pid integer, database text, username text,
              command text, status text, return_message text, start_time timestamptz, end_time timestamptz)`,
      [JSON.stringify(data.runs)],
    );
    await tx.query(
      `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg, created)
       select r.id, r.status_code, r.content_type, r.headers, r.content, r.timed_out, r.error_msg, r.created
         from jsonb_to_recordset($1::text::jsonb) as r(id bigint, status_code integer, content_type text, headers jsonb,
              content text, timed_out boolean, error_msg text, created timestamptz)`,
      [JSON.stringify(data.responses)],
    );
    await tx.query("select setval('cron.jobid_seq', (select max(jobid) from cron.job))");
    await tx.query("select setval('cron.runid_seq', coalesce((select max(runid) from cron.job_run_details), 1))");
  });
}

/**
 * The ProjectConnector the demo hands to MonitoringAPI: the sample database, with a `close`
 * that leaves it open (withProject closes its connection after every collection).
 */
export function sampleConnector(projects: ReadonlyMap<string, Db>): ProjectConnector {
  return (project) => {
    const db = projects.get(project.name);
    if (!db) throw new Error(`no sample database for project ${project.name}`);
    return { ...db, close: async () => {} };
  };
}
