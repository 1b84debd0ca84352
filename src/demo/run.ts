import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pgliteStartParams } from "../db/pglite.js";
import { pgliteTemplate } from "../node/pglite-template.js";
import type { DeliveryReport } from "../alerts/deliver.js";
import { redactSecrets } from "../lib/redact.js";
import type { CheckReport } from "../check/index.js";
import { type Config, type Env, resolveConfig } from "../config.js";
import type { DiscoveryReport } from "../discovery.js";
import { JobmonError } from "../errors.js";
import type { JobRow } from "../hub/inventory.js";
import { MonitoringAPI } from "../monitor.js";
import { type AlertPreview, previewAlerts } from "./alerts.js";
import { SAMPLE_PROJECTS, sampleAnnotations, sampleProjectData, WATCHING_SECONDS } from "./sample.js";
import { createSampleDatabases, type SampleDatabases, sampleConnector } from "./sample-db.js";

/**
 * `jobmon demo`: the whole cycle — migrate, discover, annotate, check — through the real
 * MonitoringAPI, on an embedded hub and three sample projects, with no server and no
 * configuration. Only two things are the demo's own: the sample databases (sample-db.ts),
 * handed to the product through its ProjectConnector, and the clock of the discovery, set
 * WATCHING_SECONDS back so that the check judges jobs jobmon has been watching for a while
 * (a job first seen now is not expected to have run before now, so nothing could be
 * "missed" on a first look).
 *
 * Nothing is sent unless `send` is set; then the configured routes get the alerts through
 * the normal delivery (MonitoringAPI.deliverAlerts).
 */

export interface DemoOptions {
  /** The environment: only the alert routes (and JOBMON_DIR for `keep`) are read from it. */
  env: Env;
  /** Where to put the demo hub (kept afterwards). */
  dir?: string;
  /** Leave the demo hub in the default embedded hub directory (./.jobmon). */
  keep?: boolean;
  /** Send the alerts through the configured routes. */
  send?: boolean;
  cwd?: string;
  /** The clock (default: the system clock). */
  now?: () => Date;
}

export interface DemoTimings {
  sample_ms: number;
  hub_ms: number;
  discover_ms: number;
  check_ms: number;
  total_ms: number;
}

export interface DemoResult {
  hubDir: string;
  kept: boolean;
  /** The hub is where `jobmon` looks by default (./.jobmon or JOBMON_DIR): no JOBMON_DIR needed to explore it. */
  hubIsDefault: boolean;
  /** The instant the sample history ends at. */
  sampleAt: Date;
  watchingSince: Date;
  discovery: DiscoveryReport;
  /** job_inventory after the check, commands redacted. */
  inventory: JobRow[];
  check: CheckReport;
  alerts: AlertPreview;
  /** Set when `send`: what the normal delivery did. */
  delivery: DeliveryReport | null;
  /** Literal secrets of the configuration, for redacting what is printed. */
  secrets: string[];
  /** Things the user should know (e.g. a configured hub that `jobmon status` would read instead). */
  notes: string[];
  timings: DemoTimings;
}

/** A mistake in how the demo was asked for (an occupied directory, --send without routes). */
export class DemoUsageError extends JobmonError {
  constructor(message: string) {
    super("demo_usage", message, "configuration");
  }
}

/** Written into the demo hub's directory: a later demo may replace a directory that has it. */
export const DEMO_MARKER = "jobmon-demo.json";

