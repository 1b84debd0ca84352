/**
 * A plain-text rendering of a group, for the CLI (`jobmon` demos and dry runs show what
 * would be sent). Same wording and redaction as the channels, no markup and no splitting;
 * error text is cut at a readable length.
 */
import type { AlertEntry } from "../types.js";
import { type Markup, jobBlock, messageBlock, projectBlock } from "./blocks.js";
import { CRITICALITY_EMOJI, type FormatOptions, PROJECT_EMOJI, groupName, jobsEmoji, jobsSummary, messagesSummary, prepare, projectsSummary } from "./common.js";
import { PLAIN } from "./fit.js";

/** Error (or message) text beyond this is cut with a marker: a terminal is not a log viewer. */
export const PLAIN_ERROR_MAX = 2000;

const PLAIN_MARKUP: Markup = {
  spec: PLAIN,
  bold: (s) => s,
  italic: (s) => s,
  code: (s) => s,
  pre: (s) => s.split("\n").map((line) => `    ${line}`).join("\n"),
  link: (url, label) => `${label}: ${url}`,
};

export function formatPlainText(entries: readonly AlertEntry[], opts: FormatOptions = {}): string {
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
    section(
      jobsEmoji(sections.jobs),
      groupName(sections.jobs.map((j) => j.projectName)),
      jobsSummary(sections.jobs),
      sections.jobs.map((j) => jobBlock(PLAIN_MARKUP, j, sections, cap).build(cap)),
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
