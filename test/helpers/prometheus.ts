/**
 * Reads a Prometheus text exposition back with parse-prometheus-text-format (a parser of the
 * text format ported from the official Python client), so that tests check what a scraper
 * would see rather than the text jobmon wrote.
 */
import { createRequire } from "node:module";

export interface ParsedSample {
  value: string;
  labels?: Record<string, string>;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: "GAUGE" | "COUNTER" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: ParsedSample[];
}

// The package ships no type declarations: its one export is typed here.
const parse = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => ParsedFamily[];

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  families: Map<string, ParsedFamily>;
  series: Series[];
  /** The samples of one metric whose labels include `match`. */
  select(name: string, match?: Record<string, string>): Series[];
  /** The one sample of `name` matching `match` (throws when there is not exactly one). */
  value(name: string, match?: Record<string, string>): number;
}

export function parseExposition(text: string): Exposition {
  const families = new Map(parse(text).map((f) => [f.name, f]));
  const series = [...families.values()].flatMap((f) => f.metrics.map((m) => ({ name: f.name, labels: m.labels ?? {}, value: Number(m.value) })));
  const select = (name: string, match: Record<string, string> = {}) =>
    series.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return {
    families,
    series,
    select,
    value(name, match = {}) {
      const found = select(name, match);
      if (found.length !== 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(match)}`);
      return (found[0] as Series).value;
    },
  };
}
