import type { PgCronVersion } from "./version.js";

/** The five cron fields, named as error messages name them. */
export const CRON_FIELDS = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const;
export type CronField = (typeof CRON_FIELDS)[number];

/** The macros pg_cron accepts (src/entry.c parse_cron_entry; case-sensitive). */
export const CRON_MACROS = [
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
  "@reboot",
  "@restart",
] as const;
export type CronMacro = (typeof CRON_MACROS)[number];

export interface CronSchedule {
  kind: "cron";
  /** The schedule text as given. */
  text: string;
  /** The pg_cron version whose rules built it; 1.4 schedules are evaluated in GMT. */
  version: PgCronVersion;
  /** The macro used, or null for a five-field schedule. */
  macro: CronMacro | null;
  /** Sorted sets of the values that match. */
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  /** 0-6, Sunday = 0; weekday 7 is folded into 0. */
  daysOfWeek: number[];
  /** `$` (1.6+): the day-of-month also matches on the last day of the month. */
  lastDayOfMonth: boolean;
  /** The field's text starts with `*` (DOM_STAR / DOW_STAR): day-of-month and day-of-week are ANDed. */
  domStar: boolean;
  dowStar: boolean;
  /** MIN_STAR / HR_STAR: pg_cron treats the job as "wildcard" when it catches up after a clock jump. */
  minuteStar: boolean;
  hourStar: boolean;
}

export interface IntervalSchedule {
  kind: "interval";
  text: string;
  /** 1-59. */
  seconds: number;
}

export interface RebootSchedule {
  kind: "reboot";
  text: string;
}

export type Schedule = CronSchedule | IntervalSchedule | RebootSchedule;

export type ParseResult =
  | { ok: true; schedule: Schedule; warnings: string[] }
  | { ok: false; error: string };
