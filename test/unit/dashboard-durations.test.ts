import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jobEntry } from "../../src/check/report.js";
import { durationsAfter } from "../../src/health/durations.js";
import type { JobRow } from "../../src/hub/inventory.js";
import { buildJobPage, buildOverview, compareJobs, isUnhealthy } from "../../src/dashboard/model.js";
import { jobPage, overviewPage } from "../../src/dashboard/pages.js";

// The dashboard's durations: a sparkline beside the run strip (overview and job page), the
// figures and the slow rule on the job page. Pure: the model and the pages, no server.

const now = new Date("2026-11-30T12:00:00Z");

function row(extra: Partial<JobRow> = {}): JobRow {
  const runs = Array.from({ length: 5 }, (_, i) => {
    const start = new Date(now.getTime() - (5 - i) * 600_000);
    return { runid: i + 1, status: i === 2 ? "failed" : "succeeded", start: start.toISOString(), end: new Date(start.getTime() + (i + 1) * 10_000).toISOString() };
  });
  return {
    id: "6f1a4f8e-0d5c-4b7e-9a55-3c2b1d0e9f11", project_name: "alpha", job_type: "pg_cron", job_name: "rollup", schedule: "*/10 * * * *", description: null,
    success_criteria: null, criticality: null, last_seen_at: now, created_at: now, updated_at: now, source_id: "1", command: "select 1", active: true,
    run_as: "postgres", database_name: "postgres", source_meta: {}, first_seen_at: now, expected_since: now, removed_at: null, grace_seconds: null,
    max_runtime_seconds: null, failure_threshold: 1, muted_until: null, slow_factor: null, slow_after_seconds: null, status: "slow", status_since: now,
    status_reason: "run 5 took 3m 00s; usual p95 20s over 20 runs; slow above 1m 20s", last_error: null, last_run_at: now, last_run_status: "succeeded",
    recent_runs: runs, durations: durationsAfter({}, Array.from({ length: 20 }, () => 20_000), [400, 600], null), consecutive_failures: 0, down_since: now,
    alerted_status: "slow", alerted_at: now,
    ...extra,
  };
}

describe("dashboard: durations and slow", () => {
  it("lists slow jobs as unhealthy, after missed and before unknown", () => {
    assert.ok(isUnhealthy("slow"));
    const job = (status: string) => ({ status, criticality: "important", project_name: "a", job_name: "j" }) as Parameters<typeof compareJobs>[0];
    assert.deepEqual(["unknown", "slow", "missed", "success"].map(job).sort(compareJobs).map((j) => j.status), ["missed", "slow", "unknown", "success"]);
  });

  it("draws a sparkline of the strip's successful runs beside it, with p50 / p95, on the overview", () => {
    const r = row();
    const overview = buildOverview({ configuredProjects: [], projectStates: [], entries: [jobEntry(r, { status: "slow", reason: r.status_reason ?? "", errorMessage: null, lastRunAt: now }, false)], rows: [r], runCounts: new Map(), query: new URLSearchParams(), now, secrets: [] });
    assert.deepEqual(overview.jobs[0]?.durations.runs, { count: 20, window: 20, p50_ms: 20_000, p95_ms: 20_000, max_ms: 20_000 });
    const page = overviewPage(overview, { refreshSeconds: 30, now }).value;
    assert.match(page, /<svg class="spark" role="img" aria-label="durations of the last 4 successful runs: p50 20s, p95 20s, max 20s"/);
    assert.match(page, /<polyline points="[\d., ]+"><\/polyline>/);
    assert.match(page, /p50 20s · p95 20s/);
    assert.match(page, /class="badge s-slow"/);
  });

  it("shows every kept duration, the pg_net calls' figures and the slow rule on the job page", () => {
    const page = jobPage(buildJobPage({ row: row(), entry: undefined, project: undefined, runCounts: undefined, history: [], deliveries: [], now, secrets: [] }), { refreshSeconds: 30, now }).value;
    assert.match(page, /runs: p50 20s, p95 20s, max 20s/);
    assert.match(page, /pg_net calls: p50 400ms, p95 600ms, max 600ms/);
    assert.match(page, /<svg class="spark wide"[^>]*aria-label="durations of the last 20 successful runs/);
    assert.match(page, /above max\(3 × p95, p95 \+ 1m\), from 20 runs \(default factor\)/);
    const off = jobPage(buildJobPage({ row: row({ slow_factor: 0 }), entry: undefined, project: undefined, runCounts: undefined, history: [], deliveries: [], now, secrets: [] }), { refreshSeconds: 30, now }).value;
    assert.match(off, /off \(slow factor 0\)/);
    const none = jobPage(buildJobPage({ row: row({ durations: {}, recent_runs: [] }), entry: undefined, project: undefined, runCounts: undefined, history: [], deliveries: [], now, secrets: [] }), { refreshSeconds: 30, now }).value;
    assert.match(none, /no successful run timed yet/);
    assert.doesNotMatch(none, /<svg/);
  });
});
