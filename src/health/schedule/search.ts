/**
 * Fire times of cron schedules, as pg_cron's launcher produces them.
 *
 * What the launcher does (src/pg_cron.c StartAllPendingRuns / StartPendingRuns /
 * ShouldRunTask): every loop it takes GetCurrentTimestamp() — a UTC instant — and walks
 * the UTC minute starts since the last minute it handled, asking ShouldRunTask whether each
 * one matches. Only ShouldRunTask converts to wall-clock time (gmtime() on 1.4,
 * pg_localtime() in cron.timezone on 1.5+). The "clock jump" logic it inherited from Vixie
 * cron (CLOCK_JUMP_FORWARD for 6 minutes to 3 hours, CLOCK_JUMP_BACKWARD, CLOCK_CHANGE
 * beyond 3 hours) compares UTC instants, so it only reacts to a real system clock change or
 * a stalled launcher — never to a DST change, despite its "(DST?)" comments, which date
 * from Vixie cron's local-time clock. Consequences in a zone with DST:
 * - spring forward: wall-clock minutes that do not exist (02:00-02:59 in Europe/Berlin on
 *   2026-03-29) are never evaluated, so a job due then does not run that day;
 * - fall back: wall-clock minutes that happen twice (02:00-02:59 on 2026-10-25) are
 *   evaluated twice, so a job due then runs twice, an hour apart;
 * - `$` is "now + 24 hours is the 1st" (see match.ts isLastDayAt).
 * So the fire times are exactly the UTC minute starts whose local fields match. This
 * module finds them without stepping minute by minute: it splits time into segments of
 * constant UTC offset and, inside one, skips through the wall clock by month, day and hour.
 *
 * Not modelled (they decide whether a run happens, not when it is due): runs missed while
 * the server is down are never made up; after a launcher stall of 6 minutes to 3 hours only
 * jobs with a fixed minute and hour are caught up; a run due while the previous one still
 * runs is queued.
 */
import { civilFromDays, DAY_MS, daysFromCivil, daysInMonth, MINUTE_MS, MINUTES_PER_DAY, weekdayOfDays, type CivilDate } from "./calendar.js";
import { compile, dayRule, isCalendarLastDay, isLastDayAt, shouldRunAt, type CompiledCron } from "./match.js";
import type { CronSchedule, Schedule } from "./types.js";
import { featuresOf } from "./version.js";
import { resolveZone, type Zone } from "./zone.js";

/** How far the searches look: a schedule with no fire within it counts as never firing. */
export const SEARCH_HORIZON_MS = 5 * 366 * DAY_MS;
/** Searched with one transition lookup at a time, so offset tables are built lazily. */
const WINDOW_MS = 400 * DAY_MS;

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

