/**
 * Slack incoming webhook messages in Block Kit, with a `text` fallback for notifications
 * (docs/platform.md "Slack incoming webhooks", limits.ts). Every message opens with a header
 * block (only jobmon's own wording: no job data goes into plain_text) and a context block
 * naming the project(s); each change is one section block.
 *
 * As for the other channels: job changes get a section each (the detailed layout) when they
 * fit one message, else the compact layout (../../layout/compact.ts: a line per job, grouped
 * by status), split into several messages only when even that cannot fit. Project-level
 * changes and ad-hoc messages always get the detailed layout. Escaping: markup.ts.
 */
import { type BlockDraft, jobBlock, messageBlock, projectBlock } from "../../layout/blocks.js";
import {
  CRITICALITY_EMOJI,
  type FormatOptions,
  PROJECT_EMOJI,
  type SectionHeader,
  type Sections,
  groupName,
  jobsHeader,
  partSuffix,
  prepare,
  projectsSummary,
} from "../../layout/common.js";
import {
  type CompactGroup,
  type CompactLine,
  type CompactMarkup,
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
import { PLAIN, fitText, pack, safeCut } from "../../layout/fit.js";
import type { AlertEntry } from "../../types.js";
import { SLACK_LIMITS } from "./limits.js";
import { MRKDWN, MRKDWN_MARKUP, escapeSlackText, slackUrl } from "./markup.js";

export interface SlackText {
  type: "mrkdwn" | "plain_text";
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: "header"; text: SlackText }
  | { type: "section"; text: SlackText }
  | { type: "context"; elements: SlackText[] };

export interface SlackMessage {
  /** The notification and fallback text (mrkdwn). */
  text: string;
  blocks: SlackBlock[];
  unfurl_links: false;
  unfurl_media: false;
}

/** Below this share of the budget an error is no longer informative: start a new message. */
const MIN_ERROR_SHARE = 300;
/** Blocks every message spends besides the changes: header, context, and a footer for the compact layout. */
const FRAME_BLOCKS = 3;
const MAX_GROUP = 200;

const mrkdwn = (text: string): SlackText => ({ type: "mrkdwn", text });

/** The header: jobmon's own words only ("🔴 3 jobs failing (part 1 of 2)"), at most 150 characters. */
function headerBlock(header: SectionHeader, index: number, count: number): SlackBlock {
  const text = fitText(`${header.emoji} ${header.summary}${partSuffix(index, count)}`, SLACK_LIMITS.headerText, PLAIN);
  return { type: "header", text: { type: "plain_text", text, emoji: true } };
}

function contextBlock(header: SectionHeader): SlackBlock {
  return { type: "context", elements: [mrkdwn(`*${fitText(header.group, MAX_GROUP, MRKDWN)}*`)] };
}

function fallbackText(header: SectionHeader, index: number, count: number): string {
  return `${header.emoji} ${fitText(header.group, MAX_GROUP, MRKDWN)}: ${fitText(header.summary, 500, MRKDWN)}${partSuffix(index, count)}`;
}

/** What the header, context and fallback of the widest message of a group cost against the 40,000. */
function frameCost(header: SectionHeader, count: number): number {
  const last = Math.max(0, count - 1);
  const head = headerBlock(header, last, count);
  const context = contextBlock(header);
  const text = (block: SlackBlock): number => (block.type === "context" ? block.elements.reduce((n, e) => n + e.text.length, 0) : block.text.text.length);
  return text(head) + text(context) + fallbackText(header, last, count).length;
}

/** A section holds at most 3,000 characters: a block's error gets what its fixed part leaves. */
function sectionDraft(draft: BlockDraft): BlockDraft {
  const room = Math.max(0, SLACK_LIMITS.sectionText - draft.fixed);
  return { fixed: draft.fixed, demand: Math.min(draft.demand, room), build: (budget) => draft.build(Math.min(budget, room)) };
}

/** A section block; text past 3,000 characters (only ever a pathological fixed part) is cut. */
function section(text: string): SlackBlock {
  const max = SLACK_LIMITS.sectionText;
  const fitted = text.length <= max ? text : `${text.slice(0, safeCut(text, max - 1))}…`;
  return { type: "section", text: mrkdwn(fitted === "" ? " " : fitted) };
}

function message(header: SectionHeader, index: number, count: number, body: SlackBlock[]): SlackMessage {
  return {
    text: fallbackText(header, index, count),
    blocks: [headerBlock(header, index, count), contextBlock(header), ...body],
    unfurl_links: false,
    unfurl_media: false,
  };
}

function chunks(header: SectionHeader, drafts: readonly BlockDraft[]): { items: BlockDraft[]; budgets: number[] }[] {
  return pack(drafts.map(sectionDraft), {
    budget: SLACK_LIMITS.text - frameCost(header, drafts.length),
    maxItems: SLACK_LIMITS.blocks - FRAME_BLOCKS,
    separator: 0,
    minShare: MIN_ERROR_SHARE,
  });
}

function detailedMessages(header: SectionHeader, drafts: readonly BlockDraft[]): SlackMessage[] {
  const packed = chunks(header, drafts);
  return packed.map((chunk, index) => message(header, index, packed.length, chunk.items.map((item, i) => section(item.build(chunk.budgets[i] ?? 0)))));
}

/** The detailed drafts of a group's job changes when they fit one message, else null (the compact layout is used). */
function detailedJobDrafts(header: SectionHeader, sections: Sections): BlockDraft[] | null {
  if (sections.jobs.length > SLACK_LIMITS.blocks - FRAME_BLOCKS) return null;
  const drafts = sections.jobs.map((job) => jobBlock(MRKDWN_MARKUP, job, sections, SLACK_LIMITS.sectionText));
  return chunks(header, drafts).length <= 1 ? drafts : null;
}

/** Which layout `formatSlack` gives these (prepared) job changes. */
export function slackJobsLayout(sections: Sections): "detailed" | "compact" {
  return detailedJobDrafts(jobsHeader(sections.jobs), sections) === null ? "compact" : "detailed";
}

// ---------------------------------------------------------------------------------------
// The compact layout

const RUNGS = [
  { links: true, minReason: 60 },
  { links: false, minReason: 40 },
] as const;

const COMPACT: CompactMarkup = {
  spec: MRKDWN,
  bullet: "• ",
  bold: (s) => `*${s}*`,
  link: (url, label) => `<${slackUrl(url)}|${label}>`,
  instant: (since) => shortInstantRendered(since, MRKDWN),
};

const titleText = (group: CompactGroup, continued: boolean): string => `*${escapeSlackText(compactTitle(group, continued))}*`;

function footerText(commands: { status: string; history: string }): string {
  return `${DETAILS_LABEL} \`${escapeSlackText(commands.status)}\` · \`${escapeSlackText(commands.history)}\``;
}

function plan(header: SectionHeader, groups: readonly CompactGroup[], sections: Sections): { lines: CompactLine[]; chunks: LineChunk[] } {
  const lineCount = sections.jobs.length;
  const titleCost = (g: number): number => titleText(groups[g] as CompactGroup, true).length + 1;
  // Room for the frame, the footer, and the title each section a long group is split into
  // repeats: sections are at least half full (a line is far shorter than 1,500 characters).
  const longestTitle = Math.max(...groups.map((_, g) => titleCost(g)));
  const maxSections = Math.ceil(SLACK_LIMITS.text / (SLACK_LIMITS.sectionText / 2));
  const budget = SLACK_LIMITS.text - frameCost(header, lineCount) - footerText(widestDetailsCommands()).length - longestTitle * maxSections;
  let best: { lines: CompactLine[]; chunks: LineChunk[] } | null = null;
  for (const rung of RUNGS) {
    const lines = compactLines(COMPACT, groups, sections, rung.links);
    best = { lines, chunks: packLines(lines, { budget, minShare: rung.minReason, titleCost }) };
    if (best.chunks.length <= 1) break;
  }
  return best as { lines: CompactLine[]; chunks: LineChunk[] };
}

function compactMessages(header: SectionHeader, sections: Sections): SlackMessage[] {
  const groups = compactGroups(sections.jobs);
  if (groups.length === 0) return [];
  const { lines, chunks } = plan(header, groups, sections);
  const footer: SlackBlock = { type: "context", elements: [mrkdwn(footerText(detailsCommands(sections.jobs)))] };
  return chunks.map((chunk, index) => {
    const body: SlackBlock[] = [];
    for (const segment of chunkSegments(lines, chunk)) {
      const group = groups[segment.group] as CompactGroup;
      const rendered: string[] = [];
      for (let i = segment.from; i < segment.to; i++) rendered.push((lines[i] as CompactLine).build(chunk.budgets[i - chunk.start] ?? 0));
      joinLinesWithin(rendered, SLACK_LIMITS.sectionText).forEach((text, k) => body.push(section(`${titleText(group, segment.continued || k > 0)}\n${text}`)));
    }
    return message(header, index, chunks.length, [...body, footer]);
  });
}

// ---------------------------------------------------------------------------------------

/**
 * One group (one project, one route, one cycle) as Slack messages, in sending order:
 * project-level changes, then job changes, then ad-hoc messages, never mixed in one message.
 */
export function formatSlack(entries: readonly AlertEntry[], opts: FormatOptions = {}): SlackMessage[] {
  const sections = prepare(entries, opts);
  const out: SlackMessage[] = [];
  const firstProject = sections.projects[0];
  if (firstProject !== undefined) {
    out.push(
      ...detailedMessages(
        { emoji: PROJECT_EMOJI[firstProject.toStatus], group: groupName(sections.projects.map((p) => p.projectName)), summary: projectsSummary(sections.projects) },
        sections.projects.map((p) => projectBlock(MRKDWN_MARKUP, p, sections, SLACK_LIMITS.sectionText)),
      ),
    );
  }
  if (sections.jobs.length > 0) {
    const header = jobsHeader(sections.jobs);
    const detailed = detailedJobDrafts(header, sections);
    out.push(...(detailed === null ? compactMessages(header, sections) : detailedMessages(header, detailed)));
  }
  const firstMessage = sections.messages[0];
  if (firstMessage !== undefined) {
    // The header stays jobmon's own words: a notice's title (free text) goes in its section.
    const count = sections.messages.length;
    out.push(
      ...detailedMessages(
        { emoji: CRITICALITY_EMOJI[firstMessage.criticality], group: groupName(sections.messages.map((m) => m.projectName)), summary: count === 1 ? "jobmon notice" : `${count} jobmon notices` },
        sections.messages.map((m) => messageBlock(MRKDWN_MARKUP, m, SLACK_LIMITS.sectionText)),
      ),
    );
  }
  return out;
}
