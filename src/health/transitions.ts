/**
 * State changes → alert events (pure). A job is announced when it enters slow, failed, missed
 * or stuck (failed only after `failureThreshold` consecutive failed runs), and again when
 * it recovers, with how long it was down. new → success and paused → success say nothing.
 */

export const DOWN = new Set(["slow", "failed", "missed", "stuck", "unreachable", "scheduler_down"]);
const HEALTHY = new Set(["success", "ok"]);

/**
 * What the hub keeps of a job's or project's state. `S` is the verdicts it can be given (job
 * or project statuses); the stored status may also be one the hub holds before any verdict
 * (`new` for a job, `unknown` for a project).
 */
export interface StoredState<S extends string = string> {
  status: S | string;
  statusSince: Date | null;
  downSince: Date | null;
  /** The status last announced: always a verdict. */
  alertedStatus: S | null;
  alertedAt: Date | null;
}

export interface TransitionInput<S extends string = string> {
  state: StoredState<S>;
  /** The verdict's status (job statuses, or ok/unreachable/scheduler_down for projects). */
  status: S;
  now: Date;
  /** Consecutive failed runs (jobs); a failed verdict alerts once this reaches the threshold. */
  trailingFailures?: number;
  failureThreshold?: number;
  /** Reminder interval in seconds while still down; null = no reminders. */
  reminderSeconds?: number | null;
}

export type TransitionEvent<S extends string = string> =
  | { type: "down"; from: S | null; to: S; since: Date }
  | { type: "recovery"; from: S; to: S; since: Date; downSeconds: number }
  | { type: "reminder"; from: S; to: S; since: Date; downSeconds: number };

export interface Transition<S extends string = string> {
  next: StoredState<S> & { status: S };
  event: TransitionEvent<S> | null;
}

export function transition<S extends string>(input: TransitionInput<S>): Transition<S> {
  const { state, status, now } = input;
  const statusSince = state.status === status && state.statusSince ? state.statusSince : now;
  const wasDown = DOWN.has(state.status);
  const isDown = DOWN.has(status);
  const downSince = isDown ? (wasDown && state.downSince ? state.downSince : now) : null;
  const next: StoredState<S> & { status: S } = { status, statusSince, downSince, alertedStatus: state.alertedStatus, alertedAt: state.alertedAt };
  const alertedDown = state.alertedStatus !== null && DOWN.has(state.alertedStatus);

  if (isDown) {
    const threshold = input.failureThreshold ?? 1;
    const reached = status !== "failed" || threshold <= 1 || (input.trailingFailures ?? 0) >= threshold;
    if (reached && state.alertedStatus !== status) {
      return {
        next: { ...next, alertedStatus: status, alertedAt: now },
        event: { type: "down", from: state.alertedStatus, to: status, since: now },
      };
    }
    const remind = input.reminderSeconds;
    if (alertedDown && state.alertedStatus === status && remind && state.alertedAt && now.getTime() - state.alertedAt.getTime() >= remind * 1000) {
      return {
        next: { ...next, alertedAt: now },
        event: { type: "reminder", from: status, to: status, since: downSince ?? now, downSeconds: seconds(downSince ?? now, now) },
      };
    }
    return { next, event: null };
  }

  const from = state.alertedStatus;
  if (HEALTHY.has(status) && from !== null && DOWN.has(from)) {
    const down = state.downSince ?? state.alertedAt ?? now;
    return {
      next: { ...next, alertedStatus: status, alertedAt: now },
      event: { type: "recovery", from, to: status, since: now, downSeconds: seconds(down, now) },
    };
  }
  return { next, event: null };
}

function seconds(from: Date, to: Date): number {
  return Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
}
