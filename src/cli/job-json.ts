import type { Config } from "../config.js";
import type { JobRow } from "../hub/inventory.js";
import { redactSecrets } from "../lib/redact.js";

/** Rows as `--json` prints them: the hub's column names, secrets in commands redacted. */
export function jobJson(row: JobRow, config: Config): Record<string, unknown> {
  return { ...row, command: row.command === null ? null : redactSecrets(row.command, config.secrets) };
}
