/**
 * pg_cron schedule semantics, per pg_cron version: parsing (what cron.schedule accepts),
 * fire times (what the launcher runs, in cron.timezone), and human descriptions.
 * Pure: no I/O, no Node built-ins (Intl/Date/TextEncoder only), so it also runs in Deno.
 */
export { parsePgCronVersion, isPgCronVersion, PG_CRON_VERSIONS, DEFAULT_PG_CRON_VERSION } from "./version.js";
export type { PgCronVersion } from "./version.js";
export type { Schedule, CronSchedule, IntervalSchedule, RebootSchedule, ParseResult, CronField, CronMacro } from "./types.js";
export { parseSchedule } from "./parse.js";
export { neverFires, neverFiresReason } from "./match.js";
export { nextFireTime, previousFireTime, schedulePeriodSeconds, matchesMinute, SEARCH_HORIZON_MS } from "./search.js";
export { describeSchedule } from "./describe.js";
export { explainSchedule, MAX_FIRE_TIMES } from "./explain.js";
export type { ScheduleExplanation, ExplainOptions } from "./explain.js";
export { resolveZone } from "./zone.js";
export type { Zone } from "./zone.js";
