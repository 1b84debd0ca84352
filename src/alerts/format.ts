/**
 * Alert formatting: a group of `AlertEntry` (one project, one route, one cycle) into
 * channel messages. Pure: no clock, no network. Every free-text value is redacted
 * (redact.ts) before any limit is applied, then escaped for its channel and cut to the
 * channel's limits (limits.ts) with a visible marker.
 *
 * A group's job changes get one detailed block per change when they fit one message, and
 * the compact layout (a line per job, grouped by status) when they do not; only when even
 * that cannot fit is a group split into several messages.
 *
 * The pieces live in ./format/: common (wording, order, clean-up), fit (cutting and
 * packing), dashboard (Supabase dashboard links), blocks (detailed text blocks), compact
 * (the line-per-job layout), discord(-markup, -compact), telegram(-markup, -compact), plain.
 */
export { type FormatOptions, humanDuration } from "./format/common.js";
export { DEFAULT_DASHBOARD_BASE_URL, dashboardBase, jobDashboardUrl, projectDashboardUrl } from "./format/studio-links.js";
export {
  DISCORD_COLORS,
  type DiscordEmbed,
  type DiscordEmbedField,
  type DiscordWebhookPayload,
  escapeDiscordCodeBlock,
  discordEmbedTextLength,
  escapeDiscordMarkdown,
  formatDiscord,
} from "./format/discord.js";
export { fitText, safeCut, truncationMarker } from "./format/fit.js";
export { PLAIN_ERROR_MAX, type PlainTextOptions, formatPlainText } from "./format/plain.js";
export { escapeTelegramHtml, formatTelegram, telegramVisibleLength } from "./format/telegram.js";
