import type { Env } from "./config.js";

/** The process environment, on Node or Deno, without importing a Node built-in. */
export function processEnv(): Env {
  const g = globalThis as { process?: { env: Env }; Deno?: { env: { toObject(): Env } } };
  if (g.Deno) return g.Deno.env.toObject();
  return g.process?.env ?? {};
}
