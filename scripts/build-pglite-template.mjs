#!/usr/bin/env node
// Builds dist/pglite-template.tar.gz: the data directory of a freshly initialised PGlite.
// `initdb` is what makes a new PGlite database slow (seconds); a new embedded hub and the
// demo's sample databases start from this copy instead. Skipped when it is up to date.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "dist", "pglite-template.tar.gz");
const stamp = join(root, "dist", "pglite-template.json");
const version = JSON.parse(readFileSync(join(root, "node_modules", "@electric-sql", "pglite", "package.json"), "utf8")).version;

const current = existsSync(stamp) ? JSON.parse(readFileSync(stamp, "utf8")) : null;
if (existsSync(target) && current?.pglite === version) process.exit(0);

const pg = await PGlite.create();
const dump = await pg.dumpDataDir("gzip");
await pg.close();
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, Buffer.from(await dump.arrayBuffer()));
writeFileSync(stamp, `${JSON.stringify({ pglite: version, bytes: dump.size }, null, 2)}\n`);
console.log(`wrote dist/pglite-template.tar.gz (${(dump.size / 1e6).toFixed(1)} MB, PGlite ${version})`);
