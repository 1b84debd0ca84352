import type { ProjectConfig } from "../config.js";
import { JobmonError } from "../errors.js";
import { connectProject } from "./connect.js";

/**
 * The one write `jobmon doctor` makes, and only on `--fix` after confirmation: a fix's SQL,
 * run over a Postgres connection to the project's URL as the role in it. The Management API's
 * read-only endpoint cannot write, so a project read through it is refused before anything is
 * sent.
 */

/** A fix that cannot or may not run: nothing was changed. */
export class DoctorFixRefusedError extends JobmonError {
  constructor(message: string) {
    super("doctor_fix_refused", message, "configuration");
  }
}

/**
 * Runs `sql` (one statement, no parameters, e.g. a cron.schedule call) on the project, with the
 * project timeout as its statement timeout. Returns its rows.
 */
export async function runFixStatement(project: ProjectConfig, sql: string, timeoutMs: number): Promise<Record<string, unknown>[]> {
  if (project.source !== "postgres" || project.url === null) {
    throw new DoctorFixRefusedError(`project ${project.name} is read through the Management API's read-only SQL endpoint: a fix needs its Postgres URL (SUPABASE_POSTGRES_URL)`);
  }
  const db = connectProject(project, timeoutMs);
  try {
    const [rows = []] = await db.batch([sql]);
    return rows;
  } finally {
    await db.close().catch(() => {});
  }
}
