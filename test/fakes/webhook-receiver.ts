/**
 * A receiver of jobmon's signed webhook, verifying each request the way docs/webhook.md
 * tells receivers to, with its own implementation (node:crypto, not jobmon's Web Crypto
 * code): `X-Jobmon-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`,
 * compared in constant time, and `X-Jobmon-Timestamp` within five minutes of its clock.
 *
 * Answers 401 to a request that does not verify (recorded in `rejected`), 204 to one that
 * does (recorded in `received`), or a scripted status (`failNext`, `respond429`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { FakeHttpServer, type FakeReply, type RecordedRequest } from "./http-server.js";

export const TOLERANCE_SECONDS = 300;

export type Verification = { ok: true } | { ok: false; why: string };

/** Verifies one request against `secret` at `nowSeconds`. */
export function verifyJobmonSignature(secret: string, headers: Record<string, string | string[] | undefined>, rawBody: string, nowSeconds: number): Verification {
  const timestamp = headers["x-jobmon-timestamp"];
  const signature = headers["x-jobmon-signature"];
  if (typeof timestamp !== "string" || !/^\d+$/.test(timestamp)) return { ok: false, why: "no timestamp" };
  if (typeof signature !== "string" || !signature.startsWith("sha256=")) return { ok: false, why: "no signature" };
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return { ok: false, why: "stale timestamp" };
  const expected = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`, "utf8").digest();
  const given = Buffer.from(signature.slice("sha256=".length), "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: "bad signature" };
  return { ok: true };
}

export class FakeWebhookReceiver extends FakeHttpServer {
  readonly received: { body: unknown; request: RecordedRequest }[] = [];
  readonly rejected: { why: string; request: RecordedRequest }[] = [];

  constructor(
    private readonly secret: string,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    super();
  }

  get url(): string {
    return `${this.baseUrl}/hooks/jobmon`;
  }

  respond429(retryAfterSeconds: number, n = 1): void {
    this.failNext(n, { status: 429, body: "slow down", headers: { "Retry-After": String(retryAfterSeconds) } });
  }

  protected override resetState(): void {
    this.received.length = 0;
    this.rejected.length = 0;
  }

  protected handle(request: RecordedRequest): FakeReply {
    const verdict = verifyJobmonSignature(this.secret, request.headers, request.body, this.nowSeconds());
    if (!verdict.ok) {
      this.rejected.push({ why: verdict.why, request });
      return { status: 401, body: { error: verdict.why } };
    }
    this.received.push({ body: request.json, request });
    return { status: 204 };
  }
}

export async function startWebhookReceiver(secret: string, nowSeconds?: () => number): Promise<FakeWebhookReceiver> {
  return new FakeWebhookReceiver(secret, nowSeconds).listen();
}
