-- jobmon:hub
-- A project's status is what a check last observed, and `unknown` until a check has reached
-- it: a row made before any observation (by discovery, by a mute) said `ok` without anyone
-- having looked. Rows of projects that no check has reached become `unknown`.

-- The status check constraint, whatever its name, is replaced by one that allows `unknown`.
do $$
declare c record;
begin
  for c in
    select conname from pg_constraint
     where conrelid = 'monitoring.project_state'::regclass and contype = 'c'
       and pg_get_constraintdef(oid) ~ '\mstatus = ANY' and pg_get_constraintdef(oid) !~ 'unknown'
  loop
    execute format('alter table monitoring.project_state drop constraint %I', c.conname);
  end loop;
end $$;
alter table monitoring.project_state drop constraint if exists project_state_status_check;
alter table monitoring.project_state add constraint project_state_status_check
  check (status in ('unknown', 'ok', 'unreachable', 'scheduler_down'));
alter table monitoring.project_state alter column status set default 'unknown';

update monitoring.project_state set status = 'unknown' where status = 'ok' and last_checked_at is null;

insert into monitoring.schema_migrations (version, name)
values ('20261206000200', 'jobmon_project_status_unknown') on conflict (version) do nothing;
