/**
 * Matching one minute against a cron schedule, as pg_cron's ShouldRunTask (src/pg_cron.c)
 * does, plus the lookup tables the fast search needs.
 *
 * ShouldRunTask (1.6), in the zone of cron.timezone (GMT on 1.4):
 *   thisdom = bit(dom, mday) || (DOM_LAST && mday of (now + 24 hours) == 1)
 *   thisdow = bit(dow, wday)
 *   match   = bit(minute) && bit(hour) && bit(month)
 *             && (DOM_STAR || DOW_STAR ? thisdom && thisdow : thisdom || thisdow)
 * The "last day" test adds 24 real hours (USECS_PER_DAY), not one calendar day: see
 * isLastDayAt.
 */
import { civilFromDays, DAY_MS, daysInMonth, maxDaysInMonth, MINUTE_MS, type CivilDate } from "./calendar.js";
import type { CronSchedule, Schedule } from "./types.js";
import type { Zone } from "./zone.js";

/** Lookup tables (plain arrays: cheaper to build than typed arrays). */
export interface CompiledCron {
  minute: number[]; // [60], 1 = matches
  hour: number[]; // [24]
  dom: number[]; // [32], index = day of month
  month: number[]; // [13], index = month
  dow: number[]; // [7]
  /** First set value >= i (-1 when none); one extra slot so i + 1 never overflows. */
  nextMinute: number[];
  prevMinute: number[];
  nextHour: number[];
  prevHour: number[];
  /** Over days of the month 0-32 (day 0 and 32 are never set). */
  nextDom: number[];
  prevDom: number[];
  firstMinute: number;
  lastMinute: number;
  /** `$` */
  last: boolean;
  /** DOM_STAR || DOW_STAR: the day fields are ANDed. */
  and: boolean;
  /** The schedule can never match (see neverFiresReason). */
  never: boolean;
}

const compiledCache = new WeakMap<CronSchedule, CompiledCron>();

function table(size: number, values: readonly number[]): number[] {
  const t = new Array<number>(size).fill(0);
  for (const v of values) if (v >= 0 && v < size) t[v] = 1;
  return t;
}

function nextTable(set: readonly number[]): number[] {
  const t = new Array<number>(set.length + 1).fill(-1);
  for (let i = set.length - 1; i >= 0; i--) t[i] = set[i] ? i : (t[i + 1] ?? -1);
  return t;
}

function prevTable(set: readonly number[]): number[] {
  const t = new Array<number>(set.length).fill(-1);
  for (let i = 0; i < set.length; i++) t[i] = set[i] ? i : i > 0 ? (t[i - 1] ?? -1) : -1;
  return t;
}

export function compile(s: CronSchedule): CompiledCron {
  let c = compiledCache.get(s);
  if (c) return c;
  const minute = table(60, s.minutes);
  const hour = table(24, s.hours);
  c = {
    minute,
    hour,
    dom: table(32, s.daysOfMonth),
    month: table(13, s.months),
    dow: table(7, s.daysOfWeek),
    nextMinute: nextTable(minute),
    prevMinute: prevTable(minute),
    nextHour: nextTable(hour),
    prevHour: prevTable(hour),
    nextDom: nextTable(table(33, s.daysOfMonth)),
    prevDom: prevTable(table(33, s.daysOfMonth)),
    firstMinute: s.minutes[0] ?? -1,
    lastMinute: s.minutes[s.minutes.length - 1] ?? -1,
    last: s.lastDayOfMonth,
    and: s.domStar || s.dowStar,
    never: neverFiresReason(s) !== null,
  };
  compiledCache.set(s, c);
  return c;
}

/** True for schedules that can never fire (0 0 31 2 *, @yearly on 1.6, empty reversed ranges). Never true for interval; reboot is "not expected", handled separately. */
export function neverFires(s: Schedule): boolean {
  return s.kind === "cron" && neverFiresReason(s) !== null;
}

/** Why a cron schedule can never fire, or null when it can. */
export function neverFiresReason(s: CronSchedule): string | null {
  if (s.minutes.length === 0) return "the minute field matches no minute";
  if (s.hours.length === 0) return "the hour field matches no hour";
  if (s.months.length === 0) {
    return s.macro === "@yearly" || s.macro === "@annually"
      ? `${s.macro} has an empty month set on pg_cron 1.6 (a bug in src/entry.c)`
      : "the month field matches no month";
  }
  const dayPossible = s.months.some(
    (m) => s.lastDayOfMonth || s.daysOfMonth.some((d) => d <= maxDaysInMonth(m)),
  );
  const weekdayPossible = s.daysOfWeek.length > 0;
  if (s.domStar || s.dowStar) {
    if (!weekdayPossible) return "the day-of-week field matches no day (and day-of-month is ANDed with it)";
    if (!dayPossible) return "no selected month has the selected day of the month";
  } else if (!dayPossible && !weekdayPossible) {
    return "no selected month has the selected day of the month, and no day of the week is selected";
  }
  return null;
}

/**
 * pg_cron's "last day of the month": the local day of (instant + 24 hours) is the 1st.
 * Near a DST change that is not the calendar's last day: with a 25-hour last day it is
 * false before the change (Europe/Berlin 2027-10-31 00:00 + 24 h is still the 31st), and
 * before a 23-hour 1st it is also true late on the day before the last.
 */
export function isLastDayAt(zone: Zone, utcMs: number, scratch: CivilDate): boolean {
  const tomorrow = utcMs + DAY_MS;
  const wall = tomorrow + zone.offsetAt(tomorrow);
  return civilFromDays(Math.floor(wall / DAY_MS), scratch).day === 1;
}

/** ShouldRunTask's day rule for one local day, with the exact `$` test done by the caller. */
export function dayRule(c: CompiledCron, dayOfMonth: number, weekday: number, isLast: boolean): boolean {
  const thisdom = c.dom[dayOfMonth] === 1 || (c.last && isLast);
  const thisdow = c.dow[weekday] === 1;
  return c.and ? thisdom && thisdow : thisdom || thisdow;
}

/** Whether the calendar says `day` is the last of its month. */
export function isCalendarLastDay(date: CivilDate): boolean {
  return date.day === daysInMonth(date.year, date.month);
}

/**
 * Direct port of ShouldRunTask for one UTC minute start: the reference the fast search is
 * tested against.
 */
export function shouldRunAt(s: CronSchedule, utcMinuteMs: number, zone: Zone): boolean {
  const c = compile(s);
  const wall = utcMinuteMs + zone.offsetAt(utcMinuteMs);
  const minuteIndex = Math.floor(wall / MINUTE_MS);
  const dayNumber = Math.floor(minuteIndex / 1440);
  const minuteOfDay = minuteIndex - dayNumber * 1440;
  const date = civilFromDays(dayNumber, { year: 0, month: 0, day: 0 });
  const weekday = (((dayNumber + 4) % 7) + 7) % 7;
  if (!c.minute[minuteOfDay % 60] || !c.hour[Math.floor(minuteOfDay / 60)] || !c.month[date.month]) return false;
  const isLast = c.last && isLastDayAt(zone, utcMinuteMs, { year: 0, month: 0, day: 0 });
  return dayRule(c, date.day, weekday, isLast);
}
