/**
 * Who may read the dashboard. Bound to a loopback address it answers anyone on this machine
 * (like `supabase start`'s Studio); any other address needs JOBMON_DASHBOARD_TOKEN, given as
 * `Authorization: Bearer <token>` or through the login form, which sets an HttpOnly,
 * SameSite=Strict cookie. The cookie holds an HMAC of the token, not the token, so a leaked
 * cookie does not reveal it, and changing the token ends every session.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { ConfigError } from "../errors.js";

export const TOKEN_VARIABLE = "JOBMON_DASHBOARD_TOKEN";
export const MIN_TOKEN_LENGTH = 16;
export const SESSION_COOKIE = "jobmon_session";
export const SESSION_MAX_AGE_SECONDS = 30 * 86_400;

/** 127.0.0.0/8, ::1 (and ::ffff:127.x), and `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^::ffff:127\./.test(h) || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(h);
  return false;
}

/**
 * Checks the bind address and token before anything listens: a non-loopback address without
 * a token is refused with a message naming the variable; a token too short to resist
 * guessing is refused wherever it is used.
 */
export function checkBind(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(TOKEN_VARIABLE, `is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random characters (e.g. \`openssl rand -hex 24\`)`);
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new ConfigError(
      TOKEN_VARIABLE,
      `must be set to serve the dashboard on ${host}, which is not a loopback address: every request must then carry it, as a bearer token in the Authorization header or through the login form. Or serve on 127.0.0.1 (the default) and reach it through an SSH tunnel.`,
    );
  }
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** Constant-time comparison: both sides are hashed to 32 bytes first, so lengths leak nothing. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("jobmon dashboard session v1").digest("base64url");
}

function cookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** True when the request carries the token (bearer header) or a session cookie made from it. */
export function isAuthorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer[ \t]+(.+)$/i.exec(header.trim());
    if (match && sameSecret(match[1] as string, token)) return true;
  }
  const session = cookie(req, SESSION_COOKIE);
  return session !== null && sameSecret(session, sessionValue(token));
}

export function sessionCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_SECONDS}${secure ? "; Secure" : ""}`;
}

/** The host name of a Host header (`[::1]:8080` → `::1`, `localhost:8080` → `localhost`). */
export function hostName(hostHeader: string | undefined): string {
  const h = (hostHeader ?? "").trim();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon >= 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}
