/**
 * Worker side of sections 4, 5 and 7: whole check cycles over several monitored projects.
 *
 * - Edge budget: the check-job-health Edge Function's work per call (resolve the config,
 *   open the hub, check, deliver, serialise the report, close), in CPU of this process.
 * - Fan-out: runCheck over many projects, each behind the delaying proxy (bench/proxy.ts,
 *   in the parent process so its CPU is not counted here).
 * - Token path: runCheck with only an access token, every project read through the
 *   Management API stand-in (in the parent process too, answering every call late).
 */
import { runCheck } from "../src/check/index.js";
import { resolveConfig } from "../src/config.js";
import { postgresDb } from "../src/db/postgres.js";
import type { Db } from "../src/db/types.js";
import { migrate } from "../src/hub/migrate.js";
import { openHub } from "../src/hub/open.js";
import { MonitoringAPI } from "../src/monitor.js";
import { type ConnectionSpan, median, memory, type MemorySample, resetStatements, type ServerStats, spanningConnector, statementsOf, timed } from "./measure.js";

function projectEnv(urls: readonly string[], hubUrl: string): Record<string, string> {
  const env: Record<string, string> = {
    JOBMON_PROJECT_NAMES: urls.map((_, i) => `project_${String(i + 1).padStart(2, "0")}`).join(","),
    JOBMON_HUB_URL: hubUrl,
    JOBMON_PROJECT_TIMEOUT: "120s",
  };
  urls.forEach((url, i) => {
    env[i === 0 ? "SUPABASE_POSTGRES_URL" : `SUPABASE_POSTGRES_URL_${i + 1}`] = url;
  });
  return env;
}

async function freshHub(superuser: Db, name: string): Promise<void> {
  await superuser.query(`drop database if exists ${name}`);
  await superuser.query(`create database ${name}`);
}

// ---------------------------------------------------------------------------------------
// Section 5: the Edge budget

export interface EdgeTask {
  kind: "edge";
  projectUrls: string[];
  superUrl: string;
  hubUrlTemplate: string;
  discordWebhookUrl: string;
  newRunsPerCycle: number;
  warmups: number;
  reps: number;
}

export interface CycleMeasure {
  wallMs: number;
  cpuMs: number;
  jobs: number;
  events: number;
  messages: number;
  reportBytes: number;
}

export interface EdgeResult {
  projects: number;
  jobsPerProject: number;
  bootstrap: CycleMeasure;
  firstSteady: CycleMeasure;
  steady: CycleMeasure[];
  medianCpuMs: number;
  memory: MemorySample;
}

export async function runEdge(task: EdgeTask): Promise<EdgeResult> {
  const superuser = postgresDb(task.superUrl, { max: 1, applicationName: "jobmon-bench" });
  try {
    await freshHub(superuser, "bench_hub_edge");
    const env = { ...projectEnv(task.projectUrls, task.hubUrlTemplate.replace("__DB__", "bench_hub_edge")), DISCORD_WEBHOOK_URL: task.discordWebhookUrl };
    const setup = new MonitoringAPI({ env });
    await setup.migrate();
    await setup.close();

    // What supabase/functions/_shared/check-job-health.ts does per call.
    const cycle = async (): Promise<CycleMeasure> => {
      const { value, wallMs, cpuMs } = await timed(async () => {
        const config = resolveConfig(env);
        // No pause between Discord messages: it only adds wall time, no CPU.
        const monitor = new MonitoringAPI({ config, deliver: { minIntervalMs: { discord: 0, telegram: 0 } } });
        try {
          const report = await monitor.checkHealth();
          return { report, bytes: JSON.stringify(report).length };
        } finally {
          await monitor.close();
        }
      });
      const unreachable = value.report.projects.find((p) => p.status === "unreachable");
      if (unreachable) throw new Error(`project unreachable: ${unreachable.error ?? unreachable.reason}`);
      return { wallMs, cpuMs, jobs: value.report.jobs.length, events: value.report.events.length, messages: value.report.alerts?.messages ?? 0, reportBytes: value.bytes };
    };

    const bootstrap = await cycle();
    await superuser.query("select public.bench_new_runs($1::int)", [task.newRunsPerCycle]);
    const firstSteady = await cycle();
    for (let i = 0; i < task.warmups; i++) {
      await superuser.query("select public.bench_new_runs($1::int)", [task.newRunsPerCycle]);
      await cycle();
    }
    const steady: CycleMeasure[] = [];
    for (let i = 0; i < task.reps; i++) {
      await superuser.query("select public.bench_new_runs($1::int)", [task.newRunsPerCycle]);
      steady.push(await cycle());
    }
    return {
      projects: task.projectUrls.length,
      jobsPerProject: bootstrap.jobs / task.projectUrls.length,
      bootstrap,
      firstSteady,
      steady,
      medianCpuMs: median(steady.map((s) => s.cpuMs)),
      memory: memory(),
    };
  } finally {
    await superuser.close();
  }
}

// ---------------------------------------------------------------------------------------
// Section 4: fan-out

export interface FanoutTask {
  kind: "fanout";
  label: string;
  projectUrls: string[];
  superUrl: string;
  hubUrlTemplate: string;
  newRunsPerCycle: number;
  reps: number;
}

export interface FanoutMeasure {
  wallMs: number;
  cpuMs: number;
  /** First connection opened → last closed. */
  collectMs: number;
  /** Each project's own connection span: the slowest, and all of them added up. */
  slowestMs: number;
  fastestMs: number;
  sumMs: number;
  statementsPerProject: number;
  /** The hub's side of the cycle: every statement in the hub database (pg_stat_statements). */
  hub: ServerStats;
}

