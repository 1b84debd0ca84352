/**
 * UTC offsets of IANA time zones, from Intl.DateTimeFormat only (this code also runs in
 * Deno Edge Functions). Offsets are cached as per-year transition tables so that the
 * schedule search is arithmetic: a table costs a few hundred Intl calls once per zone and
 * year, later lookups cost none.
 *
 * A table samples the offset every 12 hours and bisects to the second where it changes.
 * Two transitions less than 12 hours apart that cancel out would be missed; no zone in
 * the tz database has had that.
 */

const SECOND = 1000;
const SAMPLE_STEP = 12 * 3600 * SECOND;

export interface Zone {
  /** The name as given (for messages). */
  readonly name: string;
  /** True for zones that are always UTC+0. */
  readonly fixed: boolean;
  /** Milliseconds to add to a UTC instant to get the local wall-clock time. */
  offsetAt(utcMs: number): number;
  /** The first instant > afterMs and <= limitMs at which the offset changes, or null. */
  nextTransition(afterMs: number, limitMs: number): number | null;
  /** The last instant <= atMs and >= limitMs at which the offset changes, or null. */
  previousTransition(atMs: number, limitMs: number): number | null;
}

/** Names PostgreSQL and Intl both take as plain UTC. */
const UTC_NAMES = new Set([
  "gmt", "utc", "uct", "zulu", "universal", "greenwich", "gmt0", "gmt+0", "gmt-0",
  "etc/gmt", "etc/utc", "etc/uct", "etc/zulu", "etc/universal", "etc/greenwich", "etc/gmt0", "etc/gmt+0", "etc/gmt-0",
]);

const UTC_ZONE: Zone = {
  name: "GMT",
  fixed: true,
  offsetAt: () => 0,
  nextTransition: () => null,
  previousTransition: () => null,
};

interface YearTable {
  /** Offset in force at the year's first instant (UTC). */
  startOffset: number;
  /** Transition instants within the year, ascending, and the offset from each on. */
  at: number[];
  offsets: number[];
}

class IntlZone implements Zone {
  readonly fixed = false;
  private readonly years = new Map<number, YearTable>();
  /** The table used last, with its year's bounds: most lookups hit it. */
  private hotTable: YearTable | null = null;
  private hotStart = 0;
  private hotEnd = 0;

  constructor(
    readonly name: string,
    private readonly format: Intl.DateTimeFormat,
  ) {}

  offsetAt(utcMs: number): number {
    let table = this.hotTable;
    if (table === null || utcMs < this.hotStart || utcMs >= this.hotEnd) {
      const year = utcYear(utcMs);
      table = this.table(year);
      this.hotTable = table;
      this.hotStart = Date.UTC(year, 0, 1);
      this.hotEnd = Date.UTC(year + 1, 0, 1);
    }
    let offset = table.startOffset;
    for (let i = 0; i < table.at.length && (table.at[i] ?? Infinity) <= utcMs; i++) offset = table.offsets[i] ?? offset;
    return offset;
  }

  nextTransition(afterMs: number, limitMs: number): number | null {
    const lastYear = utcYear(limitMs);
    for (let year = utcYear(afterMs); year <= lastYear; year++) {
      for (const at of this.table(year).at) {
        if (at > limitMs) return null;
        if (at > afterMs) return at;
      }
    }
    return null;
  }

  previousTransition(atMs: number, limitMs: number): number | null {
    const firstYear = utcYear(limitMs);
    for (let year = utcYear(atMs); year >= firstYear; year--) {
      const { at } = this.table(year);
      for (let i = at.length - 1; i >= 0; i--) {
        const t = at[i] ?? -Infinity;
        if (t < limitMs) return null;
        if (t <= atMs) return t;
      }
    }
    return null;
  }

  private table(year: number): YearTable {
    let table = this.years.get(year);
    if (!table) {
      table = this.build(year);
      this.years.set(year, table);
    }
    return table;
  }

