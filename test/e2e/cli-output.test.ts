import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { before, beforeEach, describe, it } from "node:test";
import { buildProgram } from "../../src/cli/program.js";
import { renderForTerminal } from "../../src/cli/output.js";
import { insertRun, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { resetCron } from "../helpers/check.js";
import { CLI, runCli, tempDir } from "../helpers/cli.js";
import { postgresHubEnv } from "../helpers/hub.js";
import { describeChar, fuzzValue, prng, SGR, UNSAFE } from "../helpers/terminal-fuzz.js";

/**
 * What the CLI prints when the monitored database holds hostile text: job names and run
 * errors with terminal escapes, bidi controls and newlines. Also: configuration errors
 * never print a password, and redaction leaves jobmon's own words alone.
 */

const clusters = usePgCronClusters(1, { quiet: true, name: "output" });

// One round of real CLI processes by default (each spawns seven commands): the in-process
// fuzz (test/unit/printable-fuzz.test.ts) runs hundreds; FUZZ_ROUNDS=N for more here.
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 1);
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 6_060_606);
const JOBS_PER_ROUND = 8;

interface Call {
  stream: "out" | "err";
  text: string;
}

/** Runs one command in process, as `jobmon <args>` would, and returns what it handed to its Io. */
async function run(env: Record<string, string>, args: string[]): Promise<Call[]> {
  const calls: Call[] = [];
  const program = buildProgram({
    env,
    io: { out: (text) => calls.push({ stream: "out", text }), err: (text) => calls.push({ stream: "err", text }) },
    setExitCode: () => {},
  });
  await program.parseAsync(args, { from: "user" });
  return calls;
}

function json<T>(calls: Call[]): T {
  assert.equal(calls.length, 1, "one JSON output");
  return JSON.parse(renderForTerminal(calls[0]!.text, { colour: false })) as T;
}

/**
 * Every call reaches the terminal as one line, or as a table of exactly `rows` rows (plus
 * its top, header and bottom lines), with nothing a terminal acts on but jobmon's own SGR
 * colour codes.
 */
function assertPrintable(where: string, calls: Call[], rows: number): void {
  assert.ok(calls.length > 0, `${where}: printed something`);
  for (const call of calls) {
    const off = renderForTerminal(call.text, { colour: false });
    const on = renderForTerminal(call.text, { colour: true });
    const bad = UNSAFE.exec(off);
    assert.equal(bad, null, `${where}: ${describeChar(bad?.[0])} reaches the terminal in ${JSON.stringify(off)}`);
    assert.equal(on.replace(SGR, ""), off, `${where}: colour adds only SGR codes`);
    const lines = off.split("\n");
    if (off.startsWith("┌")) {
      assert.equal(lines.length, rows + 3, `${where}: one line per row:\n${off}`);
      assert.ok(lines.every((l) => /^[┌│└]/.test(l)), `${where}: every line belongs to the table:\n${off}`);
    } else {
      assert.equal(lines.length, 1, `${where}: one line: ${JSON.stringify(off)}`);
    }
  }
}

