/**
 * The shortest way in: `SUPABASE_ACCESS_TOKEN=… npx jobmon discover && npx jobmon check` with
 * the embedded hub and no database password anywhere. The Management API is the stand-in,
 * whose read-only SQL endpoint runs on a real pg_cron cluster with Supabase's roles.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type FakeManagementApi, startFakeManagementApi } from "../fakes/management-api.js";
import { insertRun, type PgCronCluster, scheduleJob, usePgCronClusters } from "../harness/pgcron.js";
import { CLI, runCli, tempDir } from "../helpers/cli.js";

const clusters = usePgCronClusters(1, { supabase: true, quiet: true, name: "token-cli" });
const TOKEN = "sbp_e2e0123456789abcdef0123456789abcdef0123";
const READER = "supabase_read_only_user";
const ERROR = 'ERROR:  relation "public.leads" does not exist';

describe("jobmon with only an access token", () => {
  let c: PgCronCluster;
  let fake: FakeManagementApi;

  before(async () => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    c = clusters()[0]!;
    const failing = await scheduleJob(c, "import-leads", "*/5 * * * *", "select 1");
    await scheduleJob(c, "nightly-export", "0 3 * * *", "select 2");
    await insertRun(c, { jobid: failing, status: "failed", start_time: new Date(Date.now() - 90_000), end_time: new Date(Date.now() - 89_000), return_message: ERROR });
    fake = await startFakeManagementApi({
      token: TOKEN,
      projects: {
        tokenclialphaaaaaaaa: { name: "Lead Gen", database: c.urlFor({ user: READER }) },
        tokenclipausedaaaaaa: { name: "paused-one", status: "INACTIVE" },
      },
    });
  });
  after(async () => {
    await fake?.close();
  });

  it("discover and check find every job of every active project, report a failed one, skip a paused one, and add a new project", async () => {
    const cwd = tempDir();
    const env = { SUPABASE_ACCESS_TOKEN: TOKEN, SUPABASE_API_URL: fake.url };

    const discover = await runCli(["discover"], { env, cwd });
    assert.equal(discover.code, 0, discover.stderr);
    assert.match(discover.stdout, /Lead-Gen: pg_cron .*2 job\(s\), 0 Edge Function\(s\): 2 new/);
    assert.match(discover.stdout, /paused-one: paused: paused in Supabase \(INACTIVE\)/);

    const check = await runCli(["check", "--json"], { env, cwd });
    assert.equal(check.code, 0, check.stderr);
    const report = JSON.parse(check.stdout) as {
      projects: { project_name: string; status: string }[];
      jobs: { job_name: string; status: string; error_message: string | null }[];
      management_api: { calls: number };
    };
    assert.deepEqual(report.projects.map((p) => [p.project_name, p.status]).sort(), [["Lead-Gen", "ok"], ["paused-one", "paused"]]);
    const failed = report.jobs.find((j) => j.job_name === "import-leads");
    assert.equal(failed?.status, "failed");
    assert.equal(failed?.error_message, ERROR);
    assert.ok(report.management_api.calls > 0);

    fake.addProject("tokenclinewaaaaaaaaa", { name: "fresh", database: c.urlFor({ user: READER }) });
    const next = await runCli(["check"], { env, cwd });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /info: found project fresh \(tokenclinewaaaaaaaaa\) through the access token/);
    assert.match(next.stdout, /✓ fresh: ok/);
    assert.match(next.stdout, /– paused-one: paused/);
    assert.match(next.stdout, /Management API: \d+ call\(s\)/);
    // No job is healthy yet: every one is listed, the failed ones first.
    const statuses = next.stdout.split("\n").filter((l) => l.startsWith("│ ")).slice(1).map((l) => l.split("│")[3]?.trim());
    assert.deepEqual(statuses, ["failed", "failed", "unknown", "unknown"], next.stdout);
    assert.doesNotMatch(next.stdout, /--all lists every job/);
    const jobs = JSON.parse((await runCli(["jobs", "--json", "--project", "fresh"], { env, cwd })).stdout) as { job_name: string }[];
    assert.deepEqual(jobs.map((j) => j.job_name).sort(), ["import-leads", "nightly-export"]);
    for (const output of [discover, check, next]) assert.doesNotMatch(`${output.stdout}${output.stderr}`, new RegExp(TOKEN), "the token is never printed");
  });
});
