import type { JobAlert } from "../../src/alerts/types.js";

/** A failed pg_cron job change of project `smoothed`, with `over` applied. */
export function failedJob(over: Partial<JobAlert> = {}): JobAlert {
  return {
    kind: "job",
    eventId: "00000000-0000-4000-8000-000000000001",
    projectName: "smoothed",
    projectRef: "abcdefghijklmnopqrst",
    jobId: "j1",
    jobName: "billing-sync",
    jobType: "pg_cron",
    sourceId: "12",
    fromStatus: "success",
    toStatus: "failed",
    since: "2026-11-30T10:05:00Z",
    downSeconds: null,
    criticality: "critical",
    schedule: "*/5 * * * *",
    scheduleDescription: null,
    reason: "run failed",
    errorMessage: "ERROR: boom",
    reminder: false,
    ...over,
  };
}
