/**
 * The shape of a Slack incoming webhook URL (docs/platform.md "Slack incoming webhooks"):
 * `https://hooks.slack.com/services/T…/B…/<secret>`. The last segment is a credential:
 * anyone holding the URL can post to the channel.
 */

const SLACK_HOSTS = new Set(["hooks.slack.com", "hooks.slack-gov.com"]);
/** A local stand-in or forwarding proxy; anything else must be Slack's own host over https. */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const SLACK_PATH = /^\/services\/(T[A-Z0-9]+)\/(B[A-Z0-9]+)\/([A-Za-z0-9]+)\/?$/;

export const SLACK_URL_SHAPE = "https://hooks.slack.com/services/T…/B…/…";

export interface SlackWebhookParts {
  workspace: string;
  hook: string;
  secret: string;
}

/** The parts of a Slack incoming webhook URL, or null when it does not have the shape. */
export function slackWebhookParts(raw: string): SlackWebhookParts | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) && (url.protocol === "http:" || url.protocol === "https:");
  if (!loopback && !(url.protocol === "https:" && SLACK_HOSTS.has(url.hostname) && url.port === "")) return null;
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return null;
  const match = SLACK_PATH.exec(url.pathname);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return { workspace: match[1], hook: match[2], secret: match[3] };
}

/** Why `raw` is no Slack incoming webhook URL (never repeating its secret), or null when it is one. */
export function slackWebhookProblem(raw: string): string | null {
  return slackWebhookParts(raw) === null ? `not a Slack incoming webhook URL (expected ${SLACK_URL_SHAPE})` : null;
}
