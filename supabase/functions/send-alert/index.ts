// send-alert: POST {criticality, title, message, project?, job?} routes one ad-hoc alert
// like the check's alerts (critical → Telegram; important, low → Discord by default).
// Same bearer token as check-job-health. The code is in ../_shared/ and src/, bundled into
// ../_shared/jobmon.bundle.js by `npm run build` (see docs/deploy.md).
import { sendAlert } from "../_shared/jobmon.bundle.js";

Deno.serve((request) => sendAlert(request));
