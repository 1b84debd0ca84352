import { InvalidArgumentError } from "commander";
import { formatDuration, parseDuration } from "../duration.js";

/** Option parsers shared by the commands: each names its flag and the accepted form in its error. */

/** A duration such as 90s, 30m or 2h, in seconds; at most `max` seconds when given. */
export function durationOption(flag: string, max?: number) {
  return (value: string): number => {
    const seconds = parseDuration(value);
    if (seconds === null || seconds <= 0) {
      throw new InvalidArgumentError(`${flag} takes a duration such as 90s, 30m or 2h, not "${value}"`);
    }
    if (max !== undefined && seconds > max) {
      throw new InvalidArgumentError(`${flag} takes a duration from 1s to ${formatDuration(max)}, not "${value}"`);
    }
    return seconds;
  };
}

/** A whole number from 1 to `max`. */
export function wholeNumber(flag: string, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from 1 to ${max}, not "${value}"`);
    }
    return Number(value);
  };
}

/** A number from `min` to `max`, fractions allowed (`1.5`). */
export function decimalNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+(\.\d+)?$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`${flag} takes a number from ${min} to ${max}, not "${value}"`);
    }
    return Number(value);
  };
}

/** A whole number of at least 1. */
export function positiveInteger(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${flag} takes a whole number of at least 1, not "${value}"`);
    }
    return Number(value);
  };
}

/**
 * A repeatable option's values, in order (`--project a --project b`). Each must say something;
 * what it means (a comma list, a name) is the command's to decide.
 */
export function repeatable(flag: string, what: string) {
  return (value: string, previous: string[] | undefined): string[] => {
    if (value.trim() === "" || /^[\s,]*$/.test(value)) throw new InvalidArgumentError(`${flag} takes ${what}, not "${value}"`);
    return [...(previous ?? []), value];
  };
}

/** One or more of `allowed`, comma-separated or repeated (`--status failed,stuck --status missed`). */
export function choiceList(flag: string, allowed: readonly string[]) {
  return (value: string, previous: string[] | undefined): string[] => {
    const chosen = value.split(",").map((s) => s.trim());
    const bad = chosen.find((s) => !allowed.includes(s));
    if (bad !== undefined) {
      throw new InvalidArgumentError(`${flag} takes one or more of ${allowed.join(", ")} (comma-separated), not "${bad === "" ? value : bad}"`);
    }
    return [...new Set([...(previous ?? []), ...chosen])];
  };
}
