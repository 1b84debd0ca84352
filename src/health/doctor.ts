/**
 * `jobmon doctor`'s judgement: what a project's pg_cron and pg_net set-up gets wrong, each
 * finding with what, why, and the exact SQL or setting that fixes it. Pure: the reads come in
 * (sources/doctor.ts), `now` comes from the database's clock, nothing is printed or changed.
 * Facts it relies on are in docs/platform.md ("pg_cron", "pg_net", "Supabase roles").
 */
import { formatDuration, parseIntervalSeconds } from "../duration.js";
import { errorMessage } from "../errors.js";
import { redactSecrets, secretKinds } from "../lib/redact.js";
import type { DoctorJob, DoctorRead, DoctorSetting, JobActivity, RunHistoryStats } from "../sources/doctor.js";
import { ACTIVITY_WINDOW_RUNS } from "../sources/doctor.js";
import { cronJobNames } from "../sources/pgcron.js";
import { neverFiresReason, nextFireTime, parsePgCronVersion, parseSchedule } from "./schedule/index.js";

export type FindingSeverity = "critical" | "warning" | "info";

export interface Finding {
  /** Stable: `run-history-cleanup`, or `<rule>:<jobid>` for a job's finding (what `--fix` takes). */
  id: string;
  severity: FindingSeverity;
  /** What is wrong, in one sentence (secrets never included). */
  what: string;
  /** Why it matters. */
  why: string;
  /** The exact SQL or setting that fixes it. */
  fix: string;
  /** `jobmon doctor --fix <id>` can apply `fix` (only where it is safe to run as it is). */
  fixable: boolean;
}

/** cron.job_run_details in numbers (null where the role could not read it). */
export interface RunHistorySummary {
  bytes: number;
  rows: number;
  rows_exact: boolean;
  runs_last_day: number | null;
  runs_last_week: number | null;
  oldest_age_days: number | null;
  /** Jobs whose command deletes from cron.job_run_details, by name. */
  cleanup_jobs: string[];
}

export interface DoctorJudgement {
  findings: Finding[];
  history: RunHistorySummary | null;
  /** Whether `--fix` can run here, and why not. */
  writable: { ok: boolean; reason: string | null };
}

export interface DoctorContext {
  /** How the project is read: `api` is the Management API's read-only endpoint. */
  source: "postgres" | "api";
  /** JOBMON_RUN_HISTORY_DAYS. */
  runHistoryDays: number;
  /** Literal secrets to keep out of error texts. */
  secrets?: readonly string[];
}

/** The name the history cleanup job is scheduled under. */
export const HISTORY_CLEANUP_JOB = "jobmon-history-cleanup";
/** When it runs (daily, in cron.timezone). */
export const HISTORY_CLEANUP_SCHEDULE = "17 3 * * *";
/** Rows deleted per transaction: each batch's locks are held only while it runs. */
export const HISTORY_CLEANUP_BATCH = 10_000;
/** jobmon reads pg_net's responses at least this often (the check interval). */
export const CHECK_INTERVAL_SECONDS = 15 * 60;
/** A job inactive without a run for this long is left over. */
export const INACTIVE_DAYS = 30;

const DAY = 86_400;
const HISTORY_FINDING = "run-history-cleanup";

/**
 * The cleanup job's command: delete the runs that ended more than `days` ago, 10,000 rows (by
 * runid, the primary key) per transaction, until none is left. Runs still open (no end_time)
 * are never touched.
 */
export function historyCleanupCommand(days: number): string {
  if (!Number.isSafeInteger(days) || days < 1) throw new TypeError(`expected a whole number of days, got ${String(days)}`);
  return `do $cleanup$
declare
  deleted bigint;
begin
  loop
    delete from cron.job_run_details
     where runid in (select runid from cron.job_run_details
                      where end_time < now() - interval '${days} days'
                      order by runid limit ${HISTORY_CLEANUP_BATCH});
    get diagnostics deleted = row_count;
    exit when deleted = 0;
    commit;
  end loop;
end
$cleanup$`;
}

/** The statement that schedules it (under its own name: running it again replaces it). */
export function historyCleanupSql(days: number): string {
  return `select cron.schedule('${HISTORY_CLEANUP_JOB}', '${HISTORY_CLEANUP_SCHEDULE}', $jobmon$${historyCleanupCommand(days)}$jobmon$)`;
}

