-- jobmon:hub
-- pg_net calls carried from one check to the next (src/health/net-calls.ts): the calling runs
-- whose responses may still come, and each calling job's latest known call.

alter table monitoring.project_state add column if not exists net_calls jsonb not null default '{}'::jsonb;

insert into monitoring.schema_migrations (version, name)
values ('20261206000001', 'jobmon_pg_net_calls') on conflict (version) do nothing;
