import type { Queryable } from "../db/types.js";

/**
 * The hub's Supabase Queues (pgmq) queue of fanned-out check batches, and the pg_net calls that
 * start the workers draining it. Only the fanned-out Edge cycle (check/cycle.ts) uses them.
 */

/** The queue's name: pgmq keeps it in pgmq.q_jobmon_check (and archives in pgmq.a_jobmon_check). */
export const CHECK_QUEUE = "jobmon_check";

export interface QueueSupport {
  /** pgmq's installed version, null when Supabase Queues is not enabled in the hub. */
  pgmq: string | null;
  /** Whether pgmq can be enabled here (it is available but not installed). */
  pgmqAvailable: boolean;
  /** Whether net.http_post exists (pg_net), which starts the workers. */
  pgNet: boolean;
}

export async function queueSupport(db: Queryable): Promise<QueueSupport> {
  const [row] = await db.query<{ pgmq: string | null; available: boolean; pg_net: boolean }>(
    `select (select extversion from pg_extension where extname = 'pgmq') as pgmq,
            exists (select 1 from pg_available_extensions where name = 'pgmq') as available,
            to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is not null as pg_net`,
  );
  return { pgmq: row?.pgmq ?? null, pgmqAvailable: row?.available ?? false, pgNet: row?.pg_net ?? false };
}

/** Creates the queue unless it exists (pgmq.create is not idempotent on every version). */
export async function ensureCheckQueue(db: Queryable): Promise<void> {
  await db.query(`select pgmq.create($1) where to_regclass('pgmq.q_' || $1) is null`, [CHECK_QUEUE]);
}

export async function sendBatches(db: Queryable, messages: readonly unknown[]): Promise<number[]> {
  if (messages.length === 0) return [];
  const rows = await db.query<{ id: string | number }>(
    "select pgmq.send_batch($1, array(select jsonb_array_elements($2::text::jsonb))) as id",
    [CHECK_QUEUE, JSON.stringify(messages)],
  );
  return rows.map((r) => Number(r.id));
}

export interface QueueMessage<M> {
  id: number;
  /** How many times the message has been read, this read included: more than one means a worker before this one did not finish it. */
  reads: number;
  message: M;
}

/** Reads one visible message and hides it for `visibilitySeconds`; null when none is visible. */
export async function readMessage<M>(db: Queryable, visibilitySeconds: number): Promise<QueueMessage<M> | null> {
  const [row] = await db.query<{ msg_id: string | number; read_ct: number; message: M | string }>(
    "select msg_id, read_ct, message from pgmq.read($1, $2, 1)",
    [CHECK_QUEUE, visibilitySeconds],
  );
  if (!row) return null;
  const message = typeof row.message === "string" ? (JSON.parse(row.message) as M) : row.message;
  return { id: Number(row.msg_id), reads: Number(row.read_ct), message };
}

/** Moves a finished message to the queue's archive (pgmq.a_jobmon_check), where a cycle can be traced afterwards. */
export async function archiveMessage(db: Queryable, id: number): Promise<void> {
  await db.query("select pgmq.archive($1, $2::bigint)", [CHECK_QUEUE, id]);
}

/** Archives every message of a cycle still queued (visible or not): the cycle is over. */
export async function archiveCycleMessages(db: Queryable, cycleId: string): Promise<number> {
  const rows = await db.query<{ msg_id: string }>(
    `select msg_id::text from pgmq.q_jobmon_check where message->>'cycle' = $1`,
    [cycleId],
  );
  if (rows.length === 0) return 0;
  await db.query("select pgmq.archive($1, array(select jsonb_array_elements_text($2::text::jsonb)::bigint))", [CHECK_QUEUE, JSON.stringify(rows.map((r) => r.msg_id))]);
  return rows.length;
}

export interface WorkerCall {
  /** The functions' base URL (SUPABASE_URL on Supabase): calls go to `<url>/functions/v1/check-job-health`. */
  functionsUrl: string;
  /** JOBMON_FUNCTION_SECRET, sent as a bearer token. */
  bearer: string;
}

/**
 * Queues `count` calls of check-job-health as a worker in pg_net (net.http_post). pg_net sends
 * them after the transaction commits, from the hub's own background worker, so they start
 * whether or not the calling function is still running.
 */
export async function startWorkers(db: Queryable, call: WorkerCall, count: number, body: Record<string, unknown>): Promise<void> {
  if (count <= 0) return;
  await db.query(
    `select net.http_post(
       url := $1,
       headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || $2::text),
       body := $3::text::jsonb,
       timeout_milliseconds := 150000)
     from generate_series(1, $4::int)`,
    [`${call.functionsUrl.replace(/\/+$/, "")}/functions/v1/check-job-health`, call.bearer, JSON.stringify(body), count],
  );
}
