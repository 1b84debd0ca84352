/**
 * Measuring helpers shared by the bench workers: medians, CPU and memory of this process,
 * pg_stat_statements totals, and a connector that times each monitored-project connection.
 */
import fs from "node:fs";
import type { Db, Queryable, Row } from "../src/db/types.js";
import { connectProject, type ProjectConnection, type ProjectConnector } from "../src/sources/connect.js";

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The q-quantile (0…1) by linear interpolation between the sorted values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = sorted[Math.floor(at)] as number;
  const high = sorted[Math.ceil(at)] as number;
  return low + (high - low) * (at - Math.floor(at));
}

/** CPU (user + system) of this process while `fn` runs, with its wall time. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

export interface MemorySample {
  /** Resident-set high-water mark of this process so far (VmHWM), in MB. */
  hwmMb: number;
  /** Resident set now, in MB. */
  rssMb: number;
  heapUsedMb: number;
}

/** The JavaScript heap still in use after a full collection (needs `node --expose-gc`), in MB. */
export function retainedHeapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

export function memory(): MemorySample {
  // VmHWM from /proc (Linux); resourceUsage().maxRSS (kB) elsewhere.
  let hwmKb = process.resourceUsage().maxRSS;
  try {
    const status = fs.readFileSync("/proc/self/status", "utf8");
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (match?.[1]) hwmKb = Number(match[1]);
  } catch {
    // not Linux
  }
  const usage = process.memoryUsage();
  return { hwmMb: hwmKb / 1024, rssMb: usage.rss / 1048576, heapUsedMb: usage.heapUsed / 1048576 };
}

export interface StatementStat {
  query: string;
  calls: number;
  /** Planning + execution, in ms. */
  ms: number;
  /** Shared buffers hit + read. */
  buffers: number;
  read: number;
  tempBlocks: number;
  rows: number;
}

export interface ServerStats {
  calls: number;
  ms: number;
  buffers: number;
  /** Of `buffers`, the ones not found in shared_buffers (read from the OS). */
  read: number;
  tempBlocks: number;
  rows: number;
  statements: StatementStat[];
}

export async function resetStatements(superuser: Queryable): Promise<void> {
  await superuser.query("select pg_stat_statements_reset()");
}

/**
 * Statements since the last reset: one role's in the current (monitored) database, or
 * everyone's in another database (the hub).
 */
export async function statementsOf(superuser: Queryable, scope: { role: string } | { database: string }): Promise<ServerStats> {
  const rows = await superuser.query<StatementStat & Row>(
    `select s.query, s.calls::int as calls, (s.total_plan_time + s.total_exec_time)::float8 as ms,
            (s.shared_blks_hit + s.shared_blks_read)::int as buffers, s.shared_blks_read::int as read,
            (s.temp_blks_read + s.temp_blks_written)::int as "tempBlocks", s.rows::int as rows
       from pg_stat_statements s
      where ($1::text is null or s.userid = (select oid from pg_roles where rolname = $1))
        and s.dbid = (select oid from pg_database where datname = coalesce($2::text, current_database()))
      order by s.total_plan_time + s.total_exec_time desc`,
    ["role" in scope ? scope.role : null, "database" in scope ? scope.database : null],
  );
  const sum = (pick: (s: StatementStat) => number) => rows.reduce((total, s) => total + pick(s), 0);
  return {
    calls: sum((s) => s.calls),
    ms: sum((s) => s.ms),
    buffers: sum((s) => s.buffers),
    read: sum((s) => s.read),
    tempBlocks: sum((s) => s.tempBlocks),
    rows: sum((s) => s.rows),
    statements: rows.map((s) => ({ ...s, query: s.query.replace(/\s+/g, " ").trim() })),
  };
}

export interface ConnectionSpan {
  project: string;
  openedAt: number;
  closedAt: number;
  queries: number;
  runRows: number;
}

/**
 * The real connector (postgres.js, one connection per project), recording when each
 * project's connection was opened and closed, its statements and the run rows it read.
 */
/** jobmon's statements that return runs (forward pages, a first check's read, re-reads). */
const RUN_READ = /from cron\.job_run_details\s+where runid/;

export function spanningConnector(spans: ConnectionSpan[], base: ProjectConnector = connectProject): ProjectConnector {
  return (project, timeoutMs) => {
    const db = base(project, timeoutMs);
    const span: ConnectionSpan = { project: project.name, openedAt: performance.now(), closedAt: Number.NaN, queries: 0, runRows: 0 };
    spans.push(span);
    const wrapped: ProjectConnection = {
      ...db,
      async query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
        const rows = await db.query<T>(sql, params);
        span.queries++;
        if (RUN_READ.test(sql)) span.runRows += rows.length;
        return rows;
      },
      async batch(statements: readonly string[]): Promise<Row[][]> {
        const results = await db.batch(statements);
        span.queries += statements.length;
        statements.forEach((sql, i) => {
          // (A first check's statement answers one row without a run on an empty table.)
          if (RUN_READ.test(sql)) span.runRows += results[i]?.filter((row) => row.runid !== null).length ?? 0;
        });
        return results;
      },
      async close() {
        await db.close();
        span.closedAt = performance.now();
      },
    };
    return wrapped;
  };
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
