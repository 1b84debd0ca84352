/**
 * The compact Discord layout (compact.ts): one embed per status, coloured by status, one
 * line per job in its description, and a footer naming the commands that show the rest.
 * Used when the detailed layout (one embed per change) would need more than one message.
 *
 * Budget (limits.ts): a message's embeds share 6000 characters (titles, descriptions,
 * footers) and one description holds 4096. A masked link counts in full in a description
 * (an embed's `url` does not): about 80 characters a job, so forty linked lines cannot fit.
 * Hence two rungs: every job name linked while that fits one message, else no per-job
 * links (each embed's title still links to the project's jobs list, for free) and shorter
 * reasons. Only when even that needs several messages is the group split, at line
 * boundaries, each message within every limit.
 */
import { DISCORD_LIMITS } from "./limits.js";
import { type SectionHeader, type Sections, parseInstant } from "../../layout/common.js";
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
  joinLinesWithin,
  packLines,
  shortInstantRendered,
  widestDetailsCommands,
} from "../../layout/compact.js";
import { jobsListDashboardUrl } from "../../layout/studio-links.js";
import { type DiscordEmbed, type DiscordWebhookPayload, JOB_COLOR, MARKDOWN, headerContent, payload } from "./markup.js";

/**
 * Links with at least 60 characters of reason (a typical Postgres error's first line) fit
 * about 30 jobs; without links, 40 characters of reason fit about 60.
 */
const RUNGS: readonly [Rung, ...Rung[]] = [
  { links: true, minReason: 60 },
  { links: false, minReason: 40 },
];

/** `(`, `)` and blanks would end a masked link's URL early: percent-encode them (same URL). */
function markdownUrl(url: string): string {
  return url.replace(/[()]/g, (c) => (c === "(" ? "%28" : "%29")).replace(/[\s<>]/g, (c) => encodeURIComponent(c));
}

const MARKUP: CompactMarkup = {
  spec: MARKDOWN,
  bullet: "",
  bold: (s) => `**${s}**`,
  link: (url, label) => `[${label}](${markdownUrl(url)})`,
  // A Discord timestamp ("3 hours ago", in the reader's locale) in 16 characters.
  instant: (since) => {
    const ms = parseInstant(since);
    return ms === null ? shortInstantRendered(since, MARKDOWN) : `<t:${Math.floor(ms / 1000)}:R>`;
  },
};

function footerText(commands: { status: string; history: string }): string {
  return `${DETAILS_LABEL} ${commands.status} · ${commands.history}`;
}

function plan(groups: readonly CompactGroup[], sections: Sections): { lines: CompactLine[]; chunks: LineChunk[] } {
  const titleCost = (g: number): number => compactTitle(groups[g] as CompactGroup, true).length;
  // Room for the footer, and for one more title: the descriptions of a message total less
  // than 6000 < 2 × 4096, so at most one of its embeds is split in two.
  const longestTitle = Math.max(...groups.map((_, g) => titleCost(g)));
  const budget = DISCORD_LIMITS.totalEmbedText - footerText(widestDetailsCommands()).length - longestTitle;
  let best: { lines: CompactLine[]; chunks: LineChunk[] } | null = null;
  for (const rung of RUNGS) {
    const lines = compactLines(MARKUP, groups, sections, rung.links);
    best = { lines, chunks: packLines(lines, { budget, minShare: rung.minReason, titleCost }) };
    if (best.chunks.length <= 1) break;
  }
  return best as { lines: CompactLine[]; chunks: LineChunk[] };
}

/** The job changes of a group as compact payloads: one if the limits allow, else as few as they do. */
export function compactDiscordPayloads(header: SectionHeader, sections: Sections, username: string | null): DiscordWebhookPayload[] {
  const groups = compactGroups(sections.jobs);
  if (groups.length === 0) return [];
  const { lines, chunks } = plan(groups, sections);
  const footer = { text: footerText(detailsCommands(sections.jobs)) };
  return chunks.map((chunk, index) => {
    const embeds: DiscordEmbed[] = [];
    for (const segment of chunkSegments(lines, chunk)) {
      const group = groups[segment.group] as CompactGroup;
      const url = jobsListDashboardUrl(group.jobs, sections.dashboard);
      const rendered: string[] = [];
      for (let i = segment.from; i < segment.to; i++) rendered.push((lines[i] as CompactLine).build(chunk.budgets[i - chunk.start] ?? 0));
      joinLinesWithin(rendered, DISCORD_LIMITS.description).forEach((description, k) => {
        embeds.push({ title: compactTitle(group, segment.continued || k > 0), description, color: JOB_COLOR[group.status], ...(url === null ? {} : { url }) });
      });
    }
    const last = embeds.at(-1);
    if (last !== undefined) last.footer = footer;
    return payload(headerContent(header, index, chunks.length), embeds, username);
  });
}
