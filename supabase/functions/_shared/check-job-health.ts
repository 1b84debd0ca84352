import { processEnv } from "../../../src/env.js";
import { authorize, SECRET_VARIABLE } from "./auth.js";
import { errorResponse, json, requirePost } from "./http.js";
import { withMonitor } from "./run.js";

/**
 * check-job-health: one check cycle, exactly `jobmon check` (collect, evaluate, record,
 * deliver the alerts, ping JOBMON_HEARTBEAT_URL), answered with its `check --json` report.
 * pg_cron calls it every 15 minutes (supabase/migrations/…_schedule_check_job_health.sql).
 *
 * 200: the report. 409: another cycle holds the hub's check lease, this one did nothing.
 * 401/405: see auth.ts and http.ts. 500: configuration or runtime failure, no secrets.
 */
export async function checkJobHealth(request: Request): Promise<Response> {
  const env = processEnv();
  const refused = requirePost(request) ?? (await authorize(request, env[SECRET_VARIABLE]));
  if (refused) return refused;
  await request.body?.cancel();
  return withMonitor("check-job-health", env, async (monitor) => {
    const started = performance.now();
    const report = await monitor.checkHealth();
    if (report.skipped) {
      console.log(`check-job-health: skipped: ${report.skipped}`);
      return errorResponse(409, "check_in_progress", report.skipped, { report });
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
  });
}
