import { type DeliverOptions, deliverAlerts, type DeliveryReport, type RouteTestResult, sendAdHocAlert, testRoutes } from "./alerts/deliver.js";
import { assembleCycleReport, type ClosedCycle, type CyclePlan, finishCycle, planCycle, runCycleWorker, type WorkerOutcome } from "./check/cycle.js";
import { type CycleProgress, type CycleSummary, listCycles, markAlertsSent, unsentCycleEventIds } from "./hub/cycles.js";
import type { WorkerCall } from "./hub/queue.js";
import { type DeliveryListRow, recentDeliveries } from "./hub/outbox.js";
import { abortReason, CheckInterruptedError, type CheckReport, type CheckJobEntry, isMuted, jobEntry, runCheck, storedHealth } from "./check/index.js";
import { type Config, type Env, resolveConfig, type ResolveOptions } from "./config.js";
import type { Db } from "./db/types.js";
import { discover, type DiscoveryReport } from "./discovery.js";
import { applyFix, doctor, type DoctorReport, type FixPlan, planFix } from "./doctor.js";
import { processEnv } from "./env.js";
import { errorMessage } from "./errors.js";
import { durationsView } from "./health/durations.js";
import { redactSecrets } from "./lib/redact.js";
import { jobHistory, type HealthLogRow } from "./hub/check-results.js";
import { ensureProject, listProjectStates, type ProjectStateRow, setProjectMute } from "./hub/projects.js";
import { findJob, type JobFilter, JobNotFoundError, type JobPatch, type JobRow, listJobs, updateJob } from "./hub/inventory.js";
import { migrate, type MigrateResult, pendingMigrations } from "./hub/migrate.js";
import type { LeaseProcess } from "./hub/lock.js";
import { openHub } from "./hub/open.js";
import type { ProjectConnector } from "./sources/connect.js";
import type { ManagementApi } from "./sources/management-api.js";
import { type WaitingAlert, waitingAlertsFor } from "./hub/pending.js";

/** What one worker invocation of a fanned-out cycle did (check-job-health answers it). */
export type CycleWorkerResult =
  | (WorkerOutcome & { closed: ClosedCycle[] } & { kind: "idle" | "stale" })
  | (Extract<WorkerOutcome, { kind: "checked" }> & {
      closed: ClosedCycle[];
      alerts: DeliveryReport | null;
      /** When this worker completed the cycle: what else the outbox held, the heartbeat, and the cycle's summary. */
      rest?: DeliveryReport;
      heartbeat?: string | null;
      summary?: CycleSummary;
    });

export interface MonitoringOptions {
  /** Environment to resolve the configuration from (default: the process environment). */
  env?: Env;
  /** An already resolved configuration (takes precedence over `env`). */
  config?: Config;
  resolve?: ResolveOptions;
  /** An open hub database to use instead of the configured one (not closed by `close()`). */
  hub?: Db;
  /** How monitored projects are opened (tests and the demo swap it). */
  connect?: ProjectConnector;
  /** The clock (tests pin it). */
  now?: () => Date;
  /** How long to wait for the embedded hub when another process holds it (ms). */
  hubWaitMs?: number;
  /** Delivery settings (tests shorten pacing and retries). */
  deliver?: DeliverOptions;
  /** Management API client (tests inject one with a short sleep); default from the configuration. */
  managementApi?: ManagementApi | null;
  /**
   * This process, stored with the check lease so that a check on the same host can take over
   * the lease of one whose process is gone (the CLI passes it; without it, a lease left behind
   * is taken over only once it has expired).
   */
  leaseProcess?: LeaseProcess | null;
}

/**
 * The library facade:
 * auditAllProjects, listJobs, updateJob, checkHealth. The hub schema is migrated on first use.
 */
export class MonitoringAPI {
  readonly config: Config;
  private readonly options: MonitoringOptions;
  private hubPromise: Promise<Db> | null = null;
  private readonly ownsHub: boolean;

  constructor(options: MonitoringOptions = {}) {
    this.options = options;
    this.config = options.config ?? resolveConfig(options.env ?? processEnv(), options.resolve);
    this.ownsHub = options.hub === undefined;
  }

