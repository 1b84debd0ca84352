/**
 * A bench child process (bench/child.ts starts these). The first message is a task:
 *
 * - one-shot tasks (evaluate, edge, fanout, token) run, answer once, and the process exits;
 * - session tasks (history, seed) open a session and answer "ready"; each later message
 *   names one of the session's steps, answered in turn; `finish` ends the process.
 *
 * A fresh process per measurement (or per history size) keeps CPU, cold starts and the
 * memory high-water mark its own.
 */
import { runEdge, runFanout, runToken, type EdgeResult, type EdgeTask, type FanoutResult, type FanoutTask, type TokenResult, type TokenTask } from "./cycle.js";
import { runEvaluate, type EvaluateResult, type EvaluateTask } from "./evaluate.js";
import { HistorySession, type HistoryTask, SeedSession, type SeedTask } from "./history.js";

export type OneShotTask = EvaluateTask | EdgeTask | FanoutTask | TokenTask;
export type SessionTask = HistoryTask | SeedTask;
export type Task = OneShotTask | SessionTask;

export interface ResultOf {
  evaluate: EvaluateResult;
  edge: EdgeResult;
  fanout: FanoutResult;
  token: TokenResult;
}

export interface SessionOf {
  history: HistorySession;
  seed: SeedSession;
}

export type WorkerMessage = { ok: true; result: unknown } | { ok: false; error: string };
export interface StepMessage {
  step: string;
}

function runOnce(task: OneShotTask): Promise<unknown> {
  switch (task.kind) {
    case "evaluate":
      return Promise.resolve(runEvaluate(task));
    case "edge":
      return runEdge(task);
    case "fanout":
      return runFanout(task);
    case "token":
      return runToken(task);
  }
}

function openSession(task: SessionTask): HistorySession | SeedSession {
  return task.kind === "history" ? new HistorySession(task) : new SeedSession(task);
}

const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

function reply(message: WorkerMessage, last: boolean): void {
  if (last) process.exitCode = message.ok ? 0 : 1;
  process.send?.(message, () => {
    if (last) process.disconnect?.();
  });
}

// The parent went away (interrupted): stop rather than linger.
process.once("disconnect", () => process.exit(process.exitCode ?? 1));

process.once("message", (task: Task) => {
  if (task.kind === "history" || task.kind === "seed") {
    let session: HistorySession | SeedSession;
    try {
      session = openSession(task);
    } catch (error) {
      reply({ ok: false, error: describe(error) }, true);
      return;
    }
    // Steps run one at a time, in the order they arrive.
    let queue: Promise<void> = Promise.resolve();
    process.on("message", ({ step }: StepMessage) => {
      queue = queue.then(async () => {
        const fn = (session as unknown as Record<string, unknown>)[step];
        if (typeof fn !== "function") return reply({ ok: false, error: `no step "${step}" in a ${task.kind} session` }, true);
        try {
          reply({ ok: true, result: await (fn as () => Promise<unknown>).call(session) }, step === "finish");
        } catch (error) {
          reply({ ok: false, error: describe(error) }, true);
        }
      });
    });
    reply({ ok: true, result: "ready" }, false);
    return;
  }
  runOnce(task).then(
    (result) => reply({ ok: true, result }, true),
    (error: unknown) => reply({ ok: false, error: describe(error) }, true),
  );
});
