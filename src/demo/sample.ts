import { nextFireTime, parseSchedule, type Schedule } from "../health/schedule/index.js";
import type { Criticality } from "../types.js";

/**
 * The demo's sample: three made-up Supabase projects and their pg_cron jobs, with a run
 * history and pg_net responses generated relative to `now`. Pure: the clock is an argument
 * and the "randomness" is seeded by the job's name, so one instant always gives one history.
 *
 * Every story the health engine tells is in here once: healthy jobs (every 5 minutes, hourly,
 * daily, every 30 seconds), a failed run, a missed hourly job, a stuck run, a paused job and
 * a job whose Edge Function call got HTTP 500.
 */

export const SAMPLE_PROJECTS = ["demo-leads", "demo-crm", "demo-scraping"] as const;
export type SampleProject = (typeof SAMPLE_PROJECTS)[number];

/** How long jobmon is shown as having watched the projects before this check (see run.ts). */
export const WATCHING_SECONDS = 6 * 3600;

/** What pg_cron reports as extversion on Supabase (docs/platform.md: may be "1.6.4"). */
export const SAMPLE_PG_CRON_VERSION = "1.6.4";

function base64url(text: string): string {
  return btoa(text).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * The bearer tokens in the sample commands. Shaped like the real thing (a Supabase
 * service-role JWT and a third-party API key) so that redaction is shown working on what
 * people actually paste into cron commands; neither is a real credential. Exported for the
 * test that checks that none of them is ever printed.
 */
export const SAMPLE_SERVICE_ROLE_JWT = [
  base64url(JSON.stringify({ alg: "HS256", typ: "JWT" })),
  base64url(JSON.stringify({ iss: "supabase-demo", ref: "demo", role: "service_role", iat: 1764460800, exp: 2079820800 })),
  "jobmon-demo-sample-signature-not-a-real-key",
].join(".");
export const SAMPLE_PROXY_API_KEY = "pxy_live_4f9c2a7e1b3d5f6a8c0e2b4d6f8a0c1e";
export const SAMPLE_BEARER_TOKENS: readonly string[] = [SAMPLE_SERVICE_ROLE_JWT, SAMPLE_PROXY_API_KEY];

/** What happened to a job lately: the story its history tells. */
export type Story =
  | { kind: "healthy" }
  /** The latest run failed with `message` (and one run failed and recovered a day ago). */
  | { kind: "failed"; message: string }
  /** No run since the one `lastRunAgoSeconds` ago. */
  | { kind: "missed"; lastRunAgoSeconds: number }
  /** A run started `startedAgoSeconds` ago is still `running`; pg_cron queues the rest behind it. */
  | { kind: "stuck"; startedAgoSeconds: number }
  /** cron.job.active = false since `pausedAgoSeconds` ago. */
  | { kind: "paused"; pausedAgoSeconds: number };

export interface SampleJob {
  project: SampleProject;
  jobid: number;
  jobname: string;
  schedule: string;
  command: string;
  story: Story;
  /** How far back the history goes. */
  historySeconds: number;
  /** Run time range, milliseconds. */
  runtimeMs: readonly [number, number];
  /** pg_cron's return_message for a successful run (libpq mode: the command tag or `N rows`). */
  returnMessage: (n: number) => string;
  /** The job's pg_net calls: what they answered. The latest call answers `failLatest` when set. */
  http?: { okStatus: number; okBody: string; failLatest?: { status: number; body: string } };
  annotation: { description: string; success_criteria: string; criticality: Criticality };
}

const HOUR = 3600;
const DAY = 86_400;

/** `M * * * *` with the minute of `now - ago`: an hourly job whose runs land exactly `ago` back. */
function hourlyAt(now: Date, agoSeconds: number): string {
  return `${new Date(now.getTime() - agoSeconds * 1000).getUTCMinutes()} * * * *`;
}

const ENRICH_COMMAND = [
  "select net.http_post(",
  "    url := 'https://demo.supabase.co/functions/v1/enrich-lead',",
  `    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ${SAMPLE_SERVICE_ROLE_JWT}'),`,
  "    body := jsonb_build_object('batch_size', 50),",
  "    timeout_milliseconds := 5000",
  "  ) as request_id;",
].join("\n");

const PROXY_COMMAND = [
  "select net.http_get(",
  "    url := 'https://proxies.example.com/v1/pool?country=us',",
  `    headers := '{"Authorization": "Bearer ${SAMPLE_PROXY_API_KEY}"}'::jsonb`,
  "  );",
].join("\n");

const DUPLICATE_KEY_ERROR = [
  'ERROR:  duplicate key value violates unique constraint "leads_email_key"',
  "DETAIL:  Key (email)=(maria.gonzalez@example.com) already exists.",
  'CONTEXT:  SQL statement "update public.leads set email = lower(email) where id = any(_dupes)"',
  "PL/pgSQL function merge_duplicate_leads() line 14 at SQL statement",
].join("\n");

/** The sample's jobs, for an instant `now` (two schedules are placed relative to it). */
export function sampleJobs(now: Date): SampleJob[] {
  const rows = (n: number) => `${n} row${n === 1 ? "" : "s"}`;
  return [
    // demo-leads: lead generation.
    {
      project: "demo-leads", jobid: 1, jobname: "import-leads", schedule: "*/5 * * * *",
      command: "call public.import_leads_from_queue()",
      story: { kind: "healthy" }, historySeconds: 26 * HOUR, runtimeMs: [300, 2400], returnMessage: () => "CALL",
      annotation: { description: "Moves new form submissions from the webhook queue into public.leads", success_criteria: "Queue older than 10 minutes is empty", criticality: "important" },
    },
    {
      project: "demo-leads", jobid: 2, jobname: "dedupe-leads", schedule: "15 * * * *",
      command: "select public.merge_duplicate_leads()",
      story: { kind: "failed", message: DUPLICATE_KEY_ERROR }, historySeconds: 26 * HOUR, runtimeMs: [800, 4000], returnMessage: () => rows(1),
      annotation: { description: "Merges leads that share an e-mail address before they reach the CRM", success_criteria: "No two leads share a lower-cased e-mail", criticality: "critical" },
    },
    {
      project: "demo-leads", jobid: 3, jobname: "enrich-lead", schedule: "*/10 * * * *",
      command: ENRICH_COMMAND,
      story: { kind: "healthy" }, historySeconds: 26 * HOUR, runtimeMs: [20, 90], returnMessage: () => rows(1),
      http: {
        okStatus: 200,
        okBody: '{"enriched":50,"skipped":0}',
        failLatest: { status: 500, body: '{"error":"enrichment provider answered 503 Service Unavailable","provider":"clearbit"}' },
      },
      annotation: { description: "Calls the enrich-lead Edge Function for the next 50 leads", success_criteria: "The function answers 2xx; leads.enriched_at is set", criticality: "important" },
    },
    {
      project: "demo-leads", jobid: 4, jobname: "daily-lead-report", schedule: "0 6 * * *",
      command: "select public.email_daily_lead_report('sales@example.com')",
      story: { kind: "healthy" }, historySeconds: 3 * DAY, runtimeMs: [1500, 6000], returnMessage: () => rows(1),
      annotation: { description: "E-mails yesterday's lead numbers to sales", success_criteria: "The report arrives by 06:05 UTC", criticality: "low" },
    },
    // demo-crm.
    {
      project: "demo-crm", jobid: 1, jobname: "sync-hubspot-contacts", schedule: hourlyAt(now, 3 * HOUR),
      command: "call crm.sync_contacts_from_hubspot()",
      story: { kind: "missed", lastRunAgoSeconds: 3 * HOUR }, historySeconds: 26 * HOUR, runtimeMs: [20_000, 75_000], returnMessage: () => "CALL",
      annotation: { description: "Pulls contacts changed in HubSpot into crm.contacts", success_criteria: "crm.contacts.synced_at is less than 2 hours old", criticality: "important" },
    },
    {
      project: "demo-crm", jobid: 2, jobname: "refresh-deal-scores", schedule: "30 seconds",
      command: "update crm.deals set score = crm.deal_score(id) where updated_at > now() - interval '1 minute'",
      story: { kind: "healthy" }, historySeconds: 1 * HOUR, runtimeMs: [15, 120], returnMessage: (n) => `UPDATE ${n % 7}`,
      annotation: { description: "Re-scores deals touched in the last minute", success_criteria: "Scores are at most a minute old", criticality: "low" },
    },
    {
      project: "demo-crm", jobid: 3, jobname: "purge-soft-deleted", schedule: "0 3 * * 0",
      command: "delete from crm.contacts where deleted_at < now() - interval '30 days'",
      story: { kind: "paused", pausedAgoSeconds: 10 * DAY }, historySeconds: 45 * DAY, runtimeMs: [2000, 9000], returnMessage: (n) => `DELETE ${(n * 37) % 400}`,
      annotation: { description: "Hard-deletes contacts soft-deleted more than 30 days ago (paused during the GDPR audit)", success_criteria: "No contact deleted more than 37 days ago", criticality: "low" },
    },
    // demo-scraping.
    {
      project: "demo-scraping", jobid: 1, jobname: "scrape-competitor-prices", schedule: hourlyAt(now, 2 * HOUR + 4 * 60),
      command: "call scraper.run_price_scrape(max_pages => 500)",
      story: { kind: "stuck", startedAgoSeconds: 2 * HOUR + 4 * 60 }, historySeconds: 26 * HOUR, runtimeMs: [240_000, 780_000], returnMessage: () => "CALL",
      annotation: { description: "Scrapes competitor price pages into scraper.prices", success_criteria: "Finishes within 15 minutes; prices are less than 2 hours old", criticality: "critical" },
    },
    {
      project: "demo-scraping", jobid: 2, jobname: "refresh-proxy-pool", schedule: "7 * * * *",
      command: PROXY_COMMAND,
      story: { kind: "healthy" }, historySeconds: 26 * HOUR, runtimeMs: [10, 60], returnMessage: () => rows(1),
      http: { okStatus: 200, okBody: '{"proxies":128,"healthy":121}' },
      annotation: { description: "Fetches a fresh proxy list for the scrapers", success_criteria: "At least 100 healthy proxies", criticality: "important" },
    },
    {
      project: "demo-scraping", jobid: 3, jobname: "vacuum-scrape-results", schedule: "30 2 * * *",
      command: "vacuum analyze scraper.results",
      story: { kind: "healthy" }, historySeconds: 3 * DAY, runtimeMs: [30_000, 90_000], returnMessage: () => "VACUUM",
      annotation: { description: "Reclaims space after the scrapers' bulk deletes", success_criteria: "Runs nightly without error", criticality: "low" },
    },
  ];
}

/** A row of cron.job_run_details. */
export interface SampleRun {
  jobid: number;
  runid: number;
  job_pid: number;
  database: string;
  username: string;
  command: string;
  status: "succeeded" | "failed" | "running";
  return_message: string | null;
  start_time: string;
  end_time: string | null;
}

/** A row of net._http_response. */
export interface SampleResponse {
  id: number;
  status_code: number;
  content_type: string;
  headers: Record<string, string>;
  content: string;
  timed_out: boolean;
  error_msg: string | null;
  created: string;
}

export interface SampleProjectData {
  project: SampleProject;
  jobs: { jobid: number; jobname: string; schedule: string; command: string; active: boolean }[];
  runs: SampleRun[];
  responses: SampleResponse[];
}

/** mulberry32: a small seeded PRNG with values in [0, 1) (also the tests' fuzzers' source). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG seeded from the job's name: stable "random" durations and pids. */
function random(seed: string): () => number {
  let a = 0;
  for (const c of seed) a = (Math.imul(a ^ c.charCodeAt(0), 2654435761) + 1) >>> 0;
  return mulberry32(a);
}

/** Fire instants of `schedule` in (from, to]. Interval schedules count from `from`. */
function fireTimes(schedule: Schedule, from: Date, to: Date): Date[] {
  const out: Date[] = [];
  if (schedule.kind === "interval") {
    for (let t = from.getTime() + schedule.seconds * 1000; t <= to.getTime(); t += schedule.seconds * 1000) out.push(new Date(t));
    return out;
  }
  let t: Date | null = from;
  while ((t = nextFireTime(schedule, t, "GMT")) !== null && t <= to) out.push(t);
  return out;
}

/** A run that would end after this is left out: the history stops just before `now`. */
const SETTLE_MS = 2_000;
/** pg_net keeps responses for `pg_net.ttl`, 6 hours by default (docs/platform.md). */
const PG_NET_TTL_MS = 6 * HOUR * 1000;
/** A response newer than this is still in flight (jobmon also leaves the last 10 s for the next read). */
const IN_FLIGHT_MS = 15_000;

interface PendingRun extends Omit<SampleRun, "runid"> {
  startMs: number;
  endMs: number | null;
  http?: SampleJob["http"];
}

/** The cron.job rows, run history and pg_net responses of one project at `now`. */
export function sampleProjectData(project: SampleProject, now: Date): SampleProjectData {
  const jobs = sampleJobs(now).filter((j) => j.project === project);
  const nowMs = now.getTime();
  const pending: PendingRun[] = [];
  for (const job of jobs) {
    const parsed = parseSchedule(job.schedule, "1.6");
    if (!parsed.ok) throw new Error(`sample job ${job.jobname}: invalid schedule ${job.schedule}`);
    const rnd = random(`${project}/${job.jobname}`);
    const story = job.story;
    let until = nowMs;
    if (story.kind === "missed") until = nowMs - story.lastRunAgoSeconds * 1000 + 59_000;
    if (story.kind === "paused") until = nowMs - story.pausedAgoSeconds * 1000;
    if (story.kind === "stuck") until = nowMs - story.startedAgoSeconds * 1000 + 59_000;
    const fires = fireTimes(parsed.schedule, new Date(nowMs - job.historySeconds * 1000), new Date(until));
    let n = 0;
    const runs: PendingRun[] = [];
    for (const fire of fires) {
      // The launcher starts a job within a second of its minute; the run takes its time.
      const startMs = fire.getTime() + 40 + Math.floor(rnd() * 900);
      const endMs = startMs + job.runtimeMs[0] + Math.floor(rnd() * (job.runtimeMs[1] - job.runtimeMs[0]));
      const pid = 10_000 + Math.floor(rnd() * 50_000);
      if (endMs > nowMs - SETTLE_MS && story.kind !== "stuck") continue;
      n++;
      runs.push({
        jobid: job.jobid, job_pid: pid, database: "postgres", username: "postgres", command: job.command,
        status: "succeeded", return_message: job.returnMessage(n),
        start_time: new Date(startMs).toISOString(), end_time: new Date(endMs).toISOString(),
        startMs, endMs, http: job.http,
      });
    }
    const last = runs.at(-1);
    if (story.kind === "stuck" && last) {
      // Still going: no end, no message; pg_cron starts no other run of it meanwhile.
      Object.assign(last, { status: "running", return_message: null, end_time: null, endMs: null });
    }
    if (story.kind === "failed" && last) {
      Object.assign(last, { status: "failed", return_message: story.message });
      const earlier = runs.at(-24);
      if (earlier) Object.assign(earlier, { status: "failed", return_message: "ERROR:  canceling statement due to statement timeout" });
    }
    pending.push(...runs);
  }

  // runid is pg_cron's sequence: it follows the start of each run across all jobs.
  pending.sort((a, b) => a.startMs - b.startMs);
  const runs: SampleRun[] = [];
  const responses: (SampleResponse & { jobid: number })[] = [];
  let requestId = 40_000;
  pending.forEach((run, i) => {
    const { startMs, endMs, http, ...row } = run;
    runs.push({ ...row, runid: 180_000 + i });
    if (!http || endMs === null) return;
    // pg_net sends a run's request after its transaction commits and stores the answer a
    // moment later; request ids count every request, also those whose answer is gone.
    const createdMs = endMs + 300 + ((run.job_pid * 7) % 1300);
    requestId++;
    if (createdMs < nowMs - PG_NET_TTL_MS || createdMs > nowMs - IN_FLIGHT_MS) return;
    responses.push({
      jobid: run.jobid,
      id: requestId,
      status_code: http.okStatus,
      content_type: "application/json",
      headers: { "Content-Type": "application/json" },
      content: http.okBody,
      timed_out: false,
      error_msg: null,
      created: new Date(createdMs).toISOString(),
    });
  });
  for (const job of jobs) {
    const fail = job.http?.failLatest;
    const latest = fail && responses.filter((r) => r.jobid === job.jobid).at(-1);
    if (fail && latest) Object.assign(latest, { status_code: fail.status, content: fail.body });
  }

  return {
    project,
    jobs: jobs.map((j) => ({ jobid: j.jobid, jobname: j.jobname, schedule: j.schedule, command: j.command, active: j.story.kind !== "paused" })),
    runs,
    responses: responses.map(({ jobid: _jobid, ...response }) => response),
  };
}

/** The annotations the demo makes with `jobmon annotate` (MonitoringAPI.updateJob). */
export function sampleAnnotations(now: Date): { ref: string; annotation: SampleJob["annotation"] }[] {
  return sampleJobs(now).map((j) => ({ ref: `${j.project}/${j.jobname}`, annotation: j.annotation }));
}
