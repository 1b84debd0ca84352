/**
 * Starts a bench worker (bench/worker.ts) in a child process and waits for its result.
 * BENCH_CPU_PROF=<dir> runs every worker with `node --cpu-prof` into that directory.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ResultOf, Task, WorkerMessage } from "./worker.js";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const running = new Set<ChildProcess>();
// Workers still running when the bench exits (an error, Ctrl-C) are stopped with it.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function runInChild<T extends Task>(task: T): Promise<ResultOf[T["kind"]]> {
  const profileDir = process.env.BENCH_CPU_PROF;
  const execArgv = ["--import", "tsx", ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${task.kind}-${Date.now()}.cpuprofile`] : [])];
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
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
