import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import picocolors from "picocolors";

/**
 * Terminal output: tables for people, JSON for scripts.
 *
 * Job names, run errors, reasons and warnings come from the monitored databases, and a
 * terminal acts on what they may carry: escape sequences clear the screen, move the cursor,
 * set the window title or print links; a newline forges a line or a table row; a bidi
 * control reorders what follows. So nothing reaches a terminal raw but jobmon's own line
 * breaks and jobmon's own colours:
 *
 * - jobmon's own styling (`pc.*`, `status()`, table layout, `multiline()`) travels as
 *   markers — private-use characters around a random key made when the process starts,
 *   which no value can know — until the text is printed;
 * - printing (`renderForTerminal`, used by `stdio` and `terminal()`) first makes the whole
 *   text printable — every control character, DEL, C1 control, bidi control and line
 *   separator is shown as an escape (`\x1b`, `\u009b`, `\u202e`), a newline as `⏎` — and
 *   only then turns the markers into SGR colour codes (or nothing, without colour) and
 *   line breaks.
 *
 * A colour code inside a value is shown as text like any other escape; so is a newline
 * inside a value, in a table cell or in a one-line message. An `Io` that prints must render
 * what it is given with `renderForTerminal`; `--json` output is exact JSON whose strings
 * carry these characters as `\u` escapes.
 */

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

// ---------------------------------------------------------------------------------------
// Markers for jobmon's own styling

const KEY = randomBytes(8).toString("hex");
const MARK = `\ue000${KEY}`;
const SGR_END = "\ue001";
const NEWLINE = `${MARK}\ue002`;
/** One marker: `MARK <sgr parameters> SGR_END` for a colour code, NEWLINE for a line break. */
const MARKS = new RegExp(`${MARK}(?:([0-9;]*)${SGR_END}|\ue002)`, "g");
const SGR_PARAMETERS = /^[0-9;]*$/;

const sgrMark = (parameters: string): string => `${MARK}${parameters}${SGR_END}`;