  protected now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The hub database, opened and migrated on first use. */
  async hub(): Promise<Db> {
    this.hubPromise ??= (async () => {
      const db = this.options.hub ?? (await this.openConfiguredHub());
      try {
        if ((await pendingMigrations(db)).length > 0) await migrate(db);
      } catch (error) {
        if (this.ownsHub) await db.close();
        throw error;
      }
      return db;
    })();
    this.hubPromise.catch(() => {
      this.hubPromise = null;
    });
    return this.hubPromise;
  }

  /** Creates or upgrades the hub schema. */
  async migrate(): Promise<MigrateResult> {
    const db = this.options.hub ?? (await this.rawHub());
    return migrate(db);
  }

  private async rawHub(): Promise<Db> {
    if (!this.hubPromise) {
      this.hubPromise = this.openConfiguredHub();
      this.hubPromise.catch(() => {
        this.hubPromise = null;
      });
    }
    return this.hubPromise;
  }

  /** A Postgres hub that does not answer costs no more than a monitored project that does not. */
  private openConfiguredHub(): Promise<Db> {
    return openHub(this.config.hub, { waitMs: this.options.hubWaitMs, connectTimeoutMs: this.config.projectTimeoutMs });
  }

  /** Discovery: every project's jobs into job_inventory. */
  async auditAllProjects(): Promise<DiscoveryReport> {
    return discover(this.config, await this.hub(), { now: () => this.now(), connect: this.options.connect, managementApi: this.options.managementApi });
  }

  /** `jobmon doctor`: every project's pg_cron and pg_net set-up, audited read-only. */
  async doctor(options: { project?: string } = {}): Promise<DoctorReport> {
    const { read: _read, ...report } = await doctor(this.config, await this.hub(), this.doctorOptions(options.project));
    return report;
  }

  /** The fix of one finding, audited afresh: refused (DoctorFixRefusedError) when it cannot run. */
  async doctorFixPlan(findingId: string, options: { project?: string } = {}): Promise<FixPlan> {
    return planFix(this.config, await this.hub(), findingId, this.doctorOptions(options.project));
  }

  /** Applies a fix the user confirmed (the only write jobmon makes to a project). */
  async applyDoctorFix(plan: FixPlan): Promise<Record<string, unknown>[]> {
    return applyFix(this.config, plan);
  }

  private doctorOptions(project: string | undefined) {
    return { now: () => this.now(), connect: this.options.connect, managementApi: this.options.managementApi, ...(project === undefined ? {} : { project }) };
  }

  async listJobs(filter: JobFilter = {}): Promise<JobRow[]> {
    return listJobs(await this.hub(), filter);
  }

  /** Finds a job by inventory id or `project/job_name`. */
  async getJob(ref: string): Promise<JobRow> {
    return findJob(await this.hub(), ref);
  }

  /** Annotates a job (by id or `project/job_name`). */
  async updateJob(ref: string, patch: JobPatch): Promise<JobRow> {
    const hub = await this.hub();
    const job = await findJob(hub, ref);
    return updateJob(hub, job.id, patch, this.now());
  }