const ROUTE_VARIABLES = ["DISCORD_WEBHOOK_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "TELEGRAM_API_URL", "JOBMON_DIR"] as const;

/**
 * The demo ignores the configured projects and hub: its own are made up. It keeps the
 * alert routes (for the preview and `--send`), resolved and validated as usual.
 */
function routeConfig(env: Env): Config {
  const picked: Record<string, string | undefined> = {};
  for (const name of ROUTE_VARIABLES) picked[name] = env[name];
  return resolveConfig(picked);
}

/** Makes `dir` ready for a demo hub: created, or emptied when an earlier demo left it. */
function prepareHubDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!entries.includes(DEMO_MARKER)) {
    throw new DemoUsageError(
      `${dir} is not empty (it may hold a real jobmon hub): the demo will not overwrite it; pass --dir with a new or empty directory, or remove ${dir} yourself`,
    );
  }
  if (entries.includes("hub.lock")) {
    throw new DemoUsageError(`the earlier demo hub in ${dir} is in use by another jobmon process (jobmon serve?): stop it, then run the demo again`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

const elapsed = (since: number): number => Math.round(performance.now() - since);

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const systemNow = options.now ?? (() => new Date());
  const cwd = options.cwd ?? process.cwd();
  const routes = routeConfig(options.env);
  if (options.send && !routes.discord.webhookUrl && !(routes.telegram.botToken && routes.telegram.chatId)) {
    throw new DemoUsageError("--send needs an alert route: set TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID, and/or DISCORD_WEBHOOK_URL (in the environment or .env)");
  }

  const kept = Boolean(options.dir || options.keep);
  const defaultHubDir = resolve(cwd, routes.hub.kind === "embedded" ? routes.hub.dir : ".jobmon");
  const hubDir = options.dir
    ? resolve(cwd, options.dir)
    : options.keep
      ? defaultHubDir
      : mkdtempSync(join(tmpdir(), "jobmon-demo-"));
  if (kept) prepareHubDir(hubDir);

  const notes: string[] = [];
  if (kept && (options.env.JOBMON_HUB || options.env.JOBMON_HUB_URL)) {
    notes.push("JOBMON_HUB or JOBMON_HUB_URL is set: `jobmon status` reads that hub, not the demo's; unset it to explore the demo hub");
  }

  let samples: SampleDatabases | null = null;
  let monitor: MonitoringAPI | null = null;
  try {
    samples = await createSampleDatabases(SAMPLE_PROJECTS);
    const sampleMs = elapsed(started);

    // The hub starts as a copy of a freshly initialised PGlite data directory, which saves a
    // second initdb; from there MonitoringAPI opens it like any embedded hub (lock, migrate).
    // Opening a new embedded hub copies the build's template by itself; only without one (run
    // from src/ before a build) is the sample's own pristine copy laid down here first.
    const hubStarted = performance.now();
    if (samples.pristine !== pgliteTemplate()) {
      const seed = await PGlite.create(join(hubDir, "pgdata"), { loadDataDir: samples.pristine, startParams: pgliteStartParams() });
      await seed.close();
    }

    // The sample history ends now: after the slow part, so the check sees it as fresh.
    const sampleAt = systemNow();
    const watchingSince = new Date(sampleAt.getTime() - WATCHING_SECONDS * 1000);
    await samples.load(SAMPLE_PROJECTS.map((project) => sampleProjectData(project, sampleAt)));
    writeFileSync(
      join(hubDir, DEMO_MARKER),
      `${JSON.stringify({ created_by: "jobmon demo", created_at: sampleAt.toISOString(), note: "a demo hub holding made-up sample projects; a later `jobmon demo` may replace this directory" }, null, 2)}\n`,
    );

    const config: Config = {
      ...routes,
      apiProjects: null,
      projects: SAMPLE_PROJECTS.map((name) => ({ name, source: "postgres" as const, url: `pglite://memory/${name}`, ref: null, envVar: "the jobmon demo" })),
      hub: { kind: "embedded", dir: hubDir },
      // Its own sample only: no Management API, no heartbeat, and no route while checking
      // (MonitoringAPI.checkHealth delivers at once; the preview shows what it would send).
      managementApi: { ...routes.managementApi, accessToken: null },
      heartbeatUrl: null,
      discord: { webhookUrl: null },
      telegram: { ...routes.telegram, botToken: null, chatId: null },
    };
    let offsetMs = sampleAt.getTime() - systemNow().getTime() - WATCHING_SECONDS * 1000;
    const clock = () => new Date(systemNow().getTime() + offsetMs);
    monitor = new MonitoringAPI({ config, connect: sampleConnector(samples.projects), now: clock, managementApi: null, hubWaitMs: 0 });
    const hub = await monitor.hub();
    const hubMs = elapsed(hubStarted);

    const discoverStarted = performance.now();
    const discovery = await monitor.auditAllProjects();
    for (const { ref, annotation } of sampleAnnotations(sampleAt)) await monitor.updateJob(ref, annotation);
    const discoverMs = elapsed(discoverStarted);

    offsetMs = 0;
    const checkStarted = performance.now();
    const { alerts: _undeliverable, heartbeat: _heartbeat, ...check } = await monitor.checkHealth();
    const checkMs = elapsed(checkStarted);

    const inventory = (await monitor.listJobs()).map((row) => ({ ...row, command: row.command === null ? null : redactSecrets(row.command, config.secrets) }));
    const alerts = await previewAlerts(hub, routes, watchingSince, SAMPLE_PROJECTS);
    let delivery: DeliveryReport | null = null;
    if (options.send) {
      const sender = new MonitoringAPI({ config: { ...config, discord: routes.discord, telegram: routes.telegram }, hub, now: clock, managementApi: null });
      delivery = await sender.deliverAlerts();
    }
    return {
      hubDir,
      kept,
      hubIsDefault: hubDir === defaultHubDir,
      sampleAt,
      watchingSince,
      discovery,
      inventory,
      check,
      alerts,
      delivery,
      secrets: config.secrets,
      notes,
      timings: { sample_ms: sampleMs, hub_ms: hubMs, discover_ms: discoverMs, check_ms: checkMs, total_ms: elapsed(started) },
    };
  } finally {
    await monitor?.close();
    await samples?.close();
    if (!kept) rmSync(hubDir, { recursive: true, force: true });
  }
}
