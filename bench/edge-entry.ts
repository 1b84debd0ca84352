/**
 * One Edge Function invocation's process, for bench/edge-gateway.ts (run by Deno, not Node):
 *
 *   deno run --allow-net --allow-env --allow-read --config <fn>/deno.json bench/edge-entry.ts <fn dir>/index.ts
 *
 * Loads the function's index.ts unchanged, the way supabase/functions/_shared/local-server.ts
 * does (Deno.serve swapped while it loads, so its handler is kept), listens on a free port,
 * prints `JOBMON_BENCH_LISTENING <port>` and serves until the gateway stops it. Each answer
 * carries the V8 heap as seen from inside in an `x-jobmon-bench-heap` header (the gateway
 * takes it off): Deno.memoryUsage() sampled while the handler runs, and after it returned.
 *
 * Typed against a small view of the Deno API, so that `npm run typecheck` (Node's types) checks it.
 */

interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}
interface ServeOptions {
  port: number;
  hostname: string;
  onListen: (addr: { port: number }) => void;
}
type Handler = (request: Request, info: unknown) => Response | Promise<Response>;
interface DenoView {
  args: string[];
  ppid: number;
  serve(options: ServeOptions, handler: Handler): unknown;
  memoryUsage(): MemoryUsage;
  exit(code: number): void;
  unrefTimer(id: number): void;
}

const deno = (globalThis as unknown as { Deno: DenoView }).Deno;

/** Heap samples this often while a handler runs: often enough for a cycle of seconds, cheap. */
const SAMPLE_MS = 20;

async function loadHandler(indexUrl: string): Promise<Handler> {
  const realServe = deno.serve;
  let captured: Handler | undefined;
  const fakeServe = (...args: unknown[]) => {
    const [first, second] = args;
    const handler = typeof first === "function" ? first : typeof second === "function" ? second : (first as { handler?: unknown } | undefined)?.handler;
    if (typeof handler !== "function") throw new Error(`${indexUrl} called Deno.serve without a handler`);
    captured = handler as Handler;
    return { finished: new Promise<void>(() => {}), addr: { transport: "tcp", hostname: "127.0.0.1", port: 0 }, ref() {}, unref() {}, shutdown: () => Promise.resolve() };
  };
  Object.defineProperty(deno, "serve", { value: fakeServe, configurable: true, writable: true });
  try {
    await import(indexUrl);
  } finally {
    Object.defineProperty(deno, "serve", { value: realServe, configurable: true, writable: true });
  }
  if (!captured) throw new Error(`${indexUrl} did not call Deno.serve`);
  return captured;
}

const index = deno.args[0];
if (!index) throw new Error("usage: edge-entry.ts <absolute path or file: URL of the function's index.ts>");
// An absolute path or a file: URL.
const indexUrl = /^[a-z]+:/.test(index) ? index : new URL(index, "file:///").href;
const handler = await loadHandler(indexUrl);

// The gateway stops this process; should the gateway itself die first, do not outlive it.
const parent = deno.ppid;
deno.unrefTimer(
  setInterval(() => {
    if (deno.ppid !== parent) deno.exit(1);
  }, 1000) as unknown as number,
);

deno.serve(
  {
    port: 0,
    hostname: "127.0.0.1",
    onListen: ({ port }) => console.log(`JOBMON_BENCH_LISTENING ${port}`),
  },
  async (request, info) => {
    let peakHeapUsed = deno.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      peakHeapUsed = Math.max(peakHeapUsed, deno.memoryUsage().heapUsed);
    }, SAMPLE_MS);
    let response: Response;
    try {
      response = await handler(request, info);
    } catch (error) {
      console.error(`edge-entry: the handler threw ${error instanceof Error ? error.name : typeof error}`);
      response = new Response(JSON.stringify({ code: "WORKER_ERROR" }), { status: 500, headers: { "content-type": "application/json" } });
    } finally {
      clearInterval(sampler);
    }
    // The function's answers are built in full before they are returned (a JSON string), so
    // reading the body here adds a copy but does not move work out of the handler.
    const body = await response.arrayBuffer();
    const end = deno.memoryUsage();
    peakHeapUsed = Math.max(peakHeapUsed, end.heapUsed);
    const headers = new Headers(response.headers);
    headers.set("x-jobmon-bench-heap", JSON.stringify({ peakHeapUsed, heapUsed: end.heapUsed, heapTotal: end.heapTotal, external: end.external, rss: end.rss }));
    return new Response(body, { status: response.status, headers });
  },
);
