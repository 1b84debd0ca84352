/**
 * The /metrics exposition built from hub rows made here (src/dashboard/metrics.ts), read
 * back with a Prometheus text-format parser (test/helpers/prometheus.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckJobEntry } from "../../src/check/report.js";
import { METRICS, type MetricsInput, renderMetrics } from "../../src/dashboard/metrics.js";
import type { JobRow, RecentRun } from "../../src/hub/inventory.js";
import type { ProjectStateRow } from "../../src/hub/projects.js";
import { type Exposition, parseExposition } from "../helpers/prometheus.js";

const NOW = new Date("2026-12-07T12:00:00.000Z");
const at = (iso: string) => new Date(iso);
const ERROR_TEXT = 'ERROR:  relation "leads" does not exist\nCONTEXT:  SQL function';
const WEIRD_NAME = 'nightly "export"\nline two \\ back\rslash';
const ALLOWED_LABELS = new Set(["project", "job", "type", "criticality", "status", "pg_cron_version", "route", "channel"]);

function row(id: string, project: string, name: string, over: Partial<JobRow> = {}): JobRow {
  return {
    id, project_name: project, job_type: "pg_cron", job_name: name, schedule: "*/5 * * * *", description: null, success_criteria: null,
    criticality: null, last_seen_at: NOW, created_at: NOW, updated_at: NOW, source_id: "1", command: "select 1", active: true,
    run_as: "postgres", database_name: "postgres", source_meta: {}, first_seen_at: NOW, expected_since: NOW, removed_at: null,
    grace_seconds: null, max_runtime_seconds: null, failure_threshold: 1, slow_factor: null, slow_after_seconds: null, durations: {}, muted_until: null, status: "success", status_since: NOW,
    status_reason: null, last_error: null, last_run_at: null, last_run_status: null, recent_runs: [], consecutive_failures: 0,
    down_since: null, alerted_status: null, alerted_at: null, ...over,
  };
}

function entry(r: JobRow, status: string, muted = false): CheckJobEntry {
  return {
    id: r.id, project_name: r.project_name, job_type: r.job_type, job_name: r.job_name, status, previous_status: r.status,
    reason: `reason with ${ERROR_TEXT}`, error_message: status === "failed" ? ERROR_TEXT : null, last_run_at: r.last_run_at?.toISOString() ?? null,
    criticality: r.criticality, muted,
  };
}

function project(name: string, over: Partial<ProjectStateRow> = {}): ProjectStateRow {
  return {
    project_name: name, project_ref: null, source: "postgres", status: "ok", status_since: NOW, status_reason: null, last_error: null,
    down_since: null, alerted_status: null, alerted_at: null, pg_cron_version: "1.6", cron_timezone: "GMT", role_name: "postgres",
    sees_all_jobs: true, last_discovered_at: NOW, last_checked_at: at("2026-12-07T11:59:00Z"), run_cursor: null, open_runs: {},
    net_cursor: null, net_cursor_created: null, net_calls: null, logs_cursor: null, muted_until: null, updated_at: NOW, ...over,
  };
}

const run = (runid: number, status: string, start: string, end: string | null): RecentRun => ({ runid, status, start, end });

