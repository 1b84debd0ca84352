-- jobmon:hub
-- The jobmon hub schema: the three tables people read and annotate (job_inventory, job_health_log,
-- alert_config) with the engine's columns after them, and the engine's own tables.
-- Applied by `jobmon migrate` (which embeds this file) or by `supabase db push`; either
-- way it records itself in monitoring.schema_migrations, so the two never apply it twice.

create schema if not exists monitoring;

create table if not exists monitoring.schema_migrations (
  version text primary key,
  name text not null,
  applied_at timestamptz not null default now()
);

-- Every scheduled job of every monitored project. The twelve columns people query come first.
create table if not exists monitoring.job_inventory (
  id uuid primary key default gen_random_uuid(),
  project_name text not null,
  job_type text check (job_type in ('pg_cron', 'edge_function')),
  job_name text not null,
  schedule text,                     -- cron expression; for an Edge Function, the schedule of the cron job that calls it
  description text,                  -- hand annotation: what it does
  success_criteria text,             -- hand annotation: how to know it worked
  criticality text check (criticality in ('critical', 'important', 'low')),
  last_seen_at timestamptz,          -- last time discovery or a check saw it at its source
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  unique (project_name, job_type, job_name),

  -- Discovery (refreshed from the source; never hand-edited).
  source_id text,                    -- cron.job.jobid, or the Edge Function's uuid
  command text,                      -- cron.job.command (may hold secrets: redacted on output)
  active boolean,                    -- cron.job.active; for a function: status = 'ACTIVE'
  run_as text,                       -- cron.job.username
  database_name text,                -- cron.job.database
  source_meta jsonb not null default '{}'::jsonb,
  first_seen_at timestamptz not null default now(),
  expected_since timestamptz,        -- runs are expected from here: first seen, or schedule changed, resumed or returned
  removed_at timestamptz,            -- set when the job left its source; null while present

  -- Per-job settings (jobmon annotate).
  grace_seconds integer check (grace_seconds > 0),
  max_runtime_seconds integer check (max_runtime_seconds > 0),
  failure_threshold integer not null default 1 check (failure_threshold >= 1),
  muted_until timestamptz,

  -- Health state, written by each check.
  status text not null default 'new'
    check (status in ('new', 'success', 'failed', 'missed', 'stuck', 'paused', 'unknown')),
  status_since timestamptz,
  status_reason text,
  last_error text,
  last_run_at timestamptz,
  last_run_status text,
  recent_runs jsonb not null default '[]'::jsonb, -- the latest 30 finished runs: [{runid, status, start, end}]
  consecutive_failures integer not null default 0,
  down_since timestamptz,            -- when the job went from healthy to failed/missed/stuck
  alerted_status text,               -- the status last announced (alerts honour failure_threshold)
  alerted_at timestamptz             -- when it was announced (reminders count from here)
);

-- One row per job per check, and one per failed run found by a check. The columns people read come first.
create table if not exists monitoring.job_health_log (
  id uuid primary key default gen_random_uuid(),
  job_inventory_id uuid references monitoring.job_inventory (id) on delete cascade,
  status text check (status in ('success', 'failed', 'missed', 'stuck', 'paused', 'unknown')),
  error_message text,
  run_at timestamptz,
  collected_at timestamptz default now(),

  check_id uuid,
  reason text,
  run_id bigint,                     -- cron.job_run_details.runid for per-run rows
  runs_total integer,                -- per-check rows: runs that finished since the last check
  runs_failed integer                -- … and how many of them failed (success rates)
);
create index if not exists job_health_log_job_idx on monitoring.job_health_log (job_inventory_id, collected_at desc);
create index if not exists job_health_log_collected_idx on monitoring.job_health_log (collected_at);

-- Where alerts go. The columns people write come first. With no enabled row, the environment's
-- DISCORD_WEBHOOK_URL / TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID give the default routing.
create table if not exists monitoring.alert_config (
  id uuid primary key default gen_random_uuid(),
  channel text not null check (channel in ('discord', 'telegram')),
  criticality text check (criticality in ('critical', 'important', 'low', 'all')),
  webhook_url text,
  bot_token text,
  chat_id text,
  enabled boolean default true,

  name text,
  created_at timestamptz not null default now(),
  check (channel <> 'discord' or webhook_url is not null),
  check (channel <> 'telegram' or (bot_token is not null and chat_id is not null))
);