describe("the CLI's output with hostile names and errors from the monitored database", () => {
  let cluster: PgCronCluster;

  before(() => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    [cluster] = clusters() as [PgCronCluster];
  });

  beforeEach(async () => {
    await resetCron(cluster);
  });

  it("fuzz: discover, jobs, check, status, history, annotate, mute print nothing but printable text, one line or one table row per value", { timeout: 600_000 }, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const seed = FIRST_SEED + round;
      const random = prng(seed);
      await resetCron(cluster);
      const names = new Set<string>();
      while (names.size < JOBS_PER_ROUND) {
        // cron.job.jobname is a PostgreSQL name: at most 63 bytes.
        const name = `${fuzzValue(random)}-${names.size}`;
        if (Buffer.byteLength(name) <= 63) names.add(name);
      }
      const recent = new Date(Date.now() - 120_000);
      for (const name of names) {
        // A schedule that does not fire during the test; the failed run is put there by hand.
        const jobid = await scheduleJob(cluster, name, "0 3 1 1 *", "select 1");
        await insertRun(cluster, { jobid, status: "failed", return_message: `ERROR:  ${fuzzValue(random)}`, start_time: recent, end_time: recent });
      }
      // A Postgres hub: each command opens the hub anew, and the embedded one is not the subject.
      const env = { SUPABASE_POSTGRES_URL: cluster.url, JOBMON_PROJECT_NAMES: "fuzz", ...(await postgresHubEnv(cluster)) };
      const where = (command: string) => `seed ${seed}, ${command}`;

      assertPrintable(where("discover"), await run(env, ["discover"]), 0);
      const inventory = json<{ id: number; job_name: string }[]>(await run(env, ["jobs", "--json"]));
      assert.deepEqual(inventory.map((j) => j.job_name).sort(), [...names].sort(), `${where("jobs --json")}: the names, exactly`);
      assertPrintable(where("jobs"), await run(env, ["jobs"]), inventory.length);

      const dry = json<{ jobs: unknown[] }>(await run(env, ["check", "--dry-run", "--json"]));
      // --all: every job a row, whatever its status.
      assertPrintable(where("check"), await run(env, ["check", "--all"]), dry.jobs.length);
      const current = json<unknown[]>(await run(env, ["status", "--json"]));
      assertPrintable(where("status"), await run(env, ["status", "--all"]), current.length);

      const job = inventory[0]!;
      const entries = json<unknown[]>(await run(env, ["history", String(job.id), "--json"]));
      assertPrintable(where("history"), await run(env, ["history", String(job.id)]), entries.length);
      assertPrintable(where("annotate"), await run(env, ["annotate", String(job.id), "--description", fuzzValue(random)]), 0);
      assertPrintable(where("mute"), await run(env, ["mute", String(job.id), "--for", "1h"]), 0);
      assertPrintable(where("jobs, annotated"), await run(env, ["jobs"]), inventory.length);
    }
  });

  // At most 63 bytes: cron.job.jobname is a PostgreSQL name.
  const EVIL = "ev\u001b[2J\u001b]0;pwn\u0007\u001b]8;;h\u001b\\a\u202eexe.txt\nforged│ok";
  const EVIL_ERROR = "ERROR:  \u001b[32m✓ ALL JOBS OK\u001b[0m\n\u009b2J\u2066hidden";

  async function evilCluster(): Promise<Record<string, string>> {
    const recent = new Date(Date.now() - 120_000);
    const jobid = await scheduleJob(cluster, EVIL, "0 3 1 1 *", "select 1");
    await insertRun(cluster, { jobid, status: "failed", return_message: EVIL_ERROR, start_time: recent, end_time: recent });
    await scheduleJob(cluster, "plain-job", "0 3 1 1 *", "select 2");
    return { SUPABASE_POSTGRES_URL: cluster.url, JOBMON_PROJECT_NAMES: "hostile" };
  }

  function assertNoRawControls(what: string, text: string): void {
    assert.ok(!text.includes("\u001b"), `${what}: no raw ESC in ${JSON.stringify(text)}`);
    assert.ok(!text.includes("\u202e") && !text.includes("\u2066"), `${what}: no bidi control`);
    assert.ok(!text.includes("\u009b") && !text.includes("\u0007"), `${what}: no C1 CSI, no BEL`);
  }

  const tableLines = (stdout: string) => stdout.split("\n").filter((l) => /^[┌│└]/.test(l));

  it("jobmon jobs and jobmon check print a job named with escapes as printable text, one table line per job", async () => {
    const env = await evilCluster();
    const cwd = tempDir();
    const discover = await runCli(["discover"], { env, cwd });
    assert.equal(discover.code, 0, discover.stderr);
    assertNoRawControls("discover", discover.stdout + discover.stderr);
    const jobs = await runCli(["jobs"], { env, cwd });
    assert.equal(jobs.code, 0, jobs.stderr);
    assertNoRawControls("jobs", jobs.stdout + jobs.stderr);
    assert.equal(tableLines(jobs.stdout).length, 2 + 3, jobs.stdout);
    assert.ok(jobs.stdout.includes("ev\\x1b[2J\\x1b]0;pwn\\x07\\x1b]8;;h\\x1b\\a\\u202eexe.txt⏎forged│ok"), jobs.stdout);

    const check = await runCli(["check"], { env, cwd });
    assert.equal(check.code, 0, check.stderr);
    assertNoRawControls("check", check.stdout + check.stderr);
    assert.equal(tableLines(check.stdout).length, 2 + 3, check.stdout);
    // Both jobs are not healthy (the plain one has not run yet): the failed one first.
    assert.match(tableLines(check.stdout)[2]!, /│ failed +│/);
    assert.match(tableLines(check.stdout)[3]!, /│ plain-job +│ unknown +│/);
    assert.ok(!/^✓ ALL JOBS OK/m.test(check.stdout), "no forged line");
    // The summary of state changes names the job on its one line.
    assert.match(check.stdout, /^\d+ state change\(s\): .*ev\\x1b\[2J.*⏎forged/m);

    const json = await runCli(["jobs", "--json"], { env, cwd });
    const rows = JSON.parse(json.stdout) as { job_name: string }[];
    assert.ok(rows.some((r) => r.job_name === EVIL), "--json keeps the exact name");
    assertNoRawControls("jobs --json", json.stdout);
  });

  it("keeps jobmon's own colours and line breaks", async () => {
    const env = { ...(await evilCluster()), NO_COLOR: "", FORCE_COLOR: "1" };
    const cwd = tempDir();
    const status = await runCli(["check"], { env, cwd });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /\u001b\[31mfailed\u001b\[39m/, "statuses in colour");
    assertNoRawControls("check in colour, SGR codes removed", status.stdout.replace(SGR, ""));
    assert.equal(tableLines(status.stdout).length, 2 + 3, status.stdout);

    const plain = await runCli(["status"], { env: { ...env, FORCE_COLOR: "", NO_COLOR: "1" }, cwd });
    assert.ok(!plain.stdout.includes("\u001b"), "NO_COLOR: no colour at all");

    const help = await runCli(["--help"], { env });
    assert.equal(help.code, 0);
    assert.ok(help.stdout.split("\n").length > 10, help.stdout);
    assert.ok(!help.stdout.includes("⏎"), "help keeps its line breaks");
    const unknown = await runCli(["nosuchcommand"], { env });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /^jobmon: unknown command 'nosuchcommand'\n\(run with --help for usage\)/m);
  });

  it("redacts bare secret-shaped tokens in commands (Stripe, Supabase, GitHub, Slack), not a publishable key", async () => {
    const secrets = ["sk_live_51HqLyjWDarjtT1zdp7dcXYZabc", "rk_live_51HqLyjWDarjtT1zdp7dcXYZabc", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"];
    const publishable = "sb_publishable_ABCdef123_456";
    const command = `select net.http_post('https://api.example.com', headers := '{"x-keys": "${secrets.join(" ")}", "publishable": "${publishable}"}'::jsonb)`;
    await scheduleJob(cluster, "keys", "0 3 1 1 *", command);
    const env = { SUPABASE_POSTGRES_URL: cluster.url, JOBMON_PROJECT_NAMES: "keys" };
    const cwd = tempDir();
    assert.equal((await runCli(["discover"], { env, cwd })).code, 0);
    const r = await runCli(["jobs", "--json"], { env, cwd });
    const [row] = JSON.parse(r.stdout) as { command: string }[];
    for (const secret of secrets) assert.ok(!r.stdout.includes(secret), `${secret} printed: ${row!.command}`);
    assert.ok(row!.command.includes(publishable), row!.command);
    assert.equal(row!.command.match(/\[redacted\]/g)?.length, secrets.length, row!.command);
  });
});

