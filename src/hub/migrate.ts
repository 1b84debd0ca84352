import type { Db } from "../db/types.js";
import { errorMessage, JobmonError } from "../errors.js";
import { HUB_MIGRATIONS, type Migration } from "./migrations.generated.js";
import { HubError } from "./open.js";

// Any fixed 64-bit key: serialises concurrent migrators (a second one waits, then finds the
// migration recorded and skips it) without racing on `create schema if not exists`.
const MIGRATION_LOCK_KEY = 7_305_112_023;

export interface MigrateResult {
  applied: string[];
  current: string | null;
}

async function appliedVersions(tx: { query: Db["query"] }): Promise<Set<string>> {
  const [exists] = await tx.query<{ present: boolean }>(
    "select to_regclass('monitoring.schema_migrations') is not null as present",
  );
  if (!exists?.present) return new Set();
  const rows = await tx.query<{ version: string }>("select version from monitoring.schema_migrations");
  return new Set(rows.map((r) => r.version));
}

/** Applies each pending migration once, in order, each in its own transaction. */
export async function migrate(db: Db, migrations: readonly Migration[] = HUB_MIGRATIONS): Promise<MigrateResult> {
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
      if ((await appliedVersions(tx)).has(migration.version)) return false;
      await tx.exec(migration.sql);
      // The SQL records itself (so `supabase db push` agrees); this covers a file that forgot.
      await tx.query(
        "insert into monitoring.schema_migrations (version, name) values ($1, $2) on conflict (version) do nothing",
        [migration.version, migration.name],
      );
      return true;
    }).catch(async (error: unknown) => {
      throw await withPrivilegeHint(db, error);
    });
    if (ran) applied.push(`${migration.version}_${migration.name}`);
  }
  const last = migrations.at(-1);
  return { applied, current: last ? `${last.version}_${last.name}` : null };
}

/**
 * A migration refused for lack of a privilege (SQLSTATE 42501, e.g. "permission denied for
 * database postgres" from a read-only role): the server's words, with the privilege the hub
 * needs and the role that lacks it. Anything else is returned as it is.
 */
async function withPrivilegeHint(db: Db, error: unknown): Promise<unknown> {
  const sqlState = error instanceof HubError ? error.driverCode : (error as { code?: unknown } | null)?.code;
  if (sqlState !== "42501") return error;
  // Outside the failed transaction, which has been rolled back.
  const [who] = await db
    .query<{ role: string; database: string }>("select current_user::text as role, current_database()::text as database")
    .catch(() => []);
  const database = who ? `database "${who.database}"` : "the hub's database";
  const role = who ? `role "${who.role}"` : "the hub's role";
  return new JobmonError(
    "hub_privileges",
    `${errorMessage(error)}: the hub needs a role that can create a schema in ${database} (CREATE on the database) ` +
      `and create and write tables in it; ${role} cannot: use the postgres role or a dedicated one in the hub's URL`,
    "configuration",
    { cause: error },
  );
}

/** The versions still to apply; empty when the hub is up to date. */
export async function pendingMigrations(db: Db, migrations: readonly Migration[] = HUB_MIGRATIONS): Promise<Migration[]> {
  const done = await appliedVersions(db);
  return migrations.filter((m) => !done.has(m.version));
}