-- Per monitored project: what discovery learnt, its health, and the collectors' cursors.
create table if not exists monitoring.project_state (
  project_name text primary key,
  project_ref text,
  status text not null default 'ok' check (status in ('ok', 'unreachable', 'scheduler_down')),
  status_since timestamptz not null default now(),
  status_reason text,
  last_error text,
  down_since timestamptz,
  alerted_status text,
  alerted_at timestamptz,
  pg_cron_version text,              -- pg_extension.extversion, null when pg_cron is absent
  cron_timezone text,
  role_name text,
  sees_all_jobs boolean,             -- superuser or BYPASSRLS: pg_cron's RLS hides other roles' jobs
  last_discovered_at timestamptz,
  last_checked_at timestamptz,
  run_cursor bigint,                 -- highest cron.job_run_details.runid already read
  open_runs jsonb not null default '{}'::jsonb, -- runid -> first seen, for runs read before they finished
  net_cursor bigint,                 -- id of the last net._http_response row read …
  net_cursor_created timestamptz,    -- … and its created (the table's only index)
  logs_cursor timestamptz,           -- Edge Function logs read up to here
  muted_until timestamptz,
  updated_at timestamptz not null default now()
);

-- One row: the lease that keeps two check cycles from overlapping. A lease (not an
-- advisory lock) because advisory locks do not hold across statements behind Supabase's
-- transaction pooler, and because a crashed holder must not block checks forever.
create table if not exists monitoring.check_lock (
  id boolean primary key default true check (id),
  holder uuid,
  acquired_at timestamptz,
  expires_at timestamptz
);
insert into monitoring.check_lock (id) values (true) on conflict do nothing;

create table if not exists monitoring.check_run (
  id uuid primary key,
  started_at timestamptz not null,
  finished_at timestamptz,
  status text not null check (status in ('running', 'completed', 'failed')),
  summary jsonb,
  error text
);

-- The outbox: every alert is recorded here, in the check's transaction, before it is sent.
create table if not exists monitoring.alert_event (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz not null default now(),
  check_id uuid,
  kind text not null check (kind in ('job', 'project', 'message')),
  project_name text,
  job_inventory_id uuid references monitoring.job_inventory (id) on delete set null,
  criticality text not null check (criticality in ('critical', 'important', 'low')),
  from_status text,
  to_status text,
  muted boolean not null default false,
  payload jsonb not null
);
create index if not exists alert_event_created_idx on monitoring.alert_event (created_at);

-- One row per event and route; claimed with a compare-and-set update so no two senders
-- send the same delivery.
create table if not exists monitoring.alert_delivery (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references monitoring.alert_event (id) on delete cascade,
  route_id text not null,            -- alert_config.id, or env:discord / env:telegram
  channel text not null check (channel in ('discord', 'telegram')),
  status text not null default 'pending' check (status in ('pending', 'sending', 'delivered', 'failed')),
  attempts integer not null default 0,
  last_error text,
  fallback_from text,                -- set when this route stands in for an unconfigured one
  claimed_by uuid,
  claimed_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  unique (event_id, route_id)
);
create index if not exists alert_delivery_pending_idx on monitoring.alert_delivery (status) where status <> 'delivered';

-- Per route: broken after a permanent error, and Telegram's migrated chat id.
create table if not exists monitoring.route_state (
  route_id text primary key,
  channel text not null,
  broken_at timestamptz,
  broken_reason text,
  chat_id_override text,
  updated_at timestamptz not null default now()
);

-- RLS on every table: the schema is not exposed through the Data API, and this is the
-- second wall (alert_config holds tokens). The owner (the role that migrates) bypasses it.
alter table monitoring.schema_migrations enable row level security;
alter table monitoring.job_inventory enable row level security;
alter table monitoring.job_health_log enable row level security;
alter table monitoring.alert_config enable row level security;
alter table monitoring.project_state enable row level security;
alter table monitoring.check_lock enable row level security;
alter table monitoring.check_run enable row level security;
alter table monitoring.alert_event enable row level security;
alter table monitoring.alert_delivery enable row level security;
alter table monitoring.route_state enable row level security;

-- On Supabase, keep the API roles out entirely.
do $$
declare r text;
begin
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = r) then
      execute format('revoke all on schema monitoring from %I', r);
      execute format('revoke all on all tables in schema monitoring from %I', r);
    end if;
  end loop;
end $$;

insert into monitoring.schema_migrations (version, name)
values ('20261130000001', 'jobmon_hub') on conflict (version) do nothing;
