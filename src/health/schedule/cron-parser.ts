/**
 * A character-by-character port of pg_cron's cron parser (src/entry.c parse_cron_entry,
 * get_list, get_range, get_number, set_element, set_range; src/misc.c get_char,
 * skip_comments, get_string; include/cron.h Skip_Blanks, Skip_Nonblanks). It is a port
 * rather than a grammar because pg_cron's acceptance is defined by this code, quirks
 * included: junk after a value list is skipped, text after the fifth field is ignored,
 * reversed ranges and over-sized steps behave differently per version.
 *
 * The parser works on the UTF-8 bytes, as the C code does. Differences from C that do not
 * change the outcome: failures carry a message naming the field and the value.
 */
import { type Bitstring, bitNset, bitSet, bitTest, compactList, valuesOf } from "./bitstring.js";
import type { CronField, CronMacro } from "./types.js";
import { featuresOf, type PgCronVersion } from "./version.js";

/** pg_cron's get_char never returns EOF: past the end it returns '\0' (src/misc.c). */
const EOF = -1;
const NUL = 0;
const TAB = 0x09;
const LF = 0x0a;
const SPACE = 0x20;
const CH_STAR = 0x2a;
const CH_COMMA = 0x2c;
const CH_DASH = 0x2d;
const CH_SLASH = 0x2f;
const CH_DOLLAR = 0x24;
const CH_AT = 0x40;
const CH_HASH = 0x23;

/** MAX_FILE_BUFFER_LENGTH in include/cron.h: parse_cron_entry rejects strlen >= 1000. */
export const MAX_CRON_SCHEDULE_BYTES = 1000;

interface FieldSpec {
  field: CronField;
  low: number;
  high: number;
  /** bitstr_size(high - low + 1): the bitstring's real size, which bit_nset can fill past `high`. */
  bytes: number;
  names: readonly string[] | null;
  nameHint: string;
}

/**
 * MonthNames and DowNames in include/cron.h (compared with strcasecmp, so kept in lower
 * case here); DowNames has "sun" at 0 and 7, the first match wins.
 */
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const SPECS: Record<CronField, FieldSpec> = {
  minute: { field: "minute", low: 0, high: 59, bytes: 8, names: null, nameHint: "" },
  hour: { field: "hour", low: 0, high: 23, bytes: 3, names: null, nameHint: "" },
  "day-of-month": { field: "day-of-month", low: 1, high: 31, bytes: 4, names: null, nameHint: "" },
  month: { field: "month", low: 1, high: 12, bytes: 2, names: MONTH_NAMES, nameHint: " or a 3-letter month name (jan-dec)" },
  "day-of-week": { field: "day-of-week", low: 0, high: 7, bytes: 1, names: DOW_NAMES, nameHint: " or a 3-letter day name (sun-sat)" },
};

/** One bitstring per field, as in pg_cron's `entry`. */
export type CronBits = Record<CronField, Bitstring>;

export interface CronFlags {
  domStar: boolean;
  dowStar: boolean;
  minuteStar: boolean;
  hourStar: boolean;
  /** DOM_LAST: `$` (1.6+). */
  domLast: boolean;
}

export type CronParseResult =
  | { ok: true; reboot: boolean; macro: CronMacro | null; bits: CronBits; flags: CronFlags; warnings: string[] }
  | { ok: false; error: string };

/**
 * C's atoi on an all-digit string, as glibc on LP64 does it: (int) strtol(s), where strtol
 * saturates at LONG_MAX. So "4294967296" is 0 and "99999999999999999999" is -1.
 */
function cAtoi(digits: string): number {
  if (digits.length <= 9) return Number(digits);
  let value = BigInt(digits);
  const longMax = (1n << 63n) - 1n;
  if (value > longMax) value = longMax;
  return Number(BigInt.asIntN(32, value));
}

function isDigit(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

/** isalnum() in the C locale: bytes of multi-byte characters are not alphanumeric. */
function isAlnum(ch: number): boolean {
  return isDigit(ch) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a);
}

