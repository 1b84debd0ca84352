/**
 * JSON responses for the Edge Functions. Every answer, errors included, is a JSON object,
 * so pg_net's `net._http_response.content` and a `curl` both show what happened.
 */

export const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  // A report or an error is about one call: nothing in between may cache it.
  "cache-control": "no-store",
} as const;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** `{error, message}`: `error` is a stable code for scripts, `message` says what to change. */
export function errorResponse(status: number, error: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json(status, { error, message, ...extra }, headers);
}

/** Both functions take POST only (pg_cron's `net.http_post`, or `curl -X POST`). */
export function requirePost(request: Request): Response | null {
  if (request.method === "POST") return null;
  return errorResponse(405, "method_not_allowed", `use POST (got ${request.method})`, {}, { allow: "POST" });
}

/** Larger bodies are refused before they are read: an alert is a few kilobytes at most. */
export const MAX_BODY_BYTES = 64 * 1024;

export type JsonBody = { ok: true; value: unknown } | { ok: false; response: Response };

/** Reads the body as JSON; an empty body is `{}` (what pg_net sends with `body := '{}'`). */
export async function readJsonBody(request: Request): Promise<JsonBody> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return { ok: false, response: tooLarge() };
  const text = await request.text();
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) return { ok: false, response: tooLarge() };
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, response: errorResponse(400, "invalid_json", "the request body is not valid JSON") };
  }
}

function tooLarge(): Response {
  return errorResponse(413, "payload_too_large", `the request body is larger than ${MAX_BODY_BYTES} bytes`);
}
