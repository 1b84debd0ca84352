/**
 * What both Discord layouts (detailed, compact) share: the payload types, status colours,
 * markdown escaping, the message header and the webhook username (docs/platform.md "Discord
 * webhooks", limits.ts).
 *
 * - Pings: `allowed_mentions: {parse: []}` on every payload, so `@everyone` in an error
 *   message pings no one; it is also defused visibly (zero-width space after `@`).
 * - Markdown: every interpolated value is escaped; error text goes in a code block whose
 *   backticks are defused (a zero-width space after each), so it cannot close the block.
 */
import type { Criticality, JobStatus } from "../../../types.js";
import { DISCORD_LIMITS } from "./limits.js";
import { type FormatOptions, type SectionHeader, oneLine, partSuffix } from "../../layout/common.js";
import { type RenderSpec, fitText } from "../../layout/fit.js";

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
  yellow: 0xf1c40f,
  grey: 0x95a5a6,
  green: 0x2ecc71,
  darkRed: 0x992d22,
  blue: 0x3498db,
} as const;

export const JOB_COLOR: Record<JobStatus, number> = {
  failed: DISCORD_COLORS.red,
  stuck: DISCORD_COLORS.red,
  missed: DISCORD_COLORS.orange,
  slow: DISCORD_COLORS.yellow,
  unknown: DISCORD_COLORS.grey,
  paused: DISCORD_COLORS.grey,
  success: DISCORD_COLORS.green,
};
export const CRITICALITY_COLOR: Record<Criticality, number> = {
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

export const MARKDOWN: RenderSpec = { render: escapeDiscordMarkdown, cost: (s) => s.length };
export const CODE: RenderSpec = { render: escapeDiscordCodeBlock, cost: (s) => s.length };

export const md = (text: string, max: number): string => fitText(text, max, MARKDOWN);

/** The message's `content`: what the group is about, and which part this is. */
export function headerContent(header: SectionHeader, index: number, count: number): string {
  return `${header.emoji} **${md(header.group, 200)}**: ${md(header.summary, 1000)}${partSuffix(index, count)}`;
}

/** Discord rejects (400) a username containing "discord" or "clyde": better the webhook's own name than no alert. */
export function webhookUsername(opts: FormatOptions): string | null {
  const requested = opts.username === undefined ? "" : fitText(oneLine(opts.username), DISCORD_LIMITS.username);
  return requested === "" || /discord|clyde/i.test(requested) ? null : requested;
}

export function payload(content: string, embeds: DiscordEmbed[], username: string | null): DiscordWebhookPayload {
  return { content, embeds, allowed_mentions: { parse: [] }, ...(username === null ? {} : { username }) };
}
