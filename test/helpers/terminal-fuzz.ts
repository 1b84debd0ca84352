/**
 * Values made of what a terminal acts on: every C0 and C1 control, DEL, CSI / OSC / DCS
 * sequences (7-bit and 8-bit, ended by BEL or ST), bidi controls and newlines of every kind,
 * mixed with text that imitates jobmon's own output. Seeded, so that a failure replays.
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export { mulberry32 as prng } from "../../src/demo/sample.js";

export const C0 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i));
/** DEL and U+0080–U+009F. */
export const C1 = Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i));
export const BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"];
const NEWLINES = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\u0085"];
const WORDS = ["ALL JOBS OK", "✓", "│ forged │ row │", "└─┘", "sync-leads", "日本語", "🚀", "\\x1b", "31m", "\ue000", "\ue000deadbeef\ue001", "✓ ok"];

/** One value: 1 to 8 pieces. Without `nul`, no U+0000 (PostgreSQL text cannot hold it). */
export function fuzzValue(random: () => number, options: { nul?: boolean } = {}): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const digits = () => String(Math.floor(random() * 110));
  const generators: (() => string)[] = [
    () => pick(C0),
    () => pick(C1),
    () => pick(BIDI),
    () => pick(NEWLINES),
    () => pick(WORDS),
    // CSI, 7-bit and 8-bit, with SGR and other final bytes (cursor moves, erase, private modes).
    () => `\u001b[${digits()};${digits()}${pick(["m", "J", "H", "K", "A", "h", "l", "?1049h", "8m"])}`,
    () => `\u009b${digits()}${pick(["m", "J", "H"])}`,
    // OSC: window title and hyperlinks, ended by BEL or ST (7-bit and 8-bit).
    () => `\u001b]${pick(["0;pwned", "2;title", "8;;https://evil.example/"])}${pick(["\u0007", "\u001b\\", "\u009c"])}`,
    () => "\u009d0;pwned\u009c",
    // DCS and other escape sequences.
    () => `\u001bP${pick(["+q", "1$r"])}${digits()}\u001b\\`,
    () => `\u0090q${digits()}\u009c`,
    () => `\u001b${pick(["c", "7", "8", "M", "D", "E", "=", ">", "(0", "#8"])}`,
  ];
  const n = 1 + Math.floor(random() * 8);
  let out = "";
  for (let i = 0; i < n; i++) out += pick(generators)();
  return options.nul ? out : out.replace(/\u0000/g, "");
}

/** SGR colour codes: the only escape sequences jobmon itself prints. */
export const SGR = /\u001b\[[0-9;]*m/g;

/**
 * Anything a terminal acts on, once jobmon's own SGR codes are taken out: controls other
 * than newline (newlines are checked by counting lines), DEL, C1, bidi controls, and the
 * line and paragraph separators.
 */
export const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

export function describeChar(c: string | undefined): string {
  return c === undefined ? "nothing" : `U+${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}
