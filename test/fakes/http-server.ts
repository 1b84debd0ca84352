/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) that records every request and can be
 * scripted to fail, rate-limit or hang before its service logic runs, or made to answer every
 * request late (`latencyMs`). The Discord, Telegram and Management API stand-ins extend it
 * (external HTTP services are local servers speaking the documented shapes; nothing else is
 * mocked).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/api/webhooks/1/abc`. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names, as Node gives them. */
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
  receivedAt: number;
  /** The status the fake answered; undefined while the request hangs. */
  status?: number;
  /** The body the fake answered with (parsed JSON where it was JSON). */
  responseBody?: unknown;
  /** True when the answer came from a script (`failNext`, `respond429`, `hang`) rather than the service logic. */
  scripted: boolean;
}

export interface FakeReply {
  status: number;
  /** An object is sent as JSON, a string as is, undefined as an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

type Script = { kind: "reply"; reply: FakeReply } | { kind: "hang"; delayMs?: number };

export abstract class FakeHttpServer {
  readonly requests: RecordedRequest[] = [];
  /** Milliseconds every answer waits before it goes out, scripted or not (a server far away); 0 by default. */
  latencyMs = 0;
  private readonly server: http.Server;
  private readonly scripts: Script[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private port = 0;

  protected constructor() {
    this.server = http.createServer((req, res) => {
      void this.onRequest(req, res);
    });
  }

  /** The service logic: runs for every request no script intercepted. */
  protected abstract handle(request: RecordedRequest): FakeReply | Promise<FakeReply>;

  /** Service state to clear on `reset()`. */
  protected resetState(): void {}

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `http://127.0.0.1:<port>`, no trailing slash. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next `n` requests get this answer instead of the service logic (recorded all the same). */
  failNext(n: number, reply: FakeReply): void {
    for (let i = 0; i < n; i++) this.scripts.push({ kind: "reply", reply });
  }

  /**
   * The next `n` requests get no answer: never (until `close()`), or after `delayMs` when
   * given, at which point the service logic runs as usual (a slow server that still saves the
   * message: the client timed out but the message exists, as happens for real).
   */
  hang(n: number, opts: { delayMs?: number } = {}): void {
    for (let i = 0; i < n; i++) this.scripts.push(opts.delayMs === undefined ? { kind: "hang" } : { kind: "hang", delayMs: opts.delayMs });
  }

  /** Scripts still waiting for a request. */
  get pendingScripts(): number {
    return this.scripts.length;
  }

  /** Forgets requests, scripts and service state (messages, counters). */
  reset(): void {
    this.requests.length = 0;
    this.scripts.length = 0;
    this.resetState();
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      json: parseJsonOrUndefined(body),
      receivedAt: Date.now(),
      scripted: false,
    };
    this.requests.push(recorded);

    const script = this.scripts.shift();
    if (this.latencyMs > 0) await this.wait(this.latencyMs);
    if (script?.kind === "reply") {
      recorded.scripted = true;
      this.send(res, recorded, script.reply);
      return;
    }
    if (script?.kind === "hang") {
      recorded.scripted = true;
      if (script.delayMs === undefined) {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      }
      await this.wait(script.delayMs);
    }

    let reply: FakeReply;
    try {
      reply = await this.handle(recorded);
    } catch (error) {
      reply = { status: 500, body: { message: `fake server bug: ${error instanceof Error ? error.stack : String(error)}` } };
    }
    this.send(res, recorded, reply);
  }

  /** Resolves after `ms`; never once `close()` has run. */
  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private send(res: http.ServerResponse, recorded: RecordedRequest, reply: FakeReply): void {
    recorded.status = reply.status;
    recorded.responseBody = reply.body;
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers ?? {})) headers[name.toLowerCase()] = value;
    let payload = "";
    if (typeof reply.body === "string") {
      payload = reply.body;
      headers["content-type"] ??= "text/plain; charset=utf-8";
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers["content-type"] ??= "application/json";
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }
}

export function parseJsonOrUndefined(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
