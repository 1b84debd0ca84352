/**
 * The local stand-in for Supabase's functions gateway, started by
 * `npm run functions:serve -- --port N` (scripts/serve-functions.mjs): every function in
 * supabase/functions/<name>/index.ts is served on one port at
 * `http://<host>:<port>/functions/v1/<name>`, the path it has on Supabase. Unknown names
 * get Supabase's 404. Not deployed: no function imports this file.
 *
 * Each index.ts is loaded unchanged. It calls `Deno.serve(handler)` at load time, as on
 * Supabase; while it loads, `Deno.serve` is swapped for one that keeps the handler, so the
 * one real server below can route to every function.
 *
 *   deno run --allow-net --allow-env --allow-read local-server.ts --port 8787 [--host 127.0.0.1]
 *
 * `--port 0` picks a free port; the first line on stdout says which.
 */

type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

const functionsDir = new URL("../", import.meta.url);

function argument(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  const inline = Deno.args.find((a) => a.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  return i >= 0 && Deno.args[i + 1] !== undefined ? (Deno.args[i + 1] as string) : fallback;
}

async function functionNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(functionsDir)) {
    if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    try {
      await Deno.stat(new URL(`${entry.name}/index.ts`, functionsDir));
      names.push(entry.name);
    } catch {
      // A directory without index.ts is not a function.
    }
  }
  return names.sort();
}

/** Imports a function's index.ts and returns the handler it passed to Deno.serve. */
async function loadFunction(name: string): Promise<Handler> {
  const realServe = Deno.serve;
  let captured: Handler | undefined;
  const fakeServe = (...args: unknown[]) => {
    const [first, second] = args;
    const handler = typeof first === "function" ? first : typeof second === "function" ? second : (first as { handler?: unknown } | undefined)?.handler;
    if (typeof handler !== "function") throw new Error(`${name}/index.ts called Deno.serve without a handler`);
    captured = handler as Handler;
    const finished = new Promise<void>(() => {});
    return { finished, addr: { transport: "tcp", hostname: "127.0.0.1", port: 0 }, ref() {}, unref() {}, shutdown: () => Promise.resolve(), [Symbol.asyncDispose]: () => Promise.resolve() };
  };
  Object.defineProperty(Deno, "serve", { value: fakeServe, configurable: true, writable: true });
  try {
    await import(new URL(`${name}/index.ts`, functionsDir).href);
  } finally {
    Object.defineProperty(Deno, "serve", { value: realServe, configurable: true, writable: true });
  }
  if (!captured) throw new Error(`${name}/index.ts did not call Deno.serve`);
  return captured;
}

const port = Number(argument("port", "8787"));
const hostname = argument("host", "127.0.0.1");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port takes a port number, not "${argument("port", "")}"`);
  Deno.exit(2);
}

const handlers = new Map<string, Handler>();
for (const name of await functionNames()) handlers.set(name, await loadFunction(name));

const notFound = () =>
  new Response(JSON.stringify({ code: "NOT_FOUND", message: "Requested function was not found" }), {
    status: 404,
    headers: { "content-type": "application/json" },
  });

Deno.serve(
  {
    port,
    hostname,
    onListen: (addr) => {
      console.log(`jobmon functions listening on http://${addr.hostname}:${addr.port}/functions/v1/ (${[...handlers.keys()].join(", ")})`);
    },
  },
  async (request, info) => {
    const started = performance.now();
    const path = new URL(request.url).pathname;
    const name = /^\/functions\/v1\/([^/]+)(?:\/.*)?$/.exec(path)?.[1];
    const handler = name === undefined ? undefined : handlers.get(name);
    let response: Response;
    if (!handler) response = notFound();
    else {
      try {
        response = await handler(request, info);
      } catch (error) {
        // The handlers answer every failure themselves (redacted); this is a bug, and its
        // message may hold a secret, so only its kind is printed.
        console.error(`${name}: uncaught ${error instanceof Error ? error.name : typeof error}: a bug in the function`);
        response = new Response(JSON.stringify({ code: "WORKER_ERROR", message: "the function threw an uncaught error" }), { status: 500, headers: { "content-type": "application/json" } });
      }
    }
    console.error(`${request.method} ${path} ${response.status} ${Math.round(performance.now() - started)} ms`);
    return response;
  },
);
