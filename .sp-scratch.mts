import { PGlite } from "@electric-sql/pglite";
import { readFile } from "node:fs/promises";
const t = () => Date.now();
let t0 = t();
const pgliteWasmModule = await WebAssembly.compile(await readFile("node_modules/@electric-sql/pglite/dist/pglite.wasm"));
const initdbWasmModule = await WebAssembly.compile(await readFile("node_modules/@electric-sql/pglite/dist/initdb.wasm"));
const fsBundle = new Blob([await readFile("node_modules/@electric-sql/pglite/dist/pglite.data")]);
console.log("compile", t() - t0);
t0 = t();
const base = await PGlite.create({ pgliteWasmModule, initdbWasmModule, fsBundle });
await base.exec("create schema cron; create table cron.job(x int)");
console.log("first", t() - t0);
t0 = t();
const dump = await base.dumpDataDir("none");
console.log("dump", t() - t0, dump.size);
for (let i = 0; i < 3; i++) { t0 = t(); const pg = await PGlite.create({ pgliteWasmModule, initdbWasmModule, fsBundle, loadDataDir: dump }); await pg.query("select * from cron.job"); console.log("fromdump", t() - t0); }
for (let i = 0; i < 2; i++) { t0 = t(); const pg = await base.clone(); await pg.query("select * from cron.job"); console.log("clone", t() - t0); }
for (let i = 0; i < 2; i++) { t0 = t(); const pg = await PGlite.create({ pgliteWasmModule, initdbWasmModule, fsBundle }); await pg.query("select 1"); console.log("precompiled fresh", t() - t0); }