function instant(date: Date, what: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not a valid date`);
  return ms;
}

/**
 * The zone pg_cron evaluates the schedule in. The zone name is always validated (a bad one
 * is a configuration error), but 1.4 has no cron.timezone and always uses GMT.
 */
export function evaluationZone(s: CronSchedule, timeZone: string | undefined): Zone {
  const asked = resolveZone(timeZone);
  return featuresOf(s.version).timezone ? asked : resolveZone("GMT");
}

/** One search: the compiled schedule, the zone, and scratch dates (no allocation per step). */
class Search {
  private readonly date: CivilDate = { year: 0, month: 0, day: 0 };
  private readonly other: CivilDate = { year: 0, month: 0, day: 0 };
  /** The `$` day test needs the exact 24-hour rule only where a DST change is near. */
  private readonly exactLast: boolean;

  constructor(
    private readonly c: CompiledCron,
    private readonly zone: Zone,
  ) {
    this.exactLast = c.last && !zone.fixed;
  }

  /** First matching UTC minute start in [from, limit]. */
  forward(from: number, limit: number): number | null {
    let t = from;
    while (t <= limit) {
      const offset = this.zone.offsetAt(t);
      const windowEnd = Math.min(limit, t + WINDOW_MS);
      const transition = this.zone.nextTransition(t, windowEnd);
      // Instants in [t, segmentEnd) have `offset`.
      const segmentEnd = transition ?? windowEnd + 1;
      const lastStart = ceilMinute(segmentEnd) - MINUTE_MS;
      const toWall = Math.floor((lastStart + offset) / MINUTE_MS);
      let w: number | null = Math.floor((t + offset) / MINUTE_MS);
      while (w !== null && w <= toWall) {
        w = this.nextWall(w, toWall, offset);
        if (w === null) break;
        const u = ceilMinute(w * MINUTE_MS - offset);
        if (!this.exactLast || this.exactDay(w, u)) return u;
        w += 1;
      }
      t = lastStart + MINUTE_MS;
    }
    return null;
  }

  /** Last matching UTC minute start in [limit, from]. */
  backward(from: number, limit: number): number | null {
    let t = from;
    while (t >= limit) {
      const offset = this.zone.offsetAt(t);
      const windowStart = Math.max(limit, t - WINDOW_MS);
      const transition = this.zone.previousTransition(t, windowStart);
      // Instants in [segmentStart, t] have `offset`.
      const segmentStart = transition ?? windowStart;
      const firstStart = ceilMinute(segmentStart);
      const toWall = Math.floor((firstStart + offset) / MINUTE_MS);
      let w: number | null = Math.floor((t + offset) / MINUTE_MS);
      while (w !== null && w >= toWall) {
        w = this.previousWall(w, toWall, offset);
        if (w === null) break;
        const u = ceilMinute(w * MINUTE_MS - offset);
        if (!this.exactLast || this.exactDay(w, u)) return u;
        w -= 1;
      }
      t = firstStart - MINUTE_MS;
    }
    return null;
  }

  /** ShouldRunTask's day rule with the real 24-hour `$` test, for wall minute w at instant u. */
  private exactDay(w: number, u: number): boolean {
    const dayNumber = Math.floor(w / MINUTES_PER_DAY);
    civilFromDays(dayNumber, this.date);
    return dayRule(this.c, this.date.day, weekdayOfDays(dayNumber), isLastDayAt(this.zone, u, this.other));
  }

  /**
   * Whether a wall-clock day can match. Exact unless the schedule has `$` in a zone with
   * DST: then it also admits the days pg_cron's 24-hour test can call "last" near a DST
   * change (the day before the last, and the 1st), and exactDay decides per minute.
   */
  private dayCandidate(dayNumber: number, date: CivilDate, offset: number): boolean {
    const weekday = weekdayOfDays(dayNumber);
    if (!this.c.last) return dayRule(this.c, date.day, weekday, false);
    let maybeLast = isCalendarLastDay(date);
    if (!maybeLast && this.exactLast) {
      const beforeLast = isCalendarLastDay(civilFromDays(dayNumber + 1, this.other));
      if (beforeLast || date.day === 1) {
        const approx = dayNumber * DAY_MS - offset;
        maybeLast = this.zone.nextTransition(approx - 2 * DAY_MS, approx + 3 * DAY_MS) !== null;
      }
    }
    return dayRule(this.c, date.day, weekday, maybeLast);
  }

  /**
   * The next day after `dayNumber` (in `date`'s month, or the 1st of the next month) that
   * can be a candidate: one with a day-of-month bit or `$` nearby, or — when the day fields
   * are ORed — one with a day-of-week bit. Saves walking a month day by day.
   */
  private nextDay(dayNumber: number, date: CivilDate): number {
    const c = this.c;
    const inMonth = daysInMonth(date.year, date.month);
    let target = c.nextDom[date.day + 1] ?? -1;
    if (target > inMonth) target = -1;
    if (c.last) {
      const lastCandidate = this.exactLast && date.day + 1 <= inMonth - 1 ? inMonth - 1 : inMonth;
      if (date.day + 1 <= lastCandidate && (target < 0 || lastCandidate < target)) target = lastCandidate;
    }
    let next = target > 0 ? dayNumber + (target - date.day) : dayNumber + (inMonth - date.day) + 1;
    if (!c.and) {
      const weekday = weekdayOfDays(dayNumber);
      for (let k = 1; k <= 7 && dayNumber + k < next; k++) {
        if (c.dow[(weekday + k) % 7]) {
          next = dayNumber + k;
          break;
        }
      }
    }
    return next;
  }

  /** Mirror of nextDay: the previous day that can be a candidate (or the last of the previous month). */
  private previousDay(dayNumber: number, date: CivilDate): number {
    const c = this.c;
    let target = date.day > 1 ? (c.prevDom[date.day - 1] ?? -1) : -1;
    if (c.last && date.day > 1) {
      const inMonth = daysInMonth(date.year, date.month);
      // Candidates for `$` below today: the day before the last, and the 1st (DST only).
      if (this.exactLast) {
        if (date.day === inMonth && inMonth - 1 > target) target = inMonth - 1;
        if (target < 1) target = 1;
      }
    }
    let previous = target > 0 ? dayNumber - (date.day - target) : dayNumber - date.day;
    if (!c.and) {
      const weekday = weekdayOfDays(dayNumber);
      for (let k = 1; k <= 7 && dayNumber - k > previous; k++) {
        if (c.dow[(((weekday - k) % 7) + 7) % 7]) {
          previous = dayNumber - k;
          break;
        }
      }
    }
    return previous;
  }

  /** First wall minute in [from, to] whose month, day, hour and minute can match. */
  private nextWall(from: number, to: number, offset: number): number | null {
    const c = this.c;
    const date = this.date;
    let w = from;
    while (w <= to) {
      const dayNumber = Math.floor(w / MINUTES_PER_DAY);
      civilFromDays(dayNumber, date);
      if (!c.month[date.month]) {
        let { year, month } = date;
        do {
          month++;
          if (month > 12) {
            month = 1;
            year++;
          }
        } while (!c.month[month]);
        w = daysFromCivil(year, month, 1) * MINUTES_PER_DAY;
        continue;
      }
      if (!this.dayCandidate(dayNumber, date, offset)) {
        w = this.nextDay(dayNumber, date) * MINUTES_PER_DAY;
        continue;
      }
      const minuteOfDay = w - dayNumber * MINUTES_PER_DAY;
      const hour = Math.floor(minuteOfDay / 60);
      const minute = c.hour[hour] ? (c.nextMinute[minuteOfDay - hour * 60] ?? -1) : -1;
      let candidate: number;
      if (minute >= 0) {
        candidate = dayNumber * MINUTES_PER_DAY + hour * 60 + minute;
      } else {
        const nextHour = c.nextHour[hour + 1] ?? -1;
        if (nextHour < 0) {
          w = (dayNumber + 1) * MINUTES_PER_DAY;
          continue;
        }
        candidate = dayNumber * MINUTES_PER_DAY + nextHour * 60 + c.firstMinute;
      }
      return candidate <= to ? candidate : null;
    }
    return null;
  }

  /** Last wall minute in [to, from] whose month, day, hour and minute can match. */
  private previousWall(from: number, to: number, offset: number): number | null {
    const c = this.c;
    const date = this.date;
    let w = from;
    while (w >= to) {
      const dayNumber = Math.floor(w / MINUTES_PER_DAY);
      civilFromDays(dayNumber, date);
      if (!c.month[date.month]) {
        let { year, month } = date;
        do {
          month--;
          if (month < 1) {
            month = 12;
            year--;
          }
        } while (!c.month[month]);
        w = daysFromCivil(year, month, daysInMonth(year, month)) * MINUTES_PER_DAY + MINUTES_PER_DAY - 1;
        continue;
      }
      if (!this.dayCandidate(dayNumber, date, offset)) {
        w = (this.previousDay(dayNumber, date) + 1) * MINUTES_PER_DAY - 1;
        continue;
      }
      const minuteOfDay = w - dayNumber * MINUTES_PER_DAY;
      const hour = Math.floor(minuteOfDay / 60);
      const minute = c.hour[hour] ? (c.prevMinute[minuteOfDay - hour * 60] ?? -1) : -1;
      let candidate: number;
      if (minute >= 0) {
        candidate = dayNumber * MINUTES_PER_DAY + hour * 60 + minute;
      } else {
        const previousHour = hour > 0 ? (c.prevHour[hour - 1] ?? -1) : -1;
        if (previousHour < 0) {
          w = dayNumber * MINUTES_PER_DAY - 1;
          continue;
        }
        candidate = dayNumber * MINUTES_PER_DAY + previousHour * 60 + c.lastMinute;
      }
      return candidate >= to ? candidate : null;
    }
    return null;
  }
}

/**
 * First fire instant strictly after `after`, evaluated in IANA zone `timeZone` (default
 * "GMT"; ignored for 1.4 schedules, which pg_cron evaluates in GMT). null if it never fires
 * within SEARCH_HORIZON_MS, for reboot and for interval schedules (their runs are counted
 * from the previous start, not from the clock). Throws RangeError for an unknown zone.
 */
export function nextFireTime(s: Schedule, after: Date, timeZone = "GMT"): Date | null {
  const afterMs = instant(after, "after");
  if (s.kind !== "cron") {
    resolveZone(timeZone);
    return null;
  }
  const zone = evaluationZone(s, timeZone);
  const c = compile(s);
  if (c.never) return null;
  const u = new Search(c, zone).forward(floorMinute(afterMs) + MINUTE_MS, afterMs + SEARCH_HORIZON_MS);
  return u === null ? null : new Date(u);
}

/** Latest fire instant at or before `atOrBefore`; null when none within SEARCH_HORIZON_MS. */
export function previousFireTime(s: Schedule, atOrBefore: Date, timeZone = "GMT"): Date | null {
  const atMs = instant(atOrBefore, "atOrBefore");
  if (s.kind !== "cron") {
    resolveZone(timeZone);
    return null;
  }
  const zone = evaluationZone(s, timeZone);
  const c = compile(s);
  if (c.never) return null;
  const u = new Search(c, zone).backward(floorMinute(atMs), atMs - SEARCH_HORIZON_MS);
  return u === null ? null : new Date(u);
}

/**
 * Typical period in seconds around `at`: the gap between the fire at or before `at` and
 * the fire after it (or, at the edge of the horizon, between two consecutive fires on the
 * side that has them); interval → its seconds; null when it never fires and for reboot.
 */
export function schedulePeriodSeconds(s: Schedule, at: Date, timeZone = "GMT"): number | null {
  if (s.kind === "interval") return s.seconds;
  if (s.kind === "reboot") return null;
  const previous = previousFireTime(s, at, timeZone);
  const next = nextFireTime(s, at, timeZone);
  if (previous && next) return (next.getTime() - previous.getTime()) / 1000;
  if (next) {
    const after = nextFireTime(s, next, timeZone);
    return after ? (after.getTime() - next.getTime()) / 1000 : null;
  }
  if (previous) {
    const before = previousFireTime(s, new Date(previous.getTime() - 1), timeZone);
    return before ? (previous.getTime() - before.getTime()) / 1000 : null;
  }
  return null;
}

/** Whether pg_cron runs the job in the minute that contains `at` (ShouldRunTask); false for interval and reboot. */
export function matchesMinute(s: Schedule, at: Date, timeZone = "GMT"): boolean {
  const atMs = instant(at, "at");
  if (s.kind !== "cron") {
    resolveZone(timeZone);
    return false;
  }
  return shouldRunAt(s, floorMinute(atMs), evaluationZone(s, timeZone));
}
