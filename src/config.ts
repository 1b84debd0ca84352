import { z } from "zod";
import { slackWebhookParts, slackWebhookProblem } from "./lib/slack-url.js";
import { redactUrl } from "./lib/redact.js";
import { parseDuration } from "./duration.js";
import { ConfigError } from "./errors.js";
import { CRITICALITIES, type Criticality } from "./types.js";

/**
 * Configuration, resolved once from the environment (plus `.env`, which the CLI merges in
 * before calling this) and validated. Everything inward takes the resolved `Config`.
 * This module is pure: no file or process access, so Edge Functions use it unchanged.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface ProjectConfig {
  /** Name used in the hub (`project_name`) and on the command line. */
  name: string;
  /**
   * How jobmon reads the project: `postgres` through its URL, `api` through the Supabase
   * Management API's read-only SQL endpoint with the access token (no database password).
   */
  source: "postgres" | "api";
  /** Postgres URL (source `postgres`; null for `api`); holds a password: print it only through `redactUrl`. */
  url: string | null;
  /** Supabase project ref, from JOBMON_PROJECT_REFS, the URL or the API's project list; null when unknown. */
  ref: string | null;
  /** The variable the project came from, for messages (`SUPABASE_ACCESS_TOKEN` for `api`). */
  envVar: string;
}

/** A project given by Postgres URL. */
export type UrlProjectConfig = ProjectConfig & { source: "postgres"; url: string };

/**
 * Which of the projects an access token lists jobmon monitors (JOBMON_PROJECTS): every one,
 * or the refs and names given, less the ones excluded with `!`. Names match the project's
 * Supabase name, case-insensitively.
 */
export interface ProjectSelection {
  all: boolean;
  include: string[];
  exclude: string[];
}

export type HubConfig =
  | { kind: "postgres"; url: string; source: string; projectName: string | null }
  | { kind: "embedded"; dir: string };

export interface Config {
  /** The projects given by Postgres URL (SUPABASE_POSTGRES_URL…). */
  projects: UrlProjectConfig[];
  /**
   * The projects to find through the Management API (with the access token): every project it
   * lists that has no URL above, narrowed by JOBMON_PROJECTS; null when only URLs are read.
   * On by default when a token is set and no URL is; with URLs, JOBMON_PROJECTS turns it on.
   */
  apiProjects: ProjectSelection | null;
  hub: HubConfig;
  managementApi: { accessToken: string | null; baseUrl: string };
  discord: { webhookUrl: string | null };
  telegram: { botToken: string | null; chatId: string | null; apiUrl: string };
  /** SLACK_WEBHOOK_URL: a Slack incoming webhook (its last path segment is a credential). */
  slack: { webhookUrl: string | null };
  /** JOBMON_WEBHOOK_URL + JOBMON_WEBHOOK_SECRET: the signed webhook (docs/webhook.md). */
  webhook: { url: string | null; secret: string | null };
  /** Per-project budget for one collection (connect + queries), in milliseconds. */
  projectTimeoutMs: number;
  /** Health log rows older than this are pruned. */
  retentionDays: number;
  /**
   * JOBMON_RUN_HISTORY_DAYS: how many days of cron.job_run_details the cleanup job that
   * `jobmon doctor --fix run-history-cleanup` schedules keeps (default 30).
   */
  runHistoryDays: number;
  /** Reminder interval in seconds while a job stays down, per criticality; absent = off. */
  reminders: Partial<Record<Criticality, number>>;
  /** Fetched (GET) after every completed check cycle: a dead man's switch for jobmon itself. */
  heartbeatUrl: string | null;
  /** Literal secrets (passwords, tokens) to redact from anything that leaves the process. */
  secrets: string[];
  /** How the Edge Function's scheduled cycle is spread over invocations (check/cycle.ts). */
  fanout: FanoutConfig;
}

