/**
 * Starts a bench worker (bench/worker.ts) in a child process and waits for its result.
 *
 * Workers run the code as tsc compiles it, under plain `node`: tsx (esbuild with keepNames)
 * wraps every closure in a `__name(…)` call, which costs measurable CPU in hot paths and
 * would be charged to jobmon. `compileWorkers()` emits bench/worker.ts and everything it
 * imports (src/ included) with the project's own tsconfig.json into
 * node_modules/.cache/jobmon-bench (inside the repo, so `postgres` & co. resolve).
 *
 * BENCH_CPU_PROF=<dir> runs every worker with `node --cpu-prof` into that directory.
 */
import { type ChildProcess, fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { ResultOf, Task, WorkerMessage } from "./worker.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUILD_DIR = path.join(ROOT, "node_modules", ".cache", "jobmon-bench");
let compiledWorker: string | undefined;

export function compileWorkers(): void {
  const configPath = path.join(ROOT, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    outDir: BUILD_DIR,
    rootDir: ROOT,
    noEmit: false,
    declaration: false,
    sourceMap: false,
    incremental: false,
  };
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  const program = ts.createProgram([path.join(ROOT, "bench", "worker.ts")], options);
  const result = program.emit();
  const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (result.emitSkipped || errors.length > 0) {
    throw new Error(`compiling the bench workers failed:\n${ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" })}`);
  }
  compiledWorker = path.join(BUILD_DIR, "bench", "worker.js");
  // The compiled files are ESM like the sources: the build directory needs its own marker.
  fs.writeFileSync(path.join(BUILD_DIR, "package.json"), JSON.stringify({ type: "module" }));
}

export function removeCompiledWorkers(): void {
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
}

const running = new Set<ChildProcess>();
// Workers still running when the bench exits (an error, Ctrl-C) are stopped with it.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function runInChild<T extends Task>(task: T): Promise<ResultOf[T["kind"]]> {
  if (!compiledWorker) compileWorkers();
  const worker = compiledWorker as string;
  const profileDir = process.env.BENCH_CPU_PROF;
  const execArgv = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profileDir)}`, `--cpu-prof-name=${task.kind}-${Date.now()}.cpuprofile`] : [];
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
    running.add(child);
    let answer: WorkerMessage | undefined;
    child.once("message", (message: WorkerMessage) => {
      answer = message;
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      running.delete(child);
      if (answer?.ok) resolve(answer.result as ResultOf[T["kind"]]);
      else if (answer) reject(new Error(`bench worker (${task.kind}) failed:\n${answer.error}`));
      else reject(new Error(`bench worker (${task.kind}) exited with ${signal ?? code} before answering`));
    });
    child.send(task);
  });
}
