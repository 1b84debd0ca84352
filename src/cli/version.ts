import { readFileSync } from "node:fs";

/**
 * jobmon's version, from package.json: read at run time, relative to this module, which is
 * two levels below the package root both as src/cli/version.ts (under tsx) and as
 * dist/cli/version.js (the installed CLI).
 */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  if (typeof pkg.version !== "string") throw new Error("package.json has no version");
  return pkg.version;
}
