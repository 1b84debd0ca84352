import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The data directory of a freshly initialised PGlite, built by `npm run build`
 * (scripts/build-pglite-template.mjs). A new embedded hub and the demo's databases start
 * from it, which skips PGlite's initdb (seconds). Absent (e.g. running from src/ before a
 * build), everything still works, only slower on first use.
 */
const CANDIDATES = ["../pglite-template.tar.gz", "../../dist/pglite-template.tar.gz"];

let cached: Blob | null | undefined;

export function pgliteTemplate(): Blob | undefined {
  if (cached === undefined) {
    const file = CANDIDATES.map((c) => fileURLToPath(new URL(c, import.meta.url))).find((f) => existsSync(f));
    cached = file ? new Blob([readFileSync(file)]) : null;
  }
  return cached ?? undefined;
}
