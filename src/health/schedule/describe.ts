/**
 * Human sentences for schedules, built from the parsed value sets (what pg_cron will do),
 * not from the text (which may hold ignored junk, reversed ranges or 1.6's byte-wise
 * fills): "At 09:00, Monday through Friday (GMT)".
 */
import { neverFiresReason } from "./match.js";
import type { CronSchedule, Schedule } from "./types.js";
import { featuresOf } from "./version.js";

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH_NAMES = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** A human sentence, with the zone in parentheses for cron kinds (GMT for 1.4 schedules). */
export function describeSchedule(s: Schedule, timeZone = "GMT"): string {
  if (s.kind === "interval") return s.seconds === 1 ? "Every second" : `Every ${s.seconds} seconds`;
  if (s.kind === "reboot") return "At server start (@reboot)";
  const zone = featuresOf(s.version).timezone ? timeZone.trim() || "GMT" : "GMT";
  const never = neverFiresReason(s);
  if (never !== null) return `Never fires: ${never} (${zone})`;
  let sentence = describeTime(s.minutes, s.hours);
  const days = describeDays(s);
  if (days) sentence += days.startsWith("on ") ? ` ${days}` : `, ${days}`;
  const months = describeMonths(s.months);
  if (months) sentence += `, ${months}`;
  return `${sentence} (${zone})`;
}

export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  switch (n % 10) {
    case 1: return `${n}st`;
    case 2: return `${n}nd`;
    case 3: return `${n}rd`;
    default: return `${n}th`;
  }
}

function joinList(items: readonly string[], conjunction = "and"): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

/** [1,2,3,7] → ["1 through 3", "7"]: runs of three or more become ranges. */
function runs(values: readonly number[], name: (v: number) => string = String): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < values.length) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === (values[j] ?? 0) + 1) j++;
    const first = values[i] ?? 0;
    const last = values[j] ?? 0;
    if (j - i >= 2) out.push(`${name(first)} through ${name(last)}`);
    else for (let k = i; k <= j; k++) out.push(name(values[k] ?? 0));
    i = j + 1;
  }
  return out;
}

/**
 * The step k when the values are low, low+k, … up to the last one before high + 1 (what
 * `*\/k` gives), with three values at least; else 0.
 */
function stepFrom(values: readonly number[], low: number, high: number): number {
  if (values.length < 3 || values[0] !== low) return 0;
  const k = (values[1] ?? 0) - low;
  if (k < 2) return 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== low + i * k) return 0;
  return (values[values.length - 1] ?? 0) + k > high ? k : 0;
}

/** Values a, a+k, … (k >= 2, three or more values): the step, else 0. */
function progression(values: readonly number[]): number {
  if (values.length < 3) return 0;
  const k = (values[1] ?? 0) - (values[0] ?? 0);
  if (k < 2) return 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) - (values[i - 1] ?? 0) !== k) return 0;
  return k;
}