export interface FanoutResult {
  label: string;
  projects: number;
  bootstrap: FanoutMeasure;
  steady: FanoutMeasure[];
}

export async function runFanout(task: FanoutTask): Promise<FanoutResult> {
  const superuser = postgresDb(task.superUrl, { max: 1, applicationName: "jobmon-bench" });
  let hub: Db | undefined;
  try {
    const hubName = `bench_hub_fanout_${task.label}`;
    await freshHub(superuser, hubName);
    const config = resolveConfig(projectEnv(task.projectUrls, task.hubUrlTemplate.replace("__DB__", hubName)));
    hub = await openHub(config.hub);
    await migrate(hub);
    const openHubDb = hub;

    const cycle = async (): Promise<FanoutMeasure> => {
      const spans: ConnectionSpan[] = [];
      await resetStatements(superuser);
      const { value: report, wallMs, cpuMs } = await timed(() => runCheck(config, openHubDb, { connect: spanningConnector(spans) }));
      const hubStats = await statementsOf(superuser, { database: hubName });
      const unreachable = report.projects.filter((p) => p.status === "unreachable");
      if (unreachable.length > 0) throw new Error(`${unreachable.length} project(s) unreachable, e.g. ${unreachable[0]?.error ?? unreachable[0]?.reason}`);
      const durations = spans.map((s) => s.closedAt - s.openedAt);
      return {
        wallMs,
        cpuMs,
        collectMs: Math.max(...spans.map((s) => s.closedAt)) - Math.min(...spans.map((s) => s.openedAt)),
        slowestMs: Math.max(...durations),
        fastestMs: Math.min(...durations),
        sumMs: durations.reduce((a, b) => a + b, 0),
        statementsPerProject: median(spans.map((s) => s.queries)),
        hub: hubStats,
      };
    };

    const bootstrap = await cycle();
    const steady: FanoutMeasure[] = [];
    for (let i = 0; i < task.reps; i++) {
      await superuser.query("select public.bench_new_runs($1::int)", [task.newRunsPerCycle]);
      steady.push(await cycle());
    }
    return { label: task.label, projects: task.projectUrls.length, bootstrap, steady };
  } finally {
    await hub?.close();
    await superuser.close();
  }
}

// ---------------------------------------------------------------------------------------
// Section 7: the token path

export interface TokenTask {
  kind: "token";
  /** The Management API stand-in (SUPABASE_API_URL) and the token it takes. */
  apiUrl: string;
  accessToken: string;
  superUrl: string;
  hubUrlTemplate: string;
  newRunsPerCycle: number;
  reps: number;
}

export interface TokenMeasure {
  wallMs: number;
  cpuMs: number;
  /** Epoch milliseconds around the check: the parent matches the stand-in's request log to them. */
  startedAt: number;
  finishedAt: number;
  /** Projects the check read (status neither unreachable, paused nor removed). */
  projectsRead: number;
  /** The check report's `management_api`. */
  calls: number;
  byEndpoint: Partial<Record<string, number>>;
  lowestRemaining: number | null;
}

export interface TokenResult {
  projects: number;
  bootstrap: TokenMeasure;
  steady: TokenMeasure[];
}

/** runCheck with only an access token: every project the stand-in lists is read through its read-only SQL endpoint. */
export async function runToken(task: TokenTask): Promise<TokenResult> {
  const superuser = postgresDb(task.superUrl, { max: 1, applicationName: "jobmon-bench" });
  let hub: Db | undefined;
  try {
    const hubName = "bench_hub_token";
    await freshHub(superuser, hubName);
    const config = resolveConfig({
      SUPABASE_ACCESS_TOKEN: task.accessToken,
      SUPABASE_API_URL: task.apiUrl,
      JOBMON_HUB_URL: task.hubUrlTemplate.replace("__DB__", hubName),
      JOBMON_PROJECT_TIMEOUT: "120s",
    });
    hub = await openHub(config.hub);
    await migrate(hub);
    const openHubDb = hub;

    const cycle = async (): Promise<TokenMeasure> => {
      const startedAt = Date.now();
      const { value: report, wallMs, cpuMs } = await timed(() => runCheck(config, openHubDb));
      const finishedAt = Date.now();
      const notRead = report.projects.filter((p) => p.status === "unreachable" || p.status === "paused" || p.status === "removed");
      if (notRead.length > 0) throw new Error(`${notRead.length} project(s) not read, e.g. ${notRead[0]?.project_name}: ${notRead[0]?.error ?? notRead[0]?.reason}`);
      const api = report.management_api;
      if (!api) throw new Error("the check report has no management_api: the check did not go through the access token");
      return {
        wallMs,
        cpuMs,
        startedAt,
        finishedAt,
        projectsRead: report.projects.length,
        calls: api.calls,
        byEndpoint: api.by_endpoint,
        lowestRemaining: api.lowest_remaining?.remaining ?? null,
      };
    };

    const bootstrap = await cycle();
    const steady: TokenMeasure[] = [];
    for (let i = 0; i < task.reps; i++) {
      await superuser.query("select public.bench_new_runs($1::int)", [task.newRunsPerCycle]);
      steady.push(await cycle());
    }
    return { projects: bootstrap.projectsRead, bootstrap, steady };
  } finally {
    await hub?.close();
    await superuser.close();
  }
}
