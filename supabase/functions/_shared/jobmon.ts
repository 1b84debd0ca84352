/**
 * The entry point of the functions' bundle, `jobmon.bundle.js` (built by
 * scripts/build-functions.mjs): both request handlers, with the code they use from src/.
 *
 * Why a bundle rather than importing src/ directly: src/ is Node-style TypeScript whose
 * relative imports end in `.js` while the files end in `.ts`. Deno resolves that only with
 * "sloppy imports", and `supabase functions deploy` uploads (with `--use-api`, or with no
 * Docker running) only the files its import walker can find by their literal path, and
 * mounts (with Docker) only supabase/functions plus the import map's targets. The bundle is
 * one plain JavaScript file inside supabase/functions whose only imports are `postgres` and
 * `zod`, mapped to `npm:` specifiers by each function's deno.json. docs/deploy.md has more.
 */
export { checkJobHealth } from "./check-job-health.js";
export { sendAlert } from "./send-alert.js";
