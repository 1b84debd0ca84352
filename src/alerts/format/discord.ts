/**
 * Discord webhook payloads: one embed per change, coloured by status, packed into as few
 * messages as Discord's limits allow (PLATFORM.md "Discord webhooks", limits.ts).
 *
 * - Pings: `allowed_mentions: {parse: []}` on every payload, so `@everyone` in an error
 *   message pings no one; it is also defused visibly (zero-width space after `@`).
 * - Markdown: every interpolated value is escaped; error text goes in a code block whose
 *   backticks are defused (a zero-width space after each), so it cannot close the block.
 * - The dashboard link is the embed's `url` (its title becomes the link): Discord does not
 *   count URLs against the 6000-character budget, so more changes fit in one message.
 */
import { DISCORD_LIMITS } from "../limits.js";
import type { Criticality, JobStatus } from "../../types.js";
import type { AlertEntry, JobAlert, MessageAlert, ProjectAlert } from "../types.js";
import {
  CRITICALITY_EMOJI,
  type FormatOptions,
  JOB_EMOJI,
  JOB_TYPE_LABEL,
  PROJECT_EMOJI,
  PROJECT_HEADLINE,
  type Sections,
  groupName,
  humanDuration,
  isRecovery,
  isReminder,
  isoSeconds,
  jobHeadline,
  jobsEmoji,
  jobsSummary,
  messagesSummary,
  oneLine,
  parseInstant,
  partSuffix,
  prepare,
  projectsSummary,
  recoverySentence,
  reminderSentence,
  statusWithPrevious,
} from "./common.js";
import { jobDashboardUrl, projectDashboardUrl } from "./dashboard.js";
import { type Packable, type RenderSpec, fitText, pack } from "./fit.js";

export interface DiscordEmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface DiscordEmbed {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  fields?: DiscordEmbedField[];
  footer?: { text: string };
  author?: { name: string };
  timestamp?: string;
}

export interface DiscordWebhookPayload {
  content?: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: [] };
  username?: string;
}

export const DISCORD_COLORS = {
  red: 0xe74c3c,
  orange: 0xe67e22,
  grey: 0x95a5a6,
  green: 0x2ecc71,
  darkRed: 0x992d22,
  blue: 0x3498db,
} as const;

const JOB_COLOR: Record<JobStatus, number> = {
  failed: DISCORD_COLORS.red,
  stuck: DISCORD_COLORS.red,
  missed: DISCORD_COLORS.orange,
  unknown: DISCORD_COLORS.grey,
  paused: DISCORD_COLORS.grey,
  success: DISCORD_COLORS.green,
};
const CRITICALITY_COLOR: Record<Criticality, number> = {
  critical: DISCORD_COLORS.red,
  important: DISCORD_COLORS.orange,
  low: DISCORD_COLORS.blue,
};

/** Everything Discord counts against the 6000-character total of a message. */
export function discordEmbedTextLength(embed: DiscordEmbed): number {
  let total = (embed.title?.length ?? 0) + (embed.description?.length ?? 0);
  for (const field of embed.fields ?? []) total += field.name.length + field.value.length;
  return total + (embed.footer?.text.length ?? 0) + (embed.author?.name.length ?? 0);
}

/**
 * Escapes Discord markdown so a value shows as typed: emphasis, spoilers, code, masked
 * links, quotes/headings/lists at a line start, `<@…>`-style tags; `@everyone`/`@here`
 * get a zero-width space so they do not even look like a ping.
 */
export function escapeDiscordMarkdown(text: string): string {
  return text
    .replace(/[\\*_~`|[\]<>]/g, "\\$&")
    .replace(/^([ \t]*)([#-])/gm, "$1\\$2")
    .replace(/@(everyone|here)/gi, "@\u200b$1");
}

/**
 * Inside a code block only a run of backticks is special: break every run. Mentions do not
 * render there, but get the same invisible zero-width space so that no rendering of the
 * text (a preview, a copy into chat) can turn them into a ping.
 */
export function escapeDiscordCodeBlock(text: string): string {
  return text.replace(/`/g, "`\u200b").replace(/@(everyone|here)/gi, "@\u200b$1");
}

const MARKDOWN: RenderSpec = { render: escapeDiscordMarkdown, cost: (s) => s.length };
const CODE: RenderSpec = { render: escapeDiscordCodeBlock, cost: (s) => s.length };

const md = (text: string, max: number): string => fitText(text, max, MARKDOWN);

/** Short values in inline code (schedules, refs): backticks swapped for a look-alike. */
function inlineCode(text: string, max: number): string {
  return `\`${fitText(oneLine(text).replace(/`/g, "ˋ"), max)}\``;
}

