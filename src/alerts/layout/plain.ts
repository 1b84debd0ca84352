/**
 * A plain-text rendering of a group, for the CLI (`jobmon` demos and dry runs show what
 * would be sent). Same wording and redaction as the channels, no markup and no splitting;
 * error text is cut at a readable length. Job changes take the layout the mirrored channel
 * would use (detailed blocks, or the compact line per job), so what is printed is what
 * would be sent. The channels' registry (../channels/index.ts `formatPlainText`) picks the
 * layout.
 */
import type { AlertEntry } from "../types.js";
import { type Markup, jobBlock, messageBlock, projectBlock } from "./blocks.js";
import { CRITICALITY_EMOJI, type FormatOptions, PROJECT_EMOJI, type Sections, groupName, jobsEmoji, jobsSummary, messagesSummary, prepare, projectsSummary } from "./common.js";
import { COMPACT_REASON_MAX, type CompactMarkup, DETAILS_LABEL, compactGroups, compactLines, compactTitle, detailsCommands, shortInstantRendered } from "./compact.js";
import { PLAIN } from "./fit.js";

/** Error (or message) text beyond this is cut with a marker: a terminal is not a log viewer. */
export const PLAIN_ERROR_MAX = 2000;

export interface PlainLayoutOptions extends FormatOptions {
  /** The layout the mirrored channel gives these job changes (its `jobsLayout`). */
  jobsLayout: (sections: Sections) => "detailed" | "compact";
}

const PLAIN_MARKUP: Markup = {
  spec: PLAIN,
  bold: (s) => s,
  italic: (s) => s,
  code: (s) => s,
  pre: (s) => s.split("\n").map((line) => `    ${line}`).join("\n"),
  link: (url, label) => `${label}: ${url}`,
};

// No links: a terminal line with a URL after every job is no longer compact.
const PLAIN_COMPACT: CompactMarkup = {
  spec: PLAIN,
  bullet: "• ",
  bold: (s) => s,
  link: (_url, label) => label,
  instant: (since) => shortInstantRendered(since, PLAIN),
};

/** Groups of one line per job, each reason at its compact maximum, then where to find the rest. */
function compactJobs(sections: Sections): string[] {
  const groups = compactGroups(sections.jobs);
  const lines = compactLines(PLAIN_COMPACT, groups, sections, false);
  const blocks = groups.map((group, g) => [compactTitle(group), ...lines.filter((line) => line.group === g).map((line) => line.build(COMPACT_REASON_MAX))].join("\n"));
  const commands = detailsCommands(sections.jobs);
  return [...blocks, `${DETAILS_LABEL} ${commands.status} · ${commands.history}`];
}

export function formatPlainTextWith(entries: readonly AlertEntry[], opts: PlainLayoutOptions): string {
  const sections = prepare(entries, opts);
  const cap = PLAIN_ERROR_MAX;
  const out: string[] = [];
  const section = (emoji: string, group: string, summary: string, blocks: string[]): void => {
    out.push([`${emoji} ${group}: ${summary}`, ...blocks].join("\n\n"));
  };
  const firstProject = sections.projects[0];
  if (firstProject !== undefined) {
    section(
      PROJECT_EMOJI[firstProject.toStatus],
      groupName(sections.projects.map((p) => p.projectName)),
      projectsSummary(sections.projects),
      sections.projects.map((p) => projectBlock(PLAIN_MARKUP, p, sections, cap).build(cap)),
    );
  }
  if (sections.jobs.length > 0) {
    const layout = opts.jobsLayout(sections);
    section(
      jobsEmoji(sections.jobs),
      groupName(sections.jobs.map((j) => j.projectName)),
      jobsSummary(sections.jobs),
      layout === "compact" ? compactJobs(sections) : sections.jobs.map((j) => jobBlock(PLAIN_MARKUP, j, sections, cap).build(cap)),
    );
  }
  const firstMessage = sections.messages[0];
  if (firstMessage !== undefined) {
    section(
      CRITICALITY_EMOJI[firstMessage.criticality],
      groupName(sections.messages.map((m) => m.projectName)),
      messagesSummary(sections.messages),
      sections.messages.map((m) => messageBlock(PLAIN_MARKUP, m, cap).build(cap)),
    );
  }
  return out.join("\n\n");
}