/**
 * JOBMON_FANOUT (`auto`, `on`, `off`), JOBMON_FANOUT_BATCH (projects per worker invocation,
 * default chosen from the hub's job counts) and JOBMON_FANOUT_WINDOW (how long a cycle may take
 * before its unchecked projects are reported; default 10m). Only the Edge Function fans out:
 * the CLI checks in one process.
 */
export interface FanoutConfig {
  mode: "auto" | "on" | "off";
  batchProjects: number | null;
  windowSeconds: number;
}

export interface ResolveOptions {
  /** Variable whose value is the hub URL when neither JOBMON_HUB nor JOBMON_HUB_URL is set
   * (the Edge Function passes `SUPABASE_DB_URL`, the database it runs next to). */
  hubFallbackVariable?: string;
}

const POSTGRES_URL_VAR = /^SUPABASE_POSTGRES_URL(?:_(\d+))?$/;
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const PROJECT_REF = /^[a-z0-9]{3,40}$/;

const httpUrl = z.url({ protocol: /^https?$/ });

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** What a configuration error says about a user name or password that broke a URL. */
const PERCENT_ENCODE_HINT = "percent-encode the user name and password (# → %23, / → %2F, ? → %3F, @ → %40)";

// Placeholders in angle brackets: the redactor leaves them alone (no `user:password@` to hide).
const POSTGRES_URL_SHAPE = "postgresql://<user>:<password>@<host>:5432/postgres";

/**
 * A URL as an error message may show it, never its password, however it is malformed: with
 * an `@`, everything from the first `:` after `scheme://` to the last `@` becomes `***` (a
 * password holding a raw `@`, `/`, `?` or `#` is hidden whole); without one, anything after
 * a `:` in the host part that is not a port. Other secrets in it are redacted as usual. Text
 * without `://` is not shown at all: it could be a password pasted in the wrong place.
 */
