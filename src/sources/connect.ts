import type { ProjectConfig } from "../config.js";
import { postgresDb } from "../db/postgres.js";
import type { ProjectDb } from "../db/types.js";
import { ConfigError, JobmonError } from "../errors.js";
import { apiDb } from "./api-db.js";
import type { ManagementApi } from "./management-api.js";

/** What a read of a project needs: its statements (readProject's port), and an end. */
export type ProjectConnection = ProjectDb & { close(): Promise<void> };

export type ProjectConnector = (project: ProjectConfig, timeoutMs: number) => ProjectConnection;

/**
 * The default: one postgres.js connection per monitored project, for one collection. The URL
 * may be Supabase's transaction pooler (port 6543): the startup message holds only user,
 * database, client_encoding and application_name (and what the URL's query string adds, as
 * postgres.js passes on what it does not know), and the server-side statement timeout is
 * set inside each message's own transaction, never for the session (db/postgres.ts), so it
 * neither fails the connection nor stays behind on a server connection another client gets.
 */
export const connectProject: ProjectConnector = (project, timeoutMs) => {
  if (project.url === null) throw new ConfigError(project.envVar, `project ${project.name} has no Postgres URL: it is read through the Management API`);
  return postgresDb(project.url, {
    max: 1,
    connectTimeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)),
    // Each statement's bound on the server; withProject's deadline bounds the whole read.
    statementTimeoutMs: timeoutMs,
    applicationName: "jobmon",
    // Saves a round trip per connection: nothing sent to a project is a Postgres array.
    fetchTypes: false,
  });
};

/**
 * Each project through its own source: a URL project through `connect`, a project found with
 * the access token through the Management API's read-only SQL endpoint (nothing to open or
 * close there: every statement is an HTTPS call, counted in the client's usage).
 */
export function connectBySource(connect: ProjectConnector, api: ManagementApi | null): ProjectConnector {
  return (project, timeoutMs) => {
    if (project.source === "postgres") return connect(project, timeoutMs);
    if (api === null || project.ref === null) {
      throw new ConfigError("SUPABASE_ACCESS_TOKEN", `project ${project.name} is read through the Management API, which needs the access token and its ref`);
    }
    return { ...apiDb({ api, ref: project.ref }), close: async () => {} };
  };
}

/** A project that did not answer within its deadline (withProject). */
export class ProjectTimeoutError extends JobmonError {
  constructor(ms: number) {
    super("project_timeout", `no answer within ${ms} ms`, "transient");
  }
}

/**
 * Runs `fn` against one project with its own deadline, and always closes the connection.
 * A slow or dead project costs at most `timeoutMs`, whatever the others do.
 */
export async function withProject<T>(
  project: ProjectConfig,
  timeoutMs: number,
  fn: (db: ProjectConnection) => Promise<T>,
  connect: ProjectConnector = connectProject,
): Promise<T> {
  const db = connect(project, timeoutMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProjectTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([fn(db), deadline]);
  } finally {
    clearTimeout(timer);
    await db.close().catch(() => {});
  }
}