function sample(): MetricsInput {
  const ok = row("00000000-0000-4000-8000-000000000001", "alpha", "sync", {
    criticality: "critical",
    last_run_at: at("2026-12-07T11:55:00Z"),
    last_run_status: "succeeded",
    recent_runs: [run(9001, "succeeded", "2026-12-07T11:50:00Z", "2026-12-07T11:50:02Z"), run(9002, "succeeded", "2026-12-07T11:55:00Z", "2026-12-07T11:55:42.5Z")],
  });
  const failing = row("00000000-0000-4000-8000-000000000002", "alpha", WEIRD_NAME, {
    status: "failed",
    last_error: ERROR_TEXT,
    last_run_at: at("2026-12-07T11:00:00Z"),
    last_run_status: "failed",
    consecutive_failures: 3,
    recent_runs: [run(7001, "succeeded", "2026-12-07T08:00:00Z", "2026-12-07T08:00:05Z"), run(7002, "failed", "2026-12-07T11:00:00Z", "2026-12-07T11:00:09Z")],
  });
  const fn = row("00000000-0000-4000-8000-000000000003", "beta", "crm-export", {
    job_type: "edge_function",
    criticality: "low",
    last_run_at: at("2026-12-07T10:00:00Z"),
    last_run_status: "succeeded",
    recent_runs: [run(1, "succeeded", "2026-12-07T10:00:00Z", "2026-12-07T10:00:00Z")],
  });
  const fresh = row("00000000-0000-4000-8000-000000000004", "beta", "new-job", { status: "new" });
  return {
    configuredProjects: ["alpha", "beta", "gamma"],
    projectStates: [project("alpha"), project("beta", { status: "unreachable", last_error: `connect ECONNREFUSED ${ERROR_TEXT}`, muted_until: at("2026-12-07T13:00:00Z") }), project("paused-one", { status: "paused", pg_cron_version: null })],
    entries: [entry(ok, "success"), entry(failing, "failed"), entry(fn, "success", true), entry(fresh, "new")],
    rows: [ok, failing, fn, fresh],
    checkRuns: {
      counts: [
        { status: "completed", runs: 41, last_finished_at: at("2026-12-07T11:59:00Z") },
        { status: "failed", runs: 2, last_finished_at: at("2026-12-07T10:00:00Z") },
      ],
      lastCompleted: { started_at: at("2026-12-07T11:58:57.750Z"), finished_at: at("2026-12-07T11:59:00Z"), summary: { projects: 3, jobs: 4, events: 1 } },
    },
    deliveries: [
      { route_id: "env:discord", channel: "discord", status: "delivered", deliveries: 12 },
      { route_id: "env:discord", channel: "discord", status: "pending", deliveries: 2 },
      { route_id: "env:discord", channel: "discord", status: "sending", deliveries: 1 },
      { route_id: "7c1d7c4e-0a43-4bb4-9f1a-0d7f4c3a2b10", channel: "telegram", status: "failed", deliveries: 4 },
    ],
    routes: [{ id: "env:discord", channel: "discord" }, { id: "env:slack", channel: "slack" }],
    routeStates: new Map([["7c1d7c4e-0a43-4bb4-9f1a-0d7f4c3a2b10", { route_id: "7c1d7c4e-0a43-4bb4-9f1a-0d7f4c3a2b10", channel: "telegram", broken_at: at("2026-12-07T09:00:00Z"), broken_reason: "Bad Request: chat not found", chat_id_override: null }]]),
    unrouted: 5,
    now: NOW,
    secrets: [],
  };
}

async function scrape(input: MetricsInput = sample()): Promise<{ contentType: string; body: string; m: Exposition }> {
  const { contentType, body } = await renderMetrics(input);
  return { contentType, body, m: parseExposition(body) };
}

