import { errorResponse } from "./http.js";

/**
 * Bearer-token authentication for both functions: `Authorization: Bearer
 * $JOBMON_FUNCTION_SECRET`. The functions are deployed with `verify_jwt = false`
 * (supabase/config.toml), because pg_cron sends this shared secret rather than a Supabase
 * JWT; this check is then the only thing between the internet and a check cycle.
 */

export const SECRET_VARIABLE = "JOBMON_FUNCTION_SECRET";

/** Shorter secrets are refused as if unset: a short shared secret can be guessed. */
export const MIN_SECRET_LENGTH = 16;

const CHALLENGE = 'Bearer realm="jobmon"';

/**
 * Compares two strings in time that depends on neither their contents nor their lengths:
 * both are hashed to 32 bytes first, and the digests are compared without an early exit.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(da);
  const y = new Uint8Array(db);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return difference === 0;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header === null) return null;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * null when the request carries the configured secret; otherwise the 401 to answer. The
 * answer says whether the token was missing or wrong, never anything about the secret
 * (a too-short secret is reported in the function's log only).
 */
export async function authorize(request: Request, secret: string | undefined): Promise<Response | null> {
  const configured = secret?.trim() ?? "";
  const token = bearerToken(request);
  if (configured === "") {
    return unauthorized("not_configured", `this function has no ${SECRET_VARIABLE}: set it with \`supabase secrets set ${SECRET_VARIABLE}=…\` and call with \`Authorization: Bearer <that secret>\``);
  }
  if (configured.length < MIN_SECRET_LENGTH) {
    console.error(`jobmon: ${SECRET_VARIABLE} is shorter than ${MIN_SECRET_LENGTH} characters, so every call is refused: set a longer one (e.g. openssl rand -hex 32)`);
    return unauthorized("invalid_token", "the bearer token is not accepted");
  }
  if (token === null) return unauthorized("missing_token", "send `Authorization: Bearer <JOBMON_FUNCTION_SECRET>`");
  if (!(await constantTimeEqual(token, configured))) return unauthorized("invalid_token", "the bearer token is not accepted");
  return null;
}

function unauthorized(code: string, message: string): Response {
  const challenge = code === "invalid_token" ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE;
  return errorResponse(401, "unauthorized", message, { reason: code }, { "www-authenticate": challenge });
}
