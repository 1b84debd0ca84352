/**
 * A small HTTP server on 127.0.0.1 for pg_net to call (pg_net's worker runs inside the test
 * cluster and connects to it over loopback). Routes:
 *
 *   /ok          200 {"ok": true}
 *   /fail        500 {"error": "failure requested"}
 *   /slow?ms=N   200 {"ok": true, "waitedMs": N}, after N ms (default 1000)
 *   /hang        never answers; the connection is closed at stop()
 *   anything else 404
 *
 * Every request is recorded (FakeHttpServer.requests); count(route) counts them per path.
 */
import net from "node:net";
import { FakeHttpServer, type FakeReply, type RecordedRequest } from "../fakes/http-server.js";

export class HttpTarget extends FakeHttpServer {
  private readonly delays = new Set<ReturnType<typeof setTimeout>>();

  private constructor() {
    super();
  }

  static start(): Promise<HttpTarget> {
    return new HttpTarget().listen();
  }

  /** `http://127.0.0.1:<port><route>`, e.g. url("/slow?ms=200"). */
  url(route: string): string {
    return `${this.baseUrl}${route}`;
  }

  /** Requests received for a path (query string ignored), e.g. count("/ok"). */
  count(route: string): number {
    return this.requests.filter((r) => r.path === route).length;
  }

  /** Requests received so far, per path. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) counts[r.path] = (counts[r.path] ?? 0) + 1;
    return counts;
  }

  /** Closes the server and every connection, hanging ones included. */
  async stop(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    await this.close();
  }

  protected handle(request: RecordedRequest): FakeReply | Promise<FakeReply> {
    switch (request.path) {
      case "/ok":
        return { status: 200, body: { ok: true } };
      case "/fail":
        return { status: 500, body: { error: "failure requested" } };
      case "/slow": {
        const ms = Number(request.query.ms ?? 1000);
        const waitedMs = Number.isFinite(ms) && ms >= 0 ? ms : 1000;
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            this.delays.delete(timer);
            resolve({ status: 200, body: { ok: true, waitedMs } });
          }, waitedMs);
          this.delays.add(timer);
        });
      }
      case "/hang":
        // No answer ever: stop() destroys the connection.
        return new Promise<FakeReply>(() => {});
      default:
        return { status: 404, body: { error: `no route ${request.path}` } };
    }
  }
}

/** A loopback port nothing listens on: bound to a free port, then closed. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
