/**
 * What both Telegram layouts (detailed, compact) share: HTML escaping, how Telegram counts
 * a text's length, and the message header (docs/platform.md "Telegram Bot API", limits.ts).
 *
 * - Only `<b>`, `<i>`, `<code>`, `<pre>` and `<a href>` are used; every value is escaped
 *   (`&`, `<`, `>`, `"`), so a job named `<script>` is text, not a 400 "can't parse
 *   entities".
 * - A text is at most 4096 UTF-16 units after entity parsing (what Telegram counts), and
 *   its raw HTML at most a few times that.
 */
import { TELEGRAM_LIMITS } from "./limits.js";
import { type SectionHeader, partSuffix } from "../../layout/common.js";
import { type RenderSpec, fitText } from "../../layout/fit.js";
import type { Markup } from "../../layout/blocks.js";

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/** Escapes text for Telegram HTML, in element content and in quoted attribute values. */
export function escapeTelegramHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c] ?? c);
}

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/**
 * Length Telegram counts: tags removed, entities decoded, UTF-16 units. Meant for the
 * HTML this module writes (well-formed, entities escaped).
 */
export function telegramVisibleLength(html: string): number {
  const text = html
    .replace(/<[^>]*>/g, "")
    .replace(/&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));/g, (entity, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (name !== undefined) return NAMED[name] ?? entity;
      const code = dec !== undefined ? Number(dec) : parseInt(hex ?? "", 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    });
  return text.length;
}

/**
 * Cost of a piece of Telegram HTML against the 4096 budget: its visible length, or a
 * quarter of its raw length if that is more (keeps escape-heavy text from bloating the
 * request). Never less than the visible length, and the cost of a concatenation is never
 * more than the sum of its pieces' costs, so pieces whose costs total ≤ 4096 make a
 * message within Telegram's limit.
 */
export function telegramCost(html: string): number {
  return Math.max(telegramVisibleLength(html), Math.ceil(html.length / TELEGRAM_LIMITS.rawPerVisible));
}

export const HTML_SPEC: RenderSpec = { render: escapeTelegramHtml, cost: telegramCost };

export const HTML_MARKUP: Markup = {
  spec: HTML_SPEC,
  bold: (s) => `<b>${s}</b>`,
  italic: (s) => `<i>${s}</i>`,
  code: (s) => `<code>${s}</code>`,
  pre: (s) => `<pre>${s}</pre>`,
  link: (url, label) => `<a href="${escapeTelegramHtml(url)}">${escapeTelegramHtml(label)}</a>`,
};

/** The first line of a message: what the group is about, and which part this is. */
export function telegramHeader(header: SectionHeader, index: number, count: number): string {
  return `${header.emoji} <b>${fitText(header.group, 200, HTML_SPEC)}</b>: ${fitText(header.summary, 500, HTML_SPEC)}${partSuffix(index, count)}`;
}
