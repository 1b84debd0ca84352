// check-job-health: one jobmon check cycle per POST, answered with its JSON report.
// Called every 15 minutes by the hub's pg_cron (supabase/migrations/…_schedule_check_job_health.sql)
// with `Authorization: Bearer $JOBMON_FUNCTION_SECRET`. The code is in ../_shared/ and src/,
// bundled into ../_shared/jobmon.bundle.js by `npm run build` (see docs/deploy.md).
import { checkJobHealth } from "../_shared/jobmon.bundle.js";

Deno.serve((request) => checkJobHealth(request));
