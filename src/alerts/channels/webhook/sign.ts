/**
 * The webhook signature (docs/webhook.md "Verifying a request"):
 *
 *   X-Jobmon-Timestamp: <unix seconds>
 *   X-Jobmon-Signature: sha256=<lowercase hex of HMAC-SHA256(key = the secret as UTF-8,
 *                                message = "<timestamp>.<raw body>" as UTF-8)>
 *
 * Web Crypto only (`crypto.subtle`): the same code runs in Node and in Deno Edge Functions.
 */
export const SIGNATURE_HEADER = "X-Jobmon-Signature";
export const TIMESTAMP_HEADER = "X-Jobmon-Timestamp";
export const SIGNATURE_PREFIX = "sha256=";

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The `X-Jobmon-Signature` value of `rawBody` sent at `timestamp` (unix seconds). */
export async function webhookSignature(secret: string, timestamp: number, rawBody: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${rawBody}`));
  return `${SIGNATURE_PREFIX}${hex(mac)}`;
}
