import type { JobStatus } from "../types.js";

/**
 * The verdict of an `edge_function` inventory row, from its Management API status, its
 * invocations (the function's logs) and the verdicts of the cron jobs that call it; pure:
 * no clock, no I/O.
 */

export interface InvocationFact {
  at: Date;
  statusCode: number | null;
  /** event_message (`POST | 546 | https://…/functions/v1/slug`). */
  message?: string | null;
}

export interface CallerFact {
  jobName: string;
  /** The caller's verdict in this check, after project-level hold-backs (scheduler_down). */
  status: JobStatus | string;
  reason: string;
  active: boolean;
}

export interface FunctionFacts {
  slug: string;
  /** ACTIVE, REMOVED or THROTTLED (Management API). */
  status: string;
  /** The schedule inherited from the active job(s) that call it; null when none does. */
  schedule: string | null;
  /** The cron jobs whose command calls it. */
  callers: readonly CallerFact[];
  /** Its invocations in the window read this check; null when the logs were not read. */
  invocations: readonly InvocationFact[] | null;
  /** The logs window read this check. */
  window: { start: Date; end: Date } | null;
  /** Why the logs were not read (rate limited, no permission …), shown in the reason. */
  logsError?: string | null;
  /** The window's answer was cut at the row limit (success counts are then a lower bound). */
  logsTruncated?: boolean;
  /** The latest invocation known before this check (the hub's last_run_at/last_run_status). */
  lastInvocation: { at: Date; statusCode: number | null } | null;
  /** The hub's consecutive_failures before this check (for the failure threshold). */
  previousTrailingFailures?: number;
}

export interface FunctionVerdict {
  status: JobStatus;
  reason: string;
  errorMessage: string | null;
  /** The invocation the verdict is about, when there is one. */
  runAt: Date | null;
  /** The latest invocation after this check (store as last_run_at / last_run_status). */
  lastInvocation: { at: Date; statusCode: number | null } | null;
  /** Invocations in the window, and how many of them failed (status >= 500). */
  invocations: number;
  failures: number;
  /**
   * Consecutive failed invocations at the end of the history (store as consecutive_failures
   * and give to `transition` with the job's failure threshold). REMOVED/THROTTLED count one
   * per check, like a failed run.
   */
  trailingFailures: number;
}

/** A status the function answered that fails it: 5xx (546 = resource limit, 504 = timeout). */
export function isFunctionFailure(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 500;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, "Z");
}

/** What the Edge runtime means by a 5xx (docs/platform.md "Edge Functions"). */
const EDGE_STATUS_MEANING: ReadonlyMap<number, string> = new Map([
  [500, "threw"],
  [502, "crashed"],
  [503, "could not start"],
  [504, "timeout"],
  [546, "resource limit"],
]);

function codeSummary(codes: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([code, n]) => {
      const meaning = EDGE_STATUS_MEANING.get(code);
      return `${n}× ${code}${meaning ? ` (${meaning})` : ""}`;
    })
    .join(", ");
}

/**
 * The verdict of an `edge_function` inventory row, first rule that applies:
 *
 * 1. REMOVED or THROTTLED (Management API) → failed, saying which and what to do.
 * 2. Invocations answered 5xx in the window → failed, with the codes and their counts.
 * 3. Missed: the function inherits the schedule of the cron jobs that call it, and the
 *    dead man's switch is theirs: pg_cron's runs say whether the call was made on time, the
 *    logs only say whether it succeeded (and arrive late). So the function is `missed` when
 *    it is scheduled and every active caller's own verdict is `missed`: the same outage
 *    shows on the function, which is what a reader of the function's row looks for, with
 *    the caller named. A caller held back by `scheduler_down` is not `missed`, so neither
 *    is the function. A function a job calls but whose logs show no call in a window is not
 *    missed on its own: the window may simply hold no fire time.
 * 4. Invocations in the window, none 5xx → success (4xx are the caller's errors and counted
 *    in the reason only).
 * 5. No invocation in the window: the latest known invocation decides (as for a cron job
 *    between runs); none ever and no job calls it → `unknown` ("idle"): neither failed nor
 *    missed; none ever but called → `unknown` ("no invocation seen yet").
 */
