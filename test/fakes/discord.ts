/**
 * A stand-in for Discord's webhook endpoint that enforces what docs/platform.md "Discord
 * webhooks" lists, so a formatter that breaks a limit fails a test instead of an alert.
 *
 * - `POST /api/webhooks/:id/:token` (also `/api/v10/webhooks/…`).
 * - With `?wait=true`: 200 and the message object, or 400 `{code: 50035, message:
 *   "Invalid Form Body", errors: {…}}` naming the field, or 400 `{code: 50006}` for an
 *   empty message. Without `wait`: 204 either way, and an invalid message is not saved
 *   (the documented trap).
 * - Unknown webhook id: 404 `{message: "Unknown Webhook", code: 10015}`; known id with the
 *   wrong token: 401 `{message: "Invalid Webhook Token", code: 50027}` (what Discord answers).
 * - Optional per-webhook bucket (`rateLimit: {limit, windowMs}`): 429 `{message,
 *   retry_after, global: false}` with `Retry-After` (whole seconds, rounded up) and
 *   `X-RateLimit-*` headers.
 *
 * Lengths are counted in UTF-16 units (`string.length`), which is never less than what
 * Discord counts, so the fake errs on the strict side.
 */
import { FakeHttpServer, type FakeReply, type RecordedRequest } from "./http-server.js";

export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  totalEmbedText: 6000,
} as const;

export interface DiscordErrorBody {
  code: number;
  message: string;
  errors?: Record<string, unknown>;
}

/** Checks a webhook payload against Discord's rules; null when Discord would accept it. */
export function validateDiscordPayload(payload: unknown): DiscordErrorBody | null {
  if (!isObject(payload)) return { code: 50109, message: "The request body contains invalid JSON." };
  const errors: Record<string, unknown> = {};
  const add = (path: (string | number)[], code: string, message: string): void => addError(errors, path, code, message);

  const content = payload["content"];
  if (content !== undefined && content !== null) {
    if (typeof content !== "string") add(["content"], "BASE_TYPE_STRING", "Must be a string.");
    else if (content.length > DISCORD_LIMITS.content) add(["content"], "BASE_TYPE_MAX_LENGTH", `Must be ${DISCORD_LIMITS.content} or fewer in length.`);
  }

  const embeds = payload["embeds"];
  let embedCount = 0;
  if (embeds !== undefined && embeds !== null) {
    if (!Array.isArray(embeds)) add(["embeds"], "LIST_TYPE_CONVERT", "Must be an array.");
    else {
      embedCount = embeds.length;
      if (embeds.length > DISCORD_LIMITS.embeds) add(["embeds"], "BASE_TYPE_MAX_LENGTH", `Must be ${DISCORD_LIMITS.embeds} or fewer in length.`);
      let total = 0;
      embeds.forEach((embed, i) => {
        total += validateEmbed(embed, (path, code, message) => add(["embeds", i, ...path], code, message));
      });
      if (total > DISCORD_LIMITS.totalEmbedText) add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", `Embed size exceeds maximum size of ${DISCORD_LIMITS.totalEmbedText}`);
    }
  }

  const mentions = payload["allowed_mentions"];
  if (mentions !== undefined && mentions !== null) {
    if (!isObject(mentions)) add(["allowed_mentions"], "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType");
    else {
      const parse = mentions["parse"];
      if (parse !== undefined) {
        if (!Array.isArray(parse)) add(["allowed_mentions", "parse"], "LIST_TYPE_CONVERT", "Must be an array.");
        else
          parse.forEach((value, i) => {
            if (value !== "users" && value !== "roles" && value !== "everyone") {
              add(["allowed_mentions", "parse", i], "ENUM_TYPE_COERCE", `Value "${String(value)}" is not a valid enum value.`);
            }
          });
        for (const list of ["users", "roles"] as const) {
          if (Array.isArray(parse) && parse.includes(list) && mentions[list] !== undefined) {
            add(["allowed_mentions", list], "ALLOWED_MENTIONS_PARSE_EXCLUSIVE", `parse:["${list}"] and ${list}: [ids...] are mutually exclusive.`);
          }
        }
      }
    }
  }

  if (Object.keys(errors).length > 0) return { code: 50035, message: "Invalid Form Body", errors };
  const hasContent = typeof content === "string" && content.trim() !== "";
  if (!hasContent && embedCount === 0) return { code: 50006, message: "Cannot send an empty message" };
  return null;
}

