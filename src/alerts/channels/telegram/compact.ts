/**
 * The compact Telegram layout (compact.ts): a bold title per status, one line per job
 * (`• name · criticality · since … · short reason`, the name linked to the job's
 * dashboard page), and a last line naming the commands that show the rest. Used when the
 * detailed layout (a block per change) would need more than one message; split into
 * several messages, at line boundaries, only when even this cannot fit 4096 characters.
 *
 * Links cost nothing visible (Telegram counts the text after parsing), only raw size: a
 * second rung without links exists for a dashboard base long enough to matter.
 */
import { TELEGRAM_LIMITS } from "./limits.js";
import type { SectionHeader, Sections } from "../../layout/common.js";
import {
  type CompactGroup,
  type CompactLine,
  type CompactMarkup,
  type CompactRung as Rung,
  DETAILS_LABEL,
  type LineChunk,
  chunkSegments,
  compactGroups,
  compactLines,
  compactTitle,
  detailsCommands,
  packLines,
  shortInstantRendered,
  widestDetailsCommands,
} from "../../layout/compact.js";
import { HTML_SPEC, escapeTelegramHtml, telegramCost, telegramHeader } from "./markup.js";

/** 40 characters of reason with ~50 of name, criticality and time: about 40 jobs a message. */
const RUNGS: readonly [Rung, ...Rung[]] = [
  { links: true, minReason: 40 },
  { links: false, minReason: 40 },
];

/** Between the header, the groups and the footer. */
const BLANK_LINE = "\n\n";

const MARKUP: CompactMarkup = {
  spec: HTML_SPEC,
  bullet: "• ",
  bold: (s) => `<b>${s}</b>`,
  link: (url, label) => `<a href="${escapeTelegramHtml(url)}">${label}</a>`,
  instant: (since) => shortInstantRendered(since, HTML_SPEC),
};

function titleHtml(group: CompactGroup, continued: boolean): string {
  return `<b>${escapeTelegramHtml(compactTitle(group, continued))}</b>`;
}

function footerHtml(commands: { status: string; history: string }): string {
  return `${DETAILS_LABEL} <code>${escapeTelegramHtml(commands.status)}</code> · <code>${escapeTelegramHtml(commands.history)}</code>`;
}

function plan(header: SectionHeader, groups: readonly CompactGroup[], sections: Sections): { lines: CompactLine[]; chunks: LineChunk[] } {
  const lineCount = sections.jobs.length;
  // Reserve room for the widest header (part n of n, n = lines) and the widest footer, so
  // that the budget never depends on how the group ends up split.
  const reserve = telegramCost(telegramHeader(header, lineCount - 1, lineCount)) + BLANK_LINE.length + telegramCost(footerHtml(widestDetailsCommands()));
  const titleCost = (g: number): number => BLANK_LINE.length + telegramCost(titleHtml(groups[g] as CompactGroup, true));
  let best: { lines: CompactLine[]; chunks: LineChunk[] } | null = null;
  for (const rung of RUNGS) {
    const lines = compactLines(MARKUP, groups, sections, rung.links);
    best = { lines, chunks: packLines(lines, { budget: TELEGRAM_LIMITS.text - reserve, minShare: rung.minReason, titleCost }) };
    if (best.chunks.length <= 1) break;
  }
  return best as { lines: CompactLine[]; chunks: LineChunk[] };
}

/** The job changes of a group as compact texts: one if 4096 characters allow, else as few as they do. */
export function compactTelegramMessages(header: SectionHeader, sections: Sections): string[] {
  const groups = compactGroups(sections.jobs);
  if (groups.length === 0) return [];
  const { lines, chunks } = plan(header, groups, sections);
  const footer = footerHtml(detailsCommands(sections.jobs));
  return chunks.map((chunk, index) => {
    const parts = [telegramHeader(header, index, chunks.length)];
    for (const segment of chunkSegments(lines, chunk)) {
      const rendered = [titleHtml(groups[segment.group] as CompactGroup, segment.continued)];
      for (let i = segment.from; i < segment.to; i++) rendered.push((lines[i] as CompactLine).build(chunk.budgets[i - chunk.start] ?? 0));
      parts.push(rendered.join("\n"));
    }
    parts.push(footer);
    return parts.join(BLANK_LINE);
  });
}