/** A command that deletes from cron.job_run_details. */
export function isHistoryCleanup(command: string): boolean {
  return /\bdelete\s+from\s+(?:"?cron"?\s*\.\s*)?"?job_run_details\b/i.test(command);
}

/** A command that calls a URL (pg_net, http extension, an Edge Function path). */
function callsUrl(command: string): boolean {
  return /https?:\/\/|\bnet\s*\.\s*http_|\bhttp_(?:get|post|request)\s*\(|\/functions\/v1\//i.test(command);
}

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
const megabytes = (bytes: number) => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

export function judgeDoctor(read: DoctorRead, ctx: DoctorContext): DoctorJudgement {
  const findings: Finding[] = [];
  const role = read.facts.role;
  const why = (error: Error) => redactSecrets(errorMessage(error), ctx.secrets ?? []);
  const cannotSee = (part: string, what: string, cost: string, error: Error) =>
    findings.push({
      id: `cannot-see-${part}`,
      severity: "warning",
      what: `role ${role} cannot see ${what} (${why(error)})`,
      why: `the doctor cannot judge ${cost}`,
      fix: `connect as a role that can read it (on Supabase: postgres, through the project's Postgres URL)`,
      fixable: false,
    });

  if (read.facts.pgCronVersion === null) {
    findings.push({ id: "pg-cron-absent", severity: "info", what: "pg_cron is not installed in this database", why: "there are no cron jobs to audit here", fix: "create extension pg_cron (in the database named by cron.database_name)", fixable: false });
  }
  const settings = read.settings instanceof Error ? null : read.settings;
  if (read.settings instanceof Error) cannotSee("settings", "pg_settings", "any pg_cron or pg_net setting", read.settings);
  const setting = (name: DoctorSetting): string | null => settings?.[name]?.setting ?? null;
  const on = (name: DoctorSetting): boolean | null => {
    const v = setting(name);
    return v === null ? null : v === "on" || v === "true";
  };

  const jobs = read.jobs instanceof Error ? null : read.jobs;
  if (read.jobs instanceof Error) cannotSee("jobs", "cron.job", "the jobs (missing roles and databases, duplicates, schedules, secrets)", read.jobs);
  const activity = read.activity instanceof Error ? null : read.activity;
  if (read.activity instanceof Error) cannotSee("runs", "cron.job_run_details", "the runs (growth, inactive jobs, saturation)", read.activity);
  const history = read.history instanceof Error ? null : read.history;
  if (read.history instanceof Error && !(read.activity instanceof Error)) cannotSee("history-size", "cron.job_run_details' size", "the size of the run history", read.history);

  const names = cronJobNames(jobs ?? []);
  const label = (job: DoctorJob) => `job ${names.get(job.jobid) ?? job.jobid} (jobid ${job.jobid})`;
  const secretJobs = (jobs ?? []).map((job) => ({ job, kinds: callsUrl(job.command) ? secretKinds(job.command) : [] })).filter((s) => s.kinds.length > 0);

  // --- pg_cron settings -----------------------------------------------------------------
  if (read.facts.pgCronVersion !== null) {
    if (on("cron.log_run") === false) {
      findings.push({
        id: "cron-log-run-off",
        severity: "critical",
        what: "cron.log_run is off: pg_cron writes no row to cron.job_run_details",
        why: "without run rows nothing can be judged: no failure, no missed or stuck run is ever seen, by jobmon or anyone",
        fix: "cron.log_run = on in postgresql.conf (as a superuser: ALTER SYSTEM SET cron.log_run = on;), then restart PostgreSQL",
        fixable: false,
      });
    }
    if (on("cron.log_statement") === true) {
      const leaks = secretJobs.length > 0;
      findings.push({
        id: "cron-log-statement",
        severity: leaks ? "warning" : "info",
        what: `cron.log_statement is on: every job's command is written to the server log before it runs${leaks ? `, and ${plural(secretJobs.length, "command")} carry a secret` : ""}`,
        why: leaks ? "the secrets inline in those commands end up in the server log, readable by whoever reads the logs" : "the server log repeats every command at every run (noise and log volume)",
        fix: "cron.log_statement = off in postgresql.conf (as a superuser: ALTER SYSTEM SET cron.log_statement = off;), then restart PostgreSQL",
        fixable: false,
      });
    }
    const maxRunning = Number(setting("cron.max_running_jobs"));
    const maxWorkers = Number(setting("max_worker_processes"));
    if (on("cron.use_background_workers") === true && Number.isFinite(maxRunning) && Number.isFinite(maxWorkers) && setting("cron.max_running_jobs") !== null && setting("max_worker_processes") !== null) {
      // The launcher and pg_net's worker take a slot each; parallel query takes its own.
      const needed = maxRunning + 2;
      if (maxWorkers < needed) {
        findings.push({
          id: "cron-worker-slots",
          severity: "warning",
          what: `cron.use_background_workers is on with max_worker_processes = ${maxWorkers}, fewer than cron.max_running_jobs (${maxRunning}) plus pg_cron's launcher and pg_net's worker`,
          why: "each running job takes a background worker slot: when the slots run out, runs fail to start (\"could not start background process\") while cron.max_running_jobs still allows them",
          fix: `max_worker_processes = ${needed} (or more; parallel query workers come out of the same pool) in postgresql.conf, then restart PostgreSQL; or lower cron.max_running_jobs to ${Math.max(1, maxWorkers - 2)}`,
          fixable: false,
        });
      }
    }
    const window = activity?.find((a) => a.jobid === null);
    const peak = typeof read.peak === "number" ? read.peak : null;
    if (setting("cron.max_running_jobs") !== null && Number.isFinite(maxRunning) && maxRunning > 0 && window) {
      const openNow = window.open_runs;
      if (openNow >= maxRunning || (peak !== null && peak >= maxRunning)) {
        findings.push({
          id: "cron-max-running-jobs",
          severity: "warning",
          what:
            `cron.max_running_jobs (${maxRunning}) is reached: ${plural(openNow, "run")} open now${window.starting_runs > 0 ? ` (${window.starting_runs} waiting in starting)` : ""}` +
            `${peak !== null ? `, at most ${peak} running at once in the last day` : ""}`,
          why: "a job due while all slots are taken waits for one: it starts late, and a long run holds back every other job",
          fix: `cron.max_running_jobs = ${Math.max(maxRunning * 2, maxRunning + 8)} in postgresql.conf (then restart PostgreSQL; keep max_connections, or max_worker_processes with background workers, above it), or spread the schedules so fewer runs overlap`,
          fixable: false,
        });
      }
    }
    judgeTimezone(read, jobs, setting("cron.timezone") ?? read.facts.cronTimezone, findings);
  }

  // --- jobs ---------------------------------------------------------------------------------
  const version = parsePgCronVersion(read.facts.pgCronVersion);
  const now = history ? new Date(history.now_epoch * 1000) : null;
  const byKey = new Map<string, DoctorJob[]>();
  for (const job of jobs ?? []) {
    const gone = [
      { missing: !job.database_exists, id: "job-missing-database", what: `runs in database ${job.database}`, fails: "connect", change: "database := '<an existing database>'", as: "" },
      { missing: !job.role_exists, id: "job-missing-role", what: `runs as role ${job.username}`, fails: "log in", change: "username := '<an existing role>'", as: "as a superuser: " },
    ];
    for (const g of gone.filter((g) => g.missing)) {
      findings.push({
        id: `${g.id}:${job.jobid}`,
        severity: "critical",
        what: `${label(job)} ${g.what}, which no longer exists`,
        why: `every run fails to ${g.fails}: the job has stopped doing its work`,
        fix: `${g.as}select cron.alter_job(${job.jobid}, ${g.change}); -- or, if it is obsolete: select cron.unschedule(${job.jobid});`,
        fixable: false,
      });
    }
    const parsed = parseSchedule(job.schedule, version);
    if (!parsed.ok) {
      findings.push({
        id: `job-never-fires:${job.jobid}`,
        severity: "warning",
        what: `${label(job)} has the schedule "${job.schedule}", which pg_cron ${version} does not accept (${parsed.error})`,
        why: "the launcher cannot run a schedule it cannot parse: the job never fires",
        fix: `select cron.alter_job(${job.jobid}, schedule := '<a valid schedule>'); -- check it with: jobmon schedule '<schedule>' --pg-cron ${version}`,
        fixable: false,
      });
    } else if (parsed.schedule.kind === "cron") {
      const reason = neverFiresReason(parsed.schedule) ?? (now && nextFireTime(parsed.schedule, now, "GMT") === null ? "no fire time within the search horizon" : null);
      if (reason !== null) {
        findings.push({
          id: `job-never-fires:${job.jobid}`,
          severity: "warning",
          what: `${label(job)} has the schedule "${job.schedule}", which never fires on pg_cron ${version}: ${reason}`,
          why: job.active ? "an active job that never runs does nothing, and looks scheduled" : "the job is inactive anyway, but its schedule would never fire",
          fix: `select cron.alter_job(${job.jobid}, schedule := '<a schedule that fires>'); -- or: select cron.unschedule(${job.jobid});`,
          fixable: false,
        });
      }
    }
    const key = JSON.stringify([job.schedule.trim(), job.command.trim(), job.database]);
    byKey.set(key, [...(byKey.get(key) ?? []), job]);
  }
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    const [keep, ...others] = group as [DoctorJob, ...DoctorJob[]];
    for (const job of others) {
      findings.push({
        id: `job-duplicate:${job.jobid}`,
        severity: "warning",
        what: `${label(job)} has the same schedule and command as ${label(keep)}`,
        why: "the command runs twice at every fire time: double work, double writes, and the two runs may lock each other",
        fix: `select cron.unschedule(${job.jobid});`,
        fixable: false,
      });
    }
  }
  judgeInactive(jobs, activity, history, label, findings);
  for (const { job, kinds } of secretJobs) {
    findings.push({
      id: `job-inline-secret:${job.jobid}`,
      severity: "warning",
      what: `${label(job)} calls a URL with ${kinds.join(" and ")} written into its command`,
      why: "cron.job is readable by every role that can see the job, its command is copied into cron.job_run_details at every run and into the server log with cron.log_statement: the secret spreads and cannot be rotated in one place",
      fix: "store it in Vault once (select vault.create_secret('<value>', '<name>');) and read it in the command: (select decrypted_secret from vault.decrypted_secrets where name = '<name>'); then select cron.alter_job(" +
        `${job.jobid}, command := '<the command reading the secret from Vault>');`,
      fixable: false,
    });
  }

  // --- run history ----------------------------------------------------------------------------
  const summary = read.facts.pgCronVersion === null ? null : historySummary(history, activity, jobs, names);
  if (summary !== null && jobs !== null) judgeHistory(summary, history, ctx, findings);

  // --- pg_net ---------------------------------------------------------------------------------
  if (read.facts.pgNet !== "absent") judgeNet(read, settings === null ? null : setting, findings, cannotSee);

  // --- the monitoring role --------------------------------------------------------------------
  const writable = writability(read, ctx);
  judgeRole(read, writable, findings);

  const order: Record<FindingSeverity, number> = { critical: 0, warning: 1, info: 2 };
  findings.sort((a, b) => order[a.severity] - order[b.severity]);
  return { findings, history: summary, writable };
}

