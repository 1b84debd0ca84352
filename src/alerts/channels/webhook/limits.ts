/**
 * The signed webhook's own bounds (docs/webhook.md): a receiver gets bodies of a
 * predictable size, whatever the jobs printed. Text lengths are UTF-16 units of the
 * redacted text; a cut text ends with a marker saying how much was left out.
 */
export const WEBHOOK_LIMITS = {
  /** Changes per request: a larger group is sent as several requests. */
  changesPerBody: 50,
  /** An error message (a 10 MB stack trace arrives as its first 8,000 characters). */
  error: 8_000,
  reason: 2_000,
  /** Names, titles, schedules. */
  name: 500,
  /** An ad-hoc message's text. */
  message: 8_000,
} as const;
