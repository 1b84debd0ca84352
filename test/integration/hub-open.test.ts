import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import type { HubConfig } from "../../src/config.js";
import type { Db } from "../../src/db/types.js";
import { JobNotFoundError } from "../../src/hub/inventory.js";
import { HubError, openHub } from "../../src/hub/open.js";
import { freePort, usePgCronClusters } from "../harness/pgcron.js";

const clusters = usePgCronClusters(1, { quiet: true, name: "hubopen" });
const cluster = () => clusters()[0]!;
const opened: Db[] = [];
after(async () => {
  await Promise.all(opened.map((db) => db.close().catch(() => {})));
});

const PASSWORD = "Hub-N3ver-Print3d";

function postgresHub(url: string, source = "JOBMON_HUB_URL"): HubConfig {
  return { kind: "postgres", url, source, projectName: null };
}

async function open(hub: HubConfig, options: Parameters<typeof openHub>[1] = {}): Promise<Db> {
  const db = await openHub(hub, options);
  opened.push(db);
  return db;
}

/** A TCP port that accepts connections and never says a word (a hung server, a black hole). */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, server };
}

/** Rejects with `error` from `promise`, or fails once `ms` have passed. */
async function failure(promise: Promise<unknown>, ms: number): Promise<{ error: Error; elapsedMs: number }> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, deadline]);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("still waiting")) throw error;
    return { error: error as Error, elapsedMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
  throw new Error("expected a failure, got an answer");
}

describe("a Postgres hub's errors", () => {
  it("say they are the hub's, keep the server's code, and never hold the password", async () => {
    const url = cluster().urlFor({ password: PASSWORD });
    const db = await open(postgresHub(url));
    const { error } = await failure(db.query("select 1"), 15_000);
    assert.match(error.message, new RegExp(`^hub \\(JOBMON_HUB_URL\\): password authentication failed for user "${cluster().superuser}"`));
    assert.ok(error instanceof HubError);
    assert.equal(error.code, "hub");
    assert.equal(error.driverCode, "28P01");
    assert.doesNotMatch(`${error.message}\n${error.stack}`, new RegExp(PASSWORD));

    const named = await open(postgresHub(url, "JOBMON_HUB=smoothed"));
    assert.match((await failure(named.transaction((tx) => tx.query("select 1")), 15_000)).error.message, /^hub \(JOBMON_HUB=smoothed\): password authentication failed/);
  });

  it("name the hub for a statement the server refuses, and leave jobmon's own errors alone", async () => {
    const db = await open(postgresHub(cluster().url));
    assert.deepEqual(await db.query("select 1 as one"), [{ one: 1 }]);
    const refused = (await failure(db.query("select 1 / 0"), 15_000)).error;
    assert.match(refused.message, /^hub \(JOBMON_HUB_URL\): division by zero$/);
    assert.equal((refused as HubError).driverCode, "22012");
    const inTx = (await failure(db.transaction((tx) => tx.query("select 1 / 0")), 15_000)).error;
    assert.match(inTx.message, /^hub \(JOBMON_HUB_URL\): division by zero$/, "named once, not twice");

    const own = new JobNotFoundError("no job named \"x\" in project \"p\"");
    const passed = (await failure(db.transaction(async (tx) => {
      await tx.query("select 1");
      throw own;
    }), 15_000)).error;
    assert.equal(passed, own);
  });

  it("fail within the connect timeout for a hub that accepts connections and never answers", async () => {
    const { port } = await silentServer();
    const db = await open(postgresHub(`postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`), { connectTimeoutMs: 1_500 });
    const { error, elapsedMs } = await failure(db.query("select 1"), 8_000);
    assert.ok(elapsedMs < 4_000, `failed after ${Math.round(elapsedMs)} ms`);
    assert.match(error.message, new RegExp(`^hub \\(JOBMON_HUB_URL\\): no answer from 127\\.0\\.0\\.1:${port} within 1\\.5 s`));
    assert.doesNotMatch(error.message, new RegExp(PASSWORD));
  });

  it("fail at once, naming the hub, for a port where nothing listens", async () => {
    const port = await freePort();
    const db = await open(postgresHub(`postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`), { connectTimeoutMs: 5_000 });
    const { error, elapsedMs } = await failure(db.query("select 1"), 8_000);
    assert.ok(elapsedMs < 4_000, `failed after ${Math.round(elapsedMs)} ms`);
    assert.match(error.message, new RegExp(`^hub \\(JOBMON_HUB_URL\\): .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(error.message, new RegExp(PASSWORD));
  });
});
