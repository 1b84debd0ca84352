-- jobmon:hub
-- Fanned-out check cycles (src/check/cycle.ts, docs/deploy.md "Hundreds of projects").
--
-- A cycle is one scheduled check split into batches of projects: the call that plans it writes
-- one row here, one row per project, and one message per batch into the Supabase Queues (pgmq)
-- queue `jobmon_check`, then starts worker invocations through pg_net. A worker reads a
-- message with a visibility timeout, claims the message's projects in check_cycle_project
-- (a claim lasts as long as the message stays invisible), checks them and, in the
-- transaction that records their results, marks them checked. A worker that dies leaves its
-- message to reappear and its claims to expire: another worker takes both. A project already
-- marked checked in a cycle is never checked again in that cycle.

create table if not exists monitoring.check_cycle (
  id uuid primary key,
  started_at timestamptz not null,
  -- The end of the cycle's window: a project not checked by then is reported unchecked.
  deadline timestamptz not null,
  status text not null default 'running' check (status in ('running', 'completed', 'incomplete')),
  finished_at timestamptz,
  projects integer not null,
  batches integer not null,
  workers_started integer not null default 0,
  -- Said once for the cycle when it was planned (the project list's notes).
  notes jsonb not null default '[]'::jsonb,
  -- When finished: counts, the unchecked projects, and the heartbeat's outcome.
  summary jsonb
);
create index if not exists check_cycle_running_idx on monitoring.check_cycle (started_at) where status = 'running';

create table if not exists monitoring.check_cycle_project (
  cycle_id uuid not null references monitoring.check_cycle (id) on delete cascade,
  project_name text not null,
  batch integer not null,
  claimed_by text,
  claimed_until timestamptz,
  claims integer not null default 0,
  checked_at timestamptz,
  -- The check run (one per batch a worker recorded) that checked the project.
  check_id uuid,
  -- The project's entry in that check's report, for the cycle's report.
  report jsonb,
  -- When the worker that checked it had sent its batch's alerts: the cycle's last worker sends
  -- those of the batches whose worker died before.
  alerts_sent_at timestamptz,
  primary key (cycle_id, project_name)
);
create index if not exists check_cycle_project_unchecked_idx on monitoring.check_cycle_project (cycle_id) where checked_at is null;

-- Called every minute by the hub's pg_cron on Supabase (supabase/migrations/…_schedule_check_resume.sql):
-- while a cycle runs, starts one worker per batch message that is visible again (its worker
-- died, or was never started) and has waited at least min_age_seconds, and one more to close
-- a cycle past its deadline. Returns how many calls it queued in pg_net. Costs one indexed
-- lookup when no cycle runs.
create or replace function monitoring.resume_check_cycles(functions_url text, bearer text, max_calls integer default 20, min_age_seconds integer default 30)
returns integer
language plpgsql
as $$
declare
  due integer := 0;
  calls integer;
begin
  if not exists (select 1 from monitoring.check_cycle where status = 'running') then
    return 0;
  end if;
  if to_regclass('pgmq.q_jobmon_check') is not null then
    execute 'select count(*)::int from pgmq.q_jobmon_check where vt <= now() and enqueued_at <= now() - make_interval(secs => $1)'
      into due using min_age_seconds;
  end if;
  if due = 0 and exists (select 1 from monitoring.check_cycle where status = 'running' and deadline < now()) then
    due := 1;
  end if;
  calls := least(due, greatest(max_calls, 0));
  for i in 1..calls loop
    perform net.http_post(
      url := functions_url || '/functions/v1/check-job-health',
      headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || bearer),
      body := jsonb_build_object('worker', true),
      timeout_milliseconds := 150000
    );
  end loop;
  return calls;
end
$$;

-- The queue, where Supabase Queues is already enabled; otherwise the first fanned-out cycle
-- creates it (or says how to enable Supabase Queues and checks in one invocation).
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pgmq') and to_regclass('pgmq.q_jobmon_check') is null then
    perform pgmq.create('jobmon_check');
  end if;
end
$$;

alter table monitoring.check_cycle enable row level security;
alter table monitoring.check_cycle_project enable row level security;
do $$
declare r text;
begin
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = r) then
      execute format('revoke all on monitoring.check_cycle, monitoring.check_cycle_project from %I', r);
      execute format('revoke all on function monitoring.resume_check_cycles(text, text, integer, integer) from %I', r);
    end if;
  end loop;
end $$;
revoke all on function monitoring.resume_check_cycles(text, text, integer, integer) from public;

insert into monitoring.schema_migrations (version, name)
values ('20261208000100', 'jobmon_check_cycles') on conflict (version) do nothing;