function urlForMessage(raw: string): string | null {
  const schemeEnd = raw.indexOf("://");
  if (schemeEnd < 0) return null;
  const start = schemeEnd + 3;
  const lastAt = raw.lastIndexOf("@");
  let shown: string;
  if (lastAt >= start) {
    const userinfo = raw.slice(start, lastAt);
    const colon = userinfo.indexOf(":");
    shown = colon < 0 ? raw : `${raw.slice(0, start)}${userinfo.slice(0, colon)}:***${raw.slice(lastAt)}`;
  } else {
    const hostEnd = raw.slice(start).search(/[/?#]/);
    const end = hostEnd < 0 ? raw.length : start + hostEnd;
    const colon = raw.indexOf(":", start);
    shown = colon >= start && colon < end && !/^\d*$/.test(raw.slice(colon + 1, end)) ? `${raw.slice(0, colon + 1)}***${raw.slice(end)}` : raw;
  }
  return redactUrl(shown);
}

function shownInParentheses(raw: string): string {
  const shown = urlForMessage(raw);
  return shown === null ? "" : ` (${shown})`;
}

/**
 * Validates a Postgres URL; the error never repeats the password. A password holding a raw
 * `#`, `/` or `?` ends the host early — the parser then takes part of the password for the
 * host or port, and the rest, `@` and all, for the path, query or fragment — so an `@` after
 * the host is refused, with how to percent-encode.
 */
export function parsePostgresUrl(variable: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    const hint = raw.includes("@") ? `; ${PERCENT_ENCODE_HINT}` : "";
    throw new ConfigError(variable, `not a valid URL${shownInParentheses(raw)}${hint}; expected ${POSTGRES_URL_SHAPE}`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(variable, `expected a postgresql:// URL, got ${url.protocol}//${shownInParentheses(raw)}`);
  }
  if (`${url.pathname}${url.search}${url.hash}`.includes("@")) {
    throw new ConfigError(variable, `the URL has an "@" after its host${shownInParentheses(raw)}: a password or user name holding #, /, ? or @ breaks it; ${PERCENT_ENCODE_HINT}`);
  }
  if (!url.hostname) throw new ConfigError(variable, `the URL has no host${shownInParentheses(raw)}`);
  if (url.port && !(Number(url.port) > 0 && Number(url.port) < 65536)) {
    throw new ConfigError(variable, `invalid port ${url.port}`);
  }
  return url;
}

/** The Supabase project ref visible in a URL: `db.<ref>.supabase.co` or user `postgres.<ref>`. */
export function projectRefFromUrl(url: URL): string | null {
  const direct = /^db\.([a-z0-9]+)\.supabase\.(?:co|in|net)$/.exec(url.hostname);
  if (direct?.[1]) return direct[1];
  const pooled = /^[^.]+\.([a-z0-9]+)$/.exec(decodeURIComponent(url.username));
  if (pooled?.[1] && url.hostname.endsWith(".supabase.com")) return pooled[1];
  return null;
}

function list(env: Env, name: string): string[] | undefined {
  const raw = value(env, name);
  return raw === undefined ? undefined : raw.split(",").map((s) => s.trim());
}

/**
 * JOBMON_PROJECTS: `all`, or a comma list of refs and names, `!ref` (or `!name`) to leave one
 * out. Without it, a token and no URL mean every project the token lists.
 */
function resolveProjectSelection(env: Env, hasToken: boolean, hasUrls: boolean): ProjectSelection | null {
  const items = list(env, "JOBMON_PROJECTS")?.filter((item) => item !== "");
  if (items === undefined || items.length === 0) return hasToken && !hasUrls ? { all: true, include: [], exclude: [] } : null;
  if (!hasToken) {
    throw new ConfigError("JOBMON_PROJECTS", "selects projects from the Management API's list: set SUPABASE_ACCESS_TOKEN (JOBMON_ACCESS_TOKEN on Supabase) too");
  }
  const exclude = items.filter((item) => item.startsWith("!")).map((item) => item.slice(1).trim());
  const include = items.filter((item) => !item.startsWith("!") && item.toLowerCase() !== "all");
  if (exclude.some((item) => item === "")) throw new ConfigError("JOBMON_PROJECTS", "a lone `!`: write `!<ref or name>` to leave a project out");
  const all = include.length === 0 || items.some((item) => item.toLowerCase() === "all");
  return { all, include: all ? [] : include, exclude };
}

function projectUrls(env: Env): { envVar: string; url: string }[] {
  const found: { n: number; envVar: string; url: string }[] = [];
  for (const key of Object.keys(env)) {
    const match = POSTGRES_URL_VAR.exec(key);
    const url = value(env, key);
    if (!match || url === undefined) continue;
    const n = match[1] === undefined ? 1 : Number(match[1]);
    if (n < 1) throw new ConfigError(key, "numbering starts at SUPABASE_POSTGRES_URL (the first) and SUPABASE_POSTGRES_URL_2");
    found.push({ n, envVar: key, url });
  }
  found.sort((a, b) => a.n - b.n);
  found.forEach((entry, i) => {
    const previous = found[i - 1];
    if (previous?.n === entry.n) {
      throw new ConfigError(entry.envVar, `both ${previous.envVar} and ${entry.envVar} are set: they name the same (first) project`);
    }
    if (entry.n !== i + 1) {
      const missing = i + 1 === 1 ? "SUPABASE_POSTGRES_URL" : `SUPABASE_POSTGRES_URL_${i + 1}`;
      throw new ConfigError(entry.envVar, `is set but ${missing} is not: number the projects without gaps`);
    }
  });
  return found;
}

function resolveProjects(env: Env): UrlProjectConfig[] {
  const urls = projectUrls(env);
  const names = list(env, "JOBMON_PROJECT_NAMES");
  const refs = list(env, "JOBMON_PROJECT_REFS");
  if (names && names.length !== urls.length) {
    throw new ConfigError("JOBMON_PROJECT_NAMES", `lists ${names.length} name(s) but ${urls.length} SUPABASE_POSTGRES_URL* variable(s) are set; give one name per URL, in order`);
  }
  if (refs && refs.length !== urls.length) {
    throw new ConfigError("JOBMON_PROJECT_REFS", `lists ${refs.length} ref(s) but ${urls.length} SUPABASE_POSTGRES_URL* variable(s) are set; give one per URL, in order (leave a blank between commas for an unknown ref)`);
  }
  const seen = new Set<string>();
  return urls.map(({ envVar, url }, i) => {
    const parsed = parsePostgresUrl(envVar, url);
    const givenRef = refs?.[i] || undefined;
    if (givenRef !== undefined && !PROJECT_REF.test(givenRef)) {
      throw new ConfigError("JOBMON_PROJECT_REFS", `"${givenRef}" is not a Supabase project ref (lowercase letters and digits)`);
    }
    const ref = givenRef ?? projectRefFromUrl(parsed);
    const name = names?.[i] || ref || `project_${i + 1}`;
    if (!PROJECT_NAME.test(name)) {
      throw new ConfigError("JOBMON_PROJECT_NAMES", `"${name}" is not a valid project name (letters, digits, '_', '.', '-'; no '/' or spaces)`);
    }
    if (seen.has(name)) throw new ConfigError("JOBMON_PROJECT_NAMES", `the project name "${name}" is used twice`);
    seen.add(name);
    return { name, source: "postgres", url, ref, envVar };
  });
}

function resolveHub(env: Env, projects: UrlProjectConfig[], options: ResolveOptions): HubConfig {
  const hubName = value(env, "JOBMON_HUB");
  const hubUrl = value(env, "JOBMON_HUB_URL");
  if (hubName && hubUrl) throw new ConfigError("JOBMON_HUB_URL", "set either JOBMON_HUB (a project name) or JOBMON_HUB_URL, not both");
  if (hubName) {
    const project = projects.find((p) => p.name === hubName);
    if (!project) {
      const known = projects.map((p) => p.name).join(", ") || "none configured";
      throw new ConfigError("JOBMON_HUB", `"${hubName}" is not one of the configured projects (${known})`);
    }
    return { kind: "postgres", url: project.url, source: `JOBMON_HUB=${hubName}`, projectName: project.name };
  }
  if (hubUrl) {
    parsePostgresUrl("JOBMON_HUB_URL", hubUrl);
    return { kind: "postgres", url: hubUrl, source: "JOBMON_HUB_URL", projectName: null };
  }
  const fallback = options.hubFallbackVariable && value(env, options.hubFallbackVariable);
  if (options.hubFallbackVariable && fallback) {
    parsePostgresUrl(options.hubFallbackVariable, fallback);
    return { kind: "postgres", url: fallback, source: options.hubFallbackVariable, projectName: null };
  }
  return { kind: "embedded", dir: value(env, "JOBMON_DIR") ?? ".jobmon" };
}

function optionalHttpUrl(env: Env, name: string, fallback: string | null): string | null {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const result = httpUrl.safeParse(raw);
  const hint = raw.includes("@") ? `; ${PERCENT_ENCODE_HINT}` : "";
  if (!result.success) throw new ConfigError(name, `not a valid http(s) URL${shownInParentheses(raw)}${hint}`);
  // A password with a raw `#`, `/` or `?` that still parses: its start became a port, its rest (and `@`) the path.
  const url = new URL(raw);
  if (url.username === "" && url.port !== "" && `${url.pathname}${url.search}${url.hash}`.includes("@")) {
    throw new ConfigError(name, `the URL has an "@" after its host${shownInParentheses(raw)}; ${PERCENT_ENCODE_HINT}`);
  }
  return raw.replace(/\/+$/, "");
}

/** The signing key of the generic webhook: long enough that it cannot be guessed. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

function resolveWebhook(env: Env): { url: string | null; secret: string | null } {
  const url = optionalHttpUrl(env, "JOBMON_WEBHOOK_URL", null);
  const secret = value(env, "JOBMON_WEBHOOK_SECRET") ?? null;
  if (url !== null && secret === null) {
    throw new ConfigError("JOBMON_WEBHOOK_SECRET", "is required with JOBMON_WEBHOOK_URL: every request is signed with it (docs/webhook.md); e.g. `openssl rand -hex 32`");
  }
  if (secret !== null && secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
    throw new ConfigError("JOBMON_WEBHOOK_SECRET", `must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters long; e.g. \`openssl rand -hex 32\``);
  }
  if (url === null && secret !== null) throw new ConfigError("JOBMON_WEBHOOK_URL", "is required with JOBMON_WEBHOOK_SECRET");
  return { url, secret };
}

function resolveSlack(env: Env): string | null {
  const raw = value(env, "SLACK_WEBHOOK_URL");
  if (raw === undefined) return null;
  const problem = slackWebhookProblem(raw);
  if (problem !== null) throw new ConfigError("SLACK_WEBHOOK_URL", problem);
  return raw;
}

/** The password of a URL, if it has one. */
function urlPassword(url: string | null): string {
  if (url === null) return "";
  try {
    return new URL(url).password;
  } catch {
    return "";
  }
}

const FANOUT_MODES = ["auto", "on", "off"] as const;

function fanoutConfig(env: Env): FanoutConfig {
  const rawMode = value(env, "JOBMON_FANOUT")?.toLowerCase() ?? "auto";
  const mode = FANOUT_MODES.find((m) => m === rawMode);
  if (!mode) throw new ConfigError("JOBMON_FANOUT", `"${rawMode}" is not one of ${FANOUT_MODES.join(", ")}`);
  const rawBatch = value(env, "JOBMON_FANOUT_BATCH");
  let batchProjects: number | null = null;
  if (rawBatch !== undefined) {
    batchProjects = Number(rawBatch);
    if (!Number.isInteger(batchProjects) || batchProjects < 1 || batchProjects > 1000) {
      throw new ConfigError("JOBMON_FANOUT_BATCH", `"${rawBatch}" is not a number of projects per worker between 1 and 1000`);
    }
  }
  const windowSeconds = durationSeconds(env, "JOBMON_FANOUT_WINDOW", 600, 30) as number;
  return { mode, batchProjects, windowSeconds };
}

function durationSeconds(env: Env, name: string, fallback: number | null, min = 1): number | null {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const seconds = parseDuration(raw);
  if (seconds === null || seconds < min) throw new ConfigError(name, `"${raw}" is not a duration such as 90s, 30m, 4h or 1d`);
  return seconds;
}

/**
 * `supabase secrets set` refuses names that start with `SUPABASE_` (reserved for the
 * platform's own SUPABASE_URL, SUPABASE_DB_URL …), so the variables under that
 * prefix are also accepted as `JOBMON_…`: JOBMON_POSTGRES_URL, JOBMON_POSTGRES_URL_2 …,
 * JOBMON_ACCESS_TOKEN, JOBMON_API_URL — everywhere, so one `.env` serves the CLI and the
 * Edge Functions alike.
 */
const RESERVED_PREFIX_ALIASES: readonly RegExp[] = [/^JOBMON_(POSTGRES_URL(?:_\d+)?)$/, /^JOBMON_(ACCESS_TOKEN)$/, /^JOBMON_(API_URL)$/];

export function withJobmonAliases(env: Env): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const [name, raw] of Object.entries(env)) {
    const match = RESERVED_PREFIX_ALIASES.map((re) => re.exec(name)).find((m) => m !== null);
    const aliased = value(env, name);
    if (!match?.[1] || aliased === undefined) continue;
    const target = `SUPABASE_${match[1]}`;
    const existing = value(env, target);
    if (existing !== undefined && existing !== aliased) {
      throw new ConfigError(name, `both ${name} and ${target} are set, to different values: keep one (on Supabase, ${name})`);
    }
    out[target] = raw;
  }
  return out;
}

