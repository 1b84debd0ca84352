/**
 * The `'N seconds'` form of pg_cron 1.5+ (src/job_metadata.c TryParseInterval):
 *
 *   lowercase = asc_tolower(schedule);
 *   numParts = sscanf(lowercase, " %u secon%c%c %c", &seconds, &lastChar, &plural, &extra);
 *   valid when lastChar == 'd' and either numParts == 2 ("N second")
 *   or numParts == 3 && plural == 's' ("N seconds"), with 0 < N < 60.
 *
 * What that means, all reproduced here: leading whitespace and the space before "second"
 * are optional (`10seconds`), `+5` and `05` are numbers, "5 seconds " may end in blanks
 * but "5 second " may not (the blank is read as `plural`), anything after the word fails
 * (`5 seconds ago`), and the number is read as an unsigned long cut to 32 bits.
 */
export type IntervalParse =
  | { ok: true; seconds: number }
  | { ok: false; reason: string };

/** isspace() in the C locale. */
function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\v" || c === "\f" || c === "\r";
}

/** asc_tolower: ASCII letters only. */
function ascToLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * scanf's %u: strtoul() stored in an unsigned int. strtoul negates a leading '-' modulo
 * 2^64 and saturates at ULONG_MAX on overflow; the store keeps the low 32 bits.
 */
function scanUnsigned(sign: string, digits: string): number {
  const max = (1n << 64n) - 1n;
  let value = BigInt(digits);
  if (value > max) value = max;
  else if (sign === "-") value = (1n << 64n) - value;
  return Number(BigInt.asUintN(32, value));
}

export function parseInterval(text: string): IntervalParse {
  const s = ascToLower(text);
  let i = 0;
  while (isSpace(s[i])) i++;
  let sign = "";
  if (s[i] === "+" || s[i] === "-") sign = s[i++] ?? "";
  const digitsStart = i;
  while (i < s.length && s[i]! >= "0" && s[i]! <= "9") i++;
  if (i === digitsStart) return { ok: false, reason: "expected a number of seconds" };
  const seconds = scanUnsigned(sign, s.slice(digitsStart, i));
  while (isSpace(s[i])) i++;
  if (!s.startsWith("secon", i) || s[i + 5] !== "d") {
    return { ok: false, reason: "only seconds are supported: 'N seconds' with N from 1 to 59" };
  }
  i += 6;
  let parts = 2;
  let plural: string | undefined;
  if (i < s.length) {
    plural = s[i++];
    parts = 3;
    while (isSpace(s[i])) i++;
    if (i < s.length) parts = 4;
  }
  if (parts === 4 || (parts === 3 && plural !== "s")) {
    return { ok: false, reason: "unexpected text after the number of seconds" };
  }
  if (!(seconds > 0 && seconds < 60)) {
    return { ok: false, reason: `${seconds} seconds is out of range 1-59` };
  }
  return { ok: true, seconds };
}

/** A number followed by a time unit: the user meant an interval, so its error is the useful one. */
export function looksLikeInterval(text: string): boolean {
  const match = /^\s*[+-]?\d+\s*([a-z]+)/i.exec(text);
  if (!match) return false;
  const unit = (match[1] ?? "").toLowerCase();
  return /^(s|sec|second|seconds|secs|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|ms|milli\w*)$/.test(unit) || unit.startsWith("sec");
}
