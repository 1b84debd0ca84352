-- Resumes fanned-out check cycles (docs/deploy.md "Hundreds of projects"): every minute, while
-- a cycle planned by check-job-health is running, the hub's pg_cron starts a worker for each
-- batch whose worker died (its queue message is visible again) and closes a cycle past its
-- deadline. When no cycle runs it costs one indexed lookup and no call. For `supabase db push`
-- only, like the schedule of check-job-health beside it, and reading the same two Vault
-- secrets (jobmon_project_url, jobmon_function_secret).
--
-- monitoring.resume_check_cycles is created by jobmon's own hub migrations, on the first
-- check: until then this job does nothing.
select cron.schedule(
  'jobmon-check-resume',
  '* * * * *',
  $$
  do $resume$
  begin
    if to_regprocedure('monitoring.resume_check_cycles(text, text, integer, integer)') is not null then
      perform monitoring.resume_check_cycles(
        (select decrypted_secret from vault.decrypted_secrets where name = 'jobmon_project_url'),
        (select decrypted_secret from vault.decrypted_secrets where name = 'jobmon_function_secret')
      );
    end if;
  end
  $resume$
  $$
);
