import { raceAbort } from "../lib/http.js";
import type { ProjectConnector } from "../sources/connect.js";
import { abortReason } from "./errors.js";

/** How a check stops when its signal is aborted: reads end at once, nothing waits for them. */

export const ABORTED = Symbol("aborted");

/** `promise`, or ABORTED as soon as `signal` is aborted (the promise keeps running, unobserved). */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return raceAbort(promise, signal).catch((error: unknown) => {
    if (signal.aborted && error === signal.reason) {
      promise.catch(() => undefined);
      return ABORTED;
    }
    throw error;
  });
}

/**
 * The projects' connections, made to fail at once when the check is aborted: each read ends,
 * its connection is closed (withProject) and its deadline cleared, instead of lingering until
 * the project timeout.
 */
export function abortableConnector(connect: ProjectConnector, signal: AbortSignal | undefined): ProjectConnector {
  if (!signal) return connect;
  const guard = async <T>(promise: Promise<T>): Promise<T> => {
    const result = await unlessAborted(promise, signal);
    if (result === ABORTED) throw new Error(`interrupted by ${abortReason(signal)}`);
    return result;
  };
  return (project, timeoutMs) => {
    const db = connect(project, timeoutMs);
    return {
      query: (sql, params) => guard(db.query(sql, params)),
      batch: (statements) => guard(db.batch(statements)),
      close: () => db.close(),
    };
  };
}
