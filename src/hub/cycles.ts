import type { Queryable } from "../db/types.js";
import { JobmonError } from "../errors.js";

/**
 * Fanned-out check cycles in the hub (monitoring.check_cycle, monitoring.check_cycle_project):
 * the per-project, per-cycle claims that keep a project from being checked twice in one cycle,
 * and the cycle's progress. Claims use the hub's clock (`now()`), the one every worker shares.
 */

export type CycleStatus = "running" | "completed" | "incomplete";

export interface CycleRow {
  id: string;
  started_at: Date;
  deadline: Date;
  status: CycleStatus;
  finished_at: Date | null;
  projects: number;
  batches: number;
  workers_started: number;
  notes: string[];
  summary: CycleSummary | null;
}

/** Written when a cycle finishes. */
export interface CycleSummary {
  checked: number;
  /** Projects no worker checked before the deadline (an incomplete cycle). */
  unchecked: string[];
  /** Claims taken in all: more than the projects means some were taken again after a worker died. */
  claims: number;
  /** The heartbeat's outcome, once the cycle completed (null: no heartbeat URL, or not completed). */
  heartbeat: string | null;
}

export interface CycleProgress extends CycleRow {
  checked: number;
  claimed: number;
}

/** A worker's claim on its projects was taken over (it ran past its message's visibility timeout): nothing it did is recorded. */
export class ClaimLostError extends JobmonError {
  constructor(cycleId: string, expected: number, held: number) {
    super("claim_lost", `the claims on ${expected - held} of ${expected} project(s) of cycle ${cycleId} passed to another worker: this worker's results are not recorded`, "transient");
  }
}

/** The cycle is no longer running (it completed, or its deadline closed it): a late worker records nothing. */
export class CycleClosedError extends JobmonError {
  constructor(cycleId: string, status: string) {
    super("cycle_closed", `cycle ${cycleId} is ${status}: this worker's results are not recorded`, "permanent");
  }
}

export interface NewCycle {
  id: string;
  startedAt: Date;
  /** The cycle's window: its deadline is this long after now, by the hub's clock (the one claims and closing use). */
  windowSeconds: number;
  /** Each project's name and batch number. */
  projects: readonly { name: string; batch: number }[];
  batches: number;
  workers: number;
  notes: readonly string[];
}

export async function createCycle(db: Queryable, cycle: NewCycle): Promise<void> {
  await db.query(
    `insert into monitoring.check_cycle (id, started_at, deadline, projects, batches, workers_started, notes)
     values ($1, $2, now() + make_interval(secs => $3), $4, $5, $6, $7::text::jsonb)`,
    [cycle.id, cycle.startedAt, cycle.windowSeconds, cycle.projects.length, cycle.batches, cycle.workers, JSON.stringify(cycle.notes)],
  );
  await db.query(
    `insert into monitoring.check_cycle_project (cycle_id, project_name, batch)
     select $1, p.name, p.batch from jsonb_to_recordset($2::text::jsonb) as p(name text, batch int)`,
    [cycle.id, JSON.stringify(cycle.projects)],
  );
}

const CYCLE_COLUMNS = "id::text, started_at, deadline, status, finished_at, projects, batches, workers_started, notes, summary";

export async function getCycle(db: Queryable, id: string): Promise<CycleRow | null> {
  const [row] = await db.query<CycleRow & Record<string, unknown>>(`select ${CYCLE_COLUMNS} from monitoring.check_cycle where id = $1`, [id]);
  return row ?? null;
}

/** The running cycle (the newest, should there be several), or null. */
export async function runningCycle(db: Queryable): Promise<CycleProgress | null> {
  const [row] = await listCycles(db, 1, true);
  return row ?? null;
}

/** The newest cycles with how far each got. */
export async function listCycles(db: Queryable, limit: number, runningOnly = false): Promise<CycleProgress[]> {
  return db.query<CycleProgress & Record<string, unknown>>(
    `select ${CYCLE_COLUMNS.split(", ").map((c) => (c.startsWith("id") ? "c.id::text" : `c.${c}`)).join(", ")},
            (select count(*)::int from monitoring.check_cycle_project p where p.cycle_id = c.id and p.checked_at is not null) as checked,
            (select count(*)::int from monitoring.check_cycle_project p where p.cycle_id = c.id and p.checked_at is null and p.claimed_until > now()) as claimed
       from monitoring.check_cycle c
      where not $2::boolean or c.status = 'running'
      order by c.started_at desc
      limit $1`,
    [limit, runningOnly],
  );
}

/**
 * Claims the named projects of a cycle for `claimer` until `seconds` from now (the hub's
 * clock): those not checked yet and not claimed by a worker whose claim still runs. Returns
 * the names claimed.
 */
export async function claimProjects(db: Queryable, cycleId: string, names: readonly string[], claimer: string, seconds: number): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await db.query<{ project_name: string }>(
    `update monitoring.check_cycle_project
        set claimed_by = $3, claimed_until = now() + make_interval(secs => $4), claims = claims + 1
      where cycle_id = $1 and project_name in (select jsonb_array_elements_text($2::text::jsonb)) and checked_at is null
        and (claimed_until is null or claimed_until <= now())
      returning project_name`,
    [cycleId, JSON.stringify(names), claimer, seconds],
  );
  return rows.map((r) => r.project_name);
}