function isContiguous(values: readonly number[]): boolean {
  return values.length >= 2 && (values[values.length - 1] ?? 0) - (values[0] ?? 0) === values.length - 1;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function describeTime(minutes: readonly number[], hours: readonly number[]): string {
  const allMinutes = minutes.length === 60;
  const allHours = hours.length === 24;
  const hourStep = stepFrom(hours, 0, 23);
  const minuteStep = stepFrom(minutes, 0, 59);
  const everyStyle = allMinutes || (minuteStep > 0 && 60 % minuteStep === 0);

  if (!everyStyle && !allHours && hourStep === 0 && minutes.length * hours.length <= 6) {
    const times: string[] = [];
    for (const h of hours) for (const m of minutes) times.push(`${pad(h)}:${pad(m)}`);
    return `At ${joinList(times)}`;
  }

  if (everyStyle) {
    const head = allMinutes ? "Every minute" : `Every ${minuteStep} minutes`;
    if (allHours) return head;
    if (hourStep > 0) return `${head}, ${24 % hourStep === 0 ? `every ${hourStep} hours` : `every ${ordinal(hourStep)} hour`}`;
    if (hours.length === 1 || isContiguous(hours)) {
      return `${head}, between ${pad(hours[0] ?? 0)}:00 and ${pad(hours[hours.length - 1] ?? 0)}:59`;
    }
    return `${head}, during hours ${joinList(runs(hours))}`;
  }

  let head: string;
  const k = progression(minutes);
  if (minuteStep > 0) head = `At every ${ordinal(minuteStep)} minute`;
  else if (minutes.length === 1) head = `At minute ${minutes[0]}`;
  else if (k > 0) head = `At every ${ordinal(k)} minute from ${minutes[0]} through ${minutes[minutes.length - 1]}`;
  else if (isContiguous(minutes)) head = `Every minute from ${minutes[0]} through ${minutes[minutes.length - 1]}`;
  else head = `At minutes ${joinList(runs(minutes))}`;

  if (allHours) return `${head} past every hour`;
  if (hourStep > 0) return `${head} past every ${ordinal(hourStep)} hour`;
  if (hours.length === 1) return `${head} past hour ${hours[0]}`;
  if (isContiguous(hours)) return `${head} past every hour from ${hours[0]} through ${hours[hours.length - 1]}`;
  return `${head} past hours ${joinList(runs(hours))}`;
}

function describeDaysOfMonth(days: readonly number[], last: boolean): string {
  if (last && days.length === 0) return "on the last day of the month";
  const step = stepFrom(days, 1, 31);
  let phrase: string;
  if (step > 0) phrase = `on every ${ordinal(step)} day of the month`;
  else if (days.length === 1) phrase = `on day ${days[0]} of the month`;
  else phrase = `on days ${joinList(runs(days))} of the month`;
  return last ? `${phrase} and on the last day of the month` : phrase;
}

function weekdays(days: readonly number[], conjunction = "and"): string {
  if (days.length >= 3 && isContiguous(days)) return `${DAY_NAMES[days[0] ?? 0]} through ${DAY_NAMES[days[days.length - 1] ?? 0]}`;
  return joinList(days.map((d) => DAY_NAMES[d] ?? String(d)), conjunction);
}

/**
 * The day-of-month / day-of-week rule (ShouldRunTask): ANDed when either field's text
 * starts with `*`, else ORed — so `0 0 1-31 * 1` runs every day.
 */
function describeDays(s: CronSchedule): string {
  const allDom = s.daysOfMonth.length === 31;
  const allDow = s.daysOfWeek.length === 7;
  const domPhrase = (): string => describeDaysOfMonth(s.daysOfMonth, s.lastDayOfMonth);
  if (s.domStar || s.dowStar) {
    if (allDom && allDow) return "";
    if (allDom) return `only on ${weekdays(s.daysOfWeek)}`.replace(/^only on (\w+ through \w+)$/, "$1");
    if (allDow) return domPhrase();
    return `${domPhrase()} if it is a ${weekdays(s.daysOfWeek, "or")}`;
  }
  if (allDom || allDow) return "";
  const noDom = s.daysOfMonth.length === 0 && !s.lastDayOfMonth;
  if (noDom) return `only on ${weekdays(s.daysOfWeek)}`.replace(/^only on (\w+ through \w+)$/, "$1");
  if (s.daysOfWeek.length === 0) return domPhrase();
  return `${domPhrase()} or on ${weekdays(s.daysOfWeek, "or")}`;
}

function describeMonths(months: readonly number[]): string {
  if (months.length === 12) return "";
  const step = stepFrom(months, 1, 12);
  if (step > 0) return `every ${ordinal(step)} month`;
  if (months.length >= 3 && isContiguous(months)) return `${MONTH_NAMES[months[0] ?? 0]} through ${MONTH_NAMES[months[months.length - 1] ?? 0]}`;
  return `only in ${joinList(runs(months, (m) => MONTH_NAMES[m] ?? String(m)))}`;
}
