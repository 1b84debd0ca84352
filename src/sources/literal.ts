/**
 * Literals for the statements jobmon sends to monitored projects.
 *
 * Those statements carry no bound parameters. postgres.js sends a statement with parameters
 * in two round trips (Parse + Describe, then Bind + Execute) and pipelines nothing behind it,
 * while a statement without them goes out in one, together with every other statement
 * issued at the same moment. A project may be 100 ms or more away, so that is the difference
 * between two round trips for a whole check and one per statement.
 *
 * The only values those statements hold are numbers and instants jobmon made itself (runid
 * and pg_net cursors, limits, durations). These functions write exactly those as literals and
 * throw on anything else: no text from a project, a user or the hub reaches the SQL.
 */

/** A whole number (e.g. a runid cursor or a row limit). */
export function sqlInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`expected a whole number for a SQL literal, got ${String(value)}`);
  return String(value);
}

/** A list of whole numbers as a `bigint[]` literal. */
export function sqlBigintArray(values: readonly number[]): string {
  return `'{${values.map(sqlInt).join(",")}}'::bigint[]`;
}

/** An instant, to the millisecond (what a JS Date holds). */
export function sqlTimestamptz(value: Date): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`expected a valid Date for a SQL literal, got ${String(value)}`);
  return `'${value.toISOString()}'::timestamptz`;
}

/** A duration in seconds (whole or fractional, not negative) as an interval. */
export function sqlSeconds(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`expected a number of seconds ≥ 0 for a SQL literal, got ${String(value)}`);
  return `make_interval(secs => ${String(value)})`;
}
