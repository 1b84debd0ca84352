/**
 * Platform limits the formatters must respect (docs/platform.md "Discord webhooks" and
 * "Telegram Bot API"). A message over any of them is rejected with a 400, so the alert
 * would not arrive at all: these are hard limits, not style.
 *
 * Lengths are JavaScript string lengths (UTF-16 code units). Telegram counts exactly that
 * ("1-4096 characters after entities parsing", UTF-16). Discord's counting is not
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

/** https://core.telegram.org/bots/api#sendmessage */
export const TELEGRAM_LIMITS = {
  /** Visible text after entity parsing (tags removed, entities decoded), UTF-16 units. */
  text: 4096,
  /**
   * Telegram limits the parsed text only, but escaping can grow raw HTML up to 6× (`"` →
   * `&quot;`). Error text is cut so that its raw HTML stays within this factor of its
   * visible length, which keeps a message's raw size to a few times 4096.
   */
  rawPerVisible: 4,
} as const;
