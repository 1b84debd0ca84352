-- jobmon:hub
-- Projects found through the Management API (an access token instead of a Postgres URL):
-- `source` says how a project is read ('postgres' through its URL, 'api' through the
-- Management API), so that a project that disappears from the token's list can be told from
-- one that is merely not configured. Two statuses join: `paused` (Supabase paused the
-- project: it is skipped, silently) and `removed` (it left the token's list: its jobs are
-- marked removed, nothing is alerted).

alter table monitoring.project_state add column if not exists source text
  check (source is null or source in ('postgres', 'api'));

-- The status check constraint, whatever its name, is replaced by one that allows the new ones.
do $$
declare c record;
begin
  for c in
    select conname from pg_constraint
     where conrelid = 'monitoring.project_state'::regclass and contype = 'c'
       and pg_get_constraintdef(oid) ~ '\mstatus = ANY' and pg_get_constraintdef(oid) !~ 'removed'
  loop
    execute format('alter table monitoring.project_state drop constraint %I', c.conname);
  end loop;
end $$;
alter table monitoring.project_state drop constraint if exists project_state_status_check;
alter table monitoring.project_state add constraint project_state_status_check
  check (status in ('unknown', 'ok', 'unreachable', 'scheduler_down', 'paused', 'removed'));

insert into monitoring.schema_migrations (version, name)
values ('20261207000200', 'jobmon_api_projects') on conflict (version) do nothing;