export function evaluateFunction(facts: FunctionFacts, _now: Date): FunctionVerdict {
  // `_now` is kept for symmetry with evaluateJob: every rule here reads the window instead.
  const invocations = [...(facts.invocations ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
  const latest = invocations.at(-1);
  const lastInvocation = latest ? { at: latest.at, statusCode: latest.statusCode } : facts.lastInvocation;
  const failed = invocations.filter((i) => isFunctionFailure(i.statusCode));
  const previousTrailing = facts.previousTrailingFailures ?? 0;
  let trailingFailures = previousTrailing;
  for (const invocation of invocations) trailingFailures = isFunctionFailure(invocation.statusCode) ? trailingFailures + 1 : 0;
  const base = {
    lastInvocation,
    invocations: invocations.length,
    failures: failed.length,
    trailingFailures,
    runAt: null as Date | null,
    errorMessage: null as string | null,
  };
  const since = facts.window ? ` since ${iso(facts.window.start)}` : "";
  const logsNote = facts.logsError ? ` (its logs could not be read this check: ${facts.logsError})` : "";
  const callers = facts.callers.map((c) => c.jobName);
  const calledBy = callers.length > 0 ? `called by ${callers.join(", ")}` : "no cron job calls it";

  if (facts.status === "REMOVED") {
    return {
      ...base,
      trailingFailures: previousTrailing + 1,
      status: "failed",
      reason: `the function is REMOVED in the project (Management API status)${callers.length > 0 ? `, yet ${calledBy}: redeploy it or unschedule the job` : ": redeploy it if it is still needed"}`,
    };
  }
  if (facts.status === "THROTTLED") {
    return {
      ...base,
      trailingFailures: previousTrailing + 1,
      status: "failed",
      reason: "the function is THROTTLED by Supabase (Management API status): its invocations are being refused; check the project's usage limits and billing",
    };
  }

  if (failed.length > 0) {
    const last = failed.at(-1) as InvocationFact;
    const codes = failed.map((i) => i.statusCode as number);
    const share = `${failed.length} of ${invocations.length} invocation${invocations.length === 1 ? "" : "s"}${since}`;
    const recovered = latest && !isFunctionFailure(latest.statusCode) ? "; the latest invocation succeeded" : "";
    return {
      ...base,
      status: "failed",
      reason: `${share} failed: ${codeSummary(codes)} (last at ${iso(last.at)})${recovered}${facts.logsTruncated ? "; more invocations than one read returns" : ""}`,
      errorMessage: last.message ?? `HTTP ${last.statusCode}`,
      runAt: last.at,
    };
  }

  const active = facts.callers.filter((c) => c.active);
  if (facts.schedule !== null && active.length > 0 && active.every((c) => c.status === "missed")) {
    const first = active[0] as CallerFact;
    return {
      ...base,
      status: "missed",
      reason: `not called on schedule: ${active.length === 1 ? `its caller ${first.jobName} missed` : `its callers ${active.map((c) => c.jobName).join(", ")} all missed`} (${first.reason})`,
    };
  }

  if (latest) {
    const clientErrors = invocations.filter((i) => i.statusCode !== null && i.statusCode >= 400).length;
    const count = `${invocations.length}${facts.logsTruncated ? "+" : ""} invocation${invocations.length === 1 ? "" : "s"}${since}`;
    return {
      ...base,
      status: "success",
      reason: `${count}, none failed${clientErrors > 0 ? ` (${clientErrors} answered 4xx: a caller's error)` : ""}; last at ${iso(latest.at)} (${latest.statusCode ?? "no status"})`,
      runAt: latest.at,
    };
  }

  const previous = facts.lastInvocation;
  if (previous) {
    if (isFunctionFailure(previous.statusCode)) {
      return {
        ...base,
        status: "failed",
        reason: `no invocation${since}; the latest one, at ${iso(previous.at)}, answered ${previous.statusCode}${logsNote}`,
        runAt: previous.at,
      };
    }
    return {
      ...base,
      status: "success",
      reason: `no invocation${since}; the latest one, at ${iso(previous.at)}, answered ${previous.statusCode ?? "no status"}; ${calledBy}${logsNote}`,
      runAt: previous.at,
    };
  }
  if (callers.length === 0) {
    return { ...base, status: "unknown", reason: `idle: no cron job calls it and no invocation${since || " seen"}${logsNote}` };
  }
  return { ...base, status: "unknown", reason: `no invocation seen yet; ${calledBy}${logsNote}` };
}