/** Hours of a local business day, as pg_cron reads them in GMT. */
const BUSINESS_HOURS = { from: 8, to: 18 };

/**
 * A heuristic, stated as one: schedules with fixed hours that all sit in a local business day
 * while cron.timezone is GMT were probably written in local time.
 */
function judgeTimezone(read: DoctorRead, jobs: DoctorJob[] | null, timezone: string | null, findings: Finding[]): void {
  if (jobs === null) return;
  const version = parsePgCronVersion(read.facts.pgCronVersion);
  const zone = version === "1.4" ? "GMT" : (timezone ?? (read.facts.readsSettings ? "GMT" : null));
  if (zone === null || !/^(?:GMT|UTC|Etc\/(?:GMT|UTC)|Z|UCT|Universal|Zulu)$/i.test(zone)) return;
  const fixed = jobs.flatMap((job) => {
    const parsed = parseSchedule(job.schedule, version);
    return parsed.ok && parsed.schedule.kind === "cron" && !parsed.schedule.hourStar && job.active ? [parsed.schedule.hours] : [];
  });
  const business = fixed.filter((hours) => hours.length > 0 && hours.every((h) => h >= BUSINESS_HOURS.from && h <= BUSINESS_HOURS.to));
  if (fixed.length >= 3 && business.length / fixed.length >= 0.75) {
    findings.push({
      id: "cron-timezone",
      severity: "info",
      what:
        `cron.timezone is ${zone}, and ${business.length} of the ${fixed.length} active jobs with fixed hours run only between ` +
        `${String(BUSINESS_HOURS.from).padStart(2, "0")}:00 and ${BUSINESS_HOURS.to}:59, the hours of a local business day (a guess from the schedules, not a certainty)`,
      why: `pg_cron reads every schedule in ${zone}${version === "1.4" ? " (pg_cron 1.4 always does)" : ""}: schedules written in local time run hours early or late, and move by an hour twice a year where the clocks change`,
      fix:
        version === "1.4"
          ? "pg_cron 1.4 cannot use another zone: write the schedules in GMT, or upgrade to pg_cron 1.5+ and set cron.timezone"
          : "if they were written in local time: cron.timezone = '<Area/City>' in postgresql.conf (as a superuser: ALTER SYSTEM SET cron.timezone = '<Area/City>';), then restart PostgreSQL; otherwise nothing to do",
      fixable: false,
    });
  }
}

