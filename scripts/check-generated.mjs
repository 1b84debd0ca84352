#!/usr/bin/env node
// Checks that the generated files committed with the sources match them:
//
//   src/hub/migrations.generated.ts              from supabase/migrations/*.sql
//   supabase/functions/_shared/jobmon.bundle.js  from supabase/functions/_shared/jobmon.ts and src/
//
// Both are deployed as they are committed (the Edge Functions import the bundle), so a
// commit that changes the sources without rebuilding would deploy old code. Exits 1 naming
// each stale file and the command that refreshes it; changes nothing. `npm test` runs it
// first, before anything rebuilds.
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { BUNDLE_PATH, bundleFunctions } from "./build-functions.mjs";
import { MIGRATIONS_MODULE_PATH, migrationsModule } from "./embed-migrations.mjs";

const read = (path) => (existsSync(path) ? readFileSync(path, "utf8") : null);
const shown = (path) => relative(process.cwd(), path) || path;

const migrations = migrationsModule();
// The bundle as the build would write it: from the migrations module the build would write.
const bundle = await bundleFunctions({ migrationsSource: migrations });

const stale = [
  { path: MIGRATIONS_MODULE_PATH, expected: migrations, from: "supabase/migrations/" },
  { path: BUNDLE_PATH, expected: bundle, from: "supabase/functions/_shared/jobmon.ts and src/" },
].filter(({ path, expected }) => read(path) !== expected);

for (const { path, from } of stale) {
  const state = read(path) === null ? "is missing" : "is out of date";
  console.error(`check:generated: ${shown(path)} ${state} (it is generated from ${from}): run \`npm run build\` and commit it`);
}
if (stale.length > 0) process.exit(1);
console.error("check:generated: the generated files match their sources");
