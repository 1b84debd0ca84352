/** Reads what a dashboard page needs through the MonitoringAPI facade (and the dashboard-only hub queries). */
import { resolveRoutes } from "../alerts/route.js";
import { checkRunFacts, deliveryCounts, unroutedEventCount } from "../hub/metrics.js";
import { loadAlertConfig, loadRouteStates } from "../hub/outbox.js";
import { PLAN_WINDOW_MS } from "../hub/pending.js";
import { runCountsSince } from "../hub/run-counts.js";
import type { MonitoringAPI } from "../monitor.js";
import type { MetricsInput } from "./metrics.js";
import { buildJobPage, buildOverview, type JobPage, type Overview, SUCCESS_RATE_DAYS } from "./model.js";

const DAY_MS = 86_400_000;

export async function loadOverview(monitor: MonitoringAPI, query: URLSearchParams, now: Date): Promise<Overview> {
  const { projects, jobs: entries } = await monitor.status();
  const rows = await monitor.listJobs({ includeRemoved: false });
  const runCounts = await runCountsSince(await monitor.hub(), new Date(now.getTime() - SUCCESS_RATE_DAYS * DAY_MS));
  return buildOverview({
    configuredProjects: monitor.config.projects.map((p) => p.name),
    projectStates: projects,
    entries,
    rows,
    runCounts,
    query,
    now,
    secrets: monitor.config.secrets,
  });
}

/** One job by inventory id (or `project/job_name`); throws JobNotFoundError. */
export async function loadJobPage(monitor: MonitoringAPI, ref: string, now: Date): Promise<JobPage> {
  const { job: row, entries: history } = await monitor.history(ref, 100);
  const [status, deliveries, runCounts] = await Promise.all([
    monitor.status({ project: row.project_name }),
    monitor.alertDeliveries(50, row.id),
    monitor.hub().then((hub) => runCountsSince(hub, new Date(now.getTime() - SUCCESS_RATE_DAYS * DAY_MS))),
  ]);
  return buildJobPage({
    row,
    entry: status.jobs.find((j) => j.id === row.id),
    project: status.projects.find((p) => p.project_name === row.project_name),
    runCounts: runCounts.get(row.id),
    history,
    deliveries,
    now,
    secrets: monitor.config.secrets,
  });
}

/** Everything `GET /metrics` exposes, read afresh for each scrape. */
export async function loadMetrics(monitor: MonitoringAPI, now: Date): Promise<MetricsInput> {
  const hub = await monitor.hub();
  const { projects, jobs: entries } = await monitor.status();
  const [rows, checkRuns, deliveries, alertConfig, routeStates, unrouted] = await Promise.all([
    monitor.listJobs({ includeRemoved: false }),
    checkRunFacts(hub),
    deliveryCounts(hub),
    loadAlertConfig(hub),
    loadRouteStates(hub),
    unroutedEventCount(hub, new Date(now.getTime() - PLAN_WINDOW_MS)),
  ]);
  return {
    configuredProjects: monitor.config.projects.map((p) => p.name),
    projectStates: projects,
    entries,
    rows,
    checkRuns,
    deliveries,
    routes: resolveRoutes(alertConfig, monitor.config),
    routeStates,
    unrouted,
    now,
    secrets: monitor.config.secrets,
  };
}