describe("configuration errors and redaction, through the CLI", () => {
  it("a password with an unencoded # / ? is never printed, for a project URL or JOBMON_HUB_URL; the error says to percent-encode it", async () => {
    const passwords = ["Hunter#2secret", "Hunter/2secret", "Hunter?2secret", "12#Hunter2", "p@ss#Hunter2"];
    for (const password of passwords) {
      for (const variable of ["SUPABASE_POSTGRES_URL", "JOBMON_HUB_URL"]) {
        const r = await runCli(["jobs"], { env: { [variable]: `postgresql://postgres:${password}@127.0.0.1:5432/postgres` } });
        const printed = r.stdout + r.stderr;
        assert.equal(r.code, 2, `${variable} with ${password}: ${printed}`);
        assert.match(r.stderr, new RegExp(`^jobmon: ${variable}: `), printed);
        assert.match(r.stderr, /%23/, printed);
        for (const piece of ["Hunter", "2secret", "ss#"]) assert.ok(!printed.includes(piece), `${variable} with ${password}: "${piece}" printed: ${printed}`);
      }
    }
  });

  it("serve's refusal keeps its own words: redaction is for values", async () => {
    const r = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /as a bearer token in the Authorization header/);
    assert.doesNotMatch(r.stderr, /\[redacted\]/);
  });
});
