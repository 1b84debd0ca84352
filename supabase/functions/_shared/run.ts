import { redactSecrets } from "../../../src/lib/redact.js";
import { type Config, type Env, resolveConfig } from "../../../src/config.js";
import { ConfigError, errorMessage } from "../../../src/errors.js";
import { MonitoringAPI } from "../../../src/monitor.js";
import { secretsFromEnv } from "./env.js";
import { errorResponse } from "./http.js";

/**
 * The hub defaults to the database of the project the function runs in: Supabase sets
 * SUPABASE_DB_URL in every Edge Function (docs/platform.md "Edge Functions").
 */
export const HUB_FALLBACK_VARIABLE = "SUPABASE_DB_URL";

/**
 * Runs `fn` with a MonitoringAPI configured from `env` (the process environment; the
 * `JOBMON_…` spellings of reserved `SUPABASE_…` names are accepted: see resolveConfig),
 * and closes it afterwards (each call
 * opens its own hub connections: a function instance may be frozen between calls, and a
 * call every 15 minutes does not need a warm pool). Any failure becomes a 500 whose
 * message names what to change and carries no secret.
 */
export async function withMonitor(functionName: string, env: Env, fn: (monitor: MonitoringAPI, config: Config) => Promise<Response>): Promise<Response> {
  let config: Config | undefined;
  let monitor: MonitoringAPI | undefined;
  try {
    config = resolveConfig(env, { hubFallbackVariable: HUB_FALLBACK_VARIABLE });
    if (config.hub.kind === "embedded") {
      // Only reachable off Supabase (where SUPABASE_DB_URL is always set): the embedded
      // PGlite hub is a directory on one machine, which an Edge Function does not have.
      return errorResponse(500, "configuration", `no hub database: set JOBMON_HUB_URL (or JOBMON_HUB, or ${HUB_FALLBACK_VARIABLE}); an Edge Function cannot use the embedded hub`);
    }
    monitor = new MonitoringAPI({ config });
    return await fn(monitor, config);
  } catch (error) {
    const message = redactSecrets(errorMessage(error), config?.secrets ?? secretsFromEnv(env));
    console.error(`${functionName}: ${message}`);
    return error instanceof ConfigError ? errorResponse(500, "configuration", message) : errorResponse(500, "internal", message);
  } finally {
    await monitor?.close().catch(() => undefined);
  }
}
