import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { freePort, scheduleJob, usePgCronClusters, type PgCronCluster } from "../harness/pgcron.js";
import { CLI, runCli, tempDir } from "../helpers/cli.js";
import { postgresHubEnv } from "../helpers/hub.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "clihub" });
const PASSWORD = "Hub-N3ver-Print3d";

describe("the jobmon CLI and its hub", () => {
  let one: PgCronCluster;
  let env: Record<string, string>;

  before(async () => {
    assert.ok(existsSync(CLI), "the CLI is built (npm run build)");
    [one] = clusters() as [PgCronCluster];
    await scheduleJob(one, "sync-leads", "*/5 * * * *", "select 1");
    env = { SUPABASE_POSTGRES_URL: one.url, JOBMON_PROJECT_NAMES: "smoothed" };
  });

  it("refuses absurd settings and history limits with the allowed range, exit code 1, and writes nothing", async () => {
    const cwd = tempDir();
    // The embedded hub is not the subject here: a Postgres hub spares each process PGlite's start.
    const hub = await postgresHubEnv(one);
    assert.equal((await runCli(["discover"], { env: { ...env, ...hub }, cwd })).code, 0);
    const before = (await runCli(["jobs", "--json"], { env: { ...env, ...hub }, cwd })).stdout;
    for (const [args, range] of [
      [["annotate", "smoothed/sync-leads", "--grace", "99999d"], /from 1s to 366d/],
      [["annotate", "smoothed/sync-leads", "--max-runtime", "99999999999d"], /from 1s to 366d/],
      [["annotate", "smoothed/sync-leads", "--description", "not written either", "--failure-threshold", "100000000000000000000"], /from 1 to 1000/],
      [["history", "smoothed/sync-leads", "--limit", "100000000000000000000"], /from 1 to 10000/],
    ] as const) {
      const r = await runCli([...args], { env: { ...env, ...hub }, cwd });
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, range, args.join(" "));
      assert.doesNotMatch(r.stderr, /out of range for type/, args.join(" "));
    }
    assert.equal((await runCli(["jobs", "--json"], { env: { ...env, ...hub }, cwd })).stdout, before);
  });

  it("status says unknown, never ok, for a project that no check has reached", async () => {
    const cwd = tempDir();
    // The embedded hub is not the subject here: a Postgres hub spares each process PGlite's start.
    const hub = await postgresHubEnv(one);
    const port = await freePort();
    const withDead = { ...env, SUPABASE_POSTGRES_URL_2: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`, JOBMON_PROJECT_NAMES: "smoothed,scraping", JOBMON_PROJECT_TIMEOUT: "5s" };
    const discover = await runCli(["discover"], { env: { ...withDead, ...hub }, cwd });
    assert.equal(discover.code, 1);
    assert.match(discover.stdout, /scraping: unreachable/);

    const status = await runCli(["status"], { env: { ...withDead, ...hub }, cwd });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^scraping: unknown/m);
    assert.match(status.stdout, /^smoothed: unknown/m, "discovery reads pg_cron; only a check observes health");
    assert.doesNotMatch(status.stdout, /^scraping: ok/m);

    await runCli(["check"], { env: { ...withDead, ...hub }, cwd });
    const checked = await runCli(["status"], { env: { ...withDead, ...hub }, cwd });
    assert.match(checked.stdout, /^scraping: unreachable/m);
    assert.match(checked.stdout, /^smoothed: ok/m);
    assert.doesNotMatch(discover.stdout + discover.stderr + status.stdout + checked.stdout + checked.stderr, new RegExp(PASSWORD));
  });

  it("names the hub in a hub's error and never prints its password", async () => {
    const r = await runCli(["jobs"], { env: { ...env, JOBMON_HUB_URL: one.urlFor({ password: PASSWORD }) } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`hub \\(JOBMON_HUB_URL\\): password authentication failed for user "${one.superuser}"`));
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(PASSWORD));
  });

  it(
    "gives up on a hub that never answers within the project timeout",
    async () => {
      const sockets: Socket[] = [];
      const server = createServer((socket) => void sockets.push(socket.on("error", () => {})));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      after(() => {
        for (const socket of sockets) socket.destroy();
        server.close();
      });
      const port = (server.address() as { port: number }).port;
      const started = performance.now();
      const r = await runCli(["jobs"], { env: { ...env, JOBMON_HUB_URL: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`, JOBMON_PROJECT_TIMEOUT: "2s" }, timeoutMs: 30_000 });
      const elapsedMs = performance.now() - started;
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`hub \\(JOBMON_HUB_URL\\): no answer from 127\\.0\\.0\\.1:${port} within 2 s`));
      assert.ok(elapsedMs < 8_000, `gave up after ${Math.round(elapsedMs)} ms`);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(PASSWORD));
    },
  );
});