/** Validates one embed and returns its share of the 6000-character total. */
function validateEmbed(embed: unknown, add: (path: (string | number)[], code: string, message: string) => void): number {
  if (!isObject(embed)) {
    add([], "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType");
    return 0;
  }
  let total = 0;
  const text = (path: (string | number)[], value: unknown, max: number, required = false): void => {
    if (value === undefined || value === null) {
      if (required) add(path, "BASE_TYPE_REQUIRED", "This field is required");
      return;
    }
    if (typeof value !== "string") {
      add(path, "BASE_TYPE_STRING", "Must be a string.");
      return;
    }
    // Discord rejects empty (and blank) field names and values.
    if (required && value.trim() === "") add(path, "BASE_TYPE_REQUIRED", "This field is required");
    if (value.length > max) add(path, "BASE_TYPE_MAX_LENGTH", `Must be ${max} or fewer in length.`);
    total += value.length;
  };

  text(["title"], embed["title"], DISCORD_LIMITS.title);
  text(["description"], embed["description"], DISCORD_LIMITS.description);

  const color = embed["color"];
  if (color !== undefined && color !== null && !(Number.isInteger(color) && (color as number) >= 0 && (color as number) <= 0xffffff)) {
    add(["color"], "NUMBER_TYPE_MAX", "int value should be less than or equal to 16777215.");
  }
  const url = embed["url"];
  if (url !== undefined && url !== null && !isWellFormedUrl(url)) add(["url"], "URL_TYPE_INVALID_URL", "Not a well formed URL.");
  const timestamp = embed["timestamp"];
  if (timestamp !== undefined && timestamp !== null && (typeof timestamp !== "string" || Number.isNaN(Date.parse(timestamp)))) {
    add(["timestamp"], "DATE_TYPE_PARSE", "Could not parse timestamp. Should be ISO8601.");
  }

  const footer = embed["footer"];
  if (footer !== undefined && footer !== null) {
    if (!isObject(footer)) add(["footer"], "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType");
    else text(["footer", "text"], footer["text"], DISCORD_LIMITS.footerText, true);
  }
  const author = embed["author"];
  if (author !== undefined && author !== null) {
    if (!isObject(author)) add(["author"], "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType");
    else text(["author", "name"], author["name"], DISCORD_LIMITS.authorName, true);
  }

  const fields = embed["fields"];
  if (fields !== undefined && fields !== null) {
    if (!Array.isArray(fields)) add(["fields"], "LIST_TYPE_CONVERT", "Must be an array.");
    else {
      if (fields.length > DISCORD_LIMITS.fields) add(["fields"], "BASE_TYPE_MAX_LENGTH", `Must be ${DISCORD_LIMITS.fields} or fewer in length.`);
      fields.forEach((field, j) => {
        if (!isObject(field)) {
          add(["fields", j], "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType");
          return;
        }
        text(["fields", j, "name"], field["name"], DISCORD_LIMITS.fieldName, true);
        text(["fields", j, "value"], field["value"], DISCORD_LIMITS.fieldValue, true);
        const inline = field["inline"];
        if (inline !== undefined && typeof inline !== "boolean") add(["fields", j, "inline"], "BASE_TYPE_BAD_BOOLEAN", "Must be either true or false.");
      });
    }
  }
  return total;
}

/**
 * Who a message would ping. Only `content` pings (embeds never do); with no
 * `allowed_mentions` Discord parses everything, hence docs/platform.md's `{"parse": []}`.
 */
export function discordMentions(payload: unknown): string[] {
  if (!isObject(payload) || typeof payload["content"] !== "string") return [];
  const content = payload["content"];
  const allowed = payload["allowed_mentions"];
  const parse = isObject(allowed) ? (Array.isArray(allowed["parse"]) ? (allowed["parse"] as unknown[]) : []) : ["everyone", "users", "roles"];
  const allowedIds = (list: "users" | "roles"): unknown[] => (isObject(allowed) && Array.isArray(allowed[list]) ? (allowed[list] as unknown[]) : []);
  const out: string[] = [];
  if (parse.includes("everyone")) out.push(...(content.match(/@(everyone|here)\b/g) ?? []));
  for (const m of content.matchAll(/<@!?(\d+)>/g)) if (parse.includes("users") || allowedIds("users").includes(m[1])) out.push(m[0]);
  for (const m of content.matchAll(/<@&(\d+)>/g)) if (parse.includes("roles") || allowedIds("roles").includes(m[1])) out.push(m[0]);
  return out;
}

