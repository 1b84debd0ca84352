/**
 * A bench child process: receives one task over IPC, runs it, sends the result back and
 * exits. Each measurement runs in a fresh process so CPU, cold starts and the memory
 * high-water mark belong to it alone (bench/child.ts starts these).
 */
import { runEdge, runFanout, type EdgeResult, type EdgeTask, type FanoutResult, type FanoutTask } from "./cycle.js";
import { runEvaluate, type EvaluateResult, type EvaluateTask } from "./evaluate.js";
import { runHistory, runSeed, type HistoryResult, type HistoryTask, type SeedResult, type SeedTask } from "./history.js";

export type Task = HistoryTask | SeedTask | EvaluateTask | EdgeTask | FanoutTask;

export interface ResultOf {
  history: HistoryResult;
  seed: SeedResult;
  evaluate: EvaluateResult;
  edge: EdgeResult;
  fanout: FanoutResult;
}

export type WorkerMessage = { ok: true; result: unknown } | { ok: false; error: string };

async function run(task: Task): Promise<unknown> {
  switch (task.kind) {
    case "history":
      return runHistory(task);
    case "seed":
      return runSeed(task);
    case "evaluate":
      return runEvaluate(task);
    case "edge":
      return runEdge(task);
    case "fanout":
      return runFanout(task);
  }
}

// The parent went away (interrupted): stop rather than linger.
process.once("disconnect", () => process.exit(process.exitCode ?? 1));

process.once("message", (task: Task) => {
  run(task).then(
    (result) => finish({ ok: true, result }),
    (error: unknown) => finish({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});

function finish(message: WorkerMessage): void {
  process.exitCode = message.ok ? 0 : 1;
  process.send?.(message, () => process.disconnect?.());
}
