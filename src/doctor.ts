import type { Config, ProjectConfig } from "./config.js";
import type { Db } from "./db/types.js";
import { managementApi } from "./edge-functions.js";
import { errorMessage } from "./errors.js";
import { type DoctorJudgement, type Finding, judgeDoctor } from "./health/doctor.js";
import { listProjectStates } from "./hub/projects.js";
import { redactSecrets } from "./lib/redact.js";
import { connectBySource, connectProject, type ProjectConnector, withProject } from "./sources/connect.js";
import { readDoctor } from "./sources/doctor.js";
import { DoctorFixRefusedError, runFixStatement } from "./sources/doctor-fix.js";
import type { ManagementApi } from "./sources/management-api.js";
import { monitoredProjects } from "./sources/project-list.js";

/**
 * `jobmon doctor`: every project's pg_cron and pg_net set-up, audited read-only
 * (sources/doctor.ts reads, health/doctor.ts judges); `--fix` applies one finding's fix,
 * after the caller has shown its SQL and had it confirmed (sources/doctor-fix.ts).
 */

export interface ProjectDoctor extends Partial<DoctorJudgement> {
  project_name: string;
  source: "postgres" | "api";
  status: "ok" | "unreachable";
  error?: string;
  role: string | null;
  pg_cron_version: string | null;
  findings: Finding[];
}

export interface DoctorReport {
  checked_at: string;
  projects: ProjectDoctor[];
  notes: string[];
}

export interface DoctorOptions {
  now?: () => Date;
  connect?: ProjectConnector;
  managementApi?: ManagementApi | null;
  /** Only this project (by name). */
  project?: string;
}

async function auditProject(config: Config, project: ProjectConfig, connect: ProjectConnector): Promise<ProjectDoctor> {
  try {
    const read = await withProject(project, config.projectTimeoutMs, readDoctor, connect);
    const judgement = judgeDoctor(read, { source: project.source, runHistoryDays: config.runHistoryDays, secrets: config.secrets });
    return { project_name: project.name, source: project.source, status: "ok", role: read.facts.role, pg_cron_version: read.facts.pgCronVersion, ...judgement };
  } catch (error) {
    return {
      project_name: project.name,
      source: project.source,
      status: "unreachable",
      error: redactSecrets(errorMessage(error), config.secrets),
      role: null,
      pg_cron_version: null,
      findings: [],
    };
  }
}

/** Audits every monitored project (or the one named), each within its own timeout. */
export async function doctor(config: Config, hub: Db, options: DoctorOptions = {}): Promise<DoctorReport & { read: ProjectConfig[] }> {
  const now = options.now ?? (() => new Date());
  const api = options.managementApi === undefined ? managementApi(config) : options.managementApi;
  const listing = await monitoredProjects(config, api, await listProjectStates(hub));
  const connect = connectBySource(options.connect ?? connectProject, api);
  const read = options.project === undefined ? listing.read : listing.read.filter((p) => p.name === options.project);
  if (options.project !== undefined && read.length === 0) {
    throw new DoctorFixRefusedError(`no monitored project is named "${options.project}" (${listing.read.map((p) => p.name).join(", ") || "none"})`);
  }
  const projects = await Promise.all(read.map((project) => auditProject(config, project, connect)));
  return { checked_at: now().toISOString(), projects, notes: listing.notes, read };
}

/** A fix to apply: the finding, its SQL, and the project it is for. */
export interface FixPlan {
  project: ProjectConfig;
  finding: Finding;
  sql: string;
}

/**
 * Audits the project (the one named, or the only one) and returns the fix of `findingId`;
 * refuses (DoctorFixRefusedError) when the finding is not there, has no safe fix, or the
 * project can only be read.
 */
export async function planFix(config: Config, hub: Db, findingId: string, options: DoctorOptions = {}): Promise<FixPlan> {
  const report = await doctor(config, hub, options);
  if (report.projects.length !== 1) {
    throw new DoctorFixRefusedError(`--fix applies to one project: name it with --project (${report.projects.map((p) => p.project_name).join(", ") || "none configured"})`);
  }
  const [result] = report.projects as [ProjectDoctor];
  const project = report.read[0] as ProjectConfig;
  if (result.status !== "ok") throw new DoctorFixRefusedError(`project ${result.project_name} could not be read: ${result.error ?? "unknown error"}`);
  const finding = result.findings.find((f) => f.id === findingId);
  if (!finding) throw new DoctorFixRefusedError(`project ${result.project_name} has no finding "${findingId}" (now: ${result.findings.map((f) => f.id).join(", ") || "none"})`);
  if (!finding.fixable) throw new DoctorFixRefusedError(`finding ${findingId} has no fix jobmon applies: run it yourself if it fits: ${finding.fix}`);
  if (!result.writable?.ok) throw new DoctorFixRefusedError(`cannot fix ${findingId} on ${result.project_name}: ${result.writable?.reason ?? "not writable"}`);
  return { project, finding, sql: finding.fix };
}

/** Runs a confirmed fix; returns what the statement answered. */
export async function applyFix(config: Config, plan: FixPlan): Promise<Record<string, unknown>[]> {
  return runFixStatement(plan.project, plan.sql, config.projectTimeoutMs);
}
