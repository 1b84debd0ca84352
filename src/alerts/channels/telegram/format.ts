/**
 * Telegram `sendMessage` texts with `parse_mode: "HTML"` (docs/platform.md "Telegram Bot API").
 * Escaping and counting: markup.ts.
 *
 * - Job changes get a block each (the detailed layout) when they fit one message; a larger
 *   group switches to the compact layout (compact.ts: a line per job), which is
 *   split into several messages only when even that cannot fit.
 * - Project-level changes and ad-hoc messages always get the detailed layout, split at
 *   change boundaries; one oversized change has its error text cut with a marker.
 * - Link previews are the sender's business (`link_preview_options`), not this file's.
 */
import { TELEGRAM_LIMITS } from "./limits.js";
import type { AlertEntry } from "../../types.js";
import { type BlockDraft, jobBlock, messageBlock, projectBlock } from "../../layout/blocks.js";
import {
  CRITICALITY_EMOJI,
  type FormatOptions,
  PROJECT_EMOJI,
  type SectionHeader,
  type Sections,
  groupName,
  jobsHeader,
  messagesSummary,
  prepare,
  projectsSummary,
} from "../../layout/common.js";
import { pack } from "../../layout/fit.js";
import { compactTelegramMessages } from "./compact.js";
import { HTML_MARKUP, telegramCost, telegramHeader } from "./markup.js";

export { escapeTelegramHtml, telegramVisibleLength } from "./markup.js";

const SEPARATOR = "\n\n";
/** Below this share of the budget an error is no longer informative: start a new message. */
const MIN_ERROR_SHARE = 300;

function chunks(header: SectionHeader, blocks: readonly BlockDraft[]): { items: BlockDraft[]; budgets: number[] }[] {
  // Reserve room for the widest header this group can get (part n of n, n = blocks).
  const reserve = telegramCost(telegramHeader(header, blocks.length - 1, blocks.length)) + SEPARATOR.length;
  return pack(blocks, {
    budget: TELEGRAM_LIMITS.text - reserve,
    maxItems: Number.POSITIVE_INFINITY,
    separator: SEPARATOR.length,
    minShare: MIN_ERROR_SHARE,
  });
}

function messages(header: SectionHeader, blocks: readonly BlockDraft[]): string[] {
  const packed = chunks(header, blocks);
  return packed.map(
    (chunk, index) => telegramHeader(header, index, packed.length) + SEPARATOR + chunk.items.map((block, i) => block.build(chunk.budgets[i] ?? 0)).join(SEPARATOR),
  );
}

/** The detailed blocks of a group's job changes when they fit one message, else null (the compact layout is used). */
function detailedJobBlocks(header: SectionHeader, sections: Sections): BlockDraft[] | null {
  const blocks: BlockDraft[] = [];
  // Every block costs at least its fixed part: stop drafting once those alone overflow.
  let fixed = 0;
  for (const job of sections.jobs) {
    const block = jobBlock(HTML_MARKUP, job, sections, TELEGRAM_LIMITS.text);
    fixed += block.fixed + SEPARATOR.length;
    if (fixed > TELEGRAM_LIMITS.text) return null;
    blocks.push(block);
  }
  return chunks(header, blocks).length <= 1 ? blocks : null;
}

/** Which layout `formatTelegram` gives these (prepared) job changes. */
export function telegramJobsLayout(sections: Sections): "detailed" | "compact" {
  return detailedJobBlocks(jobsHeader(sections.jobs), sections) === null ? "compact" : "detailed";
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
    const header = jobsHeader(sections.jobs);
    const detailed = detailedJobBlocks(header, sections);
    out.push(...(detailed === null ? compactTelegramMessages(header, sections) : messages(header, detailed)));
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