function judgeInactive(
  jobs: DoctorJob[] | null,
  activity: JobActivity[] | null,
  history: RunHistoryStats | null,
  label: (job: DoctorJob) => string,
  findings: Finding[],
): void {
  if (jobs === null || activity === null || history === null) return;
  const nowS = history.now_epoch;
  const window = activity.find((a) => a.jobid === null);
  const last = new Map(activity.filter((a) => a.jobid !== null).map((a) => [a.jobid as number, a.last_epoch]));
  // The runs read reach back to the window's first run: older runs are not known.
  const reach = window?.first_epoch ?? nowS;
  const windowFull = (window?.runs ?? 0) >= ACTIVITY_WINDOW_RUNS;
  for (const job of jobs) {
    if (job.active) continue;
    const lastRun = last.get(job.jobid) ?? null;
    if (lastRun !== null && nowS - lastRun < INACTIVE_DAYS * DAY) continue;
    if (lastRun === null && windowFull && nowS - reach < INACTIVE_DAYS * DAY) continue;
    const since = lastRun === null ? "no run on record" : `last run ${formatDuration(nowS - lastRun)} ago`;
    findings.push({
      id: `job-inactive:${job.jobid}`,
      severity: "info",
      what: `${label(job)} is inactive (active = false), ${since}: more than ${INACTIVE_DAYS} days without a run`,
      why: "a job switched off this long ago is probably left over: it clutters cron.job, and its runs stay in cron.job_run_details (pg_cron never deletes them)",
      fix: `select cron.unschedule(${job.jobid}); -- if it is no longer needed`,
      fixable: false,
    });
  }
}

