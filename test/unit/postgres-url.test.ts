import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withoutClientOnlyParameters } from "../../src/db/postgres.js";

describe("withoutClientOnlyParameters", () => {
  it("drops Prisma's pooler parameters, which a pooler would refuse as startup parameters", () => {
    assert.equal(
      withoutClientOnlyParameters("postgresql://postgres.abc:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1"),
      "postgresql://postgres.abc:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
    );
  });

  it("keeps everything else as written", () => {
    const url = "postgresql://postgres:p%40ss@db.abc.supabase.co:5432/postgres?sslmode=require";
    assert.equal(withoutClientOnlyParameters(url), url);
    assert.equal(withoutClientOnlyParameters("postgres://u:p@h/db?sslmode=require&pgbouncer=true"), "postgres://u:p@h/db?sslmode=require");
    assert.equal(withoutClientOnlyParameters("not a url?x"), "not a url?x");
  });
});
