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
import type { OneShotTask, ResultOf, SessionOf, SessionTask, StepMessage, Task, WorkerMessage } from "./worker.js";

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
  try {
    fs.rmdirSync(path.dirname(BUILD_DIR)); // node_modules/.cache, only when nothing else uses it
  } catch {
    // not empty, or already gone
  }
}

const running = new Set<ChildProcess>();
// Workers still running when the bench exits (an error, Ctrl-C) are stopped with it, and
// the compiled copy goes too.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  if (compiledWorker) removeCompiledWorkers();
});

function startWorker(task: Task): { child: ChildProcess; next: () => Promise<unknown> } {
  if (!compiledWorker) compileWorkers();
  const worker = compiledWorker as string;
  const profileDir = process.env.BENCH_CPU_PROF;
  // --expose-gc: the workers report the heap left after a full collection (retained memory).
  const execArgv = ["--expose-gc", ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profileDir)}`, `--cpu-prof-name=${task.kind}-${task.kind === "history" || task.kind === "seed" ? task.size : ""}-${Date.now()}.cpuprofile`] : [])];
  const child = fork(worker, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
  running.add(child);
  // Answers arrive in order; each waiter takes the next one.
  const answers: WorkerMessage[] = [];
  const waiters: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  let exited: Error | undefined;
  const settle = () => {
    while (waiters.length > 0 && (answers.length > 0 || exited)) {
      const waiter = waiters.shift()!;
      const answer = answers.shift();
      if (answer?.ok) waiter.resolve(answer.result);
      else if (answer) waiter.reject(new Error(`bench worker (${task.kind}) failed:\n${answer.error}`));
      else waiter.reject(exited!);
    }
  };
  child.on("message", (message: WorkerMessage) => {
    answers.push(message);
    settle();
  });
  child.once("error", (error) => {
    exited = error;
    settle();
  });
  child.once("exit", (code, signal) => {
    running.delete(child);
    exited = new Error(`bench worker (${task.kind}) exited with ${signal ?? code} before answering`);
    settle();
  });
  child.send(task);
  return {
    child,
    next: () =>
      new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
        settle();
      }),
  };
}

/** Runs a one-shot task in a fresh process. */
export async function runInChild<T extends OneShotTask>(task: T): Promise<ResultOf[T["kind"]]> {
  return (await startWorker(task).next()) as ResultOf[T["kind"]];
}

type StepResult<S, K extends keyof S> = S[K] extends () => Promise<infer R> ? R : never;

export interface Session<S> {
  step<K extends keyof S & string>(step: K): Promise<StepResult<S, K>>;
}

/** Opens a session task in a fresh process; its steps run when asked, one at a time. */
export async function openSessionInChild<T extends SessionTask>(task: T): Promise<Session<SessionOf[T["kind"]]>> {
  const { child, next } = startWorker(task);
  await next(); // "ready"
  return {
    step(step) {
      const answer = next();
      child.send({ step } satisfies StepMessage);
      return answer as Promise<never>;
    },
  };
}
