/**
 * readNetResponses against a real PostgreSQL (the pg_cron harness). pg_net is not packaged
 * for Debian, so the test creates `net._http_response` with pg_net's columns and index, in a
 * database of its own; the `postgres` database stays without a `net` schema.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { postgresDb } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { readNetResponses } from "../../src/sources/pgnet.js";
import { type PgCronCluster, usePgCronClusters } from "../harness/pgcron.js";
import { PG_NET_RESPONSE_TABLE } from "../harness/pgnet.js";

const clusters = usePgCronClusters(1, { name: "pgnet" });
let cluster: PgCronCluster;
let app: Db;
const dbs: Db[] = [];

interface Row {
  id: number;
  /** Seconds before now() (database clock). */
  ago: number;
  status_code?: number | null;
  content?: string | null;
  timed_out?: boolean | null;
  error_msg?: string | null;
}

async function insert(rows: Row[]): Promise<void> {
  for (const row of rows) {
    await app.query(
      `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg, created)
       values ($1, $2, 'application/json', '{"x-sb-edge-region": "eu-central-1"}'::jsonb, $3, $4, $5, now() - make_interval(secs => $6))`,
      [row.id, row.status_code === undefined ? 200 : row.status_code, row.content ?? null, row.timed_out ?? false, row.error_msg ?? null, row.ago],
    );
  }
}

after(async () => {
  await Promise.all(dbs.map((db) => db.close()));
});