function historySummary(history: RunHistoryStats | null, activity: JobActivity[] | null, jobs: DoctorJob[] | null, names: Map<number, string>): RunHistorySummary | null {
  if (history === null) return null;
  const window = activity?.find((a) => a.jobid === null);
  const rows = history.exact_rows ?? Math.max(0, Math.round(history.estimated_rows));
  return {
    bytes: history.total_bytes,
    rows,
    rows_exact: history.exact_rows !== null,
    runs_last_day: window ? window.runs_day : null,
    runs_last_week: window ? window.runs_week : null,
    oldest_age_days: history.oldest_epoch === null ? null : Math.floor((history.now_epoch - history.oldest_epoch) / DAY),
    cleanup_jobs: (jobs ?? []).filter((j) => j.active && isHistoryCleanup(j.command)).map((j) => names.get(j.jobid) ?? String(j.jobid)),
  };
}

function judgeHistory(summary: RunHistorySummary, history: RunHistoryStats | null, ctx: DoctorContext, findings: Finding[]): void {
  const perDay = summary.runs_last_week !== null ? Math.round(summary.runs_last_week / 7) : summary.runs_last_day;
  const size = `${summary.rows_exact ? "" : "about "}${plural(summary.rows, "row")} (${megabytes(summary.bytes)})`;
  const growth = perDay === null ? "" : `, about ${plural(perDay, "new run")} a day`;
  const oldest = summary.oldest_age_days === null ? "" : `, the oldest from ${plural(summary.oldest_age_days, "day")} ago`;
  const large = summary.rows >= 100_000 || summary.bytes >= 100 * 1024 ** 2;
  if (summary.cleanup_jobs.length === 0) {
    findings.push({
      id: HISTORY_FINDING,
      severity: large ? "warning" : "info",
      what: `cron.job_run_details holds ${size}${growth}${oldest}, and no active job deletes from it`,
      why:
        "pg_cron never deletes run history, not even the runs of unscheduled jobs: the table grows for as long as jobs run" +
        `${perDay ? ` (about ${plural(perDay * 365, "row")} a year at this rate)` : ""}, and with it backups, vacuum work and every read of it`,
      fix: historyCleanupSql(ctx.runHistoryDays),
      fixable: true,
    });
  } else if (summary.oldest_age_days !== null && history !== null && summary.oldest_age_days > ctx.runHistoryDays + 7) {
    findings.push({
      id: "run-history-not-cleaned",
      severity: "warning",
      what: `a cleanup job exists (${summary.cleanup_jobs.join(", ")}), yet the oldest run in cron.job_run_details is ${plural(summary.oldest_age_days, "day")} old (${size})`,
      why: "the cleanup does not reach the old rows: it fails, runs rarely, keeps more than intended, or deletes only some jobs' runs",
      fix: `look at its runs (select status, return_message, end_time from cron.job_run_details where jobid = <its jobid> order by runid desc limit 5); or replace it: ${historyCleanupSql(ctx.runHistoryDays)}`,
      fixable: false,
    });
  }
}

