-- jobmon:hub
-- Who holds the check lease: the host and process of the check that took it, so that a check
-- on the same host can tell that the holder is gone (killed, crashed) and take the lease over
-- at once instead of waiting for it to expire. Null for a holder that cannot be told apart
-- by process (an Edge Function): its lease is taken over only once it has expired.

alter table monitoring.check_lock add column if not exists holder_host text;
alter table monitoring.check_lock add column if not exists holder_pid integer;
-- The PID namespace (Linux: /proc/self/ns/pid): two containers may share a host name, and the
-- same PID means another process in each.
alter table monitoring.check_lock add column if not exists holder_pid_namespace text;

insert into monitoring.schema_migrations (version, name)
values ('20261206000100', 'jobmon_check_lock_holder') on conflict (version) do nothing;