describe("readNetResponses", () => {
  before(async () => {
    [cluster] = clusters() as [PgCronCluster];
    await cluster.sql("create database app");
    app = postgresDb(cluster.urlFor({ database: "app" }), { max: 1 });
    dbs.push(app);
    await app.exec(PG_NET_RESPONSE_TABLE);
  });

  test("a database without pg_net answers available: false, quietly", async () => {
    const db = postgresDb(cluster.url, { max: 1 });
    dbs.push(db);
    const read = await readNetResponses(db, { cursor: null });
    assert.deepEqual(read, { available: false, kind: "absent", reason: "pg_net is not installed (no net._http_response)" });
    // A net schema without the table is the same.
    await cluster.sql("create schema if not exists net");
    assert.equal((await readNetResponses(db, { cursor: null })).available, false);
    await cluster.sql("drop schema net");
  });

  test("a role that cannot read the table gets a reason that says what to grant", async () => {
    await cluster.createRole("reader", { password: "reader-pw" });
    const db = postgresDb(cluster.urlFor({ user: "reader", password: "reader-pw", database: "app" }), { max: 1 });
    dbs.push(db);
    const read = await readNetResponses(db, { cursor: null });
    assert.equal(read.available, false);
    assert.equal(read.available === false && read.kind, "forbidden");
    assert.match(read.available === false ? read.reason : "", /role reader cannot read net\._http_response: grant usage on schema net/);
  });

  test("reads forward from the cursor: only new rows, ties on created broken by id, failures classified", async () => {
    await app.query("truncate net._http_response");
    await insert([
      { id: 1, ago: 7200 }, // older than the first read's window
      { id: 2, ago: 600 },
      { id: 3, ago: 300, status_code: 500, content: '{"error":"boom"}' },
      { id: 4, ago: 300, status_code: null, timed_out: true, error_msg: "Timeout of 5000 ms reached" },
      { id: 5, ago: 240, status_code: 404 },
      { id: 6, ago: 200, status_code: null, error_msg: "Couldn't resolve host name" },
      { id: 7, ago: 180, status_code: 302 },
      { id: 8, ago: 170, status_code: 546 },
      { id: 9, ago: 1 }, // not settled yet: the worker's batch may still be committing
    ]);
    const first = await readNetResponses(app, { cursor: null });
    assert.ok(first.available);
    assert.deepEqual(first.responses.map((r) => r.id), [2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(first.responses.filter((r) => r.failed).map((r) => r.id), [3, 4, 5, 6, 8]);
    assert.equal(first.failed, 5);
    assert.equal(first.truncated, false);
    const [ok, boom, timeout] = first.responses;
    assert.equal(ok?.content, null, "a successful response's body is not read");
    assert.equal(boom?.content, '{"error":"boom"}');
    assert.equal(boom?.status_code, 500);
    assert.equal(timeout?.timed_out, true);
    assert.equal(timeout?.status_code, null);
    assert.equal(timeout?.error_msg, "Timeout of 5000 ms reached");
    assert.ok(boom?.created instanceof Date);
    assert.deepEqual(first.cursor, { created: first.responses.at(-1)?.created, id: 8 });

    // New rows: one in the same transaction (same created) as the last one read, with a
    // higher id, and one later. Neither re-reads nor skips.
    await app.query("insert into net._http_response (id, status_code, created) select 10, 503, created from net._http_response where id = 8");
    await insert([{ id: 11, ago: 60 }]);
    const second = await readNetResponses(app, { cursor: first.cursor });
    assert.ok(second.available);
    assert.deepEqual(second.responses.map((r) => [r.id, r.failed]), [
      [10, true],
      [11, false],
    ]);
    const third = await readNetResponses(app, { cursor: second.cursor });
    assert.ok(third.available);
    assert.deepEqual(third.responses, []);
    assert.deepEqual(third.cursor, second.cursor, "nothing new: the cursor stays");
  });

  test("pages are bounded, and maxRows stops the read with the rest left for the next one", async () => {
    await app.query("truncate net._http_response");
    await app.query(
      `insert into net._http_response (id, status_code, created)
       select i, case when i % 10 = 0 then 500 else 200 end, now() - interval '10 minutes' + make_interval(secs => i)
         from generate_series(1, 25) as i`,
    );
    const read = await readNetResponses(app, { cursor: null, pageSize: 4, maxRows: 10 });
    assert.ok(read.available);
    assert.equal(read.truncated, true);
    assert.deepEqual(read.responses.map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const rest = await readNetResponses(app, { cursor: read.cursor, pageSize: 4, maxRows: 100 });
    assert.ok(rest.available);
    assert.equal(rest.truncated, false);
    assert.deepEqual(rest.responses.map((r) => r.id), [13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    assert.equal(rest.failed, 1);
  });

  test("a 1 MB body is cut to the content limit, never pulled whole", async () => {
    await app.query("truncate net._http_response");
    await app.query(
      `insert into net._http_response (id, status_code, content, created) values
         (1, 500, repeat('x', 1000000), now() - interval '1 minute'),
         (2, 200, repeat('y', 1000000), now() - interval '1 minute'),
         (3, 500, 'short', now() - interval '1 minute')`,
    );
    const read = await readNetResponses(app, { cursor: null, contentLimit: 500 });
    assert.ok(read.available);
    const [big, ok, short] = read.responses;
    assert.equal(big?.content?.length, 500);
    assert.equal(big?.content_truncated, true);
    assert.equal(ok?.content, null);
    assert.equal(short?.content, "short");
    assert.equal(short?.content_truncated, false);
  });

  test("an empty first read still sets a cursor, so the next read does not look back again", async () => {
    await app.query("truncate net._http_response");
    const read = await readNetResponses(app, { cursor: null, settleSeconds: 0 });
    assert.ok(read.available);
    assert.deepEqual(read.responses, []);
    assert.ok(read.cursor !== null);
    await insert([{ id: 1, ago: 7000 }]); // behind the cursor: a first read would have skipped it too
    await insert([{ id: 2, ago: 0 }]);
    const next = await readNetResponses(app, { cursor: read.cursor, settleSeconds: 0 });
    assert.ok(next.available);
    assert.deepEqual(next.responses.map((r) => r.id), [2]);
  });

  test("a cursor older than pg_net.ttl gets a warning that rows may be gone", async () => {
    const read = await readNetResponses(app, { cursor: { created: new Date(Date.now() - 7 * 3600_000), id: 0 } });
    assert.ok(read.available);
    assert.match(read.warnings.join("\n"), /longer ago than pg_net\.ttl \(360 min\)/);
    const recent = await readNetResponses(app, { cursor: { created: new Date(Date.now() - 3600_000), id: 0 } });
    assert.ok(recent.available);
    assert.deepEqual(recent.warnings, []);
  });
});
