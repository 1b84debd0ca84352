import type { Criticality, JobStatus, JobType, ProjectStatus } from "../types.js";

/**
 * What the alerting layer is handed: one entry per state change (or ad-hoc message).
 * Each channel (channels/) turns a group of these into its messages; formatting is pure.
 * All text fields are raw (unescaped, unredacted): the formatter redacts and escapes.
 */
export interface JobAlert {
  kind: "job";
  /** Outbox event id (uuid). */
  eventId: string;
  projectName: string;
  /** Supabase project ref, for dashboard links; null when unknown. */
  projectRef: string | null;
  jobId: string;
  jobName: string;
  jobType: JobType;
  /** pg_cron jobid or Edge Function id/slug, for dashboard links. */
  sourceId: string | null;
  fromStatus: JobStatus | "new" | null;
  /** `success` here means a recovery notice. */
  toStatus: JobStatus;
  /** ISO instant the job entered `toStatus`. */
  since: string;
  /** For recoveries: how long the job was down, in seconds. */
  downSeconds: number | null;
  criticality: Criticality;
  schedule: string | null;
  /** Human sentence for the schedule, e.g. "At 09:00, Monday through Friday (GMT)". */
  scheduleDescription: string | null;
  reason: string;
  errorMessage: string | null;
  /** True when this is a reminder that the job is still down, not a new change. */
  reminder: boolean;
}

export interface ProjectAlert {
  kind: "project";
  eventId: string;
  projectName: string;
  projectRef: string | null;
  fromStatus: ProjectStatus | null;
  toStatus: ProjectStatus;
  since: string;
  downSeconds: number | null;
  reason: string;
  errorMessage: string | null;
}

/** An ad-hoc message: `send-alert`, `jobmon alerts test`, a "route broken" notice. */
export interface MessageAlert {
  kind: "message";
  eventId: string;
  criticality: Criticality;
  title: string;
  message: string;
  projectName: string | null;
  jobName: string | null;
}

export type AlertEntry = JobAlert | ProjectAlert | MessageAlert;
