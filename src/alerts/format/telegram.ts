/**
 * Telegram `sendMessage` texts with `parse_mode: "HTML"` (PLATFORM.md "Telegram Bot API").
 *
 * - Only `<b>`, `<i>`, `<code>`, `<pre>` and `<a href>` are used; every value is escaped
 *   (`&`, `<`, `>`, `"`), so a job named `<script>` is text, not a 400 "can't parse
 *   entities".
 * - Each text is at most 4096 UTF-16 units after entity parsing (what Telegram counts),
 *   and its raw HTML at most a few times that (limits.ts). Groups are split at change
 *   boundaries; one oversized change has its error text cut with a marker.
 * - Link previews are the sender's business (`link_preview_options`), not this file's.
 */
import { TELEGRAM_LIMITS } from "../limits.js";
import type { AlertEntry } from "../types.js";
import { type BlockDraft, type Markup, jobBlock, messageBlock, projectBlock } from "./blocks.js";
import {
  CRITICALITY_EMOJI,
  type FormatOptions,
  PROJECT_EMOJI,
  groupName,
  jobsEmoji,
  jobsSummary,
  messagesSummary,
  partSuffix,
  prepare,
  projectsSummary,
} from "./common.js";
import { type RenderSpec, fitText, pack } from "./fit.js";

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
 * request). Never less than the visible length, so a message of total cost ≤ 4096 is
 * within Telegram's limit.
 */
function cost(html: string): number {
  return Math.max(telegramVisibleLength(html), Math.ceil(html.length / TELEGRAM_LIMITS.rawPerVisible));
}

const HTML_SPEC: RenderSpec = { render: escapeTelegramHtml, cost };

const HTML_MARKUP: Markup = {
  spec: HTML_SPEC,
  bold: (s) => `<b>${s}</b>`,
  italic: (s) => `<i>${s}</i>`,
  code: (s) => `<code>${s}</code>`,
  pre: (s) => `<pre>${s}</pre>`,
  link: (url, label) => `<a href="${escapeTelegramHtml(url)}">${escapeTelegramHtml(label)}</a>`,
};

const SEPARATOR = "\n\n";
/** Below this share of the budget an error is no longer informative: start a new message. */
const MIN_ERROR_SHARE = 300;

function messages(header: { emoji: string; group: string; summary: string }, blocks: BlockDraft[]): string[] {
  const headerHtml = (index: number, count: number): string =>
    `${header.emoji} <b>${fitText(header.group, 200, HTML_SPEC)}</b>: ${fitText(header.summary, 500, HTML_SPEC)}${partSuffix(index, count)}`;
  // Reserve room for the widest header this group can get (part n of n, n = blocks).
  const reserve = cost(headerHtml(blocks.length - 1, blocks.length)) + SEPARATOR.length;
  const chunks = pack(blocks, {
    budget: TELEGRAM_LIMITS.text - reserve,
    maxItems: Number.POSITIVE_INFINITY,
    separator: SEPARATOR.length,
    minShare: MIN_ERROR_SHARE,
  });
  return chunks.map(
    (chunk, index) => headerHtml(index, chunks.length) + SEPARATOR + chunk.items.map((block, i) => block.build(chunk.budgets[i] ?? 0)).join(SEPARATOR),
  );
}

/**
 * One group (one project, one route, one cycle) as Telegram HTML texts, in sending order:
 * project-level changes, then job changes, then ad-hoc messages, never mixed in one text.
 */
export function formatTelegram(entries: readonly AlertEntry[], opts: FormatOptions = {}): string[] {
  const sections = prepare(entries, opts);
  const cap = TELEGRAM_LIMITS.text;
  const out: string[] = [];
  const firstProject = sections.projects[0];
  if (firstProject !== undefined) {
    out.push(
      ...messages(
        { emoji: PROJECT_EMOJI[firstProject.toStatus], group: groupName(sections.projects.map((p) => p.projectName)), summary: projectsSummary(sections.projects) },
        sections.projects.map((p) => projectBlock(HTML_MARKUP, p, sections, cap)),
      ),
    );
  }
  if (sections.jobs.length > 0) {
    out.push(
      ...messages(
        { emoji: jobsEmoji(sections.jobs), group: groupName(sections.jobs.map((j) => j.projectName)), summary: jobsSummary(sections.jobs) },
        sections.jobs.map((j) => jobBlock(HTML_MARKUP, j, sections, cap)),
      ),
    );
  }
  const firstMessage = sections.messages[0];
  if (firstMessage !== undefined) {
    out.push(
      ...messages(
        { emoji: CRITICALITY_EMOJI[firstMessage.criticality], group: groupName(sections.messages.map((m) => m.projectName)), summary: messagesSummary(sections.messages) },
        sections.messages.map((m) => messageBlock(HTML_MARKUP, m, cap)),
      ),
    );
  }
  return out;
}
