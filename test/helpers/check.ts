import { testHub } from "./hub.js";
import type { Db, Queryable, Row } from "../../src/db/types.js";
import { MonitoringAPI, type MonitoringOptions } from "../../src/monitor.js";
import { connectProject, type ProjectConnector } from "../../src/sources/connect.js";
import type { PgCronCluster } from "../harness/pgcron.js";

/** A pinned clock the test moves by hand. */
export class Clock {
  constructor(public current: Date) {}
  now = (): Date => new Date(this.current);
  set(iso: string): void {
    this.current = new Date(iso);
  }
}

/** Empties pg_cron's tables so each test starts from a known state on a shared cluster. */
export async function resetCron(cluster: PgCronCluster): Promise<void> {
  await cluster.sql("delete from cron.job_run_details");
  await cluster.sql("select cron.unschedule(jobid) from cron.job");
}

export interface RecordedQuery {
  project: string;
  sql: string;
  params: readonly unknown[];
  rows: number;
  /** Sent in one message with others (Db.batch). */
  batch?: boolean;
}

/** The real connector, with every query recorded (to prove what a check reads). */
export function recordingConnector(log: RecordedQuery[]): ProjectConnector {
  return (project, timeoutMs) => {
    const db = connectProject(project, timeoutMs);
    const query = async <T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> => {
      const rows = await db.query<T>(sql, params);
      log.push({ project: project.name, sql, params, rows: rows.length });
      return rows;
    };
    const batch = async (statements: readonly string[]): Promise<Row[][]> => {
      const results = await db.batch(statements);
      statements.forEach((sql, i) => log.push({ project: project.name, sql, params: [], rows: results[i]?.length ?? 0, batch: true }));
      return results;
    };
    return { ...db, query, batch } as Db & Queryable;
  };
}

export async function monitorWithHub(env: Record<string, string>, options: Partial<MonitoringOptions> = {}): Promise<{ monitor: MonitoringAPI; hub: Db }> {
  const hub = options.hub ?? (await testHub());
  const monitor = new MonitoringAPI({ env, hub, ...options });
  return { monitor, hub };
}
