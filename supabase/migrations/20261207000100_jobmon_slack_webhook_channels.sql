-- jobmon:hub
-- Two more alert channels: Slack (incoming webhooks) and a generic signed webhook. A `slack`
-- row holds its URL in webhook_url; a `webhook` row its URL in webhook_url and the key it signs
-- every request with in the new column `secret` (docs/webhook.md).

alter table monitoring.alert_config add column if not exists secret text;

-- The channel checks of alert_config and alert_delivery, whatever their names, are replaced by
-- ones that allow the new channels.
do $$
declare c record;
begin
  for c in
    select conrelid::regclass::text as tbl, conname from pg_constraint
     where conrelid in ('monitoring.alert_config'::regclass, 'monitoring.alert_delivery'::regclass) and contype = 'c'
       and pg_get_constraintdef(oid) ~ '\mchannel = ANY' and pg_get_constraintdef(oid) !~ 'webhook'
  loop
    execute format('alter table %s drop constraint %I', c.tbl, c.conname);
  end loop;
end $$;
alter table monitoring.alert_config drop constraint if exists alert_config_channel_check;
alter table monitoring.alert_config add constraint alert_config_channel_check
  check (channel in ('discord', 'telegram', 'slack', 'webhook'));
alter table monitoring.alert_config drop constraint if exists alert_config_slack_check;
alter table monitoring.alert_config add constraint alert_config_slack_check
  check (channel <> 'slack' or webhook_url is not null);
alter table monitoring.alert_config drop constraint if exists alert_config_webhook_check;
alter table monitoring.alert_config add constraint alert_config_webhook_check
  check (channel <> 'webhook' or (webhook_url is not null and secret is not null));
alter table monitoring.alert_delivery drop constraint if exists alert_delivery_channel_check;
alter table monitoring.alert_delivery add constraint alert_delivery_channel_check
  check (channel in ('discord', 'telegram', 'slack', 'webhook'));

insert into monitoring.schema_migrations (version, name)
values ('20261207000100', 'jobmon_slack_webhook_channels') on conflict (version) do nothing;
