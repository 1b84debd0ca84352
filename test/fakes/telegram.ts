/**
 * A stand-in for the Telegram Bot API's `sendMessage` that enforces docs/platform.md "Telegram
 * Bot API", so an escaping or length bug in the formatter fails a test.
 *
 * - `POST /bot<token>/sendMessage`, JSON (or form) parameters. Wrong token → 401
 *   `Unauthorized`; another method → 404 `Not Found`.
 * - `parse_mode: "HTML"` is parsed the way tdlib parses it (td/telegram/MessageEntity.cpp,
 *   `parse_html`): only the supported tags, balanced, attributes quoted or name tokens.
 *   Errors are 400 `Bad Request: can't parse entities: …` with tdlib's wording.
 * - Entities: `&lt; &gt; &amp; &quot;` and numeric ones. Telegram itself shows an unknown
 *   entity or a bare `&` literally; the fake rejects them (`strictAmpersands`, default on)
 *   because for jobmon they mean a value was not escaped.
 * - Text after entity parsing, trimmed: empty → `message text is empty`, over 4096 UTF-16
 *   units → `message is too long`.
 * - Chats: unknown → 400 `chat not found`; `blocked` → 403; `kicked` → 403; `migrateTo` →
 *   400 with `parameters.migrate_to_chat_id`. `respond429` → 429 with `parameters.retry_after`.
 */
import { FakeHttpServer, type FakeReply, type RecordedRequest } from "./http-server.js";

export const TELEGRAM_MAX_TEXT = 4096;

export type TelegramHtmlResult = { ok: true; text: string } | { ok: false; error: string };

const SUPPORTED_TAGS = new Set([
  "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
  "span", "tg-spoiler", "tg-emoji", "code", "pre", "blockquote",
]);

/**
 * Parses Telegram HTML into the plain text Telegram would show, or the error Telegram
 * would give (without the `Bad Request: can't parse entities: ` prefix).
 */
