import { PGlite } from "@electric-sql/pglite";
for (let i = 0; i < 4; i++) { const t0 = Date.now(); const pg = await PGlite.create(); await pg.query("select 1"); console.log("create ms", Date.now() - t0); }