/** Discord rejects an empty or blank field value. */
function field(name: string, value: string, inline = true): DiscordEmbedField {
  return { name, value: value.trim() === "" ? "—" : value, inline };
}

/** Shares of the per-message budget below which a new message is started instead. */
const MIN_ERROR_SHARE = 300;
// Caps on the always-shown parts, so that any one embed fits a message with room for its error.
const MAX_TITLE_NAME = 140;
const MAX_REASON = 1000;
const MAX_FIELD_TEXT = 300;
const FENCE_OPEN = "```\n";
const FENCE_CLOSE = "\n```";

interface Cuttable {
  text: string;
  spec: RenderSpec;
  wrap(rendered: string): string;
}

interface EmbedDraft extends Packable {
  build(budget: number): DiscordEmbed;
}

function codeBlock(text: string | null): Cuttable | null {
  return text === null ? null : { text, spec: CODE, wrap: (s) => `${FENCE_OPEN}${s}${FENCE_CLOSE}` };
}

function draft(base: Omit<DiscordEmbed, "description">, head: string[], cut: Cuttable | null): EmbedDraft {
  const headText = head.filter((line) => line !== "").join("\n");
  const build = (budget: number): DiscordEmbed => {
    const parts = [headText];
    if (cut !== null) {
      const body = fitText(cut.text, budget, cut.spec);
      if (body !== "" || budget === 0) parts.push(cut.wrap(body));
    }
    const description = parts.filter((p) => p !== "").join("\n");
    return description === "" ? { ...base } : { ...base, description };
  };
  const skeleton = build(0);
  const fixed = discordEmbedTextLength(skeleton);
  let demand = 0;
  if (cut !== null) {
    const room = Math.min(DISCORD_LIMITS.description - (skeleton.description?.length ?? 0), DISCORD_LIMITS.totalEmbedText - fixed);
    demand = Math.max(0, cut.text.length >= room ? room : Math.min(room, cut.spec.render(cut.text).length));
  }
  return { fixed, demand, build };
}

function refSuffix(ref: string | null): string {
  return ref === null || ref === "" ? "" : ` · ${inlineCode(ref, 60)}`;
}

function sinceValue(since: string): string {
  const ms = parseInstant(since);
  return ms === null ? md(oneLine(since), 100) : `${isoSeconds(ms)} · <t:${Math.floor(ms / 1000)}:R>`;
}

function jobDraft(job: JobAlert, sections: Sections): EmbedDraft {
  const title = `${JOB_EMOJI[job.toStatus]} ${md(job.projectName, 60)} / ${md(job.jobName, MAX_TITLE_NAME)}${
    isRecovery(job) ? " recovered" : `: ${jobHeadline(job)}`
  }`;
  const head: string[] = [];
  if (isReminder(job)) head.push(md(capitalise(reminderSentence(job, sections.nowMs)), MAX_FIELD_TEXT));
  if (isRecovery(job)) head.push(`${capitalise(recoverySentence(job.downSeconds))}.`);
  head.push(md(job.reason, MAX_REASON));

  const typeLabel = job.jobType === "pg_cron" && job.sourceId !== null && /^\d+$/.test(job.sourceId) ? `pg_cron · jobid ${job.sourceId}` : JOB_TYPE_LABEL[job.jobType];
  const fields = [
    field("Project", `${md(job.projectName, MAX_FIELD_TEXT)}${refSuffix(job.projectRef)}`),
    field("Type", md(typeLabel, 100)),
    field("Status", md(statusWithPrevious(job.toStatus, job.fromStatus), 100)),
    field("Since", sinceValue(job.since)),
    field("Criticality", job.criticality),
  ];
  if (isRecovery(job) && job.downSeconds !== null) fields.push(field("Down for", humanDuration(job.downSeconds)));
  if (job.schedule !== null || job.scheduleDescription !== null) {
    const schedule = job.schedule === null ? "" : inlineCode(job.schedule, 200);
    const description = job.scheduleDescription === null ? "" : md(oneLine(job.scheduleDescription), MAX_FIELD_TEXT);
    fields.push(field("Schedule", [schedule, description].filter((s) => s !== "").join(" — "), false));
  }
  const url = jobDashboardUrl(job, sections.dashboard);
  return draft({ title, color: JOB_COLOR[job.toStatus], ...(url === null ? {} : { url }), fields }, head, codeBlock(job.errorMessage));
}