export function parseTelegramHtml(html: string, opts: { strictAmpersands?: boolean } = {}): TelegramHtmlResult {
  const strict = opts.strictAmpersands ?? true;
  const byteOffset = (i: number): number => Buffer.byteLength(html.slice(0, i), "utf8");
  const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/.test(ch);
  const stack: string[] = [];
  let out = "";
  let i = 0;

  while (i < html.length) {
    const c = html[i];
    if (c === "&") {
      const entity = decodeEntity(html, i);
      if (entity !== null) {
        out += entity.text;
        i = entity.end;
        continue;
      }
      if (strict) {
        const shown = /^&[A-Za-z0-9#]*;?/.exec(html.slice(i))?.[0] ?? "&";
        return { ok: false, error: `Unsupported entity "${shown}" at byte offset ${byteOffset(i)} (the fake is stricter than Telegram, which would show it literally: escape "&" as &amp;)` };
      }
      out += c;
      i++;
      continue;
    }
    if (c !== "<") {
      out += c;
      i++;
      continue;
    }

    const begin = i++;
    if (html[i] !== "/") {
      while (i < html.length && !isSpace(html[i]) && html[i] !== ">") i++;
      if (i >= html.length) return { ok: false, error: `Unclosed start tag at byte offset ${byteOffset(begin)}` };
      const tag = html.slice(begin + 1, i).toLowerCase();
      if (!SUPPORTED_TAGS.has(tag)) return { ok: false, error: `Unsupported start tag "${tag}" at byte offset ${byteOffset(begin)}` };

      const attributes = new Map<string, string>();
      while (html[i] !== ">") {
        while (i < html.length && isSpace(html[i])) i++;
        if (i >= html.length) return { ok: false, error: `Unclosed start tag at byte offset ${byteOffset(begin)}` };
        if (html[i] === ">") break;
        const nameStart = i;
        while (i < html.length && !isSpace(html[i]) && html[i] !== "=" && html[i] !== ">") i++;
        const name = html.slice(nameStart, i).toLowerCase();
        if (name === "") return { ok: false, error: `Empty attribute name in the tag "${tag}" at byte offset ${byteOffset(begin)}` };
        while (i < html.length && isSpace(html[i])) i++;
        if (html[i] !== "=") {
          // `<blockquote expandable>` is the one valueless attribute Telegram accepts.
          if (tag === "blockquote" && name === "expandable") {
            attributes.set(name, "");
            continue;
          }
          return { ok: false, error: `Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${byteOffset(begin)}` };
        }
        i++;
        while (i < html.length && isSpace(html[i])) i++;
        if (i >= html.length) return { ok: false, error: `Unclosed start tag "${tag}" at byte offset ${byteOffset(begin)}` };
        let value = "";
        const quote = html[i];
        if (quote !== "'" && quote !== '"') {
          const tokenStart = i;
          while (i < html.length && /[A-Za-z0-9.-]/.test(html[i] ?? "")) i++;
          value = html.slice(tokenStart, i).toLowerCase();
          if (!isSpace(html[i]) && html[i] !== ">") return { ok: false, error: `Unexpected end of name token at byte offset ${byteOffset(tokenStart)}` };
        } else {
          i++;
          while (i < html.length && html[i] !== quote) {
            if (html[i] === "&") {
              const entity = decodeEntity(html, i);
              if (entity !== null) {
                value += entity.text;
                i = entity.end;
                continue;
              }
            }
            value += html[i];
            i++;
          }
          if (html[i] === quote) i++;
        }
        if (i >= html.length) return { ok: false, error: `Unclosed start tag at byte offset ${byteOffset(begin)}` };
        attributes.set(name, value);
      }
      if (tag === "span" && attributes.get("class") !== "tg-spoiler") {
        return { ok: false, error: `Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(begin)}` };
      }
      if (tag === "tg-emoji" && !attributes.has("emoji-id")) {
        return { ok: false, error: `Custom emoji entity must contain a tg://emoji URL at byte offset ${byteOffset(begin)}` };
      }
      stack.push(tag);
      i++; // past '>'
    } else {
      if (stack.length === 0) return { ok: false, error: `Unexpected end tag at byte offset ${byteOffset(begin)}` };
      while (i < html.length && !isSpace(html[i]) && html[i] !== ">") i++;
      const endName = html.slice(begin + 2, i).toLowerCase();
      while (i < html.length && isSpace(html[i])) i++;
      if (html[i] !== ">") return { ok: false, error: `Unclosed end tag at byte offset ${byteOffset(begin)}` };
      const open = stack.pop() as string;
      if (endName !== "" && endName !== open) {
        return { ok: false, error: `Unmatched end tag at byte offset ${byteOffset(begin)}, expected "</${open}>", found "</${endName}>"` };
      }
      i++;
    }
  }
  const unclosed = stack.at(-1);
  if (unclosed !== undefined) return { ok: false, error: `Can't find end tag corresponding to start tag "${unclosed}"` };
  return { ok: true, text: out };
}

/** tdlib's `decode_html_entity`: the four named entities and numeric ones; `;` optional. */
function decodeEntity(html: string, pos: number): { text: string; end: number } | null {
  let end = pos + 1;
  let code = 0;
  if (html[end] === "#") {
    end++;
    const hex = html[end] === "x" || html[end] === "X";
    if (hex) end++;
    const digitsStart = end;
    while (end < html.length && (hex ? /[0-9a-fA-F]/ : /[0-9]/).test(html[end] ?? "")) end++;
    if (end === digitsStart || end - pos >= 10) return null;
    code = parseInt(html.slice(digitsStart, end), hex ? 16 : 10);
    if (code === 0 || code >= 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return null;
  } else {
    while (end < html.length && /[A-Za-z]/.test(html[end] ?? "")) end++;
    const name = html.slice(pos + 1, end);
    const named: Record<string, number> = { lt: 0x3c, gt: 0x3e, amp: 0x26, quot: 0x22 };
    const value = named[name];
    if (value === undefined) return null;
    code = value;
  }
  if (html[end] === ";") end++;
  return { text: String.fromCodePoint(code), end };
}

export interface FakeTelegramChat {
  /** 403 `Forbidden: bot was blocked by the user`. */
  blocked?: boolean;
  /** 403 `Forbidden: bot was kicked from the group chat`. */
  kicked?: boolean;
  /** 400 with `parameters.migrate_to_chat_id` (a group upgraded to a supergroup). */
  migrateTo?: string;
}

export interface TelegramSentMessage {
  message_id: number;
  chat_id: string;
  /** The text as sent (HTML). */
  text: string;
  /** The text as Telegram would show it. */
  plainText: string;
  parse_mode: unknown;
  link_preview_options: unknown;
  params: Record<string, unknown>;
  request: RecordedRequest;
}

export interface FakeTelegramOptions {
  token: string;
  /** Chats that exist; omitted → every chat id exists. A list or a map with per-chat behaviour. */
  chats?: (string | number)[] | Record<string, FakeTelegramChat>;
  /** Reject bare `&` and unknown named entities (Telegram shows them literally). Default true. */
  strictAmpersands?: boolean;
}

export class FakeTelegram extends FakeHttpServer {
  readonly sent: TelegramSentMessage[] = [];
  private readonly token: string;
  private readonly strictAmpersands: boolean;
  private chats: Map<string, FakeTelegramChat> | undefined;
  private readonly initialChats: Map<string, FakeTelegramChat> | undefined;
  private nextMessageId = 1;

  constructor(opts: FakeTelegramOptions) {
    super();
    this.token = opts.token;
    this.strictAmpersands = opts.strictAmpersands ?? true;
    if (opts.chats !== undefined) {
      const entries: [string, FakeTelegramChat][] = Array.isArray(opts.chats)
        ? opts.chats.map((id) => [String(id), {}])
        : Object.entries(opts.chats).map(([id, spec]) => [id, { ...spec }]);
      this.initialChats = new Map(entries);
      this.chats = new Map(entries.map(([id, spec]) => [id, { ...spec }]));
    }
  }

  /** The Bot API base to give the sender (what `TELEGRAM_API_URL` would be). */
  get apiUrl(): string {
    return this.baseUrl;
  }

  addChat(chatId: string | number, spec: FakeTelegramChat = {}): void {
    this.chats ??= new Map();
    this.chats.set(String(chatId), { ...spec });
  }

  blockChat(chatId: string | number): void {
    this.addChat(chatId, { ...this.chats?.get(String(chatId)), blocked: true });
  }

  /** The group became a supergroup: the old id answers with `migrate_to_chat_id`, the new one works. */
  migrateChat(chatId: string | number, newChatId: string | number): void {
    this.addChat(chatId, { migrateTo: String(newChatId) });
    this.addChat(newChatId);
  }

  /** The next `n` requests get 429 `Too Many Requests: retry after N` with `parameters.retry_after`. */
  respond429(retryAfterSeconds: number, n = 1): void {
    this.failNext(n, {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfterSeconds}`,
        parameters: { retry_after: retryAfterSeconds },
      },
    });
  }

  protected override resetState(): void {
    this.sent.length = 0;
    this.nextMessageId = 1;
    this.chats = this.initialChats === undefined ? undefined : new Map([...this.initialChats].map(([id, spec]) => [id, { ...spec }]));
  }

  protected handle(request: RecordedRequest): FakeReply {
    const match = /^\/bot([^/]*)\/([A-Za-z]+)$/.exec(request.path);
    if (!match || match[1] === undefined || match[2] === undefined) return error(404, "Not Found");
    if (match[1] !== this.token) return error(401, "Unauthorized");
    if (match[2].toLowerCase() !== "sendmessage") return error(404, "Not Found");
    if (request.method !== "POST" && request.method !== "GET") return error(405, "Method Not Allowed");

    const params = this.params(request);
    const chatIdRaw = params["chat_id"];
    if (chatIdRaw === undefined || chatIdRaw === null || chatIdRaw === "") return error(400, "Bad Request: chat_id is empty");
    const chatId = String(chatIdRaw);
    const chat = this.chats === undefined ? {} : this.chats.get(chatId);
    if (chat === undefined) return error(400, "Bad Request: chat not found");
    if (chat.migrateTo !== undefined) {
      return error(400, "Bad Request: group chat was upgraded to a supergroup chat", { migrate_to_chat_id: Number(chat.migrateTo) });
    }
    if (chat.blocked) return error(403, "Forbidden: bot was blocked by the user");
    if (chat.kicked) return error(403, "Forbidden: bot was kicked from the group chat");

    const text = params["text"];
    if (typeof text !== "string" || text === "") return error(400, "Bad Request: message text is empty");
    const parseMode = params["parse_mode"];
    let plain: string;
    if (parseMode === undefined || parseMode === null || parseMode === "") plain = text;
    else if (typeof parseMode === "string" && parseMode.toLowerCase() === "html") {
      const parsed = parseTelegramHtml(text, { strictAmpersands: this.strictAmpersands });
      if (!parsed.ok) return error(400, `Bad Request: can't parse entities: ${parsed.error}`);
      plain = parsed.text;
    } else return error(400, "Bad Request: unsupported parse_mode");

    // Telegram trims the text and counts UTF-16 units after entity parsing (docs/platform.md).
    const shown = plain.trim();
    if (shown.length === 0) return error(400, "Bad Request: message text is empty");
    if (shown.length > TELEGRAM_MAX_TEXT) return error(400, "Bad Request: message is too long");

    const linkPreview = params["link_preview_options"];
    if (linkPreview !== undefined && (typeof linkPreview !== "object" || linkPreview === null || Array.isArray(linkPreview))) {
      return error(400, "Bad Request: can't parse link preview options JSON object");
    }

    const messageId = this.nextMessageId++;
    this.sent.push({
      message_id: messageId,
      chat_id: chatId,
      text,
      plainText: shown,
      parse_mode: parseMode,
      link_preview_options: linkPreview,
      params,
      request,
    });
    return {
      status: 200,
      body: {
        ok: true,
        result: {
          message_id: messageId,
          from: { id: Number(this.token.split(":")[0]) || 1, is_bot: true, first_name: "jobmon" },
          chat: { id: Number(chatId) || chatId, type: chatId.startsWith("-100") ? "supergroup" : chatId.startsWith("-") ? "group" : "private" },
          date: Math.floor(Date.now() / 1000),
          text: shown,
        },
      },
    };
  }

  /** The Bot API takes parameters as JSON, as a form, or in the query string. */
  private params(request: RecordedRequest): Record<string, unknown> {
    const type = String(request.headers["content-type"] ?? "");
    if (type.includes("application/json") && typeof request.json === "object" && request.json !== null) {
      return request.json as Record<string, unknown>;
    }
    const params: Record<string, unknown> = { ...request.query };
    if (type.includes("application/x-www-form-urlencoded")) {
      for (const [key, value] of new URLSearchParams(request.body)) {
        params[key] = key === "link_preview_options" ? safeJson(value) : value;
      }
    }
    return params;
  }
}

export async function startFakeTelegram(opts: FakeTelegramOptions): Promise<FakeTelegram> {
  return new FakeTelegram(opts).listen();
}

function error(code: number, description: string, parameters?: Record<string, unknown>): FakeReply {
  return { status: code, body: { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) } };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
