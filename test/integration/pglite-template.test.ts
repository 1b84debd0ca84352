/**
 * A new embedded hub unpacks the build's PGlite template itself (src/node/pglite-template.ts)
 * instead of handing the tarball to PGlite: the files must be exactly the tarball's, and the
 * result a database PGlite opens as it is.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { openEmbeddedHub } from "../../src/node/embedded-hub.js";
import { extractPgliteTemplate, pgliteTemplate } from "../../src/node/pglite-template.js";

const root = mkdtempSync(join(tmpdir(), "jobmon-template-"));
after(() => rmSync(root, { recursive: true, force: true }));

const TARBALL = join(import.meta.dirname, "../../dist/pglite-template.tar.gz");

function filesUnder(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), statSync(path).size);
    }
  };
  walk(dir);
  return files;
}

describe("the PGlite template, unpacked for a new embedded hub", () => {
  it("writes exactly the tarball's files, sizes included, and leaves no staging directory", () => {
    assert.ok(existsSync(TARBALL), "the template is built (npm run build)");
    const listing = spawnSync("tar", ["-tzvf", TARBALL], { encoding: "utf8" });
    assert.equal(listing.status, 0, listing.stderr);
    const expected = new Map<string, number>();
    for (const line of listing.stdout.split("\n")) {
      const [mode, , size, , , name] = line.trim().split(/\s+/);
      if (mode?.startsWith("-") && name) expected.set(name.replace(/^\//, ""), Number(size));
    }
    assert.ok(expected.has("PG_VERSION") && expected.size > 100, `the tarball lists a data directory (${expected.size} files)`);

    const dataDir = join(root, "unpacked", "pgdata");
    mkdirSync(join(root, "unpacked"));
    assert.equal(extractPgliteTemplate(dataDir), true);
    assert.deepEqual([...filesUnder(dataDir)].sort(), [...expected].sort());
    assert.deepEqual(readdirSync(join(root, "unpacked")), ["pgdata"]);
  });

  it("makes a hub PGlite opens as an existing database, and keeps its data across openings", async () => {
    const dir = join(root, "hub");
    const first = await openEmbeddedHub(dir, { waitMs: 0 });
    try {
      await first.exec("create table kept (n int); insert into kept values (42)");
    } finally {
      await first.close();
    }
    const again = await openEmbeddedHub(dir, { waitMs: 0 });
    try {
      assert.deepEqual(await again.query("select n from kept"), [{ n: 42 }]);
    } finally {
      await again.close();
    }
  });

  it("leaves a data directory that holds something to PGlite's own loader", async () => {
    // Not a database yet, not empty: nothing of it is replaced; PGlite loads the template into it.
    const dir = join(root, "odd");
    mkdirSync(join(dir, "pgdata"), { recursive: true });
    writeFileSync(join(dir, "pgdata", "left-over"), "x");
    assert.ok(pgliteTemplate(), "the template is built");
    const db = await openEmbeddedHub(dir, { waitMs: 0 });
    try {
      assert.deepEqual(await db.query("select 1 as one"), [{ one: 1 }]);
    } finally {
      await db.close();
    }
    assert.ok(existsSync(join(dir, "pgdata", "left-over")));
    assert.ok(existsSync(join(dir, "pgdata", "PG_VERSION")));
  });
});