export interface DiscordMessage {
  id: string;
  webhookId: string;
  content: string | undefined;
  embeds: unknown[];
  allowedMentions: unknown;
  /** What would have pinged (see `discordMentions`). */
  mentions: string[];
  payload: unknown;
  request: RecordedRequest;
}

export interface FakeDiscordOptions {
  /** Webhooks that exist. Default: one, id `1100000000000000001`. */
  webhooks?: { id: string; token: string }[];
  /** A real bucket per webhook (docs/platform.md: roughly 5 requests / 2 s). Off by default. */
  rateLimit?: { limit: number; windowMs: number };
  /** Clock for the bucket, so tests can move time instead of sleeping. */
  now?: () => number;
}

const RATE_LIMIT_MESSAGE = "You are being rate limited.";

export class FakeDiscord extends FakeHttpServer {
  readonly messages: DiscordMessage[] = [];
  private readonly webhooks = new Map<string, string>();
  private readonly initialWebhooks: { id: string; token: string }[];
  private readonly defaultWebhookId: string;
  private readonly rateLimit: { limit: number; windowMs: number } | undefined;
  private readonly now: () => number;
  private readonly buckets = new Map<string, { start: number; count: number }>();
  private nextMessageId = 1_200_000_000_000_000_001n;

  constructor(opts: FakeDiscordOptions = {}) {
    super();
    const hooks = opts.webhooks ?? [{ id: "1100000000000000001", token: "fake-webhook-token-Zx81_secretpart-0123456789abcdef" }];
    this.initialWebhooks = hooks.map((hook) => ({ ...hook }));
    for (const hook of hooks) this.webhooks.set(hook.id, hook.token);
    this.defaultWebhookId = hooks[0]?.id ?? "1100000000000000001";
    this.rateLimit = opts.rateLimit;
    this.now = opts.now ?? Date.now;
  }

  /** The full webhook URL (with token) of a webhook; an unknown id gives a URL that answers 404. */
  url(webhookId: string = this.defaultWebhookId): string {
    const token = this.webhooks.get(webhookId) ?? "unknown-webhook-token-0123456789";
    return `${this.baseUrl}/api/webhooks/${webhookId}/${token}`;
  }

  get webhookUrl(): string {
    return this.url();
  }

  tokenOf(webhookId: string = this.defaultWebhookId): string | undefined {
    return this.webhooks.get(webhookId);
  }

  addWebhook(id: string, token = `token-${id}-${Math.random().toString(36).slice(2)}-abcdefghij`): string {
    this.webhooks.set(id, token);
    return this.url(id);
  }

  /** Someone deleted the webhook in Discord: from now on it answers 404 Unknown Webhook. */
  deleteWebhook(id: string = this.defaultWebhookId): void {
    this.webhooks.delete(id);
  }

  /**
   * The next `n` requests get a 429 with `retry_after` (float seconds) in the body and a
   * `Retry-After` header: by default whole seconds rounded up, as Discord sends it; pass
   * `retryAfterHeader: null` to leave it out or a string to send that.
   */
  respond429(retryAfterSeconds: number, n = 1, opts: { global?: boolean; retryAfterHeader?: string | null } = {}): void {
    const header = opts.retryAfterHeader === undefined ? String(Math.ceil(retryAfterSeconds)) : opts.retryAfterHeader;
    this.failNext(n, {
      status: 429,
      body: { message: RATE_LIMIT_MESSAGE, retry_after: retryAfterSeconds, global: opts.global ?? false },
      headers: header === null ? {} : { "Retry-After": header },
    });
  }

  protected override resetState(): void {
    this.messages.length = 0;
    this.buckets.clear();
    this.webhooks.clear();
    for (const hook of this.initialWebhooks) this.webhooks.set(hook.id, hook.token);
  }