/** Markers to real SGR codes and line breaks (or to nothing, without colour). */
function unmark(text: string, colour: boolean): string {
  // Split at the key rather than a regular expression's replace: a table of ten thousand
  // rows carries tens of thousands of markers, and this is a few times faster.
  const pieces = text.split(MARK);
  let out = pieces[0] as string;
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (piece.charCodeAt(0) === 0xe002) {
      out += `\n${piece.slice(1)}`;
      continue;
    }
    const end = piece.indexOf(SGR_END);
    const parameters = end < 0 ? "" : piece.slice(0, end);
    if (end < 0 || !SGR_PARAMETERS.test(parameters)) out += MARK + piece;
    else out += (colour ? `\u001b[${parameters}m` : "") + piece.slice(end + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Printable text

// C0 controls (newline included), DEL, C1 controls, the bidi controls (ALM, LRM, RLM,
// LRE…RLO, LRI…PDI), and the line and paragraph separators. CR LF counts as one newline.
const UNPRINTABLE = /\r\n|[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const hex = (code: number, digits: number): string => code.toString(16).padStart(digits, "0");

function escapeCharacter(c: string): string {
  if (c === "\n" || c === "\r\n") return "⏎";
  if (c === "\t") return "\\t";
  if (c === "\r") return "\\r";
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
}

/**
 * A value made fit for a terminal, on one line: control characters, DEL, C1 controls, bidi
 * controls and line separators shown as escapes (`\x1b`, `\u009b`, `\u202e`), a newline as
 * `⏎`. Printable text is left as it is; applying it twice changes nothing.
 */
export function printable(text: string | number | null | undefined): string {
  if (text === null || text === undefined) return "";
  return String(text).replace(UNPRINTABLE, escapeCharacter);
}

/**
 * What a terminal gets for a text handed to an `Io`: made printable (see the file comment),
 * then jobmon's own colours as SGR codes (only with `colour`) and its own line breaks.
 */
export function renderForTerminal(text: string, options: { colour: boolean }): string {
  return unmark(printable(text), options.colour);
}

/** jobmon's own text over several lines (help, a block of its own): its line breaks stay. */
export function multiline(text: string): string {
  return text.replace(/\r?\n/g, NEWLINE);
}

/** An `Io` that prints through `sink` (one call a line) what `renderForTerminal` makes of each text. */
export function terminal(sink: Io, options: { colour: boolean }): Io {
  return {
    out: (text) => sink.out(renderForTerminal(text, options)),
    err: (text) => sink.err(renderForTerminal(text, options)),
  };
}

export const stdio: Io = terminal(
  {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  },
  { colour: picocolors.isColorSupported },
);

// JSON.stringify escapes C0 controls itself; these it leaves raw.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** Exact JSON (JSON.parse gives back the value), with every character a terminal acts on escaped. */
export function printJson(io: Io, value: unknown): void {
  const json = JSON.stringify(value, null, 2) ?? "null";
  io.out(multiline(json.replace(JSON_UNSAFE, (c) => `\\u${hex(c.charCodeAt(0), 4)}`)));
}

const wrappedOutputs = new WeakSet<object>();

/**
 * Commander's help and usage errors are jobmon's own text over several lines: this marks
 * their line breaks as jobmon's, for `command` and the commands it already has (commands
 * added later inherit it). For a program whose output goes to an `Io`; calling it again
 * changes nothing.
 */
export function keepCommanderLineBreaks(command: Command): void {
  const output = command.configureOutput();
  if (!wrappedOutputs.has(output)) {
    const { writeOut, writeErr } = output;
    command.configureOutput({
      writeOut: (text) => (writeOut ?? ((s: string) => process.stdout.write(s)))(multiline(text.trimEnd())),
      writeErr: (text) => (writeErr ?? ((s: string) => process.stderr.write(s)))(multiline(text.trimEnd())),
    });
    wrappedOutputs.add(command.configureOutput());
  }
  for (const sub of command.commands) keepCommanderLineBreaks(sub);
}

// ---------------------------------------------------------------------------------------
// jobmon's own colours

export type Formatter = (input: string | number | null | undefined) => string;

/**
 * A style: `open` … `close` around the text; a `close` already inside it (a nested style
 * of the same family ending) becomes `reopen`, so the outer style carries on after it.
 */
function style(open: string, close: string, reopen = open): Formatter {
  const start = sgrMark(open);
  const end = sgrMark(close);
  const resume = sgrMark(reopen);
  return (input) => start + String(input).split(end).join(resume) + end;
}

const foreground = (code: number): Formatter => style(String(code), "39");
const background = (code: number): Formatter => style(String(code), "49");

/**
 * jobmon's own colours, with picocolors' names and codes. They are markers until printed
 * (see the file comment): the terminal `Io` decides whether they become colour.
 */
export const pc = {
  isColorSupported: picocolors.isColorSupported,
  reset: style("0", "0"),
  bold: style("1", "22", "22;1"),
  dim: style("2", "22", "22;2"),
  italic: style("3", "23"),
  underline: style("4", "24"),
  inverse: style("7", "27"),
  hidden: style("8", "28"),
  strikethrough: style("9", "29"),
  black: foreground(30),
  red: foreground(31),
  green: foreground(32),
  yellow: foreground(33),
  blue: foreground(34),
  magenta: foreground(35),
  cyan: foreground(36),
  white: foreground(37),
  gray: foreground(90),
  bgBlack: background(40),
  bgRed: background(41),
  bgGreen: background(42),
  bgYellow: background(43),
  bgBlue: background(44),
  bgMagenta: background(45),
  bgCyan: background(46),
  bgWhite: background(47),
};

// ---------------------------------------------------------------------------------------
// Tables and values

// Zero columns: combining marks, zero-width spaces and joiners, variation selectors, tags.
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]$/u;
// Two columns: emoji shown as pictures, and the East Asian wide and fullwidth ranges.
const DOUBLE_WIDTH = /^[\p{Emoji_Presentation}\u1100-\u115f\u2329\u232a\u2e80-\u303e\u3040-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{1b000}-\u{1b2ff}\u{1f200}-\u{1f2ff}\u{20000}-\u{3fffd}]$/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The columns a terminal gives printable text (see `printable`; jobmon's markers take none):
 * two for wide East Asian characters and emoji, none for combining marks and zero-width
 * characters, one for the rest. What a terminal does with rarer cases (emoji sequences) varies;
 * this is the common reading.
 */
export function displayWidth(text: string): number {
  const visible = text.includes(MARK) ? text.replace(MARKS, "") : text;
  if (PRINTABLE_ASCII.test(visible)) return visible.length;
  let width = 0;
  for (const c of visible) width += ZERO_WIDTH.test(c) ? 0 : DOUBLE_WIDTH.test(c) ? 2 : 1;
  return width;
}

/** A cell: the value made printable, on one line (even should it carry jobmon's own line break). */
function cell(value: string | number | null | undefined): string {
  const shown = printable(value);
  return shown.includes(NEWLINE) ? shown.split(NEWLINE).join("⏎") : shown;
}

/**
 * A table: a bold header line, then one line a row, columns lined up, in a box. Every cell is
 * made printable (a newline in a value never starts a row), and jobmon's own colours in cells
 * survive; they take no width. Each cell is measured once, so the time grows with the number
 * of cells, not faster. Hand the result to an `Io`.
 */
export function table(head: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const columns = head.length;
  // First pass: every cell made printable and measured once (kept in flat arrays, row by
  // row, the header first), and each column's width. Second: the lines.
  const texts = new Array<string>((rows.length + 1) * columns);
  const measured = new Uint32Array(texts.length);
  const widths = new Array<number>(columns).fill(0);
  let k = 0;
  const add = (text: string, i: number): void => {
    const w = displayWidth(text);
    texts[k] = text;
    measured[k++] = w;
    if (w > (widths[i] as number)) widths[i] = w;
  };
  for (let i = 0; i < columns; i++) add(pc.bold(cell(head[i])), i);
  for (const row of rows) for (let i = 0; i < columns; i++) add(cell(row[i]), i);
  const rule = (left: string, middle: string, right: string): string => left + widths.map((w) => "─".repeat(w + 2)).join(middle) + right;
  const pads = widths.map((w) => " ".repeat(w));
  let out = rule("┌", "┬", "┐");
  for (let at = 0; at < texts.length; at += columns) {
    out += `${NEWLINE}│`;
    for (let i = 0; i < columns; i++) out += ` ${texts[at + i] as string}${(pads[i] as string).slice(measured[at + i] as number)} │`;
  }
  return `${out}${NEWLINE}${rule("└", "┴", "┘")}`;
}

/**
 * At most `max` characters of a value on one line: whitespace runs (newlines included)
 * become one space, the rest is made printable, and an escape is never cut in half.
 */
export function truncate(text: string | null | undefined, max: number): string {
  if (!text) return "";
  const flat = text.replace(/\s+/g, " ").trim();
  const whole = printable(flat);
  if (whole.length <= max) return whole;
  let out = "";
  for (const c of flat) {
    const shown = printable(c);
    if (out.length + shown.length > max - 1) break;
    out += shown;
  }
  return `${out}…`;
}

const STATUS_COLOURS: Record<string, Formatter> = {
  success: pc.green,
  ok: pc.green,
  failed: pc.red,
  stuck: pc.red,
  unreachable: pc.red,
  scheduler_down: pc.red,
  missed: pc.yellow,
  slow: pc.magenta,
  unknown: pc.gray,
  paused: pc.gray,
  new: pc.cyan,
  removed: pc.gray,
};

/** Status as text, coloured where the terminal allows: it reads without colour too. */
export function status(text: string): string {
  const shown = printable(text);
  const colour = Object.hasOwn(STATUS_COLOURS, text) ? STATUS_COLOURS[text] : undefined;
  return colour ? colour(shown) : shown;
}

// An instant as toISOString writes it (as the check report carries them).
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z$/;

export function when(date: Date | string | null | undefined): string {
  if (!date) return "";
  // Already in UTC: cut rather than parse and write again (a table may have ten thousand).
  if (typeof date === "string" && ISO_UTC.test(date)) return `${date.slice(0, 10)} ${date.slice(11, 19)}Z`;
  const d = typeof date === "string" ? new Date(date) : date;
  return d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}