  private build(year: number): YearTable {
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const table: YearTable = { startOffset: this.rawOffset(start), at: [], offsets: [] };
    let lo = start;
    let loOffset = table.startOffset;
    while (lo < end) {
      const hi = Math.min(lo + SAMPLE_STEP, end - SECOND);
      if (hi <= lo) break;
      const hiOffset = this.rawOffset(hi);
      if (hiOffset !== loOffset) {
        // Bisect to the first second with a different offset; repeat in case two
        // transitions fall in one sample step.
        let a = lo;
        let b = hi;
        while (b - a > SECOND) {
          const mid = a + Math.floor((b - a) / (2 * SECOND)) * SECOND;
          if (this.rawOffset(mid) === loOffset) a = mid;
          else b = mid;
        }
        const offset = this.rawOffset(b);
        table.at.push(b);
        table.offsets.push(offset);
        lo = b;
        loOffset = offset;
        continue;
      }
      lo = hi;
      loOffset = hiOffset;
    }
    return table;
  }

  /** The offset Intl reports for one instant, at one-second resolution. */
  private rawOffset(utcMs: number): number {
    const whole = Math.floor(utcMs / SECOND) * SECOND;
    // format() is about 3x faster than formatToParts(); the en-US shape is
    // "3/29/2026, 03:00:00". formatToParts stays as the fallback for other ICU output.
    const match = EN_US.exec(this.format.format(whole));
    let fields: number[];
    if (match) {
      fields = [Number(match[3]), Number(match[1]), Number(match[2]), Number(match[4]) % 24, Number(match[5]), Number(match[6])];
    } else {
      const parts: Record<string, number> = {};
      for (const part of this.format.formatToParts(whole)) parts[part.type] = Number(part.value);
      fields = [parts.year ?? 0, parts.month ?? 1, parts.day ?? 1, (parts.hour ?? 0) % 24, parts.minute ?? 0, parts.second ?? 0];
    }
    const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = fields;
    let wall = Date.UTC(year, month - 1, day, hour, minute, second);
    if (year >= 0 && year < 100) {
      // Date.UTC reads years 0-99 as 1900-1999.
      const date = new Date(wall);
      date.setUTCFullYear(year);
      wall = date.getTime();
    }
    return wall - whole;
  }
}

const EN_US = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6}),\s(\d{1,2}):(\d{2}):(\d{2})$/;

function utcYear(utcMs: number): number {
  return new Date(utcMs).getUTCFullYear();
}

const cache = new Map<string, Zone>();

/**
 * PostgreSQL reads "GMT+3"/"UTC-5" as POSIX zones: the sign is west-positive, as in the
 * tz database's Etc/GMT+3 (= UTC-3). Intl only knows the Etc/ spelling.
 */
function posixToEtc(name: string): string | null {
  const match = /^(?:gmt|utc)([+-])(\d{1,2})$/i.exec(name);
  if (!match) return null;
  const hours = Number(match[2]);
  if (hours === 0) return "Etc/GMT";
  if ((match[1] === "+" && hours > 12) || (match[1] === "-" && hours > 14)) return null;
  return `Etc/GMT${match[1]}${hours}`;
}

/**
 * The zone for a name PostgreSQL's cron.timezone could hold; undefined, null and "" mean GMT
 * (cron.timezone's default). Throws a RangeError naming the zone when Intl does not know it.
 */
export function resolveZone(name?: string | null): Zone {
  const given = (name ?? "").trim();
  if (given === "" || UTC_NAMES.has(given.toLowerCase())) return UTC_ZONE;
  const cached = cache.get(given);
  if (cached) return cached;
  const intlName = posixToEtc(given) ?? given;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: intlName,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    throw new RangeError(`invalid time zone "${given}": expected an IANA time zone name such as "Europe/Berlin" or "GMT"`);
  }
  const zone = new IntlZone(given, format);
  cache.set(given, zone);
  return zone;
}
