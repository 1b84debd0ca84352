import type { Db, Queryable } from "../db/types.js";
import { JobmonError } from "../errors.js";
import { finishCheckRun, insertAlertEvents, insertHealthLog, markSeenAtSource, pruneHistory, writeJobStates, writeProjectStates } from "../hub/check-results.js";
import { holdsCheckLease } from "../hub/lock.js";
import { LeaseLostError } from "./errors.js";
import type { CheckPlan } from "./plan.js";

/**
 * The last step of a check: its plan written to the hub, in one transaction with the steps
 * that must not outlive it (the inventory sync), so that a dry run or a lost lease leaves
 * nothing behind.
 */

/** Ends a dry run's transaction: everything it wrote is rolled back, and its plan returned. */
class DryRunRollback extends JobmonError {
  constructor(readonly plan: CheckPlan) {
    super("dry_run_rollback", "dry run: rolled back", "permanent");
  }
}

export interface CheckRecording {
  checkId: string;
  dryRun: boolean;
  /** The instant the check records itself at (its plan's `now`). */
  recordedAt: Date;
  retentionDays: number;
  /** Management API calls the check made reading its projects; null when it used no API. */
  managementApiCalls?: number | null;
  /** Who must hold the check lease for this to be recorded (default: the check itself; a fanned-out cycle's worker: its cycle). */
  leaseHolder?: string;
  /** Runs last in the transaction (a cycle's worker marks its projects checked there); throwing rolls everything back. */
  afterApply?: (tx: Queryable, plan: CheckPlan) => Promise<void>;
}

/**
 * Runs `prepare` (the sync and the plan) and records its plan, in one hub transaction. The
 * lease row stays locked until this commits: no check takes it over mid-record, and a check
 * that lost it records nothing (LeaseLostError). A dry run records nothing and returns the plan.
 */
export async function recordCheck(hub: Db, recording: CheckRecording, prepare: (tx: Queryable) => Promise<CheckPlan>): Promise<CheckPlan> {
  try {
    return await hub.transaction(async (tx) => {
      const holder = recording.leaseHolder ?? recording.checkId;
      if (!recording.dryRun && !(await holdsCheckLease(tx, holder, holder === recording.checkId ? "update" : "share"))) throw new LeaseLostError(holder);
      const plan = await prepare(tx);
      if (recording.dryRun) throw new DryRunRollback(plan);
      await applyPlan(tx, plan, recording);
      await recording.afterApply?.(tx, plan);
      return plan;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.plan;
    throw error;
  }
}

/** Every write of the plan, then the health log's pruning and the check run's summary. */
async function applyPlan(tx: Queryable, plan: CheckPlan, { checkId, recordedAt, retentionDays, managementApiCalls }: CheckRecording): Promise<void> {
  const { report } = plan;
  await writeProjectStates(tx, plan.projectStates, recordedAt);
  await writeJobStates(tx, plan.jobStates);
  await markSeenAtSource(tx, plan.lastSeenOnly, recordedAt);
  await insertHealthLog(tx, checkId, plan.healthLog, recordedAt);
  await insertAlertEvents(tx, checkId, plan.events, recordedAt);
  await pruneHistory(tx, new Date(recordedAt.getTime() - retentionDays * 86_400_000));
  const summary = { projects: report.projects.length, jobs: report.jobs.length, events: report.events.length };
  await finishCheckRun(tx, checkId, recordedAt, "completed", managementApiCalls == null ? summary : { ...summary, management_api_calls: managementApiCalls }, null);
}

/** A check run that ended without being recorded (interrupted, or abandoned by a process that is gone). */
export async function recordFailedRun(hub: Queryable, id: string, startedAt: Date, finishedAt: Date, error: string): Promise<void> {
  await hub.query(
    `insert into monitoring.check_run (id, started_at, finished_at, status, error) values ($1, $2, $3, 'failed', $4)
     on conflict (id) do nothing`,
    [id, startedAt, finishedAt, error],
  );
}
