/**
 * Discord webhook payloads (docs/platform.md "Discord webhooks", limits.ts). Job changes get one
 * embed each (the detailed layout) when they fit one message; a larger group switches to
 * the compact layout (compact.ts: one embed per status, a line per job), which
 * splits into several messages only when even that cannot fit. Project-level changes and
 * ad-hoc messages always get the detailed layout, packed into as few messages as the
 * limits allow. Escaping and mentions: markup.ts.
 *
 * The dashboard link of a detailed embed is its `url` (its title becomes the link):
 * Discord does not count URLs against the 6000-character budget, so more changes fit.
 */
import { DISCORD_LIMITS } from "./limits.js";
import type { AlertEntry, JobAlert, MessageAlert, ProjectAlert } from "../../types.js";
import {
  CRITICALITY_EMOJI,
  type FormatOptions,
  JOB_EMOJI,
  JOB_TYPE_LABEL,
  PROJECT_EMOJI,
  PROJECT_HEADLINE,
  type SectionHeader,
  type Sections,
  groupName,
  humanDuration,
  isRecovery,
  isReminder,
  isoSeconds,
  jobHeadline,
  jobsHeader,
  messagesSummary,
  oneLine,
  parseInstant,
  prepare,
  projectsSummary,
  recoverySentence,
  reminderSentence,
  statusWithPrevious,
} from "../../layout/common.js";
import { jobDashboardUrl, projectDashboardUrl } from "../../layout/studio-links.js";
import { compactDiscordPayloads } from "./compact.js";
import {
  CODE,
  CRITICALITY_COLOR,
  DISCORD_COLORS,
  type DiscordEmbed,
  type DiscordEmbedField,
  type DiscordWebhookPayload,
  JOB_COLOR,
  MARKDOWN,
  discordEmbedTextLength,
  headerContent,
  md,
  payload,
  webhookUsername,
} from "./markup.js";
import { type Packable, type RenderSpec, fitText, pack } from "../../layout/fit.js";

export {
  DISCORD_COLORS,
  type DiscordEmbed,
  type DiscordEmbedField,
  type DiscordWebhookPayload,
  discordEmbedTextLength,
  escapeDiscordCodeBlock,
  escapeDiscordMarkdown,
} from "./markup.js";

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

function chunks(drafts: readonly EmbedDraft[]): { items: EmbedDraft[]; budgets: number[] }[] {
  return pack(drafts, {
    budget: DISCORD_LIMITS.totalEmbedText,
    maxItems: DISCORD_LIMITS.embedsPerMessage,
    separator: 0,
    minShare: MIN_ERROR_SHARE,
  });
}

function payloads(header: SectionHeader, drafts: EmbedDraft[], username: string | null): DiscordWebhookPayload[] {
  const packed = chunks(drafts);
  return packed.map((chunk, index) =>
    payload(
      headerContent(header, index, packed.length),
      chunk.items.map((item, i) => item.build(chunk.budgets[i] ?? 0)),
      username,
    ),
  );
}

/**
 * The detailed drafts of a group's job changes when they fit one message, else null (the
 * compact layout is used). More changes than embeds per message never fit: not even drafted.
 */
function detailedJobDrafts(sections: Sections): EmbedDraft[] | null {
  if (sections.jobs.length > DISCORD_LIMITS.embedsPerMessage) return null;
  const drafts = sections.jobs.map((j) => jobDraft(j, sections));
  return chunks(drafts).length <= 1 ? drafts : null;
}

/** Which layout `formatDiscord` gives these (prepared) job changes. */
export function discordJobsLayout(sections: Sections): "detailed" | "compact" {
  return detailedJobDrafts(sections) === null ? "compact" : "detailed";
}

/**
 * One group (one project, one route, one cycle) as Discord webhook payloads, in sending
 * order: project-level changes, then job changes, then ad-hoc messages, never mixed in one
 * payload. Empty input gives no payload.
 */
export function formatDiscord(entries: readonly AlertEntry[], opts: FormatOptions = {}): DiscordWebhookPayload[] {
  const sections = prepare(entries, opts);
  const username = webhookUsername(opts);
  const out: DiscordWebhookPayload[] = [];
  if (sections.projects.length > 0) {
    const first = sections.projects[0];
    out.push(
      ...payloads(
        { emoji: first === undefined ? "" : PROJECT_EMOJI[first.toStatus], group: groupName(sections.projects.map((p) => p.projectName)), summary: projectsSummary(sections.projects) },
        sections.projects.map((p) => projectDraft(p, sections)),
        username,
      ),
    );
  }
  if (sections.jobs.length > 0) {
    const header = jobsHeader(sections.jobs);
    const detailed = detailedJobDrafts(sections);
    out.push(...(detailed === null ? compactDiscordPayloads(header, sections, username) : payloads(header, detailed, username)));
  }
  if (sections.messages.length > 0) {
    const first = sections.messages[0];
    out.push(
      ...payloads(
        { emoji: first === undefined ? "" : CRITICALITY_EMOJI[first.criticality], group: groupName(sections.messages.map((m) => m.projectName)), summary: messagesSummary(sections.messages) },
        sections.messages.map(messageDraft),
        username,
      ),
    );
  }
  return out;
}
