/**
 * pg_cron versions whose schedule semantics differ, and how to read `pg_extension.extversion`.
 *
 * The differences this module models (details at each quirk's code):
 * - 1.4: 5-field cron only, evaluated in GMT (src/pg_cron.c ShouldRunTask calls gmtime()).
 * - 1.5: adds `'N seconds'` (src/job_metadata.c TryParseInterval) and `cron.timezone`
 *   (ShouldRunTask calls pg_localtime(…, pg_tzset(cron_timezone))).
 * - 1.6: adds `$` (last day of month) and replaces Vixie's element-by-element loop with
 *   set_range()/bit_nset() (src/entry.c, pg_cron PR #271), which changes reversed ranges,
 *   over-sized steps and `@yearly`.
 */
export const PG_CRON_VERSIONS = ["1.4", "1.5", "1.6"] as const;
export type PgCronVersion = (typeof PG_CRON_VERSIONS)[number];

/** What Supabase runs; used when the version is unknown. */
export const DEFAULT_PG_CRON_VERSION: PgCronVersion = "1.6";

export function isPgCronVersion(value: unknown): value is PgCronVersion {
  return typeof value === "string" && (PG_CRON_VERSIONS as readonly string[]).includes(value);
}

/**
 * Lenient: "1.4-1" → "1.4", "1.6.4" → "1.6", "1.5" → "1.5"; null/unparseable → "1.6" (what
 * Supabase runs); >1.6 → "1.6"; <1.4 → "1.4".
 *
 * extversion is the SQL script version, not the release number: Debian's 1.4.2 reports
 * "1.4-1", Supabase may report "1.6.4".
 */
export function parsePgCronVersion(extversion: string | null | undefined): PgCronVersion {
  if (extversion == null) return DEFAULT_PG_CRON_VERSION;
  const match = /^\s*v?(\d+)(?:\.(\d+))?/i.exec(extversion);
  if (!match) return DEFAULT_PG_CRON_VERSION;
  const major = Number(match[1]);
  const minor = match[2] === undefined ? 0 : Number(match[2]);
  if (major > 1 || (major === 1 && minor >= 6)) return "1.6";
  if (major === 1 && minor === 5) return "1.5";
  return "1.4";
}

/** Version-dependent behaviour, named by what it changes. */
export interface VersionFeatures {
  /** `'N seconds'` schedules (1.5+). */
  intervals: boolean;
  /** cron.timezone is honoured (1.5+); 1.4 always evaluates in GMT. */
  timezone: boolean;
  /** `$` in the day-of-month field (1.6+). */
  lastDayOfMonth: boolean;
  /** Ranges are filled with set_range()/bit_nset() (1.6+) instead of Vixie's loop. */
  setRange: boolean;
}

export function featuresOf(version: PgCronVersion): VersionFeatures {
  return {
    intervals: version !== "1.4",
    timezone: version !== "1.4",
    lastDayOfMonth: version === "1.6",
    setRange: version === "1.6",
  };
}
