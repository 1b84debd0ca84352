/**
 * `npm run check:generated` on a copy of this working tree: it passes as the tree is (the
 * test script has just checked and built it), and fails, naming the stale file and the
 * command that refreshes it, once one line of src/ or one migration changed without a rebuild.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";

const ROOT = resolve(import.meta.dirname, "../..");
let copy: string;

/** The tracked and untracked (not ignored) files of the working tree, as a clone would have them, with node_modules linked. */
function copyTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "jobmon-generated-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && f !== "node_modules" && !f.startsWith("node_modules/"));
  for (const file of files) {
    try {
      cpSync(join(ROOT, file), join(dir, file), { recursive: false });
    } catch (error) {
      // A file deleted in the working tree but still in the index.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

function checkGenerated(): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, ["scripts/check-generated.mjs"], { cwd: copy, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function edit(file: string, change: (text: string) => string): () => void {
  const path = join(copy, file);
  const before = readFileSync(path, "utf8");
  const after = change(before);
  assert.notEqual(after, before, `${file} changed`);
  writeFileSync(path, after);
  return () => writeFileSync(path, before);
}

describe("npm run check:generated", () => {
  before(() => {
    copy = copyTree();
  });
  after(() => {
    rmSync(copy, { recursive: true, force: true });
  });

  test("passes on a fresh copy", () => {
    const { status, output } = checkGenerated();
    assert.equal(status, 0, output);
    assert.match(output, /match their sources/);
  });

  test("fails when one line of src/ changed without a rebuild, naming the bundle and the command", () => {
    const restore = edit("src/edge-functions.ts", (text) => text.replace("Edge Functions skipped:", "Edge Functions were skipped:"));
    try {
      const { status, output } = checkGenerated();
      assert.equal(status, 1, output);
      assert.match(output, /supabase\/functions\/_shared\/jobmon\.bundle\.js is out of date .*run `npm run build`/);
      assert.doesNotMatch(output, /migrations\.generated\.ts/, "the migrations did not change");
    } finally {
      restore();
    }
    assert.equal(checkGenerated().status, 0, "and passes again once the line is back");
  });

  test("fails when a migration changed without a rebuild, naming both generated files", () => {
    const migrations = execFileSync("git", ["ls-files", "supabase/migrations"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter((f) => f.endsWith(".sql"));
    const hub = migrations.find((f) => readFileSync(join(ROOT, f), "utf8").startsWith("-- jobmon:hub"));
    assert.ok(hub, "a hub migration");
    const restore = edit(hub, (text) => `${text}\n-- one more line\n`);
    try {
      const { status, output } = checkGenerated();
      assert.equal(status, 1, output);
      assert.match(output, /src\/hub\/migrations\.generated\.ts is out of date/);
      assert.match(output, /jobmon\.bundle\.js is out of date/, "the bundle embeds the migrations");
    } finally {
      restore();
    }
  });

  test("a missing generated file is named as missing", () => {
    rmSync(join(copy, "supabase/functions/_shared/jobmon.bundle.js"));
    const { status, output } = checkGenerated();
    assert.equal(status, 1);
    assert.match(output, /jobmon\.bundle\.js is missing/);
  });
});
