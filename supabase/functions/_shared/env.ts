import type { Env } from "../../../src/config.js";

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
    // DISCORD_WEBHOOK_URL, SLACK_WEBHOOK_URL: the last path segment is the credential.
    if (/WEBHOOK_URL$/i.test(name)) {
      const last = value.split(/[?#]/)[0]?.split("/").filter((s) => s !== "").pop() ?? "";
      if (last.length >= 8) secrets.add(last);
    }
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
