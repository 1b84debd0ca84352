/** Durations as users type them: `90s`, `30m`, `2h`, `1d`, `1h30m`; a bare number is seconds. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;

export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+)\s*([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed.replace(/\s+/g, "")) return null;
  let seconds = 0;
  for (const [, amount, unit] of parts) seconds += Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  return seconds;
}

/** `5400` → `1h 30m`; `45` → `45s`; `90061` → `1d 1h 1m`. */
export function formatDuration(totalSeconds: number): string {
  let seconds = Math.max(0, Math.round(totalSeconds));
  if (seconds < 60) return `${seconds}s`;
  const out: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    const n = Math.floor(seconds / size);
    if (n > 0) out.push(`${n}${unit}`);
    seconds -= n * size;
  }
  return out.slice(0, 2).join(" ");
}

/**
 * PostgreSQL interval text as settings hold it (`6 hours`, `30 min`, `00:10:00`, `1 day 02:00:00`,
 * `90s`) or a plain number of seconds; null when unreadable.
 */
export function parseIntervalSeconds(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t);
  let total = 0;
  let rest = t.replace(/(-?\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?/, (_m, h: string, m: string, s?: string) => {
    total += Number(h) * 3600 + Number(m) * 60 + Number(s ?? 0);
    return "";
  });
  const units: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600, d: 86_400, day: 86_400, w: 604_800, week: 604_800 };
  rest = rest.replace(/(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|h|days?|d|weeks?|w)\b/g, (_m, n: string, unit: string) => {
    const key = unit.replace(/s$/, "") || unit;
    total += Number(n) * (units[key] ?? units[unit] ?? NaN);
    return "";
  });
  return rest.trim() === "" && Number.isFinite(total) && t !== "" ? total : null;
}
