/**
 * A health check: collect (collect.ts) → sync the inventory (sync.ts) → plan (plan.ts, pure)
 * → record (record.ts), run by runCheck (run.ts).
 */
export { checkLeaseSeconds, type CheckOptions, runCheck } from "./run.js";
export { abortReason, CheckInterruptedError, LeaseLostError } from "./errors.js";
export { type CheckJobEntry, type CheckReport, isMuted, jobEntry, type JobHealth, skippedReport, storedHealth } from "./report.js";
export { type CheckPlan, type CheckPlanInput, planCheck, type ProjectCheckInput } from "./plan.js";
