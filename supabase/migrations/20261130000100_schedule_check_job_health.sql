-- Schedules the check-job-health Edge Function every 15 minutes from this (the hub's)
-- pg_cron, through pg_net. For `supabase db push` only: `jobmon migrate` does not embed
-- this file (its first line is not the hub marker), since the CLI's hub need not be the
-- project the function is deployed to. docs/deploy.md walks through the whole setup.
--
-- Reads two Vault secrets when the job runs (not now, so this can be pushed before they exist):
--   jobmon_project_url      https://<project-ref>.supabase.co  (no trailing slash)
--   jobmon_function_secret  the same value as the function's JOBMON_FUNCTION_SECRET
-- Create them once, in the SQL editor or psql (not in a migration: it would sit in git):
--   select vault.create_secret('https://<project-ref>.supabase.co', 'jobmon_project_url');
--   select vault.create_secret('<JOBMON_FUNCTION_SECRET>', 'jobmon_function_secret');
-- Both names are read below, and nothing else: a missing one makes the call fail visibly
-- (a NULL URL is an error in cron.job_run_details; a NULL token is a 401 in net._http_response).
--
-- Safe to run again: cron.schedule() with an existing job name updates that job (pg_cron 1.3+).

-- pg_cron lives in pg_catalog on Supabase (docs: Cron > Install); a no-op where it exists.
create extension if not exists pg_cron with schema pg_catalog;

-- pg_net: its functions are always in schema `net`; Supabase installs the extension itself
-- "with schema extensions" (docs: pg_net). Where it is not available at all (a plain
-- PostgreSQL), an existing net.http_post with pg_net's signature is accepted instead.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_net') then
    return;
  end if;
  if exists (select 1 from pg_available_extensions where name = 'pg_net') then
    if exists (select 1 from pg_namespace where nspname = 'extensions') then
      create extension pg_net with schema extensions;
    else
      create extension pg_net;
    end if;
    return;
  end if;
  if to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    raise exception 'jobmon: pg_net is not available in this database, and check-job-health is called with net.http_post'
      using hint = 'Run this migration on a Supabase project (Database > Extensions lists pg_net), or install pg_net.';
  end if;
end
$$;

-- timeout_milliseconds: pg_net gives up on a request after 5 s by default (v0.8+), less than
-- a check cycle over several projects may take; the function itself may run up to 150 s
-- (free plan wall clock). A timed-out request does not stop the cycle, but its outcome is
-- then unknown to net._http_response.
select cron.schedule(
  'jobmon-check-job-health',
  '*/15 * * * *',
  $$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'jobmon_project_url') || '/functions/v1/check-job-health',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'jobmon_function_secret')
    ),
    body := '{}'::jsonb,
    timeout_milliseconds := 60000
  ) as request_id
  $$
);
