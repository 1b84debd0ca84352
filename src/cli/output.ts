import Table from "cli-table3";
import pc from "picocolors";

/** Terminal output: tables for people, JSON for scripts. */

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const t = new Table({
    head: head.map((h) => pc.bold(h)),
    style: { head: [], border: [] },
    wordWrap: true,
    // No rule between rows: a status table is read down its columns.
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined ? "" : String(cell))));
  return t.toString();
}

export function truncate(text: string | null | undefined, max: number): string {
  if (!text) return "";
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const STATUS_COLOURS: Record<string, (s: string) => string> = {
  success: pc.green,
  ok: pc.green,
  failed: pc.red,
  stuck: pc.red,
  unreachable: pc.red,
  scheduler_down: pc.red,
  missed: pc.yellow,
  unknown: pc.gray,
  paused: pc.gray,
  new: pc.cyan,
  removed: pc.gray,
};

/** Status as text, coloured where the terminal allows: it reads without colour too. */
export function status(text: string): string {
  return (STATUS_COLOURS[text] ?? ((s: string) => s))(text);
}

export function when(date: Date | string | null | undefined): string {
  if (!date) return "";
  const d = typeof date === "string" ? new Date(date) : date;
  return d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

export { pc };
