/**
 * Slack mrkdwn (docs/platform.md "Slack incoming webhooks"): `&`, `<` and `>` are the only
 * control characters, and escaping them as `&amp;`, `&lt;`, `&gt;` makes every value text:
 * `<!channel>`, `<!here>`, `<@U123>`, `<#C123>` and `<https://x|label>` from job data arrive
 * as typed and notify no one. `@channel`/`@here` typed bare get a zero-width space after the
 * `@` as well, and every backtick one after it, so that error text cannot close the code
 * block it is shown in.
 */
import type { Markup } from "../../layout/blocks.js";
import type { RenderSpec } from "../../layout/fit.js";

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/** Escapes text for Slack mrkdwn. */
export function escapeSlackText(text: string): string {
  return text
    .replace(/[&<>]/g, (c) => ENTITIES[c] ?? c)
    .replace(/`/g, "`\u200b")
    .replace(/@(channel|here|everyone)/gi, "@\u200b$1");
}

export const MRKDWN: RenderSpec = { render: escapeSlackText, cost: (s) => s.length };

/** A URL inside `<url|label>`: its `|`, `<`, `>` percent-encoded, `&` as an entity. */
export function slackUrl(url: string): string {
  return url.replace(/[|<>\s]/g, (c) => encodeURIComponent(c)).replace(/&/g, "&amp;");
}

export const MRKDWN_MARKUP: Markup = {
  spec: MRKDWN,
  bold: (s) => (s === "" ? s : `*${s}*`),
  italic: (s) => (s === "" ? s : `_${s}_`),
  code: (s) => `\`${s}\``,
  pre: (s) => `\`\`\`\n${s}\n\`\`\``,
  link: (url, label) => `<${slackUrl(url)}|${escapeSlackText(label)}>`,
};