/** pg_net's defaults, for the judgement when a setting is hidden. */
const PG_NET_DEFAULT_BATCH = 200;

function judgeNet(
  read: DoctorRead,
  setting: ((name: DoctorSetting) => string | null) | null,
  findings: Finding[],
  cannotSee: (part: string, what: string, cost: string, error: Error) => void,
): void {
  const ttlText = setting?.("pg_net.ttl") ?? null;
  const ttl = parseIntervalSeconds(ttlText);
  if (ttl !== null && ttl < CHECK_INTERVAL_SECONDS) {
    findings.push({
      id: "pg-net-ttl",
      severity: "warning",
      what: `pg_net.ttl is ${ttlText}, shorter than jobmon's check interval (${formatDuration(CHECK_INTERVAL_SECONDS)})`,
      why: "pg_net deletes responses older than its ttl: a failed call can be gone before a check reads it, so an Edge Function failing behind pg_net looks healthy",
      fix: "pg_net.ttl = '6 hours' (pg_net's default) in postgresql.conf (as a superuser: ALTER SYSTEM SET pg_net.ttl = '6 hours'; SELECT pg_reload_conf();)",
      fixable: false,
    });
  }
  const batchText = setting?.("pg_net.batch_size") ?? null;
  const batch = batchText === null ? null : Number(batchText);
  if (batch !== null && Number.isFinite(batch) && batch < PG_NET_DEFAULT_BATCH) {
    findings.push({
      id: "pg-net-batch-size",
      severity: "info",
      what: `pg_net.batch_size is ${batch}, below pg_net's default of ${PG_NET_DEFAULT_BATCH}`,
      why: "the worker sends at most this many queued requests per round: bursts of calls wait in net.http_request_queue",
      fix: `pg_net.batch_size = ${PG_NET_DEFAULT_BATCH} in postgresql.conf (as a superuser: ALTER SYSTEM SET pg_net.batch_size = ${PG_NET_DEFAULT_BATCH}; then restart pg_net's worker: SELECT net.worker_restart(); where available, else PostgreSQL)`,
      fixable: false,
    });
  }
  if (read.netQueue instanceof Error) {
    cannotSee("pg-net-queue", "net.http_request_queue", "pg_net's backlog", read.netQueue);
  } else if (read.netQueue !== null) {
    const perRound = batch !== null && Number.isFinite(batch) && batch > 0 ? batch : PG_NET_DEFAULT_BATCH;
    if (read.netQueue > perRound) {
      findings.push({
        id: "pg-net-queue",
        severity: read.netQueue > 10 * perRound ? "warning" : "info",
        what: `net.http_request_queue holds ${plural(read.netQueue, "request")} not yet sent, more than one round of pg_net.batch_size (${perRound})`,
        why: "queued requests go out late (or, if the worker is stopped, never): the jobs that queued them were marked succeeded when they queued them",
        fix: `check that pg_net's worker runs (select * from pg_stat_activity where backend_type like 'pg_net%';); raise pg_net.batch_size above ${perRound} if it cannot keep up`,
        fixable: false,
      });
    }
  }
}