  protected handle(request: RecordedRequest): FakeReply {
    const match = /^\/api(?:\/v\d+)?\/webhooks\/([^/]+)\/([^/]+)\/?$/.exec(request.path);
    if (!match || match[1] === undefined || match[2] === undefined) return { status: 404, body: { message: "404: Not Found", code: 0 } };
    const [, webhookId, token] = match;
    if (request.method !== "POST") return { status: 405, body: { message: "405: Method Not Allowed", code: 0 } };

    const expected = this.webhooks.get(webhookId);
    if (expected === undefined) return { status: 404, body: { message: "Unknown Webhook", code: 10015 } };
    if (expected !== token) return { status: 401, body: { message: "Invalid Webhook Token", code: 50027 } };

    const limited = this.takeFromBucket(webhookId);
    if (limited.retryAfterSeconds !== undefined) {
      return {
        status: 429,
        body: { message: RATE_LIMIT_MESSAGE, retry_after: limited.retryAfterSeconds, global: false },
        headers: { "Retry-After": String(Math.ceil(limited.retryAfterSeconds)), ...limited.headers },
      };
    }

    const wait = request.query["wait"] === "true" || request.query["wait"] === "1";
    const contentType = String(request.headers["content-type"] ?? "");
    const error = contentType.includes("application/json")
      ? validateDiscordPayload(request.json)
      : { code: 50006, message: "Cannot send an empty message" };
    if (error !== null) {
      // Without wait=true Discord acknowledges before saving: a rejected message looks like
      // a success (docs/platform.md). Nothing is saved.
      return wait ? { status: 400, body: error, headers: limited.headers } : { status: 204, headers: limited.headers };
    }

    const payload = request.json as Record<string, unknown>;
    const id = String(this.nextMessageId++);
    const message: DiscordMessage = {
      id,
      webhookId,
      content: typeof payload["content"] === "string" ? payload["content"] : undefined,
      embeds: Array.isArray(payload["embeds"]) ? payload["embeds"] : [],
      allowedMentions: payload["allowed_mentions"],
      mentions: discordMentions(payload),
      payload,
      request,
    };
    this.messages.push(message);
    if (!wait) return { status: 204, headers: limited.headers };
    return {
      status: 200,
      headers: limited.headers,
      body: {
        id,
        type: 0,
        content: message.content ?? "",
        embeds: message.embeds,
        channel_id: "1300000000000000001",
        webhook_id: webhookId,
        author: { id: webhookId, username: "jobmon", bot: true },
        mentions: [],
        mention_roles: [],
        mention_everyone: message.mentions.some((m) => m === "@everyone" || m === "@here"),
        timestamp: new Date(this.now()).toISOString(),
        edited_timestamp: null,
        flags: 0,
      },
    };
  }

  private takeFromBucket(webhookId: string): { retryAfterSeconds?: number; headers: Record<string, string> } {
    if (this.rateLimit === undefined) return { headers: {} };
    const { limit, windowMs } = this.rateLimit;
    const now = this.now();
    let bucket = this.buckets.get(webhookId);
    if (bucket === undefined || now - bucket.start >= windowMs) {
      bucket = { start: now, count: 0 };
      this.buckets.set(webhookId, bucket);
    }
    const resetAfter = Math.max(0, bucket.start + windowMs - now) / 1000;
    const headers = (remaining: number): Record<string, string> => ({
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(remaining),
      "X-RateLimit-Reset-After": resetAfter.toFixed(3),
      "X-RateLimit-Bucket": `webhook-${webhookId}`,
    });
    if (bucket.count >= limit) return { retryAfterSeconds: resetAfter, headers: headers(0) };
    bucket.count++;
    return { headers: headers(limit - bucket.count) };
  }
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  return new FakeDiscord(opts).listen();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isWellFormedUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    return /^(https?|attachment):$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Discord nests errors by path: `{embeds: {"0": {title: {_errors: [{code, message}]}}}}`. */
function addError(errors: Record<string, unknown>, path: (string | number)[], code: string, message: string): void {
  let node = errors;
  for (const key of path) {
    const k = String(key);
    const next = node[k];
    if (isObject(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      node[k] = created;
      node = created;
    }
  }
  const list = Array.isArray(node["_errors"]) ? (node["_errors"] as unknown[]) : [];
  list.push({ code, message });
  node["_errors"] = list;
}
