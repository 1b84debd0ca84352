/**
 * parseSchedule: what pg_cron's ParseSchedule (src/job_metadata.c) accepts, per version.
 * It tries the cron form first (parse_cron_entry, src/entry.c) and, on 1.5+, the
 * `'N seconds'` form second (TryParseInterval). The 1000-byte limit belongs to the cron
 * parser only: an interval padded past it is still accepted, as in pg_cron.
 */
import { valuesOf } from "./bitstring.js";
import { fieldBounds, parseCronEntry, type CronParseResult } from "./cron-parser.js";
import { looksLikeInterval, parseInterval } from "./interval.js";
import type { CronSchedule, ParseResult } from "./types.js";
import { featuresOf, isPgCronVersion, parsePgCronVersion, type PgCronVersion } from "./version.js";

/**
 * Results are cached per (version, text) and shared, so they are frozen: a check parses the
 * same few schedule texts for thousands of jobs, every time.
 */
const CACHE_LIMIT = 4096;
/** Longer texts (rejected by the cron parser anyway) are not kept. */
const CACHE_MAX_TEXT = 2048;
const cache = new Map<string, ParseResult>();

/**
 * Error messages name the field and the value, e.g. `minute field: 60 is out of range 0-59`.
 * The result is frozen (shared with other callers).
 */
export function parseSchedule(text: string, version: PgCronVersion): ParseResult {
  if (typeof text !== "string") return { ok: false, error: "schedule must be a string" };
  const v = isPgCronVersion(version) ? version : parsePgCronVersion(version);
  const key = `${v}\u0000${text}`;
  let result = cache.get(key);
  if (result === undefined) {
    result = deepFreeze(parseUncached(text, v));
    if (text.length <= CACHE_MAX_TEXT) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, result);
    }
  }
  return result;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function parseUncached(text: string, v: PgCronVersion): ParseResult {
  if (text.includes("\u0000")) {
    return { ok: false, error: "schedule contains a NUL character, which PostgreSQL text cannot hold" };
  }

  const cron = parseCronEntry(text, v);
  if (cron.ok) {
    if (cron.reboot) return { ok: true, schedule: { kind: "reboot", text }, warnings: cron.warnings };
    return { ok: true, schedule: toCronSchedule(text, v, cron), warnings: cron.warnings };
  }

  const intervalLike = looksLikeInterval(text);
  if (featuresOf(v).intervals) {
    const interval = parseInterval(text);
    if (interval.ok) return { ok: true, schedule: { kind: "interval", text, seconds: interval.seconds }, warnings: [] };
    if (intervalLike) return { ok: false, error: `interval: ${interval.reason}` };
  } else if (intervalLike) {
    return { ok: false, error: `'${text.trim()}': interval schedules ('N seconds') need pg_cron 1.5 or later` };
  }
  return { ok: false, error: cron.error };
}

function toCronSchedule(text: string, version: PgCronVersion, parsed: Extract<CronParseResult, { ok: true }>): CronSchedule {
  const { bits, flags } = parsed;
  return {
    kind: "cron",
    text,
    version,
    macro: parsed.macro,
    minutes: valuesOf(bits.minute, fieldBounds("minute")),
    hours: valuesOf(bits.hour, fieldBounds("hour")),
    daysOfMonth: valuesOf(bits["day-of-month"], fieldBounds("day-of-month")),
    months: valuesOf(bits.month, fieldBounds("month")),
    // Bit 7 was folded into bit 0 by the parser; tm_wday is 0-6.
    daysOfWeek: valuesOf(bits["day-of-week"], { low: 0, high: 6 }),
    lastDayOfMonth: flags.domLast,
    domStar: flags.domStar,
    dowStar: flags.dowStar,
    minuteStar: flags.minuteStar,
    hourStar: flags.hourStar,
  };
}
