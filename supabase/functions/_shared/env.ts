import type { Env } from "../../../src/config.js";
import { ConfigError } from "../../../src/errors.js";

/**
 * The environment a function resolves its configuration from: the same variables as the
 * CLI, with one addition forced by the platform. `supabase secrets set` refuses names that
 * start with `SUPABASE_` (the prefix is reserved for the platform's own SUPABASE_URL,
 * SUPABASE_DB_URL …), so the jobmon variables under that prefix are accepted as `JOBMON_…`
 * too: JOBMON_POSTGRES_URL, JOBMON_POSTGRES_URL_2 …, JOBMON_ACCESS_TOKEN, JOBMON_API_URL.
 */
const RESERVED_ALIASES: readonly RegExp[] = [/^JOBMON_(POSTGRES_URL(?:_\d+)?)$/, /^JOBMON_(ACCESS_TOKEN)$/, /^JOBMON_(API_URL)$/];

export function functionEnv(env: Env): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(env)) {
    const match = RESERVED_ALIASES.map((re) => re.exec(name)).find((m) => m !== null);
    if (!match?.[1] || value === undefined || value.trim() === "") continue;
    const target = `SUPABASE_${match[1]}`;
    const existing = env[target];
    if (existing !== undefined && existing.trim() !== "" && existing.trim() !== value.trim()) {
      throw new ConfigError(name, `both ${name} and ${target} are set, to different values: keep one (on Supabase, ${name})`);
    }
    out[target] = value;
  }
  return out;
}

/**
 * Secrets to redact when the configuration could not be resolved (so `config.secrets` is
 * not there): every value of a variable whose name says it is a secret, and the password
 * of every URL.
 */
export function secretsFromEnv(env: Env): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 4) continue;
    if (/(TOKEN|SECRET|PASSWORD|_KEY)$/i.test(name)) secrets.add(value);
    if (/URL/i.test(name) && value.includes("://")) {
      try {
        const password = decodeURIComponent(new URL(value).password);
        if (password.length >= 4) secrets.add(password);
      } catch {
        // Not a URL: nothing to take from it.
      }
    }
  }
  return [...secrets];
}
