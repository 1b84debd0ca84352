/**
 * A stand-in for Slack's incoming webhooks that answers what docs/platform.md "Slack
 * incoming webhooks" lists and enforces the Block Kit limits, so that a formatter that
 * breaks one fails a test instead of an alert.
 *
 * - `POST /services/:team/:hook/:secret`: 200 `ok`; 400 `invalid_payload` (not JSON, or
 *   neither text nor blocks); 400 `invalid_blocks` (a block over a limit, more than 50
 *   blocks, an unknown block type); 403 `invalid_token` (known hook, wrong secret); 404
 *   `no_service` (unknown or removed hook); 410 `channel_is_archived` (`archive()`).
 * - Scripted: `respond429(seconds)` (429 `rate_limited` with `Retry-After`), `failNext` for
 *   `500 rollup_error` and the like.
 * Every answer is plain text, as Slack sends it. Lengths are UTF-16 units.
 */
import { FakeHttpServer, type FakeReply, type RecordedRequest } from "./http-server.js";

export const SLACK_FAKE_LIMITS = { text: 40_000, blocks: 50, sectionText: 3_000, headerText: 150, contextElements: 10 } as const;

export interface SlackPost {
  hook: string;
  text: string | undefined;
  blocks: unknown[];
  payload: Record<string, unknown>;
  request: RecordedRequest;
}

const text = (status: number, body: string, headers?: Record<string, string>): FakeReply => ({ status, body, ...(headers ? { headers } : {}) });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Why Slack would refuse these blocks, or null when it would take them. */
export function slackBlocksProblem(blocks: unknown): string | null {
  if (!Array.isArray(blocks)) return "blocks must be an array";
  if (blocks.length > SLACK_FAKE_LIMITS.blocks) return `${blocks.length} blocks, at most ${SLACK_FAKE_LIMITS.blocks}`;
  for (const [i, block] of blocks.entries()) {
    if (!isObject(block)) return `block ${i} is not an object`;
    const textOf = (value: unknown, type: "plain_text" | "mrkdwn" | "either", max: number): string | null => {
      if (!isObject(value) || typeof value["text"] !== "string") return `block ${i}: text object required`;
      if (type !== "either" && value["type"] !== type) return `block ${i}: text must be ${type}`;
      if (value["type"] !== "plain_text" && value["type"] !== "mrkdwn") return `block ${i}: unknown text type`;
      const t = value["text"];
      if (t.length < 1 || t.length > max) return `block ${i}: text length ${t.length} outside 1-${max}`;
      return null;
    };
    let problem: string | null = null;
    if (block["type"] === "header") problem = textOf(block["text"], "plain_text", SLACK_FAKE_LIMITS.headerText);
    else if (block["type"] === "section") problem = textOf(block["text"], "either", SLACK_FAKE_LIMITS.sectionText);
    else if (block["type"] === "divider") problem = null;
    else if (block["type"] === "context") {
      const elements = block["elements"];
      if (!Array.isArray(elements) || elements.length < 1 || elements.length > SLACK_FAKE_LIMITS.contextElements) problem = `block ${i}: 1-10 context elements`;
      else for (const element of elements) problem ??= textOf(element, "either", SLACK_FAKE_LIMITS.sectionText);
    } else problem = `block ${i}: unsupported type ${String(block["type"])}`;
    if (problem !== null) return problem;
  }
  return null;
}

/** All text a message shows (fallback and blocks), for tests that look for what reached Slack. */
export function slackVisibleText(post: SlackPost): string {
  const parts: string[] = [post.text ?? ""];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (isObject(value)) {
      if (typeof value["text"] === "string") parts.push(value["text"]);
      Object.values(value).forEach(walk);
    }
  };
  walk(post.blocks);
  return parts.join("\n");
}

/** Mentions and links Slack would act on: `<!…>`, `<@…>`, `<#…>` and `<url|label>` written raw. */
export function slackMarkup(post: SlackPost): string[] {
  const raw = slackVisibleText(post);
  return [...raw.matchAll(/<(![a-z^]+[^>]*|@[UW][A-Z0-9]+|#C[A-Z0-9]+[^>]*)>/g)].map((m) => m[0]);
}

export class FakeSlack extends FakeHttpServer {
  readonly posts: SlackPost[] = [];
  private readonly hooks = new Map<string, { secret: string; archived: boolean }>();
  private readonly initial: [string, string][];

  constructor(hooks: [hook: string, secret: string][] = [["B00000001", "fakeSlackSecret0123456789ab"]]) {
    super();
    this.initial = hooks;
    for (const [hook, secret] of hooks) this.hooks.set(hook, { secret, archived: false });
  }

  /** The webhook URL of a hook (with its secret). */
  url(hook = this.initial[0]?.[0] ?? "B00000001"): string {
    const secret = this.hooks.get(hook)?.secret ?? "unknownSecret0123456789";
    return `${this.baseUrl}/services/T00000001/${hook}/${secret}`;
  }

  get webhookUrl(): string {
    return this.url();
  }

  /** The app was uninstalled or the hook removed: from now on 404 `no_service`. */
  removeHook(hook = this.initial[0]?.[0] ?? "B00000001"): void {
    this.hooks.delete(hook);
  }

  /** The channel was archived: from now on 410 `channel_is_archived`. */
  archive(hook = this.initial[0]?.[0] ?? "B00000001"): void {
    const state = this.hooks.get(hook);
    if (state) state.archived = true;
  }

  respond429(retryAfterSeconds: number, n = 1): void {
    this.failNext(n, text(429, "rate_limited", { "Retry-After": String(retryAfterSeconds) }));
  }

  protected override resetState(): void {
    this.posts.length = 0;
    this.hooks.clear();
    for (const [hook, secret] of this.initial) this.hooks.set(hook, { secret, archived: false });
  }

  protected handle(request: RecordedRequest): FakeReply {
    const match = /^\/services\/(T[A-Z0-9]+)\/(B[A-Z0-9]+)\/([A-Za-z0-9]+)$/.exec(request.path);
    if (!match || request.method !== "POST") return text(404, "no_service");
    const [, , hook, secret] = match as unknown as [string, string, string, string];
    const state = this.hooks.get(hook);
    if (state === undefined) return text(404, "no_service");
    if (state.secret !== secret) return text(403, "invalid_token");
    if (state.archived) return text(410, "channel_is_archived");
    const payload = request.json;
    if (!isObject(payload)) return text(400, "invalid_payload");
    const body = payload["text"];
    const blocks = payload["blocks"];
    if ((typeof body !== "string" || body.trim() === "") && blocks === undefined) return text(400, "no_text");
    if (body !== undefined && typeof body !== "string") return text(400, "invalid_payload");
    if (typeof body === "string" && body.length > SLACK_FAKE_LIMITS.text) return text(400, "invalid_payload");
    if (blocks !== undefined && slackBlocksProblem(blocks) !== null) return text(400, "invalid_blocks");
    this.posts.push({ hook, text: body as string | undefined, blocks: (blocks as unknown[] | undefined) ?? [], payload, request });
    return text(200, "ok");
  }
}

export async function startFakeSlack(hooks?: [string, string][]): Promise<FakeSlack> {
  return new FakeSlack(hooks).listen();
}
