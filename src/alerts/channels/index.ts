/**
 * The channels jobmon can send alerts through. A new channel is a folder beside this file
 * (its formatting, limits and sender behind the ../channel.ts contract) and one line here.
 * The order is the order of the routes the environment gives.
 */
import type { AnyChannel } from "../channel.js";
import type { FormatOptions } from "../layout/common.js";
import { formatPlainTextWith } from "../layout/plain.js";
import type { AlertEntry } from "../types.js";
import { discord } from "./discord/index.js";
import { slack } from "./slack/index.js";
import { telegram } from "./telegram/index.js";
import { webhook } from "./webhook/index.js";

export const CHANNELS: readonly AnyChannel[] = [
  telegram as AnyChannel,
  discord as AnyChannel,
  slack as AnyChannel,
  webhook as AnyChannel,
];

/** The channel of that name, or undefined. */
export function findChannel(name: string): AnyChannel | undefined {
  return CHANNELS.find((c) => c.name === name);
}

/** The channel of a route (routes are only ever made for registered channels). */
export function channelOf(name: string): AnyChannel {
  const channel = findChannel(name);
  if (channel === undefined) throw new Error(`no alert channel named "${name}" (known: ${CHANNEL_NAMES.join(", ")})`);
  return channel;
}

export const CHANNEL_NAMES: readonly string[] = CHANNELS.map((c) => c.name);

/** "set A, B and/or C, or add rows to monitoring.alert_config": how to configure a route. */
export function noRouteHint(): string {
  return `${envRoutesHint()}, or add rows to monitoring.alert_config`;
}

/** `set TELEGRAM_BOT_TOKEN + …, DISCORD_WEBHOOK_URL … and/or …`: the variables that give routes. */
export function envRoutesHint(): string {
  const hints = CHANNELS.map((c) => c.envHint);
  const list = hints.length > 1 ? `${hints.slice(0, -1).join(", ")} and/or ${hints.at(-1)}` : (hints[0] ?? "");
  return `set ${list}`;
}

export interface PlainTextOptions extends FormatOptions {
  /** Whose layout decision to mirror for job changes; default the first channel's. */
  channel?: string;
}

/**
 * A group as plain text for the CLI (demos, dry runs): what `channel` would send, without
 * its markup.
 */
export function formatPlainText(entries: readonly AlertEntry[], opts: PlainTextOptions = {}): string {
  const channel = (opts.channel === undefined ? undefined : findChannel(opts.channel)) ?? CHANNELS[0];
  return formatPlainTextWith(entries, { ...opts, jobsLayout: (sections) => channel?.jobsLayout(sections) ?? "detailed" });
}
