/**
 * Telegram's limits the formatter must respect (docs/platform.md "Telegram Bot API"). A
 * message over them is rejected with a 400, so the alert would not arrive at all.
 *
 * Lengths are JavaScript string lengths (UTF-16 code units), which is exactly what Telegram
 * counts ("1-4096 characters after entities parsing", UTF-16).
 */

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