  /**
   * One health-check cycle — collect, evaluate, record, then deliver
   * the outbox and ping the heartbeat URL. A dry run records and sends nothing.
   *
   * `signal` stops the cycle where it is: while reading the projects, nothing is recorded (the
   * run is recorded as interrupted); while sending alerts, the message in flight is waited for
   * and recorded and the rest wait for the next check. Either way the lease is released, the
   * heartbeat is not pinged, and it rejects with CheckInterruptedError.
   */
  async checkHealth(options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<CheckReport & { alerts?: DeliveryReport; heartbeat?: string }> {
    const { signal } = options;
    const hub = await this.hub();
    const report: CheckReport & { alerts?: DeliveryReport; heartbeat?: string } = await runCheck(this.config, hub, {
      now: () => this.now(),
      connect: this.options.connect,
      dryRun: options.dryRun,
      managementApi: this.options.managementApi,
      leaseProcess: this.options.leaseProcess ?? null,
      signal,
    });
    if (options.dryRun || report.skipped) return report;
    if (signal?.aborted) {
      throw new CheckInterruptedError(`check interrupted by ${abortReason(signal)} after it was recorded: its alerts wait in the outbox for the next check`, abortReason(signal));
    }
    report.alerts = await this.deliverAlerts({ signal });
    if (signal?.aborted) {
      const a = report.alerts;
      throw new CheckInterruptedError(
        `check interrupted by ${abortReason(signal)} while sending alerts (the check itself was recorded): ${a.delivered} alert(s) delivered, ` +
          `${a.pending} left for the next check${a.unknown ? `, ${a.unknown} whose message may have gone out (sent again by a later check)` : ""}`,
        abortReason(signal),
      );
    }
    if (this.config.heartbeatUrl) report.heartbeat = await this.pingHeartbeat(this.config.heartbeatUrl);
    return report;
  }

  /** Sends whatever the outbox holds (also called by checkHealth); `signal` stops it between two messages. */
  async deliverAlerts(options: { signal?: AbortSignal } = {}): Promise<DeliveryReport> {
    return deliverAlerts(this.config, await this.hub(), { now: () => this.now(), ...this.options.deliver, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** `jobmon alerts test`: a test message through every enabled route. */
  async testAlertRoutes(): Promise<RouteTestResult[]> {
    return testRoutes(this.config, await this.hub(), { now: () => this.now(), ...this.options.deliver });
  }

  /** Recent alert deliveries with their state and errors (optionally for one job). */
  async alertDeliveries(limit = 50, jobRef?: string): Promise<DeliveryListRow[]> {
    const hub = await this.hub();
    const job = jobRef ? await findJob(hub, jobRef) : null;
    return recentDeliveries(hub, limit, job?.id);
  }

  /** Alerts still in the outbox (not delivered, not muted), each with why it waits. */
  async waitingAlerts(limit = 50): Promise<WaitingAlert[]> {
    return waitingAlertsFor(this.config, await this.hub(), this.now(), limit);
  }

  /**
   * The Edge Function's scheduled call when it may fan out (check/cycle.ts): plans a cycle
   * into the hub's queue and starts its workers through pg_net, or says to check in this
   * invocation (`single`, then call checkHealth). Cycles past their deadline are closed first,
   * and each one that left projects unchecked is alerted.
   */
  async planCheckCycle(call: WorkerCall): Promise<CyclePlan> {
    const hub = await this.hub();
    const plan = await planCycle(this.config, hub, call, this.cycleOptions());
    if (plan.kind !== "planned") return plan;
    await this.alertUnchecked(plan.closed);
    // What earlier cycles left in the outbox (a channel that was down): each worker sends only its own batch's alerts.
    await deliverAlerts(this.config, hub, { now: () => this.now(), ...this.options.deliver, retryOnly: true });
    return plan;
  }

  /**
   * One worker of a fanned-out cycle: checks one batch, delivers its alerts, and, when its
   * batch was the cycle's last, sends what the outbox still holds and pings the heartbeat once.
   */
  async runCycleWorker(options: { workerId?: string } = {}): Promise<CycleWorkerResult> {
    const hub = await this.hub();
    const outcome = await runCycleWorker(this.config, hub, { ...this.cycleOptions(), ...options });
    await this.alertUnchecked(outcome.closed);
    if (outcome.kind !== "checked") return outcome;
    const alerts = outcome.eventIds.length > 0 ? await deliverAlerts(this.config, hub, { now: () => this.now(), ...this.options.deliver, onlyEvents: outcome.eventIds }) : null;
    if (outcome.checked.length > 0) await markAlertsSent(hub, outcome.cycle, outcome.report.check_id);
    if (!outcome.completed) return { ...outcome, alerts };
    // The last batch: the alerts of batches whose worker died after recording them, then the heartbeat.
    const unsent = await unsentCycleEventIds(hub, outcome.cycle);
    const rest = unsent.length > 0 ? await deliverAlerts(this.config, hub, { now: () => this.now(), ...this.options.deliver, onlyEvents: unsent }) : undefined;
    const heartbeat = this.config.heartbeatUrl ? await this.pingHeartbeat(this.config.heartbeatUrl) : null;
    const summary = await finishCycle(hub, outcome.cycle, heartbeat);
    return { ...outcome, alerts, rest, heartbeat, summary };
  }

  /** A fanned-out cycle's report, in `check --json`'s shape, assembled from its workers' records. */
  async cycleReport(cycleId?: string): Promise<CheckReport | null> {
    const hub = await this.hub();
    return assembleCycleReport(hub, cycleId ?? null, async (projects) => (await this.status({ projects })).jobs);
  }

  /** The newest fanned-out cycles and how far each got. */
  async cycles(limit = 10): Promise<CycleProgress[]> {
    return listCycles(await this.hub(), limit);
  }

  private cycleOptions() {
    return { now: () => this.now(), connect: this.options.connect, managementApi: this.options.managementApi };
  }

  /** A cycle closed at its deadline with projects unchecked is never silent: one critical alert says which. */
  private async alertUnchecked(closed: readonly ClosedCycle[]): Promise<void> {
    for (const { id, summary } of closed) {
      if (summary.unchecked.length === 0) continue;
      const names = summary.unchecked.slice(0, 20).join(", ") + (summary.unchecked.length > 20 ? ` and ${summary.unchecked.length - 20} more` : "");
      const message = `check cycle ${id} reached its deadline with ${summary.unchecked.length} project(s) unchecked: ${names}. Their jobs were not checked in that cycle (see \`jobmon cycles\`).`;
      console.error(`jobmon: ${message}`);
      await sendAdHocAlert(this.config, await this.hub(), { criticality: "critical", title: "jobmon: projects left unchecked", message }, { now: () => this.now(), ...this.options.deliver }).catch((error) => {
        console.error(`jobmon: the alert about cycle ${id} could not be recorded: ${redactSecrets(errorMessage(error), this.config.secrets)}`);
      });
    }
  }

  /** A dead man's switch for jobmon itself: a GET after every completed cycle. */
  private async pingHeartbeat(url: string): Promise<string> {
    const fetchImpl = this.options.deliver?.fetch ?? fetch;
    try {
      const response = await fetchImpl(url, { method: "GET", signal: AbortSignal.timeout(10_000) });
      await response.body?.cancel();
      return response.ok ? "ok" : `heartbeat answered HTTP ${response.status}`;
    } catch (error) {
      return `heartbeat failed: ${redactSecrets(errorMessage(error), this.config.secrets)}`;
    }
  }

  /** Current health: one entry per job (the check report's job shape) and per project. */
  async status(filter: JobFilter = {}): Promise<{ projects: ProjectStateRow[]; jobs: CheckJobEntry[] }> {
    const hub = await this.hub();
    const now = this.now();
    const jobs = await listJobs(hub, { ...filter, includeRemoved: false });
    const projects = await listProjectStates(hub);
    const mutedProjects = new Set(projects.filter((p) => isMuted(p.muted_until, now)).map((p) => p.project_name));
    return {
      projects,
      jobs: jobs.map((j) => ({ ...jobEntry(j, storedHealth(j), mutedProjects.has(j.project_name) || isMuted(j.muted_until, now)), durations: durationsView(j.durations) })),
    };
  }

  /** The health log of one job, newest first. */
  async history(ref: string, limit = 100): Promise<{ job: JobRow; entries: HealthLogRow[] }> {
    const hub = await this.hub();
    const job = await findJob(hub, ref);
    return { job, entries: await jobHistory(hub, job.id, limit) };
  }

  /**
   * Mutes a job (`project/job_name` or id) or a whole project for `seconds` (null unmutes).
   * Muted jobs keep their state; their alerts are recorded but not sent.
   */
  async mute(target: string, seconds: number | null): Promise<{ kind: "job" | "project"; name: string; until: Date | null }> {
    const hub = await this.hub();
    const until = seconds === null ? null : new Date(this.now().getTime() + seconds * 1000);
    const project = this.config.projects.find((p) => p.name === target);
    if (project || (!target.includes("/") && !/^[0-9a-f-]{36}$/i.test(target))) {
      if (!project && !(await listProjectStates(hub)).some((p) => p.project_name === target)) {
        throw new JobNotFoundError(`"${target}" is neither a configured project nor a job (use project/job_name for a job)`);
      }
      await ensureProject(hub, target, project?.ref ?? null, this.now());
      await setProjectMute(hub, target, until);
      return { kind: "project", name: target, until };
    }
    const job = await findJob(hub, target);
    await updateJob(hub, job.id, { muted_until: until }, this.now());
    return { kind: "job", name: `${job.project_name}/${job.job_name}`, until };
  }

  async close(): Promise<void> {
    const pending = this.hubPromise;
    this.hubPromise = null;
    if (pending && this.ownsHub) await (await pending).close();
  }
}