export function resolveConfig(rawEnv: Env, options: ResolveOptions = {}): Config {
  const env = withJobmonAliases(rawEnv);
  const projects = resolveProjects(env);
  const hub = resolveHub(env, projects, options);

  const botToken = value(env, "TELEGRAM_BOT_TOKEN") ?? null;
  if (botToken !== null && !/^\d+:[A-Za-z0-9_-]+$/.test(botToken)) {
    throw new ConfigError("TELEGRAM_BOT_TOKEN", "expected a bot token of the form 123456789:AAE… (from @BotFather)");
  }
  const chatId = value(env, "TELEGRAM_CHAT_ID") ?? null;
  if (chatId !== null && !/^(-?\d+|@[A-Za-z0-9_]{4,})$/.test(chatId)) {
    throw new ConfigError("TELEGRAM_CHAT_ID", "expected a numeric chat id (e.g. -1001234567890) or @channelusername");
  }
  const webhookUrl = optionalHttpUrl(env, "DISCORD_WEBHOOK_URL", null);
  const slackWebhookUrl = resolveSlack(env);
  const webhook = resolveWebhook(env);
  const accessToken = value(env, "SUPABASE_ACCESS_TOKEN") ?? null;
  const apiProjects = resolveProjectSelection(env, accessToken !== null, projects.length > 0);

  const retention = value(env, "JOBMON_RETENTION_DAYS");
  const retentionDays = retention === undefined ? 90 : Number(retention);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new ConfigError("JOBMON_RETENTION_DAYS", `"${retention}" is not a whole number of days (at least 1)`);
  }

  const runHistory = value(env, "JOBMON_RUN_HISTORY_DAYS");
  const runHistoryDays = runHistory === undefined ? 30 : Number(runHistory);
  if (!/^\d+$/.test(runHistory ?? "30") || !Number.isSafeInteger(runHistoryDays) || runHistoryDays < 1 || runHistoryDays > 3650) {
    throw new ConfigError("JOBMON_RUN_HISTORY_DAYS", `"${runHistory}" is not a whole number of days from 1 to 3650`);
  }

  const reminders: Partial<Record<Criticality, number>> = {};
  for (const criticality of CRITICALITIES) {
    const seconds = durationSeconds(env, `JOBMON_REMIND_${criticality.toUpperCase()}`, null, 60);
    if (seconds !== null) reminders[criticality] = seconds;
  }

  const secrets = [
    ...projects.map((p) => urlPassword(p.url)),
    hub.kind === "postgres" ? new URL(hub.url).password : "",
    botToken ?? "",
    accessToken ?? "",
    webhookUrl ? (new URL(webhookUrl).pathname.split("/").pop() ?? "") : "",
    value(env, "JOBMON_FUNCTION_SECRET") ?? "",
    slackWebhookUrl === null ? "" : (slackWebhookParts(slackWebhookUrl)?.secret ?? ""),
    webhook.secret ?? "",
    urlPassword(webhook.url),
  ]
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .filter((s) => s.length >= 4);

  return {
    projects,
    apiProjects,
    hub,
    managementApi: {
      accessToken,
      baseUrl: optionalHttpUrl(env, "SUPABASE_API_URL", "https://api.supabase.com") as string,
    },
    discord: { webhookUrl },
    telegram: {
      botToken,
      chatId,
      apiUrl: optionalHttpUrl(env, "TELEGRAM_API_URL", "https://api.telegram.org") as string,
    },
    slack: { webhookUrl: slackWebhookUrl },
    webhook,
    projectTimeoutMs: (durationSeconds(env, "JOBMON_PROJECT_TIMEOUT", 20) as number) * 1000,
    retentionDays,
    runHistoryDays,
    reminders,
    heartbeatUrl: optionalHttpUrl(env, "JOBMON_HEARTBEAT_URL", null),
    secrets: [...new Set(secrets)],
    fanout: fanoutConfig(env),
  };
}
