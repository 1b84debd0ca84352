/**
 * What a channel is: everything deliver.ts needs to send alerts somewhere, and nothing it
 * has to know about the place. A channel lives in one folder under ./channels/ (its
 * formatting, its limits, its sender) and is listed once in ./channels/index.ts.
 *
 * - Routes: a channel turns an `alert_config` row into its target (validated with zod: a
 *   row that does not validate is ignored and said so, never half-used), and names the
 *   routes its environment variables give.
 * - Formatting: `format` turns a group of changes (one project, one route, one cycle) into
 *   messages, each within the channel's limits. It is pure and cheap: deliver.ts formats
 *   growing prefixes of a group to find how many changes fit one message. Every free-text
 *   value is redacted and escaped for the channel (./layout/common.ts `prepare`).
 * - Sending: `send` posts one message and says what came of it (SendOutcome):
 *     `{ok: true}`                                    delivered;
 *     `{ok: false, kind: "transient", retryAfterMs}`  retry_after(ms): the service said how long to wait;
 *     `{ok: false, kind: "transient"}`                transient: 5xx, timeout, connection error — retried with backoff, then left pending for the next cycle;
 *     `{ok: false, kind: "permanent"}`                permanent: the route is marked broken and its alerts fail over to the other routes.
 *   Errors never carry the target's credentials (tokens in URLs, signing secrets).
 *
 * The shared layout (wording, ordering, cutting to a budget, the compact line-per-job
 * layout, dashboard links) is in ./layout/.
 */
import type { z } from "zod";
import type { Config } from "../config.js";
import type { AlertConfigRow } from "../hub/outbox.js";
import type { SendOutcome, SenderOptions } from "../lib/http.js";
import type { Criticality } from "../types.js";
import type { FormatOptions, Sections } from "./layout/common.js";
import type { AlertEntry } from "./types.js";

export type { SendOutcome, SenderOptions } from "../lib/http.js";
export type { AlertConfigRow } from "../hub/outbox.js";

/** The criticalities a route takes; `all` takes every one. */
export type Serves = readonly (Criticality | "all")[];

/** A route a channel's environment variables give. */
export interface EnvRoute<T> {
  /** `env:<channel>`. */
  id: string;
  /** For people; names the variable, never its value. */
  name: string;
  serves: Serves;
  target: T;
  /**
   * Gets a copy of every alert it serves without standing in the way of the other routes
   * (Alertmanager's `continue: true`): routing and fallbacks among the other routes are
   * decided as if it were not there.
   */
  copy?: boolean;
}

export interface SendContext extends SenderOptions {
  /**
   * What an earlier answer of this route asked to use from then on (route_state's
   * `chat_id_override`: Telegram's migrated chat), or null.
   */
  override: string | null;
  /** Literal secrets (config.secrets) to keep out of errors, besides the target's own. */
  secrets: readonly string[];
  /** The instant of the attempt, for channels that stamp or sign a message; default now. */
  now?: () => Date;
}

export interface Channel<T = unknown, M = unknown> {
  /** The `alert_config.channel` value, `route_state.channel` and `alert_delivery.channel`. */
  readonly name: string;
  /** For people: "Slack". */
  readonly label: string;
  /** Pause between two messages to the same route (the service's rate limit). */
  readonly minIntervalMs: number;
  /** The environment variables that give this channel's default route, for "no route" hints. */
  readonly envHint: string;
  /** Validates an alert_config row of this channel into its target. */
  rowSchema(config: Config): z.ZodType<T>;
  /** The routes the environment gives (empty when its variables are not set). */
  fromEnvironment(config: Config): EnvRoute<T>[];
  /** A group of changes as messages, in sending order, each within the channel's limits. */
  format(entries: readonly AlertEntry[], options: FormatOptions): M[];
  /** Sends one message; never throws. */
  send(target: T, message: M, context: SendContext): Promise<SendOutcome>;
  /** Which layout `format` gives these job changes (for previews in plain text). */
  jobsLayout(sections: Sections): "detailed" | "compact";
  /** What to tell people when an answer made the route use `override` from now on. */
  overrideNote?(route: string, override: string): string;
}

/**
 * A channel as the registry holds it. Its methods are declared with method syntax, so a
 * `Channel<SlackTarget, SlackMessage>` is one of these.
 */
export type AnyChannel = Channel<unknown, unknown>;