describe("GET /metrics exposition", () => {
  it("is Prometheus text 0.0.4; every family has the HELP and TYPE its definition gives, and a jobmon_ name", async () => {
    const { contentType, m } = await scrape();
    assert.equal(contentType, "text/plain; version=0.0.4; charset=utf-8");
    assert.ok(m.families.size > 10);
    for (const [name, family] of m.families) {
      const def = METRICS[name as keyof typeof METRICS];
      assert.ok(def, `${name} is documented in METRICS`);
      assert.match(name, /^jobmon_/);
      assert.equal(family.help, def.help, name);
      assert.equal(family.type, def.type.toUpperCase(), name);
      for (const s of family.metrics) assert.deepEqual(Object.keys(s.labels ?? {}).sort(), [...def.labels].sort(), `${name} has its declared labels`);
    }
    assert.ok(Object.keys(METRICS).every((n) => n.startsWith("jobmon_")));
  });

  it("gives every job one status series per status, 1 for the current one; criticality defaults to important", async () => {
    const { m } = await scrape();
    for (const [job, status, criticality] of [["sync", "success", "critical"], [WEIRD_NAME, "failed", "important"], ["crm-export", "success", "low"], ["new-job", "new", "important"]] as const) {
      const series = m.select("jobmon_job_status", { job });
      assert.deepEqual(series.map((s) => s.labels.status).sort(), ["failed", "missed", "new", "paused", "slow", "stuck", "success", "unknown"]);
      assert.deepEqual(series.filter((s) => s.value === 1).map((s) => s.labels.status), [status], job);
      assert.ok(series.every((s) => s.labels.criticality === criticality));
    }
    assert.equal(m.value("jobmon_job_muted", { job: "crm-export" }), 1);
    assert.equal(m.value("jobmon_job_muted", { job: "sync" }), 0);
  });

  it("escapes quotes, newlines and backslashes in a job name so that the parser reads the name back unchanged", async () => {
    const { body, m } = await scrape();
    assert.ok(body.includes('job="nightly \\"export\\"\\nline two \\\\ back'), "escaped in the text");
    assert.equal(m.value("jobmon_job_consecutive_failures", { job: WEIRD_NAME }), 3);
    for (const line of body.split("\n")) assert.ok(line === "" || /^(# (HELP|TYPE) jobmon_|jobmon_)/.test(line), `no line starts inside a label: ${JSON.stringify(line)}`);
  });

  it("keeps labels bounded: no error text, reason or id in any label", async () => {
    const { m } = await scrape();
    for (const s of m.series) {
      for (const [name, value] of Object.entries(s.labels)) {
        assert.ok(ALLOWED_LABELS.has(name), `label ${name} on ${s.name}`);
        assert.ok(!value.includes("ERROR") && !value.includes("ECONNREFUSED") && !value.includes("reason"), `${s.name}{${name}} holds no error text`);
        if (name !== "route") assert.doesNotMatch(value, /^[0-9a-f]{8}-[0-9a-f]{4}-/i, `${s.name}{${name}} holds no id`);
        assert.doesNotMatch(value, /^\d+$/, `${s.name}{${name}} holds no run id`);
      }
    }
    // Linear in what is configured: per job at most 8 statuses + 5 gauges, per project at most
    // 6 statuses + 4 gauges, per route 4, and 9 for the checks and the unrouted alerts.
    // Here: jobs 40 + 8 times and durations; projects 24 + 11; checks 8; routes 12 + 1.
    assert.equal(m.series.length, 104);
  });

  it("times a job's last success, last run and its duration from the runs the hub keeps; absent where unknown", async () => {
    const { m } = await scrape();
    assert.equal(m.value("jobmon_job_last_success_timestamp_seconds", { job: "sync" }), Date.parse("2026-12-07T11:55:42.5Z") / 1000);
    assert.equal(m.value("jobmon_job_last_success_timestamp_seconds", { job: WEIRD_NAME }), Date.parse("2026-12-07T08:00:05Z") / 1000);
    assert.equal(m.value("jobmon_job_last_run_duration_seconds", { job: "sync" }), 42.5);
    assert.equal(m.value("jobmon_job_last_run_duration_seconds", { job: WEIRD_NAME }), 9);
    assert.equal(m.value("jobmon_job_last_run_timestamp_seconds", { job: "sync" }), Date.parse("2026-12-07T11:55:00Z") / 1000);
    assert.deepEqual(m.select("jobmon_job_last_run_duration_seconds", { job: "crm-export" }), [], "an invocation has no duration");
    assert.deepEqual(m.select("jobmon_job_last_success_timestamp_seconds", { job: "new-job" }), []);
    assert.deepEqual(m.select("jobmon_job_last_run_timestamp_seconds", { job: "new-job" }), []);
  });

  it("says per project whether it is up, its status, its pg_cron version and its mute", async () => {
    const { m } = await scrape();
    assert.equal(m.value("jobmon_project_up", { project: "alpha" }), 1);
    assert.equal(m.value("jobmon_project_up", { project: "beta" }), 0);
    assert.deepEqual(m.select("jobmon_project_up", { project: "gamma" }), [], "no check has reached it");
    assert.deepEqual(m.select("jobmon_project_up", { project: "paused-one" }), [], "paused by Supabase, not down");
    const current = (project: string) => m.select("jobmon_project_status", { project }).filter((s) => s.value === 1).map((s) => s.labels.status);
    assert.deepEqual([current("alpha"), current("beta"), current("gamma"), current("paused-one")], [["ok"], ["unreachable"], ["unchecked"], ["paused"]]);
    assert.equal(m.value("jobmon_project_info", { project: "alpha", pg_cron_version: "1.6" }), 1);
    assert.deepEqual(m.select("jobmon_project_info", { project: "paused-one" }), []);
    assert.equal(m.value("jobmon_project_muted", { project: "beta" }), 1);
    assert.equal(m.value("jobmon_project_last_check_timestamp_seconds", { project: "alpha" }), Date.parse("2026-12-07T11:59:00Z") / 1000);
  });

  it("reports the latest check: when, how long, what it covered, and check runs by outcome", async () => {
    const { m } = await scrape();
    assert.equal(m.value("jobmon_last_check_timestamp_seconds"), Date.parse("2026-12-07T11:59:00Z") / 1000);
    assert.equal(m.value("jobmon_last_check_duration_seconds"), 2.25);
    assert.equal(m.value("jobmon_last_check_success"), 1);
    assert.deepEqual([m.value("jobmon_last_check_projects"), m.value("jobmon_last_check_jobs"), m.value("jobmon_last_check_alert_events")], [3, 4, 1]);
    assert.deepEqual([m.value("jobmon_check_runs_total", { status: "completed" }), m.value("jobmon_check_runs_total", { status: "failed" })], [41, 2]);

    const input = sample();
    input.checkRuns.counts = input.checkRuns.counts.map((c) => (c.status === "failed" ? { ...c, last_finished_at: NOW } : c));
    assert.equal((await scrape(input)).m.value("jobmon_last_check_success"), 0, "the newest run failed");

    const none = (await scrape({ ...sample(), checkRuns: { counts: [], lastCompleted: null } })).m;
    assert.deepEqual(none.select("jobmon_last_check_timestamp_seconds"), [], "no check yet: absent, not 0");
    assert.deepEqual(none.select("jobmon_last_check_success"), []);
    assert.equal(none.value("jobmon_check_runs_total", { status: "completed" }), 0);
  });

  it("counts each route's alerts sent and failed, its backlog and whether it is broken; configured routes start at 0", async () => {
    const { m } = await scrape();
    const route = (id: string) => ({
      sent: m.value("jobmon_alerts_sent_total", { route: id }),
      failed: m.value("jobmon_alerts_failed_total", { route: id }),
      pending: m.value("jobmon_alert_outbox_pending", { route: id }),
      broken: m.value("jobmon_alert_route_broken", { route: id }),
    });
    assert.deepEqual(route("env:discord"), { sent: 12, failed: 0, pending: 3, broken: 0 });
    assert.deepEqual(route("env:slack"), { sent: 0, failed: 0, pending: 0, broken: 0 });
    assert.deepEqual(route("7c1d7c4e-0a43-4bb4-9f1a-0d7f4c3a2b10"), { sent: 0, failed: 4, pending: 0, broken: 1 });
    assert.equal(m.select("jobmon_alerts_sent_total", { route: "env:slack" })[0]?.labels.channel, "slack");
    assert.equal(m.value("jobmon_alert_outbox_unrouted"), 5);
  });
});
