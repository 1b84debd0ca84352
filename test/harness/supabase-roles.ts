/**
 * Supabase's role model (StartOptions.supabase), as the supabase/postgres repository sets
 * it up: its init scripts (migrations/db/init-scripts), migrations (migrations/db/migrations:
 * the demotion of `postgres`, the predefined roles granted to it, the revoked writes on
 * cron.job) and the scripts that run after `create extension pg_cron` / `pg_net`
 * (ansible/files/postgresql_extension_custom_scripts, and the grant_pg_net_access event
 * trigger). Only what matters for pg_cron, pg_net and the roles that read them is kept:
 * no auth, storage or realtime schemas.
 *
 *   supabase_admin           the bootstrap superuser (initdb -U); owns pg_cron and pg_net,
 *                            and pg_cron's launcher and pg_net's worker run as it.
 *   postgres                 not a superuser: LOGIN CREATEDB CREATEROLE REPLICATION BYPASSRLS,
 *                            member of pg_monitor, pg_read_all_data, pg_signal_backend; owns
 *                            the postgres database; SELECT only on cron.job.
 *   supabase_read_only_user  LOGIN BYPASSRLS, member of pg_read_all_data only.
 *   authenticator, supabase_functions_admin   LOGIN roles of Supabase's services.
 *   anon, authenticated, service_role         NOLOGIN API roles.
 *
 * Every LOGIN role's password is its name (SUPABASE_PASSWORDS).
 */

export const SUPABASE_SUPERUSER = "supabase_admin";

/** The LOGIN roles of the model and their passwords. */
export const SUPABASE_PASSWORDS: Readonly<Record<string, string>> = {
  supabase_admin: "supabase_admin",
  postgres: "postgres",
  supabase_read_only_user: "supabase_read_only_user",
  authenticator: "authenticator",
  supabase_functions_admin: "supabase_functions_admin",
};

const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;
const pw = (role: string) => lit(SUPABASE_PASSWORDS[role]!);

/** Run by supabase_admin right after initdb, before any extension is created. */
export const SUPABASE_ROLES_SQL = `
  alter role supabase_admin with superuser createdb createrole replication bypassrls;

  -- Supabase creates postgres as a superuser that owns the postgres database, runs its
  -- init scripts as it, then demotes it.
  create role postgres with login password ${pw("postgres")};
  alter database postgres owner to postgres;

  create role supabase_read_only_user with login bypassrls password ${pw("supabase_read_only_user")};
  grant pg_read_all_data to supabase_read_only_user;

  create role anon nologin noinherit;
  create role authenticated nologin noinherit;
  create role service_role nologin noinherit bypassrls;
  create role authenticator with login noinherit password ${pw("authenticator")};
  grant anon, authenticated, service_role to authenticator;
  create role supabase_functions_admin with login noinherit createrole noreplication password ${pw("supabase_functions_admin")};

  create schema if not exists extensions;
  grant usage on schema public to postgres, anon, authenticated, service_role;
  grant usage on schema extensions to postgres, anon, authenticated, service_role;
  alter role supabase_admin set search_path to "$user", public, extensions;
  alter role postgres set search_path to "$user", public, extensions;

  -- The demotion.
  grant all on database postgres to postgres;
  alter role postgres with nosuperuser createdb createrole login replication bypassrls;
  grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
`;

/** Supabase's after-create script of pg_cron, run by supabase_admin. */
export const SUPABASE_PG_CRON_GRANTS = `
  grant usage on schema cron to postgres with grant option;
  grant all on all functions in schema cron to postgres with grant option;
  alter default privileges for user supabase_admin in schema cron grant all on sequences to postgres with grant option;
  alter default privileges for user supabase_admin in schema cron grant all on tables to postgres with grant option;
  alter default privileges for user supabase_admin in schema cron grant all on functions to postgres with grant option;
  grant all privileges on all tables in schema cron to postgres with grant option;
  -- Writes to cron.job go through cron.schedule / cron.alter_job (which write as the
  -- extension's owner), never directly.
  revoke all on table cron.job from postgres;
  grant select on table cron.job to postgres with grant option;
`;

/**
 * What Supabase does after `create extension pg_net` (run by supabase_admin). pg_net itself
 * grants the rest: 0.11 grants all on schema net and its tables to postgres; 0.12 and later
 * grant usage on net and all on its tables and sequences to PUBLIC. Up to 0.11 Supabase
 * also makes http_get / http_post security definer and executable only by its roles.
 */
export function supabasePgNetGrants(extversion: string): string {
  const get = "net.http_get(url text, params jsonb, headers jsonb, timeout_milliseconds integer)";
  const post = "net.http_post(url text, body jsonb, params jsonb, headers jsonb, timeout_milliseconds integer)";
  const roles = "supabase_functions_admin, postgres, anon, authenticated, service_role";
  const statements = [`grant usage on schema net to ${roles};`];
  const [major, minor] = extversion.split(".").map(Number);
  if (major === 0 && (minor ?? 0) <= 11) {
    for (const fn of [get, post]) {
      statements.push(
        `alter function ${fn} security definer;`,
        `alter function ${fn} set search_path = net;`,
        `revoke all on function ${fn} from public;`,
        `grant execute on function ${fn} to ${roles};`,
      );
    }
  }
  return statements.join("\n");
}