function isBlank(ch: number): boolean {
  return ch === SPACE || ch === TAB;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The end of the warning for a step that only pg_cron 1.6.0 to 1.6.4 accept: verdicts repeat that warning. */
export const LATER_RELEASES_REJECT = "1.6.5 and later reject it";

class CronParser {
  private pos = 0;
  /** Offset of the character last returned by getChar (bytes.length past the end). */
  private cur = 0;
  private readonly ungot: Array<{ ch: number; at: number }> = [];
  private skippedLines = false;
  private spec: FieldSpec = SPECS.minute;
  private fieldStart = 0;
  private num = 0;
  private error: string | null = null;
  readonly warnings: string[] = [];
  private readonly setRange: boolean;
  private readonly lastDayOfMonth: boolean;

  /**
   * The schedule as a byte string (one char per UTF-8 byte): ASCII text is used as is,
   * which spares a TextEncoder call per parse.
   */
  private readonly bytes: string;
  private readonly ascii: boolean;
  private readonly byteLength: number;

  constructor(text: string, version: PgCronVersion) {
    this.ascii = /^[\x00-\x7f]*$/.test(text);
    if (this.ascii) {
      this.bytes = text;
      this.byteLength = text.length;
    } else {
      const encoded = encoder.encode(text);
      this.byteLength = encoded.length;
      // Only a schedule under the length limit is ever read.
      let bytes = "";
      if (encoded.length < MAX_CRON_SCHEDULE_BYTES) for (const b of encoded) bytes += String.fromCharCode(b);
      this.bytes = bytes;
    }
    const features = featuresOf(version);
    this.setRange = features.setRange;
    this.lastDayOfMonth = features.lastDayOfMonth;
  }

  /** src/misc.c get_char: past the end of the buffer it returns '\0', never EOF. */
  private getChar(): number {
    const ungot = this.ungot.pop();
    if (ungot !== undefined) {
      this.cur = ungot.at;
      return ungot.ch;
    }
    if (this.pos >= this.bytes.length) {
      this.cur = this.bytes.length;
      return NUL;
    }
    this.cur = this.pos;
    return this.bytes.charCodeAt(this.pos++);
  }

  private ungetChar(ch: number): void {
    this.ungot.push({ ch, at: this.cur });
  }

  /** Offset of the character just read (the current `ch`). */
  private here(): number {
    return this.cur;
  }

  /** Bytes [from, to) as text, for messages. */
  private text(from: number, to: number): string {
    const raw = this.bytes.slice(Math.max(0, from), Math.max(from, to));
    if (this.ascii) return raw;
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return decoder.decode(bytes);
  }

  /** The whole current field, up to the next blank, for messages. */
  private fieldText(): string {
    let end = this.fieldStart;
    while (end < this.bytes.length) {
      const b = this.bytes.charCodeAt(end);
      if (b === SPACE || b === TAB || b === LF) break;
      end++;
    }
    return this.text(this.fieldStart, end);
  }

  private fail(reason: string): number {
    this.error ??= `${this.spec.field} field: ${reason}`;
    return EOF;
  }

  private failValue(reason: string): number {
    return this.fail(`"${this.fieldText()}": ${reason}`);
  }

  parse(): CronParseResult {
    const bits: CronBits = {
      minute: [0, 0, 0, 0, 0, 0, 0, 0],
      hour: [0, 0, 0],
      "day-of-month": [0, 0, 0, 0],
      month: [0, 0],
      "day-of-week": [0],
    };
    const flags: CronFlags = { domStar: false, dowStar: false, minuteStar: false, hourStar: false, domLast: false };

    if (this.byteLength >= MAX_CRON_SCHEDULE_BYTES) {
      return { ok: false, error: `schedule is ${this.byteLength} bytes: pg_cron rejects cron schedules of ${MAX_CRON_SCHEDULE_BYTES} bytes or more` };
    }
    if (!this.skipComments()) {
      return { ok: false, error: "schedule has only blank lines and # comments" };
    }
    if (this.skippedLines) {
      this.warnings.push("leading blank lines and # comment lines are ignored by pg_cron");
    }

    let ch = this.getChar();
    if (ch === CH_AT) return this.parseMacro(bits, flags);

    if (ch === CH_STAR) flags.minuteStar = true;
    ch = this.getList(bits.minute, SPECS.minute, ch);
    if (ch === EOF) return this.failure();

    if (ch === CH_STAR) flags.hourStar = true;
    ch = this.getList(bits.hour, SPECS.hour, ch);
    if (ch === EOF) return this.failure();

    if (this.lastDayOfMonth && ch === CH_DOLLAR) {
      // 1.6 (src/entry.c): `$` must be followed by a blank; it is not a `*`, so the
      // day-of-week field is ORed with it unless that field starts with `*`.
      this.spec = SPECS["day-of-month"];
      this.fieldStart = this.here();
      ch = this.getChar();
      if (!isBlank(ch)) {
        return ch === NUL || ch === LF
          ? this.failWith("month field is missing (pg_cron needs five fields)")
          : this.failWith(`day-of-month field: "${this.fieldText()}": "$" (last day of the month) must be the whole field`);
      }
      while (isBlank(ch)) ch = this.getChar();
      flags.domLast = true;
    } else {
      if (ch === CH_STAR) flags.domStar = true;
      ch = this.getList(bits["day-of-month"], SPECS["day-of-month"], ch);
      if (ch === EOF) return this.failure();
    }

    ch = this.getList(bits.month, SPECS.month, ch);
    if (ch === EOF) return this.failure();

    if (ch === CH_STAR) flags.dowStar = true;
    ch = this.getList(bits["day-of-week"], SPECS["day-of-week"], ch);
    if (ch === EOF) return this.failure();

    const rest = this.restOfLine(ch);
    if (rest !== "") this.warnings.push(`text after the fifth field is ignored by pg_cron: '${rest}'`);

    foldSundays(bits["day-of-week"]);
    return { ok: true, reboot: false, macro: null, bits, flags, warnings: this.warnings };
  }

  private failWith(message: string): CronParseResult {
    this.error ??= message;
    return this.failure();
  }

  private failure(): CronParseResult {
    return { ok: false, error: this.error ?? "invalid schedule" };
  }

  /**
   * The text pg_cron never looks at, from `ch` to the end, trimmed. ch === NUL means the
   * end of the buffer (or a NUL byte, which PostgreSQL text cannot hold).
   */
  private restOfLine(ch: number): string {
    if (ch === NUL || ch === EOF) return "";
    return this.text(this.here(), this.bytes.length).trim();
  }

  /**
   * src/misc.c skip_comments: skips lines that are blank or whose first non-blank character
   * is '#'. Because get_char returns '\0' at the end, a last comment line without a newline
   * makes pg_cron loop forever; this port reports false instead.
   */
  private skipComments(): boolean {
    let ch: number;
    for (;;) {
      ch = this.getChar();
      while (ch === SPACE || ch === TAB) ch = this.getChar();
      if (ch !== LF && ch !== CH_HASH) break;
      this.skippedLines = true;
      while (ch !== LF) {
        if (ch === NUL) return false;
        ch = this.getChar();
      }
    }
    this.ungetChar(ch);
    return true;
  }

  /** The @-macros of parse_cron_entry; get_string stops at a blank, a newline or the end. */
  private parseMacro(bits: CronBits, flags: CronFlags): CronParseResult {
    const start = this.pos;
    let ch = this.getChar();
    while (ch !== SPACE && ch !== TAB && ch !== LF && ch !== NUL) ch = this.getChar();
    const word = this.text(start, this.here());
    const macro = `@${word}`;
    const rest = this.restOfLine(ch);
    if (rest !== "") this.warnings.push(`text after ${macro} is ignored by pg_cron: '${rest}'`);

    const all = (field: CronField): void => {
      const spec = SPECS[field];
      bitNset(bits[field], 0, spec.high - spec.low);
    };
    const element = (field: CronField, value: number): void => {
      // 1.6's set_element() bounds-checks: @yearly asks for month 0 (FIRST_MINUTE, a
      // typo in src/entry.c), which is refused, so @yearly never fires on 1.6. Vixie's
      // old code did bit_set(e->month, 0), i.e. January.
      const spec = SPECS[field];
      if (this.setRange && (value < spec.low || value > spec.high)) return;
      bitSet(bits[field], this.setRange ? value - spec.low : value);
    };

    switch (word) {
      case "reboot":
      case "restart":
        return { ok: true, reboot: true, macro: macro as CronMacro, bits, flags, warnings: this.warnings };
      case "yearly":
      case "annually":
        element("minute", 0);
        element("hour", 0);
        element("day-of-month", this.setRange ? 1 : 0);
        element("month", 0);
        all("day-of-week");
        flags.dowStar = true;
        break;
      case "monthly":
        element("minute", 0);
        element("hour", 0);
        element("day-of-month", this.setRange ? 1 : 0);
        all("month");
        all("day-of-week");
        flags.dowStar = true;
        break;
      case "weekly":
        // 1.4/1.5 set DOM_STAR, 1.6 sets DOW_STAR: both AND all days with Sunday.
        element("minute", 0);
        element("hour", 0);
        all("day-of-month");
        all("month");
        element("day-of-week", 0);
        if (this.setRange) flags.dowStar = true;
        else flags.domStar = true;
        break;
      case "daily":
      case "midnight":
        element("minute", 0);
        element("hour", 0);
        all("day-of-month");
        all("month");
        all("day-of-week");
        break;
      case "hourly":
        element("minute", 0);
        all("hour");
        all("day-of-month");
        all("month");
        all("day-of-week");
        flags.hourStar = true;
        break;
      default:
        return {
          ok: false,
          error: `unknown macro "${macro}": pg_cron accepts @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot and @restart, in lower case`,
        };
    }
    foldSundays(bits["day-of-week"]);
    return { ok: true, reboot: false, macro: macro as CronMacro, bits, flags, warnings: this.warnings };
  }

  /** get_list: range {"," range}, then Skip_Nonblanks and Skip_Blanks. */
  private getList(bits: Bitstring, spec: FieldSpec, ch: number): number {
    this.spec = spec;
    this.fieldStart = this.here();
    if (ch === NUL || ch === LF) {
      this.error ??= `${spec.field} field is missing (pg_cron needs five fields)`;
      return EOF;
    }
    for (;;) {
      ch = this.getRange(bits, spec, ch);
      if (ch === EOF) return EOF;
      if (ch !== CH_COMMA) break;
      ch = this.getChar();
    }
    // Skip_Nonblanks: whatever follows the value list up to a blank is ignored.
    if (ch !== SPACE && ch !== TAB && ch !== LF && ch !== NUL) {
      const junkStart = this.here();
      const before = this.text(this.fieldStart, junkStart);
      while (ch !== TAB && ch !== SPACE && ch !== LF && ch !== NUL) ch = this.getChar();
      const junk = this.text(junkStart, this.here());
      this.warnings.push(`${spec.field} field: pg_cron ignores "${junk}" after "${before}"`);
    }
    while (ch === SPACE || ch === TAB) ch = this.getChar();
    return ch;
  }

  /** get_range: number | number "-" number ["/" number] | "*" ["/" number]. */
  private getRange(bits: Bitstring, spec: FieldSpec, ch: number): number {
    const { low, high } = spec;
    let num1: number;
    let num2: number;
    let num3 = 1;
    const rangeStart = this.here();
    if (ch === CH_STAR) {
      num1 = low;
      num2 = high;
      ch = this.getChar();
    } else {
      ch = this.getNumber(low, spec.names, ch, "value");
      if (ch === EOF) return EOF;
      num1 = this.num;
      if (ch !== CH_DASH) {
        if (ch === CH_SLASH) {
          return this.failValue(`a step needs a range or * before it (e.g. ${num1}-${high}/…)`);
        }
        if (num1 < low || num1 > high) return this.fail(`${num1} is out of range ${low}-${high}`);
        bitSet(bits, num1 - low);
        return ch;
      }
      ch = this.getChar();
      ch = this.getNumber(low, spec.names, ch, "range end");
      if (ch === EOF) return EOF;
      num2 = this.num;
    }

    if (ch === CH_SLASH) {
      ch = this.getChar();
      ch = this.getNumber(0, null, ch, "step");
      if (ch === EOF) return EOF;
      num3 = this.num;
      if (num3 <= 0) return this.failValue(`the step must be at least 1`);
    }

    // "Explicitly check for sane values" (src/entry.c get_range).
    if (num1 < low || num1 > high) return this.fail(`${num1} is out of range ${low}-${high}`);
    if (num2 < low || num2 > high) return this.fail(`${num2} is out of range ${low}-${high}`);

    const range = (): string => this.text(rangeStart, this.here());
    if (this.setRange) return this.setRange16(bits, spec, num1, num2, num3, range, ch);

    // 1.4/1.5: Vixie's loop of set_element() calls. A reversed range sets nothing; a step
    // past the end sets the first value only. `i += step` is C int arithmetic.
    if (num1 > num2) {
      this.warnings.push(`${spec.field} field: reversed range "${range()}" matches nothing on pg_cron 1.4 and 1.5`);
    } else if (num3 > 1 && num1 + num3 > num2) {
      this.warnings.push(`${spec.field} field: the step in "${range()}" is larger than the range: only ${num1} matches`);
    }
    for (let i = num1; i <= num2; i = (i + num3) | 0) {
      if (i < low || i > high) return this.fail(`${i} is out of range ${low}-${high}`);
      bitSet(bits, i - low);
    }
    return ch;
  }

  /**
   * 1.6: set_range() from vixie/cron PR #16 (pg_cron PR #271). Step 1 uses bit_nset, so a
   * reversed range is filled byte-wise (see bitNset).
   *
   * A step larger than the field's range (`*\/60`, `0 *\/24 * * *`) is where 1.6 releases
   * differ: 1.6.0 to 1.6.4 accept it and set the range's first value only (their set_range
   * loop), 1.6.5 and later reject it (a bounds check in get_range). Every 1.6.x reports
   * extversion "1.6", so the release cannot be read from SQL; a schedule read from cron.job
   * was accepted by the pg_cron that stored it. So this port accepts it, as 1.6.0–1.6.4 run
   * it, and says in a warning that later releases refuse it.
   */
  private setRange16(
    bits: Bitstring,
    spec: FieldSpec,
    num1: number,
    num2: number,
    num3: number,
    range: () => string,
    ch: number,
  ): number {
    const start = num1 - spec.low;
    const stop = num2 - spec.low;
    if (num3 === 1) {
      if (num1 > num2) {
        const probe: Bitstring = new Array<number>(spec.bytes).fill(0);
        bitNset(probe, start, stop);
        const matched = valuesOf(probe, spec);
        this.warnings.push(
          matched.length === 0
            ? `${spec.field} field: reversed range "${range()}" matches nothing`
            : `${spec.field} field: reversed range "${range()}" is filled byte-wise by pg_cron 1.6: it matches ${compactList(matched)}`,
        );
      }
      bitNset(bits, start, stop);
      return ch;
    }
    if (num3 > spec.high) {
      this.warnings.push(
        `${spec.field} field: step ${num3} in "${range()}" is larger than the range ${spec.low}-${spec.high}: ` +
          `pg_cron 1.6.0 to 1.6.4 accept it and match ${num1} only (read that way here); ${LATER_RELEASES_REJECT}`,
      );
    } else if (num1 > num2) {
      this.warnings.push(`${spec.field} field: reversed range "${range()}" matches nothing`);
    } else if (num1 + num3 > num2) {
      this.warnings.push(`${spec.field} field: the step in "${range()}" is larger than the range: only ${num1} matches`);
    }
    for (let i = start; i <= stop; i += num3) bitSet(bits, i);
    return ch;
  }

  /** get_number: a run of alphanumerics, looked up in the names, else all digits (atoi). */
  private getNumber(low: number, names: readonly string[] | null, ch: number, what: string): number {
    const start = this.here();
    let allDigits = true;
    while (isAlnum(ch)) {
      if (!isDigit(ch)) allDigits = false;
      ch = this.getChar();
    }
    // Alphanumerics are ASCII, so the byte string slice is the word.
    const word = this.bytes.slice(start, this.here());
    if (word.length === 0) return this.failEmpty(ch, what);
    if (names) {
      const lower = word.toLowerCase();
      for (let i = 0; i < names.length; i++) {
        if (names[i] === lower) {
          this.num = i + low;
          return ch;
        }
      }
    }
    if (allDigits) {
      this.num = cAtoi(word);
      return ch;
    }
    const reason = `is not a number${names ? this.spec.nameHint : ""}`;
    return word === this.fieldText() ? this.fail(`"${word}" ${reason}`) : this.failValue(`"${word}" ${reason}`);
  }

  private failEmpty(ch: number, what: string): number {
    if (ch === CH_DOLLAR) {
      if (this.spec.field !== "day-of-month") return this.failValue(`"$" is only allowed as the whole day-of-month field`);
      return this.lastDayOfMonth
        ? this.failValue(`"$" (last day of the month) must be the whole field`)
        : this.failValue(`"$" (last day of the month) needs pg_cron 1.6 or later`);
    }
    const found = ch === NUL ? "the end" : ch === SPACE || ch === TAB || ch === LF ? "a blank" : `"${String.fromCharCode(ch)}"`;
    return this.failValue(`expected a ${what === "value" ? "number" : what} but found ${found}`);
  }
}

/** "make sundays equivalent" (src/entry.c): weekday 0 and 7 are both Sunday. */
function foldSundays(dow: Bitstring): void {
  if (bitTest(dow, 0) || bitTest(dow, 7)) {
    bitSet(dow, 0);
    bitSet(dow, 7);
  }
}

export function fieldBounds(field: CronField): { low: number; high: number } {
  return { low: SPECS[field].low, high: SPECS[field].high };
}

/** Parses the cron form (five fields or a macro) as the given pg_cron version does. */
export function parseCronEntry(text: string, version: PgCronVersion): CronParseResult {
  return new CronParser(text, version).parse();
}