/**
 * In the transaction that records a worker's results: locks the cycle (so that the workers
 * finishing last see each other's marks), checks it still runs and that the worker still
 * holds its claims, marks its projects checked, and completes the cycle when none is left.
 * Throws CycleClosedError or ClaimLostError, which roll the whole record back.
 */
export async function markProjectsChecked(
  tx: Queryable,
  cycleId: string,
  claimer: string,
  checkId: string,
  projects: readonly { name: string; report: unknown }[],
): Promise<{ completed: boolean }> {
  const [cycle] = await tx.query<{ status: string }>("select status from monitoring.check_cycle where id = $1 for update", [cycleId]);
  if (!cycle || cycle.status !== "running") throw new CycleClosedError(cycleId, cycle?.status ?? "gone");
  const marked = await tx.query<{ project_name: string }>(
    `update monitoring.check_cycle_project p
        set checked_at = now(), check_id = $3, report = r.report
       from jsonb_to_recordset($4::text::jsonb) as r(name text, report jsonb)
      where p.cycle_id = $1 and p.project_name = r.name and p.claimed_by = $2 and p.checked_at is null
      returning p.project_name`,
    [cycleId, claimer, checkId, JSON.stringify(projects)],
  );
  if (marked.length !== projects.length) throw new ClaimLostError(cycleId, projects.length, marked.length);
  const done = await tx.query(
    `update monitoring.check_cycle c set status = 'completed', finished_at = now()
      where c.id = $1 and not exists (select 1 from monitoring.check_cycle_project p where p.cycle_id = c.id and p.checked_at is null)
      returning c.id`,
    [cycleId],
  );
  return { completed: done.length === 1 };
}

/** Stores a finished cycle's summary. */
export async function setCycleSummary(db: Queryable, cycleId: string, summary: CycleSummary): Promise<void> {
  await db.query("update monitoring.check_cycle set summary = $2::text::jsonb where id = $1", [cycleId, JSON.stringify(summary)]);
}

/** Counts of a cycle's projects: checked, and claims taken. */
export async function cycleCounts(db: Queryable, cycleId: string): Promise<{ checked: number; claims: number; unchecked: string[] }> {
  const [row] = await db.query<{ checked: number; claims: number; unchecked: string[] | null }>(
    `select count(*) filter (where checked_at is not null)::int as checked, coalesce(sum(claims), 0)::int as claims,
            array_agg(project_name order by project_name) filter (where checked_at is null) as unchecked
       from monitoring.check_cycle_project where cycle_id = $1`,
    [cycleId],
  );
  return { checked: row?.checked ?? 0, claims: row?.claims ?? 0, unchecked: row?.unchecked ?? [] };
}

/**
 * Closes every running cycle past its deadline as `incomplete`, with the projects no worker
 * checked. Returns the cycles closed (each exactly once: the update is the compare-and-set).
 */
export async function closeExpiredCycles(db: Queryable): Promise<{ id: string; summary: CycleSummary }[]> {
  const closed = await db.query<{ id: string }>(
    `update monitoring.check_cycle set status = 'incomplete', finished_at = now()
      where status = 'running' and deadline < now()
      returning id::text`,
  );
  const out: { id: string; summary: CycleSummary }[] = [];
  for (const { id } of closed) {
    const counts = await cycleCounts(db, id);
    const summary: CycleSummary = { ...counts, heartbeat: null };
    await setCycleSummary(db, id, summary);
    out.push({ id, summary });
  }
  return out;
}

/** Each checked project's report entry, by project. */
export async function cycleProjectReports<T>(db: Queryable, cycleId: string): Promise<{ project_name: string; batch: number; check_id: string | null; report: T | null }[]> {
  return db.query(
    "select project_name, batch, check_id::text, report from monitoring.check_cycle_project where cycle_id = $1 order by batch, project_name",
    [cycleId],
  );
}

/** Marks a batch's alerts sent (its worker delivered them, or tried to). */
export async function markAlertsSent(db: Queryable, cycleId: string, checkId: string): Promise<void> {
  await db.query("update monitoring.check_cycle_project set alerts_sent_at = now() where cycle_id = $1 and check_id = $2", [cycleId, checkId]);
}

/** The alert events of the cycle's batches whose worker did not get to send them (it died after recording). */
export async function unsentCycleEventIds(db: Queryable, cycleId: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `select e.id::text from monitoring.alert_event e
      where e.check_id in (select distinct p.check_id from monitoring.check_cycle_project p
                            where p.cycle_id = $1 and p.check_id is not null and p.alerts_sent_at is null)`,
    [cycleId],
  );
  return rows.map((r) => r.id);
}

/** Deletes finished cycles older than the retention period (their projects go with them). */
export async function pruneCycles(db: Queryable, before: Date): Promise<void> {
  await db.query("delete from monitoring.check_cycle where started_at < $1 and status <> 'running'", [before]);
}