function writability(read: DoctorRead, ctx: DoctorContext): DoctorJudgement["writable"] {
  if (ctx.source === "api") {
    return { ok: false, reason: "this project is read through the Management API's read-only SQL endpoint (as supabase_read_only_user): the doctor can only report; give its Postgres URL (SUPABASE_POSTGRES_URL) to apply a fix" };
  }
  if (read.facts.pgCronVersion === null) return { ok: false, reason: "pg_cron is not installed here" };
  if (read.role === null || read.role instanceof Error) return { ok: false, reason: `role ${read.facts.role}'s privileges could not be read` };
  const { can_schedule, can_delete_history, read_only, can_create } = read.role;
  const role = read.facts.role;
  if (read_only) return { ok: false, reason: `the session of role ${role} is read-only (default_transaction_read_only): the doctor can only report` };
  // pg_cron grants EXECUTE on cron.schedule and DELETE on cron.job_run_details to PUBLIC, so
  // those alone do not tell a read-only role: one that may not even create a schema is one.
  const missing = [
    can_schedule ? null : "EXECUTE on cron.schedule",
    can_delete_history ? null : "DELETE on cron.job_run_details",
    can_create ? null : "CREATE on the database",
    read.facts.seesAllJobs ? null : "BYPASSRLS (its cleanup would delete only its own runs)",
  ].filter((m): m is string => m !== null);
  if (missing.length > 0) {
    return { ok: false, reason: `role ${role} lacks ${missing.join(", ")}: a read-only role, the doctor can only report; connect as postgres on Supabase, or a role that may write` };
  }
  return { ok: true, reason: null };
}

function judgeRole(read: DoctorRead, writable: DoctorJudgement["writable"], findings: Finding[]): void {
  const { role, seesAllJobs, readsSettings, readsStats } = read.facts;
  if (read.facts.pgCronVersion !== null && !seesAllJobs) {
    findings.push({
      id: "role-row-security",
      severity: "warning",
      what: `role ${role} has neither SUPERUSER nor BYPASSRLS: pg_cron's row-level security shows it only its own jobs and runs`,
      why: "other roles' jobs are invisible: they are never checked, and every count here (history size excepted) covers only this role's rows",
      fix: "connect as a role with BYPASSRLS (on Supabase: postgres, or supabase_read_only_user through the access token); as a superuser: ALTER ROLE <role> BYPASSRLS;",
      fixable: false,
    });
  }
  if (!readsSettings) {
    findings.push({
      id: "role-settings-hidden",
      severity: "info",
      what: `role ${role} cannot read superuser-only settings (cron.log_run, cron.timezone, cron.max_running_jobs …): they read as unknown`,
      why: "the doctor cannot tell whether runs are logged, workers suffice or jobs saturate; a check computes fire times in GMT, wrong if the project sets cron.timezone",
      fix: `GRANT pg_read_all_settings TO ${role}; (on Supabase: connect as postgres, which has it through pg_monitor)`,
      fixable: false,
    });
  }
  if (!readsStats) {
    findings.push({
      id: "role-stats-hidden",
      severity: "info",
      what: `role ${role} cannot see other roles' backends in pg_stat_activity (no pg_read_all_stats)`,
      why: "pg_cron's launcher is recognised only by its application_name, and running job connections are not seen: whether the scheduler runs is judged from the runs",
      fix: `GRANT pg_read_all_stats TO ${role}; (on Supabase: connect as postgres, which has it through pg_monitor)`,
      fixable: false,
    });
  }
  if (!writable.ok && writable.reason !== null && read.facts.pgCronVersion !== null) {
    findings.push({ id: "role-read-only", severity: "info", what: `--fix is not available here: ${writable.reason}`, why: "the findings are reported, and nothing can be changed from here", fix: "run the fix SQL yourself as a role that may, or give the project's Postgres URL", fixable: false });
  }
}