function projectDraft(alert: ProjectAlert, sections: Sections): EmbedDraft {
  const title = `${PROJECT_EMOJI[alert.toStatus]} ${md(alert.projectName, MAX_TITLE_NAME)}: ${PROJECT_HEADLINE[alert.toStatus]}`;
  const recovered = alert.toStatus === "ok";
  const head = [recovered ? `${capitalise(recoverySentence(alert.downSeconds))}.` : "", md(alert.reason, MAX_REASON)];
  const fields = [
    field("Project", `${md(alert.projectName, MAX_FIELD_TEXT)}${refSuffix(alert.projectRef)}`),
    field("Status", md(statusWithPrevious(alert.toStatus, alert.fromStatus), 100)),
    field("Since", sinceValue(alert.since)),
  ];
  if (recovered && alert.downSeconds !== null) fields.push(field("Down for", humanDuration(alert.downSeconds)));
  const url = projectDashboardUrl(alert, sections.dashboard);
  const color = recovered ? DISCORD_COLORS.green : DISCORD_COLORS.darkRed;
  return draft({ title, color, ...(url === null ? {} : { url }), fields }, head, codeBlock(alert.errorMessage));
}

function messageDraft(alert: MessageAlert): EmbedDraft {
  const title = `${CRITICALITY_EMOJI[alert.criticality]} ${md(alert.title, 240)}`;
  const fields = [field("Criticality", alert.criticality)];
  if (alert.projectName !== null) fields.push(field("Project", md(alert.projectName, MAX_FIELD_TEXT)));
  if (alert.jobName !== null) fields.push(field("Job", md(alert.jobName, MAX_FIELD_TEXT)));
  const body: Cuttable | null = alert.message === "" ? null : { text: alert.message, spec: MARKDOWN, wrap: (s) => s };
  return draft({ title, color: CRITICALITY_COLOR[alert.criticality], fields }, [], body);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function payloads(header: { emoji: string; group: string; summary: string }, drafts: EmbedDraft[], opts: FormatOptions): DiscordWebhookPayload[] {
  const chunks = pack(drafts, {
    budget: DISCORD_LIMITS.totalEmbedText,
    maxItems: DISCORD_LIMITS.embedsPerMessage,
    separator: 0,
    minShare: MIN_ERROR_SHARE,
  });
  // Discord rejects (400) a username containing "discord" or "clyde": better the webhook's own name than no alert.
  const requested = opts.username === undefined ? "" : fitText(oneLine(opts.username), DISCORD_LIMITS.username);
  const username = /discord|clyde/i.test(requested) ? "" : requested;
  return chunks.map((chunk, index) => {
    const content = `${header.emoji} **${md(header.group, 200)}**: ${md(header.summary, 1000)}${partSuffix(index, chunks.length)}`;
    return {
      content,
      embeds: chunk.items.map((item, i) => item.build(chunk.budgets[i] ?? 0)),
      allowed_mentions: { parse: [] },
      ...(username === "" ? {} : { username }),
    };
  });
}

/**
 * One group (one project, one route, one cycle) as Discord webhook payloads, in sending
 * order: project-level changes, then job changes, then ad-hoc messages, never mixed in one
 * payload. Empty input gives no payload.
 */
export function formatDiscord(entries: readonly AlertEntry[], opts: FormatOptions = {}): DiscordWebhookPayload[] {
  const sections = prepare(entries, opts);
  const out: DiscordWebhookPayload[] = [];
  if (sections.projects.length > 0) {
    const first = sections.projects[0];
    out.push(
      ...payloads(
        { emoji: first === undefined ? "" : PROJECT_EMOJI[first.toStatus], group: groupName(sections.projects.map((p) => p.projectName)), summary: projectsSummary(sections.projects) },
        sections.projects.map((p) => projectDraft(p, sections)),
        opts,
      ),
    );
  }
  if (sections.jobs.length > 0) {
    out.push(
      ...payloads(
        { emoji: jobsEmoji(sections.jobs), group: groupName(sections.jobs.map((j) => j.projectName)), summary: jobsSummary(sections.jobs) },
        sections.jobs.map((j) => jobDraft(j, sections)),
        opts,
      ),
    );
  }
  if (sections.messages.length > 0) {
    const first = sections.messages[0];
    out.push(
      ...payloads(
        { emoji: first === undefined ? "" : CRITICALITY_EMOJI[first.criticality], group: groupName(sections.messages.map((m) => m.projectName)), summary: messagesSummary(sections.messages) },
        sections.messages.map(messageDraft),
        opts,
      ),
    );
  }
  return out;
}
