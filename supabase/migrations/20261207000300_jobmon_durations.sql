-- jobmon:hub
-- Run durations and the `slow` status. Each job keeps the durations of its latest successful
-- runs (and, for a job that calls URLs through pg_net, of its calls) in `durations`, a jsonb
-- object {runs: {count, recent, p50, p95, max}, net: {…}, slow}: `recent` holds at most the
-- latest 200 durations in milliseconds, so the row stays bounded whatever the job's age
-- (src/health/durations.ts says why a window rather than a sketch). A run that took far
-- longer than its job's usual p95 makes the job `slow`; `slow_factor` (0 turns the rule off)
-- and `slow_after_seconds` (an absolute threshold) are set per job by `jobmon annotate`.

alter table monitoring.job_inventory add column if not exists durations jsonb not null default '{}'::jsonb;
alter table monitoring.job_inventory add column if not exists slow_factor double precision
  check (slow_factor is null or (slow_factor >= 0 and slow_factor <= 100));
alter table monitoring.job_inventory add column if not exists slow_after_seconds integer
  check (slow_after_seconds is null or slow_after_seconds > 0);

-- The status check constraints, whatever their names, are replaced by ones that allow `slow`.
do $$
declare c record;
begin
  for c in
    select conrelid::regclass as tbl, conname from pg_constraint
     where conrelid in ('monitoring.job_inventory'::regclass, 'monitoring.job_health_log'::regclass) and contype = 'c'
       and pg_get_constraintdef(oid) ~ '\mstatus = ANY' and pg_get_constraintdef(oid) !~ 'slow'
  loop
    execute format('alter table %s drop constraint %I', c.tbl, c.conname);
  end loop;
end $$;
alter table monitoring.job_inventory drop constraint if exists job_inventory_status_check;
alter table monitoring.job_inventory add constraint job_inventory_status_check
  check (status in ('new', 'success', 'slow', 'failed', 'missed', 'stuck', 'paused', 'unknown'));
alter table monitoring.job_health_log drop constraint if exists job_health_log_status_check;
alter table monitoring.job_health_log add constraint job_health_log_status_check
  check (status in ('success', 'slow', 'failed', 'missed', 'stuck', 'paused', 'unknown'));

insert into monitoring.schema_migrations (version, name)
values ('20261207000300', 'jobmon_durations') on conflict (version) do nothing;
