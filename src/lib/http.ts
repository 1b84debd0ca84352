/**
 * HTTP plumbing shared by the Discord and Telegram senders: one request with a timeout,
 * `Retry-After` parsing, status classification, secret scrubbing, and the retry loop.
 *
 * No Node built-ins here: the senders also run inside Supabase Edge Functions (Deno), so
 * only `fetch`, `AbortSignal`, `setTimeout` and other Web APIs are used.
 */
import { REDACTED } from "./redact.js";

/**
 * What one delivery attempt came to. `transient` may be retried (5xx, 429, timeouts,
 * connection errors); `permanent` will fail the same way again until someone changes the
 * route or the payload.
 */
export type SendOutcome =
  | { ok: true; status: number; messageId?: string; migratedChatId?: string }
  | { ok: false; kind: "transient"; status?: number; error: string; retryAfterMs?: number; migratedChatId?: string }
  | { ok: false; kind: "permanent"; status?: number; error: string; migratedChatId?: string };

export type TransientOutcome = Extract<SendOutcome, { kind: "transient" }>;
export type PermanentOutcome = Extract<SendOutcome, { kind: "permanent" }>;

export interface SenderOptions {
  /** Injected in tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Per request, body included. Default 10 000 ms. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** How much of an error body goes into an error message. */
export const MAX_ERROR_BODY_CHARS = 1500;

export type HttpResult =
  | { kind: "response"; status: number; headers: Headers; text: string }
  | { kind: "failed"; timedOut: boolean; error: string };

/**
 * One request whose whole exchange (connect, headers, body) is bounded by `timeoutMs`.
 * Never throws: a network failure or timeout comes back as `{kind: "failed"}` so that the
 * caller classifies it (both are transient for the alert channels).
 */
export async function fetchWithTimeout(url: string, init: RequestInit, opts: SenderOptions = {}): Promise<HttpResult> {
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // Racing on the signal as well keeps the bound even for an injected fetch that ignores it.
    const response = await raceAbort(fetchImpl(url, { ...init, signal }), signal);
    const text = await raceAbort(response.text(), signal);
    return { kind: "response", status: response.status, headers: response.headers, text };
  } catch (error) {
    if (signal.aborted) return { kind: "failed", timedOut: true, error: `no answer within ${timeoutMs} ms (timed out)` };
    return { kind: "failed", timedOut: false, error: describeFetchError(error) };
  }
}

/** `promise`, rejected with the signal's reason as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Node's fetch says only "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND)
 * in `cause`; Deno puts the URL (with the token in it) in the message. Callers redact.
 */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return `request failed: ${String(error)}`;
  const cause = (error as { cause?: unknown }).cause;
  let detail = "";
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    detail = typeof code === "string" && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  } else if (cause !== undefined && cause !== null) {
    detail = String(cause);
  }
  const head = error.message || error.name;
  return detail && !head.includes(detail) ? `${head} (${detail})` : head;
}

/**
 * `Retry-After` is delta-seconds (RFC 9110 §10.2.3) or an HTTP date. Discord may send a
 * fractional value; anything unparseable or negative is ignored.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  // An HTTP date always names a day and a month; without letters `Date.parse("-3")` would pass.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Seconds (a JSON number, possibly fractional) to milliseconds; undefined when not a usable number. */
export function secondsToMs(value: unknown): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return undefined;
  return Math.ceil(value * 1000);
}

/** The larger of the waits a server asked for, if it asked at all. */
export function maxDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

export type StatusClass = "ok" | "transient" | "permanent";

/**
 * The default reading of a status: 408, 425, 429 and 5xx are worth another try, other
 * 4xx will fail again the same way. Channel code refines this with the error body.
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return "ok";
  if (status === 408 || status === 425 || status === 429 || status >= 500) return "transient";
  return "permanent";
}

export function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}

/**
 * Replaces every occurrence of each secret (raw and URL-encoded) with `[redacted]`. Secrets shorter
 * than 4 characters are skipped: scrubbing "1" out of every message would mangle it.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Retries

export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  maxAttempts?: number;
  /**
   * Total time spent waiting between attempts, in ms. Default 30 000: delivery runs inside
   * a check cycle; what cannot be delivered within it stays in the outbox for the next one
   *. A `retry_after` that does not fit is not waited for.
   */
  maxWaitMs?: number;
  /** First backoff step, ms. Default 500; doubles each attempt. */
  baseDelayMs?: number;
  /** Cap of one backoff step, ms. Default 8 000. */
  maxDelayMs?: number;
  /** Injected in tests; defaults to a `setTimeout` promise. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected in tests; defaults to `Math.random`. */
  random?: () => number;
}

export const RETRY_DEFAULTS = {
  maxAttempts: 4,
  maxWaitMs: 30_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
} as const;

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with "equal jitter": half fixed, half random, so retries never bunch at zero. */
export function backoffDelayMs(attempt: number, random: () => number, baseDelayMs: number, maxDelayMs: number): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Runs `send` until it succeeds, fails permanently, runs out of attempts or would exceed
 * the wait budget. A 429's `retryAfterMs` replaces the backoff step (both Discord and
 * Telegram say how long to wait; retrying sooner only earns another 429).
 *
 * Telegram's `migrate_to_chat_id` is followed inside `sendTelegram` (once per attempt); a
 * `migratedChatId` seen on any attempt is carried into the result so the caller stores it
 * even when a later attempt failed.
 *
 * `send` is not expected to throw; if it does, that counts as a transient failure (a bug in
 * a sender must not mark a route broken).
 */
export async function withRetries(
  send: (attempt: number) => Promise<SendOutcome>,
  opts: RetryOptions = {},
): Promise<SendOutcome & { attempts: number }> {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? RETRY_DEFAULTS.maxAttempts);
  const maxWaitMs = opts.maxWaitMs ?? RETRY_DEFAULTS.maxWaitMs;
  const baseDelayMs = opts.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const maxDelayMs = opts.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;

  let waitedMs = 0;
  let migratedChatId: string | undefined;
  for (let attempt = 1; ; attempt++) {
    let outcome: SendOutcome;
    try {
      outcome = await send(attempt);
    } catch (error) {
      outcome = { ok: false, kind: "transient", error: `sender threw: ${error instanceof Error ? error.message : String(error)}` };
    }
    migratedChatId = outcome.migratedChatId ?? migratedChatId;
    const result = { ...outcome, ...(migratedChatId !== undefined ? { migratedChatId } : {}), attempts: attempt };

    if (outcome.ok || outcome.kind === "permanent" || attempt >= maxAttempts) return result;
    const delay = outcome.retryAfterMs ?? backoffDelayMs(attempt, random, baseDelayMs, maxDelayMs);
    if (waitedMs + delay > maxWaitMs) return result;
    await sleep(delay);
    waitedMs += delay;
  }
}
