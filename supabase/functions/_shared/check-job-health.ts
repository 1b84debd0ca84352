import { processEnv } from "../../../src/env.js";
import type { Env } from "../../../src/config.js";
import type { CycleWorkerResult, MonitoringAPI } from "../../../src/monitor.js";
import { ClaimLostError, CycleClosedError } from "../../../src/hub/cycles.js";
import { authorize, SECRET_VARIABLE } from "./auth.js";
import { errorResponse, json, readJsonBody, requirePost } from "./http.js";
import { withMonitor } from "./run.js";

/**
 * check-job-health: the scheduled check. pg_cron calls it every 15 minutes
 * (supabase/migrations/…_schedule_check_job_health.sql) with `{}`.
 *
 * - One invocation: exactly `jobmon check` (collect, evaluate, record, deliver the alerts, ping
 *   JOBMON_HEARTBEAT_URL), answered with its `check --json` report.
 * - Fanned out (JOBMON_FANOUT; src/check/cycle.ts): the scheduled call plans the cycle into the
 *   hub's Supabase Queues queue and starts one worker per batch through pg_net, then answers
 *   202 with the plan. Each worker is a call of this function with `{"worker": true}`, checks one
 *   batch and answers a short summary; the hub's pg_cron resumes batches whose worker died.
 *
 * 200: the report, or a worker's summary. 202: a cycle was planned. 409: another check or
 * cycle holds the hub's check lease, this call did nothing. 401/405/400: see auth.ts and
 * http.ts. 500: configuration or runtime failure, no secrets.
 */
export async function checkJobHealth(request: Request): Promise<Response> {
  const env = processEnv();
  const refused = requirePost(request) ?? (await authorize(request, env[SECRET_VARIABLE]));
  if (refused) return refused;
  const body = await readJsonBody(request);
  if (!body.ok) return body.response;
  const worker = typeof body.value === "object" && body.value !== null && (body.value as { worker?: unknown }).worker === true;
  return withMonitor("check-job-health", env, (monitor) => (worker ? cycleWorker(monitor) : scheduled(monitor, env)));
}

/**
 * Where workers are called: SUPABASE_URL (set by Supabase in every function) or, off Supabase,
 * JOBMON_FUNCTIONS_URL (the base URL the functions are served at).
 */
export function functionsBaseUrl(env: Env): string | null {
  return env.JOBMON_FUNCTIONS_URL || env.SUPABASE_URL || null;
}

async function scheduled(monitor: MonitoringAPI, env: Env): Promise<Response> {
  const started = performance.now();
  let note: string | null = null;
  const base = functionsBaseUrl(env);
  const secret = env[SECRET_VARIABLE];
  if (monitor.config.fanout.mode !== "off") {
    if (base === null || !secret) {
      note = "fan-out needs SUPABASE_URL (or JOBMON_FUNCTIONS_URL) and JOBMON_FUNCTION_SECRET to call its workers: this cycle ran in one invocation";
    } else {
      const plan = await monitor.planCheckCycle({ functionsUrl: base, bearer: secret });
      if (plan.kind === "busy") {
        console.log(`check-job-health: skipped: ${plan.reason}`);
        return errorResponse(409, "check_in_progress", plan.reason, plan.cycle ? { cycle: { id: plan.cycle.id, projects: plan.cycle.projects, checked: plan.cycle.checked } } : {});
      }
      if (plan.kind === "planned") {
        console.log(`check-job-health: cycle ${plan.cycle}: ${plan.projects} project(s) in ${plan.batches} batch(es), ${plan.workers} worker(s) started in ${Math.round(performance.now() - started)} ms`);
        const { closed, ...rest } = plan;
        return json(202, { ...rest, closed_cycles: closed });
      }
      note = plan.note;
    }
  }
  const report = await monitor.checkHealth();
  if (report.skipped) {
    console.log(`check-job-health: skipped: ${report.skipped}`);
    return errorResponse(409, "check_in_progress", report.skipped, { report });
  }
  if (note !== null) {
    console.error(`check-job-health: ${note}`);
    report.notes = [...(report.notes ?? []), note];
  }
  const ok = report.projects.filter((p) => p.status === "ok").length;
  const alerts = report.alerts;
  console.log(
    `check-job-health: check ${report.check_id} in ${Math.round(performance.now() - started)} ms: ` +
      `${report.projects.length} project(s) (${ok} ok), ${report.jobs.length} job(s), ${report.events.length} state change(s)` +
      (alerts ? `; alerts: ${alerts.delivered} delivered, ${alerts.pending} pending` : "") +
      (report.heartbeat ? `; heartbeat: ${report.heartbeat}` : ""),
  );
  return json(200, report);
}

/** A worker's answer: what it did, short (pg_net keeps it in net._http_response). */
export function workerSummary(result: CycleWorkerResult): Record<string, unknown> {
  const closed = result.closed.map((c) => ({ id: c.id, unchecked: c.summary.unchecked.length }));
  if (result.kind !== "checked") return { worker: result.kind, ...("cycle" in result ? { cycle: result.cycle, batch: result.batch } : {}), closed_cycles: closed };
  return {
    worker: "checked",
    cycle: result.cycle,
    batch: result.batch,
    reads: result.reads,
    checked: result.checked.length,
    already_checked: result.alreadyChecked.length,
    projects: Object.fromEntries(result.report.projects.map((p) => [p.project_name, p.status])),
    jobs: result.report.jobs.length,
    events: result.report.events.length,
    alerts: result.alerts ? { delivered: result.alerts.delivered, pending: result.alerts.pending } : null,
    completed: result.completed,
    ...(result.completed ? { heartbeat: result.heartbeat ?? null, summary: result.summary } : {}),
    closed_cycles: closed,
  };
}

async function cycleWorker(monitor: MonitoringAPI): Promise<Response> {
  const started = performance.now();
  let result: CycleWorkerResult;
  try {
    result = await monitor.runCycleWorker();
  } catch (error) {
    // Another worker took this batch over, or the cycle closed: nothing of this call was recorded.
    if (error instanceof ClaimLostError || error instanceof CycleClosedError) {
      console.error(`check-job-health: worker: ${error.message}`);
      return errorResponse(409, error.code, error.message);
    }
    throw error;
  }
  const summary = workerSummary(result);
  console.log(`check-job-health: worker ${result.kind}${result.kind === "checked" ? ` cycle ${result.cycle} batch ${result.batch}: ${result.checked.length} project(s)${result.completed ? ", cycle completed" : ""}` : ""} in ${Math.round(performance.now() - started)} ms`);
  return json(200, summary);
}
