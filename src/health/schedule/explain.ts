/**
 * explainSchedule: everything a person (or the CLI) wants to know about one schedule text,
 * as plain data.
 *
 * Choice for an invalid time zone: `valid` describes the expression only, so it stays true;
 * the zone problem goes into `error` and `next` is empty.
 */
import { neverFiresReason } from "./match.js";
import type { CronSchedule } from "./types.js";
import { describeSchedule } from "./describe.js";
import { parseSchedule } from "./parse.js";
import { nextFireTime } from "./search.js";
import { featuresOf, isPgCronVersion, parsePgCronVersion, type PgCronVersion } from "./version.js";
import { resolveZone } from "./zone.js";

export interface ScheduleExplanation {
  schedule: string;
  valid: boolean;
  kind: "cron" | "interval" | "reboot" | null;
  error?: string;
  warnings: string[];
  description?: string;
  intervalSeconds?: number;
  /** ISO UTC, e.g. "2026-03-01T00:00:00.000Z" */
  next: string[];
}

export interface ExplainOptions {
  /** A version or an extversion string ("1.4-1", "1.6.4"); default "1.6". */
  pgCronVersion?: PgCronVersion | string;
  /** cron.timezone; default "GMT". Ignored (with a warning) on 1.4, which has no cron.timezone. */
  timezone?: string;
  /** Default: now. */
  after?: Date | string;
  /** How many next fire times; default 5, at most 1000. */
  count?: number;
}

/** The most fire times one explanation lists. */
export const MAX_FIRE_TIMES = 1000;
const MAX_COUNT = MAX_FIRE_TIMES;
const GMT_NAMES = new Set(["gmt", "utc", "etc/utc", "etc/gmt", "z", "zulu", "universal", "etc/universal"]);

export function explainSchedule(expr: string, opts: ExplainOptions = {}): ScheduleExplanation {
  const version = isPgCronVersion(opts.pgCronVersion) ? opts.pgCronVersion : parsePgCronVersion(opts.pgCronVersion);
  const requestedZone = (opts.timezone ?? "GMT").trim() || "GMT";
  const count = Math.max(0, Math.min(MAX_COUNT, Math.floor(Number.isFinite(opts.count) ? (opts.count as number) : 5)));

  const parsed = parseSchedule(expr, version);
  if (!parsed.ok) {
    return { schedule: expr, valid: false, kind: null, error: parsed.error, warnings: [], next: [] };
  }
  const s = parsed.schedule;
  const warnings = [...parsed.warnings];
  const result: ScheduleExplanation = { schedule: expr, valid: true, kind: s.kind, warnings, next: [] };

  let zone = requestedZone;
  if (!featuresOf(version).timezone && !GMT_NAMES.has(requestedZone.toLowerCase())) {
    warnings.push(`pg_cron ${version} has no cron.timezone and evaluates schedules in GMT: the time zone "${requestedZone}" is not used`);
    zone = "GMT";
  }

  if (s.kind === "interval") {
    result.intervalSeconds = s.seconds;
    result.description = describeSchedule(s, zone);
    return result;
  }
  if (s.kind === "reboot") {
    warnings.push("@reboot only runs when the server (the pg_cron launcher) starts: there are no scheduled times to expect");
    result.description = describeSchedule(s, zone);
    return result;
  }

  result.description = describeSchedule(s, zone);
  const orTrap = oredToEveryDay(s);
  if (orTrap) warnings.push(orTrap);
  const never = neverFiresReason(s);
  if (never !== null) {
    warnings.push(`this schedule never fires: ${never}`);
    return result;
  }

  try {
    resolveZone(zone);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    return result;
  }

  const after = opts.after === undefined ? new Date() : opts.after instanceof Date ? opts.after : new Date(opts.after);
  if (!Number.isFinite(after.getTime())) {
    result.error = `after: "${String(opts.after)}" is not a valid date`;
    return result;
  }

  let cursor = after;
  for (let i = 0; i < count; i++) {
    const next = nextFireTime(s, cursor, zone);
    if (!next) break;
    result.next.push(next.toISOString());
    cursor = next;
  }
  if (count > 0 && result.next.length === 0) {
    warnings.push("this schedule never fires within the next five years");
  }
  return result;
}

/**
 * ShouldRunTask ORs the day fields unless one starts with `*`: `0 0 1-31 * 1` looks like
 * "Mondays" but runs every day, because 1-31 is not `*`.
 */
function oredToEveryDay(s: CronSchedule): string | null {
  if (s.domStar || s.dowStar) return null;
  const everyDom = s.daysOfMonth.length === 31;
  const everyDow = s.daysOfWeek.length === 7;
  const domRestricted = !everyDom && (s.daysOfMonth.length > 0 || s.lastDayOfMonth);
  const dowRestricted = !everyDow && s.daysOfWeek.length > 0;
  const trap = (all: string, other: string): string =>
    `the ${all} field covers every day but does not start with '*', so pg_cron ORs it with the ${other} field: this runs every day`;
  if (everyDom && dowRestricted) return trap("day-of-month", "day-of-week");
  if (everyDow && domRestricted) return trap("day-of-week", "day-of-month");
  return null;
}
