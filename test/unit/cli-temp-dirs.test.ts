import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { describe, it } from "node:test";

const FIXTURE = resolve(import.meta.dirname, "../fixtures/temp-dirs-then-fail.ts");

function runTestFile(file: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done) => {
    // Without NODE_TEST_CONTEXT, which would make the child report to this runner.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    execFile(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", file], { cwd: resolve(import.meta.dirname, "../.."), env }, (error, stdout) => {
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

describe("the CLI test helper's temporary directories", () => {
  it("are removed when the test file ends, also when its tests fail", async () => {
    const r = await runTestFile(FIXTURE);
    assert.notEqual(r.code, 0, "the fixture fails on purpose");
    const dir = /TEMP_DIR=(.+)/.exec(r.stdout)?.[1];
    const pid = /TEMP_PID=(\d+)/.exec(r.stdout)?.[1];
    assert.ok(dir && pid, `the fixture said where it wrote:\n${r.stdout}`);
    assert.equal(existsSync(dir), false, `${dir} is left behind`);
    const leftovers = readdirSync(tmpdir()).filter((name) => name.startsWith(`jobmon-cli-${pid}-`));
    assert.deepEqual(leftovers, []);
  });
});
