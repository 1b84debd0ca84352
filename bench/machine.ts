/** The machine the figures come from (BENCHMARKS.md states it with every run). */
import fs from "node:fs";
import os from "node:os";
import type { PgCronCluster } from "../test/harness/pgcron.js";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  pgCron: string;
  pgStatStatements: string;
  date: string;
  /** 1-, 5- and 15-minute load averages when the bench started: other work on the machine skews timings. */
  loadAverage: number[];
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? "unknown";
}

export async function describeMachine(cluster: PgCronCluster): Promise<Machine> {
  const [pg] = await cluster.sql<{ version: string }>("select current_setting('server_version') as version");
  const [pss] = await cluster.sql<{ extversion: string }>("select extversion from pg_extension where extname = 'pg_stat_statements'");
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGb: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: pg?.version ?? "unknown",
    pgCron: cluster.pgCronVersion,
    pgStatStatements: pss?.extversion ?? "unknown",
    date: new Date().toISOString(),
    loadAverage: os.loadavg(),
  };
}
