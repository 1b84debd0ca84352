import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../src/config.js";
import type { ManagementApi, SupabaseProject } from "../../src/sources/management-api.js";
import { monitoredProjects, projectNameFor } from "../../src/sources/project-list.js";

const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";

function listing(ref: string, name: string, status = "ACTIVE_HEALTHY"): SupabaseProject {
  return { ref, name, status, organization_slug: "org", region: "eu-west-1", created_at: null, database: null } as SupabaseProject;
}

/** Only the project list is read here. */
function api(projects: SupabaseProject[]): ManagementApi {
  return { listProjects: async () => projects } as unknown as ManagementApi;
}

describe("the projects an access token lists", () => {
  it("names a project after its Supabase name, made valid, and after its ref when taken", () => {
    assert.equal(projectNameFor({ name: "Lead Gen (EU)", ref: "aaaaaaaaaaaaaaaaaaaa" }, new Set()), "Lead-Gen-EU");
    assert.equal(projectNameFor({ name: "Lead Gen (EU)", ref: "aaaaaaaaaaaaaaaaaaaa" }, new Set(["Lead-Gen-EU"])), "Lead-Gen-EU-aaaaaaaaaaaaaaaaaaaa");
    assert.equal(projectNameFor({ name: "   ", ref: "bbbbbbbbbbbbbbbbbbbb" }, new Set()), "bbbbbbbbbbbbbbbbbbbb");
  });

  it("JOBMON_PROJECTS may name a project by ref, Supabase name or the name jobmon gives it; an entry that names none is said", async () => {
    const projects = [listing("aaaaaaaaaaaaaaaaaaaa", "Lead Gen (EU)"), listing("bbbbbbbbbbbbbbbbbbbb", "crm"), listing("cccccccccccccccccccc", "old", "INACTIVE")];
    const config = resolveConfig({ SUPABASE_ACCESS_TOKEN: TOKEN, JOBMON_PROJECTS: "Lead-Gen-EU,CRM,old,nosuch" });
    const result = await monitoredProjects(config, api(projects), []);
    assert.deepEqual(result.read.map((p) => p.name), ["Lead-Gen-EU", "crm"]);
    assert.deepEqual(result.skipped.map((s) => [s.project.name, s.status]), [["old", "paused"]]);
    assert.deepEqual(result.notes, ['JOBMON_PROJECTS names "nosuch", which the access token does not list']);
  });

  it("keeps the hub's name for a known ref, and marks a project the list no longer holds removed", async () => {
    const config = resolveConfig({ SUPABASE_ACCESS_TOKEN: TOKEN });
    const known = [
      { project_name: "leads", project_ref: "aaaaaaaaaaaaaaaaaaaa", source: "api" as const, status: "ok" },
      { project_name: "gone", project_ref: "dddddddddddddddddddd", source: "api" as const, status: "ok" },
      { project_name: "long-gone", project_ref: "eeeeeeeeeeeeeeeeeeee", source: "api" as const, status: "removed" },
    ];
    const result = await monitoredProjects(config, api([listing("aaaaaaaaaaaaaaaaaaaa", "Lead Gen (renamed)")]), known);
    assert.deepEqual(result.read.map((p) => p.name), ["leads"]);
    assert.deepEqual(result.skipped.map((s) => [s.project.name, s.status]), [["gone", "removed"]]);
  });
});
