import type { ProjectDb, Row } from "../db/types.js";
import { StatementError } from "./api-db.js";
import { FACTS_SQL, type ProjectFacts, projectFacts, readProjectFacts } from "./facts.js";
import { type NetCursor, netUnavailable, type PgNetRead, startNetRead } from "./pgnet.js";
import {
  CRON_JOBS_SQL,
  type CronRun,
  callingRunsStatement,
  type CronInventory,
  type CronJob,
  cronInventory,
  cronJobsUnreadable,
  type RunBatch,
  type RunsRead,
  type RunWindow,
  readCronJobs,
  startRunsRead,
} from "./pgcron.js";

/**
 * Everything one check reads from one monitored project, in as few round trips as the
 * project allows (50 projects 100 ms away must take about as long as one).
 *
 * The facts decide what else to read: cron.job and the runs need pg_cron, the responses a
 * readable pg_net. When the previous check found them, the check bets that they are still
 * there and sends every statement in one message with the facts: the connection, then one
 * round trip. When it did not (a first check), or the bet fails (one statement fails and the
 * message with it: something changed, or a read fails), the facts come alone and the rest
 * follows in one more round trip, each statement on its own so that its error is its own.
 * No statement has bound parameters (literal.ts), so statements sent together travel together.
 */

export interface ProjectReadPlan {
  window: RunWindow;
  netCursor: NetCursor | null;
  /** A first read of pg_net's responses (no cursor) reaches back this many seconds (default 3600). */
  netBootstrapSeconds?: number;
  /** What the previous check found: the reads worth sending with the facts. */
  expect: { pgCron: boolean; pgNet: boolean };
}

export interface ProjectRead {
  facts: ProjectFacts;
  inventory: CronInventory;
  /** null without pg_cron; an Error when reading the runs failed. */
  runs: RunBatch | Error | null;
  /** An Error when reading the responses failed: a warning, never an unreachable project. */
  net: PgNetRead | Error;
  /**
   * On a first read of pg_net (no cursor): the calling jobs' runs of the span its responses
   * cover (pgcron.ts callingRunsStatement); empty otherwise, an Error when that read failed.
   */
  callingRuns: CronRun[] | Error;
}


const settled = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

export async function readProject(db: ProjectDb, plan: ProjectReadPlan): Promise<ProjectRead> {
  const runs = startRunsRead(plan.window);
  const net = startNetRead({ cursor: plan.netCursor, bootstrapSeconds: plan.netBootstrapSeconds });
  const { pgCron, pgNet } = plan.expect;

  let facts: ProjectFacts | undefined;
  let cronRows: Row[][] | undefined;
  let netRows: Row[] | undefined;
  if (pgCron || pgNet) {
    const cronStatements = pgCron ? [CRON_JOBS_SQL, ...runs.statements] : [];
    try {
      const [factsRows = [], ...rest] = await db.batch([FACTS_SQL, ...cronStatements, ...(pgNet ? [net.statement] : [])]);
      facts = projectFacts(factsRows[0]);
      if (pgCron) cronRows = rest.slice(0, cronStatements.length);
      if (pgNet) netRows = rest[cronStatements.length];
    } catch (error) {
      // Lost bet: the statements one by one below say what changed or which read fails. A
      // connection that failed is the project's answer as it is.
      if (!statementFailed(error)) throw error;
    }
  }
  facts ??= await readProjectFacts(db);

  const unavailable = netUnavailable(facts);
  // Sent with the reads below (statements issued together travel together).
  const callingRuns =
    plan.netCursor === null && !unavailable && facts.pgCronVersion
      ? settled(db.query<CronRun & Row>(callingRunsStatement((plan.netBootstrapSeconds ?? NET_BOOTSTRAP_SECONDS) + CALLING_RUNS_MARGIN_SECONDS)))
      : Promise.resolve([]);
  const [cron, responses, calling] = await Promise.all([
    facts.pgCronVersion ? readCron(db, facts.role, runs, cronRows) : null,
    unavailable ?? settled(netRows ? net.finish(db, netRows) : net.read(db)),
    callingRuns,
  ]);
  return { facts, inventory: cronInventory(facts, cron?.jobs ?? []), runs: cron?.runs ?? null, net: responses, callingRuns: calling };
}

const NET_BOOTSTRAP_SECONDS = 3600;
/** Runs a little older than the first responses read can still have made them. */
const CALLING_RUNS_MARGIN_SECONDS = 300;

/**
 * A statement failed on a working connection: the server answered with a SQLSTATE outside the
 * classes of connection, login, missing database, resources and shutdown. Connection errors
 * (postgres.js's own, without a severity) are not.
 */
function statementFailed(error: unknown): boolean {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  const sqlState = error instanceof StatementError ? error.sqlState : code;
  return typeof severity === "string" && typeof sqlState === "string" && /^[0-9A-Z]{5}$/.test(sqlState) && !/^(?:08|28|3D|53|57P)/.test(sqlState);
}

/** cron.job and the runs: from the bet's rows, or read now (together). */
async function readCron(db: ProjectDb, role: string, runs: RunsRead, rows: Row[][] | undefined): Promise<{ jobs: CronJob[]; runs: RunBatch | Error }> {
  if (rows) return { jobs: rows[0] as unknown as CronJob[], runs: await settled(runs.finish(db, rows.slice(1))) };
  const [jobs, batch] = await Promise.all([settled(readCronJobs(db)), settled(runs.read(db))]);
  if (jobs instanceof Error) throw cronJobsUnreadable(role, jobs);
  return { jobs, runs: batch };
}
