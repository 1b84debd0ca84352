/**
 * Discord's limits the formatter must respect (docs/platform.md "Discord webhooks"). A
 * message over any of them is rejected with a 400, so the alert would not arrive at all:
 * these are hard limits, not style.
 *
 * Lengths are JavaScript string lengths (UTF-16 code units). Discord's counting is not
 * documented precisely; a UTF-16 length is never smaller than a code-point count, so
 * counting it errs on the safe side.
 */

/** https://discord.com/developers/docs/resources/message#embed-object-embed-limits */
export const DISCORD_LIMITS = {
  content: 2000,
  embedsPerMessage: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  /** Title, description, field names and values, footer text and author name of every embed of one message together. */
  totalEmbedText: 6000,
  /** Webhook `username` override: 1-80 characters. */
  username: 80,
} as const;
