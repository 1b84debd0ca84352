/**
 * Slack's limits the formatter must respect (docs/platform.md "Slack incoming webhooks").
 * Blocks over them make Slack answer 400 `invalid_blocks`, so the alert would not arrive;
 * a message text over 40,000 characters is cut by Slack. Lengths are UTF-16 units, never
 * fewer than what Slack counts.
 */
export const SLACK_LIMITS = {
  /** The message's text: the notification fallback and, with blocks, the budget for all their text. */
  text: 40_000,
  blocks: 50,
  /** A section block's text object. */
  sectionText: 3_000,
  /** A header block's plain_text. */
  headerText: 150,
  /** A context block's elements. */
  contextElements: 10,
} as const;
