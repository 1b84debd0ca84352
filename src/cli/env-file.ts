import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "dotenv";
import type { Env } from "../config.js";

/** The process environment with `.env` from `cwd` underneath it (real variables win). */
export function loadEnv(cwd: string, base: Env = process.env): Env {
  const file = join(cwd, ".env");
  if (!existsSync(file)) return { ...base };
  const fromFile = parse(readFileSync(file));
  return { ...fromFile, ...base };
}
