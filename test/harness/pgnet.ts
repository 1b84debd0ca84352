/**
 * pg_net is not packaged for Debian, so tests that read its responses create its response
 * table by hand: `net._http_response` with pg_net's columns and its one index
 * (supabase/pg_net sql/pg_net.sql): unlogged, indexed on `created` only.
 */
export const PG_NET_RESPONSE_TABLE = `
  create schema net;
  create unlogged table net._http_response (
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out bool,
    error_msg text,
    created timestamptz not null default now()
  );
  create index on net._http_response (created);
`;
