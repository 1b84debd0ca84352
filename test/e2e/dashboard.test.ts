/**
 * `jobmon serve` in Debian's headless Chromium (driven by playwright-core), over two real
 * pg_cron clusters: jobs scheduled with cron.schedule, runs inserted into
 * cron.job_run_details at exact instants, one discovery and one `jobmon check` cycle through
 * the MonitoringAPI (alerts to a fake Discord), then the page, the job page and the API.
 *
 * Schedules are placed half an hour away from the wall clock (minute M = now + 30) so that
 * pg_cron itself does not run them while the test runs; only `*\/5` (always succeeding
 * `select 1`) may fire for real, and that cannot change its verdict.
 *
 * JOBMON_SCREENSHOT=docs/dashboard.png also saves the README screenshot.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { buildProgram } from "../../src/cli/program.js";
import { buildJobPage, buildOverview } from "../../src/dashboard/model.js";
import { jobPage, overviewPage } from "../../src/dashboard/pages.js";
import { type Dashboard, startDashboard } from "../../src/dashboard/server.js";
import type { JobRow } from "../../src/hub/inventory.js";
import type { Db } from "../../src/db/types.js";
import { ConfigError } from "../../src/errors.js";
import type { MonitoringAPI } from "../../src/monitor.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.js";
import { freePort, insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { addRuns, awaySchedules, fires, HOUR, MIN, monitorWithHistory } from "../helpers/cron-sample.js";
import { migratedHub } from "../helpers/hub.js";

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const XSS = "<img src=x onerror=alert(1)>";
const XSS_ERROR = `ERROR:  invalid input syntax for type json: "${XSS}"`;
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLW9mLXRoZS1rZXk";
const TOKEN = "dashboard-token-5f1c0e9a7b2d4c68";

const clusters = usePgCronClusters(2, { name: "dashboard" });

async function rowsOf(page: Page): Promise<{ name: string; project: string; status: string; badge: string; visible: boolean }[]> {
  return page.$$eval("#jobs tbody tr[data-job]", (rows) =>
    rows.map((r) => ({
      name: r.querySelector("th a")?.textContent ?? "",
      project: r.getAttribute("data-project") ?? "",
      status: r.getAttribute("data-status") ?? "",
      badge: (r.querySelector(".badge")?.textContent ?? "").trim(),
      visible: !(r as HTMLElement).hidden && (r as HTMLElement).offsetParent !== null,
    })),
  );
}

function request(url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? "GET", headers: init.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("jobmon serve: the status dashboard in headless Chromium", () => {
  let one: PgCronCluster;
  let two: PgCronCluster;
  let hub: Db;
  let browser: Browser;
  let launching: Promise<Browser> | undefined;
  let discord: FakeDiscord;
  let monitor: MonitoringAPI;
  let dashboard: Dashboard;
  const ids = new Map<string, string>();
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    contexts.push(context);
    return context.newPage();
  }

  before(async () => {
    [one, two] = clusters() as [PgCronCluster, PgCronCluster];
    launching = chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    launching.catch(() => {}); // awaited below; this only keeps an early setup failure from leaving it unhandled
    hub = await migratedHub("postgres", () => one);
    discord = await startFakeDiscord();

    const { t0, hourly, daily, lastHourly, lastDaily, lastFive } = awaySchedules();

    // The runs are inserted after a first check, so that the check below reads them all
    // (a project's first check reads only each job's latest run).
    const later: (() => Promise<unknown>)[] = [];
    // smoothed (cluster one)
    const sync = await scheduleJob(one, "sync-leads", "*/5 * * * *", "select 1");
    later.push(() => addRuns(one, sync, fires(lastFive, 5 * MIN, 30).map((at) => ({ at, status: "succeeded" }))));
    const imports = await scheduleJob(one, "import-leads", hourly, "select app.import_leads()");
    later.push(() => addRuns(one, imports, fires(lastHourly, HOUR, 12).map((at, i) => (i === 0 ? { at, status: "failed", message: XSS_ERROR } : i === 5 ? { at, status: "failed", message: "ERROR:  canceling statement due to statement timeout" } : { at, status: "succeeded" }))));
    const enrich = await scheduleJob(one, "enrich-companies", hourly, "select app.enrich_companies(500)");
    later.push(() => addRuns(one, enrich, fires(new Date(lastHourly.getTime() - 3 * HOUR), HOUR, 9).map((at) => ({ at, status: "succeeded", seconds: 40 }))));
    const rebuild = await scheduleJob(one, "rebuild-search-index", daily, "reindex index concurrently leads_search_idx");
    later.push(() => addRuns(one, rebuild, fires(lastDaily, 24 * HOUR, 7).map((at, i) => ({ at, status: i === 0 ? "running" : "succeeded", seconds: 240 }))));
    const digest = await scheduleJob(one, "weekly-digest", "0 8 * * 1", "select app.send_weekly_digest()");
    await one.sql("update cron.job set active = false where jobid = $1", [digest]);

    // blingsting (cluster two)
    const crm = await scheduleJob(two, "crm-nightly-export", daily, `select net.http_post(url := 'https://abcdefghijklmnop.supabase.co/functions/v1/crm-export', headers := '{"Authorization": "Bearer ${JWT}"}'::jsonb)`);
    later.push(() => addRuns(two, crm, fires(lastDaily, 24 * HOUR, 7).map((at) => ({ at, status: "succeeded" }))));
    const dedupe = await scheduleJob(two, "dedupe-contacts", hourly, "call crm.dedupe_contacts()");
    later.push(() => addRuns(two, dedupe, fires(lastHourly, HOUR, 12).map((at, i) => (i < 3 ? { at, status: "failed", message: "ERROR:  deadlock detected\nDETAIL:  Process 4242 waits for ShareLock on transaction 7781; blocked by process 4243." } : { at, status: "succeeded" }))));
    const stats = await scheduleJob(two, "refresh-pipeline-stats", hourly, "refresh materialized view concurrently crm.pipeline_stats");
    later.push(() => addRuns(two, stats, fires(lastHourly, HOUR, 12).map((at) => ({ at, status: "succeeded", seconds: 12 }))));

    const env = {
      SUPABASE_POSTGRES_URL: one.url,
      SUPABASE_POSTGRES_URL_2: two.url,
      // A third project that is down: nothing listens on this port.
      SUPABASE_POSTGRES_URL_3: `postgresql://postgres:scraping-db-password@127.0.0.1:${await freePort()}/postgres`,
      JOBMON_PROJECT_NAMES: "smoothed,blingsting,scraping",
      DISCORD_WEBHOOK_URL: discord.webhookUrl,
      JOBMON_PROJECT_TIMEOUT: "5s",
    };
    // Discovered six hours ago, so that runs are expected since then (missed detection).
    monitor = await monitorWithHistory(env, hub, t0, later);
    await monitor.updateJob("smoothed/import-leads", { criticality: "critical", description: "Imports leads from the landing-page forms" });
    await monitor.updateJob("smoothed/sync-leads", { description: "Pulls new leads from the CRM" });
    await monitor.updateJob("smoothed/enrich-companies", { criticality: "low" });
    await monitor.updateJob("smoothed/weekly-digest", { criticality: "low" });
    await monitor.updateJob("blingsting/crm-nightly-export", { criticality: "critical", description: "Nightly export to the CRM (Edge Function)" });
    await monitor.updateJob("blingsting/refresh-pipeline-stats", { criticality: "low" });
    await monitor.mute("blingsting/dedupe-contacts", 4 * 3600);
    const report = await monitor.checkHealth();
    for (const j of report.jobs) ids.set(j.job_name, j.id);
    assert.deepEqual(
      Object.fromEntries(report.jobs.map((j) => [j.job_name, j.status])),
      {
        "sync-leads": "success",
        "import-leads": "failed",
        "enrich-companies": "missed",
        "rebuild-search-index": "stuck",
        "weekly-digest": "paused",
        "crm-nightly-export": "success",
        "dedupe-contacts": "failed",
        "refresh-pipeline-stats": "success",
      },
      "the check judged the sample as intended",
    );
    dashboard = await startDashboard({ monitor, port: 0 });
    browser = await launching;
  });

  after(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => {})));
    // Also when setup failed before the launch was awaited: no Chromium is left running.
    await (await launching?.catch(() => undefined))?.close();
    await dashboard?.close();
    await discord?.close();
    await hub?.close();
  });

  it("lists every job of both pg_cron projects with its status as text, unhealthy first, muted jobs marked", async () => {
    const page = await newPage();
    await page.goto(dashboard.url);
    const rows = await rowsOf(page);
    assert.deepEqual(
      rows.map((r) => `${r.status} ${r.project}/${r.name}`),
      [
        "failed smoothed/import-leads",
        "failed blingsting/dedupe-contacts",
        "stuck smoothed/rebuild-search-index",
        "missed smoothed/enrich-companies",
        "success blingsting/crm-nightly-export",
        "success smoothed/sync-leads",
        "success blingsting/refresh-pipeline-stats",
        "paused smoothed/weekly-digest",
      ],
    );
    for (const r of rows) assert.ok(r.badge.endsWith(r.status), `status "${r.status}" is written out, not only coloured: "${r.badge}"`);
    assert.ok(rows.every((r) => r.visible));

    const projects = await page.$$eval("table.projects tbody tr", (trs) => trs.map((tr) => Array.from(tr.children, (c) => (c.textContent ?? "").trim().replace(/\s+/g, " "))));
    assert.deepEqual(projects.map((p) => [p[0], p[1]]), [["blingsting", "✓ reachable"], ["scraping", "✗ unreachable"], ["smoothed", "✓ reachable"]]);
    // blingsting is the second cluster: its pg_cron reports its own version, whatever the set.
    assert.equal((projects[0]?.[2] ?? "").split(" ")[0], two.pgCronVersion, "pg_cron version shown");
    assert.ok(!(await page.content()).includes("scraping-db-password"), "the unreachable project's password is not shown");

    const dedupe = page.locator(`tr[data-job="${ids.get("dedupe-contacts")}"]`);
    assert.equal(await dedupe.locator(".badge.muted").textContent(), "muted");
    const imports = page.locator(`tr[data-job="${ids.get("import-leads")}"]`);
    assert.equal(await imports.locator("li.run").count(), 12, "one cell per recent run");
    assert.equal(await imports.locator("li.run.r-failed").count(), 2);
    assert.match((await imports.locator("li.run").last().getAttribute("title")) ?? "", /^run \d+: failed, started /);
    assert.match((await imports.locator("td").nth(6).textContent()) ?? "", /83\.3%\s*10\/12 runs/);
    assert.equal((await imports.locator("td").nth(1).textContent())?.trim(), "critical");
    const sync = page.locator(`tr[data-job="${ids.get("sync-leads")}"]`);
    assert.match((await sync.locator("td").nth(2).textContent()) ?? "", /Every 5 minutes \(GMT\)/);
    assert.match((await sync.locator("td").nth(4).textContent()) ?? "", /^in (under a minute|\d+s|\d+m)/, "next expected run");
    assert.match((await page.locator(`tr[data-job="${ids.get("weekly-digest")}"] td`).nth(4).textContent()) ?? "", /paused/);

    if (process.env.JOBMON_SCREENSHOT) await page.screenshot({ path: process.env.JOBMON_SCREENSHOT, fullPage: true });
  });

  it("shows a job error that holds HTML as text: no img element, no dialog", async () => {
    const page = await newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    for (const path of ["", `jobs/${ids.get("import-leads")}`]) {
      await page.goto(dashboard.url + path);
      const error = page.locator("pre.error", { hasText: XSS }).first();
      assert.ok(await error.isVisible(), `the error text is visible on /${path}`);
      assert.match((await error.textContent()) ?? "", /invalid input syntax for type json: "<img src=x onerror=alert\(1\)>"/);
      assert.equal(await page.locator("img").count(), 0, `no img element on /${path}`);
    }
    assert.deepEqual(dialogs, []);
  });

  it("filters by status, project and criticality without a reload, and keeps them in the URL", async () => {
    const page = await newPage();
    await page.goto(dashboard.url);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const visible = async () => (await rowsOf(page)).filter((r) => r.visible).map((r) => r.name);

    await page.selectOption("#f-status", "failed");
    assert.deepEqual(await visible(), ["import-leads", "dedupe-contacts"]);
    assert.equal(new URL(page.url()).search, "?status=failed");
    assert.equal(await page.locator("#shown").textContent(), "Showing 2 of 8 jobs");

    await page.selectOption("#f-project", "blingsting");
    assert.deepEqual(await visible(), ["dedupe-contacts"]);
    await page.selectOption("#f-criticality", "critical");
    assert.deepEqual(await visible(), []);
    assert.ok(await page.locator("#empty").isVisible(), "says that nothing matches");
    await page.selectOption("#f-status", "unhealthy");
    await page.selectOption("#f-project", "");
    assert.deepEqual(await visible(), ["import-leads"]);
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, "no page load happened");

    // The URL alone reproduces the view (the server applies the same filters).
    await page.goto(page.url());
    assert.equal(await page.inputValue("#f-status"), "unhealthy");
    assert.equal(await page.inputValue("#f-criticality"), "critical");
    assert.deepEqual(await visible(), ["import-leads"]);
  });

  it("a job's page shows its health log, its alert deliveries and its command with secrets redacted", async () => {
    const page = await newPage();
    await page.goto(dashboard.url);
    await page.click(`tr[data-job="${ids.get("import-leads")}"] th a`);
    await page.waitForURL(`**/jobs/${ids.get("import-leads")}`);
    assert.equal((await page.locator("h1").textContent())?.startsWith("import-leads"), true);
    const log = await page.$$eval("table.log tbody tr", (trs) => trs.map((tr) => Array.from(tr.children, (c) => (c.textContent ?? "").trim().replace(/\s+/g, " "))));
    // Newest first: the second check's row (with its run counts) and one row per failed run
    // it found, then the first check's row (before any run).
    assert.equal(log.length, 4);
    assert.deepEqual(log.slice(0, 3).map((r) => r[1]), ["✗ failed", "✗ failed", "✗ failed"]);
    assert.match(log[0]?.[3] ?? "", /^10\/12 ok$/);
    assert.match(log[1]?.[2] ?? "", /^run \d+/);
    assert.match(log[2]?.[2] ?? "", /^run \d+/);
    assert.ok(log.slice(1, 3).some((r) => /<img src=x onerror=alert\(1\)>/.test(r[4] ?? "")), "the XSS error shows as text");
    const deliveries = await page.$$eval("table.deliveries tbody tr", (trs) => trs.map((tr) => Array.from(tr.children, (c) => (c.textContent ?? "").trim().replace(/\s+/g, " "))));
    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0]?.[1], "✓ delivered");
    assert.match(deliveries[0]?.[2] ?? "", /^discord/);
    assert.equal(deliveries[0]?.[3], "new → failed");

    await page.goto(`${dashboard.url}jobs/${ids.get("crm-nightly-export")}`);
    const command = (await page.locator("pre.command").textContent()) ?? "";
    assert.match(command, /Bearer \[redacted\]/);
    assert.ok(!(await page.content()).includes(JWT.slice(0, 20)), "the key in the command never reaches the page");
    assert.ok(await page.getByText("No alerts for this job yet.").isVisible());
  });

  it("serves the same data as JSON, 405 for anything but GET and HEAD, with strict security headers", async () => {
    const res = await fetch(`${dashboard.url}api/status`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const directive of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), csp);
    assert.ok(!csp.includes("unsafe-inline"));
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    const status = (await res.json()) as { projects: { project_name: string }[]; jobs: { job_name: string; status: string; error_message: string | null; success_rate: { runs: number; failed: number } }[] };
    assert.equal(status.jobs.length, 8);
    assert.deepEqual(status.projects.map((p) => p.project_name), ["blingsting", "scraping", "smoothed"]);
    const imports = status.jobs.find((j) => j.job_name === "import-leads");
    assert.equal(imports?.error_message, XSS_ERROR, "JSON carries the raw (redacted) text; escaping is the page's job");
    assert.deepEqual(imports?.success_rate, { days: 7, runs: 12, failed: 2, rate: 10 / 12 });

    const job = (await (await fetch(`${dashboard.url}api/jobs/${ids.get("import-leads")}`)).json()) as { job: { job_name: string }; health_log: unknown[]; alert_deliveries: unknown[] };
    assert.equal(job.job.job_name, "import-leads");
    assert.equal(job.health_log.length, 4);
    assert.equal(job.alert_deliveries.length, 1);
    const missing = await fetch(`${dashboard.url}api/jobs/00000000-0000-0000-0000-000000000000`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /no job with id/);

    for (const [method, path] of [["POST", "api/status"], ["PUT", ""], ["DELETE", `api/jobs/${ids.get("import-leads")}`], ["POST", "login"]] as const) {
      const r = await fetch(dashboard.url + path, { method });
      assert.equal(r.status, 405, `${method} /${path}`);
      assert.equal(r.headers.get("allow"), "GET, HEAD");
      await r.body?.cancel();
    }
    const head = await request(dashboard.url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    // Without a token the page answers to loopback names only (no DNS rebinding).
    assert.equal((await request(dashboard.url, { headers: { Host: "attacker.example:80" } })).status, 403);
  });

  it("refuses to bind a non-loopback address without JOBMON_DASHBOARD_TOKEN, in the API and in the CLI", async () => {
    await assert.rejects(startDashboard({ monitor, host: "0.0.0.0", port: 0 }), (e: unknown) => e instanceof ConfigError && e.variable === "JOBMON_DASHBOARD_TOKEN" && /0\.0\.0\.0.*not a loopback/.test(e.message));
    await assert.rejects(startDashboard({ monitor, host: "0.0.0.0", port: 0, token: "short" }), /at least 16/);
    const out: string[] = [];
    const program = buildProgram({ env: {}, io: { out: (s) => out.push(s), err: (s) => out.push(s) }, setExitCode: () => {} });
    await assert.rejects(program.parseAsync(["serve", "--host", "::", "--port", "0"], { from: "user" }), (e: unknown) => e instanceof ConfigError && /JOBMON_DASHBOARD_TOKEN: must be set/.test(e.message));
    assert.deepEqual(out, [], "nothing was served");
  });

  it("with a token: 401 without it, 200 with the bearer token, and a login form that sets an HttpOnly SameSite=Strict cookie", async () => {
    const guarded = await startDashboard({ monitor, port: 0, token: TOKEN });
    try {
      const denied = await fetch(`${guarded.url}api/status`);
      assert.equal(denied.status, 401);
      assert.match(denied.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.ok(!(await denied.text()).includes("import-leads"));
      assert.equal((await fetch(`${guarded.url}api/status`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status, 401);
      const allowed = await fetch(`${guarded.url}api/status`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(allowed.status, 200);
      assert.equal(((await allowed.json()) as { jobs: unknown[] }).jobs.length, 8);

      const page = await newPage();
      const first = await page.goto(`${guarded.url}?status=failed`);
      assert.equal(first?.status(), 401);
      assert.equal(await page.locator("#jobs").count(), 0, "no data before signing in");
      await page.fill("#token", "not-the-token-at-all");
      await page.click("button[type=submit]");
      assert.match((await page.locator("[role=alert]").textContent()) ?? "", /not the one/);
      await page.fill("#token", TOKEN);
      await page.click("button[type=submit]");
      await page.waitForSelector("#jobs");
      assert.equal(new URL(page.url()).search, "?status=failed", "back where the sign-in started");
      const [cookie] = await page.context().cookies();
      assert.equal(cookie?.httpOnly, true);
      assert.equal(cookie?.sameSite, "Strict");
      assert.ok(!cookie?.value.includes(TOKEN), "the cookie is not the token itself");

      const form = (next: string) => new URLSearchParams({ token: TOKEN, next }).toString();
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${guarded.url}login`, { method: "POST", redirect: "manual", body, headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers } });
      assert.equal((await post(form("/"), { Origin: "http://attacker.example" })).status, 403, "a cross-site login is refused");
      const redirected = await post(form("//attacker.example/x"));
      assert.equal(redirected.status, 303);
      assert.equal(redirected.headers.get("location"), "/", "no open redirect after signing in");
    } finally {
      await guarded.close();
    }
  });

  it("refreshes itself: a new failure shows up without a reload", async () => {
    const live = await startDashboard({ monitor, port: 0, refreshSeconds: 1 });
    try {
      const page = await newPage();
      await page.goto(live.url);
      await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
      const row = `tr[data-job="${ids.get("sync-leads")}"]`;
      assert.equal(await page.getAttribute(row, "data-status"), "success");
      const [job] = await one.sql<{ jobid: number }>("select jobid from cron.job where jobname = 'sync-leads'");
      await insertRun(one, { jobid: job!.jobid, status: "failed", start_time: new Date(), end_time: new Date(), return_message: "ERROR:  relation \"leads_staging\" does not exist" });
      await monitor.checkHealth();
      await page.waitForSelector(`${row}[data-status="failed"]`, { timeout: 10_000 });
      assert.match((await page.locator(`${row} pre.error`).textContent()) ?? "", /leads_staging/);
      assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true);
    } finally {
      await live.close();
    }
  });

  it("escapes job names, projects, schedules, descriptions, commands and errors in the rendered HTML", () => {
    const now = new Date("2026-11-30T12:00:00Z");
    const evil = (tag: string) => `<${tag} onerror=alert(1)>"'&`;
    const row: JobRow = {
      id: "6f1a4f8e-0d5c-4b7e-9a55-3c2b1d0e9f11", project_name: `p${evil("b")}`, job_type: "pg_cron", job_name: `<script>alert(1)</script>`,
      schedule: `*/5 * * * * ${evil("i")}`, description: evil("svg"), success_criteria: evil("iframe"), criticality: null,
      last_seen_at: now, created_at: now, updated_at: now, source_id: evil("u"), command: `select net.http_post(headers := '{"Authorization": "Bearer ${JWT}"}') -- ${evil("object")}`,
      active: true, run_as: evil("em"), database_name: "postgres", source_meta: {}, first_seen_at: now, expected_since: now, removed_at: null,
      grace_seconds: null, max_runtime_seconds: null, failure_threshold: 1, muted_until: null, slow_factor: null, slow_after_seconds: null, status: "failed", status_since: now,
      status_reason: evil("a"), last_error: evil("img"), last_run_at: now, last_run_status: "failed",
      recent_runs: [{ runid: 1, status: evil("s"), start: null, end: null }], durations: {}, consecutive_failures: 1, down_since: now, alerted_status: null, alerted_at: null,
    };
    const entry = { id: row.id, project_name: row.project_name, job_type: "pg_cron", job_name: row.job_name, status: "failed", previous_status: "failed", reason: evil("a"), error_message: evil("img"), last_run_at: now.toISOString(), criticality: null, muted: false };
    const overview = buildOverview({ configuredProjects: [], projectStates: [], entries: [entry], rows: [row], runCounts: new Map(), query: new URLSearchParams(), now, secrets: [] });
    const detail = buildJobPage({ row, entry, project: undefined, runCounts: undefined, history: [], deliveries: [], now, secrets: [] });
    for (const page of [overviewPage(overview, { refreshSeconds: 30, now }).value, jobPage(detail, { refreshSeconds: 30, now }).value]) {
      assert.doesNotMatch(page, /<[a-z]+ onerror=/i, "no element from the data");
      assert.ok(!page.includes("<script>alert"));
      assert.ok(!page.includes(`"'&`), "quotes cannot end an attribute");
      assert.ok(page.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
      assert.ok(page.includes("&lt;img onerror=alert(1)&gt;&quot;&#39;&amp;"));
      assert.ok(!page.includes(JWT.slice(0, 20)), "the command's key is redacted");
    }
  });
});
