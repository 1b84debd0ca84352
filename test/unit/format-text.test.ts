import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { humanDuration } from "../../src/alerts/layout/common.js";
import { type CompactLine, packLines } from "../../src/alerts/layout/compact.js";
import { allocate, fitText, pack, safeCut, shortMarker, truncationMarker } from "../../src/alerts/layout/fit.js";
import { dashboardBase, jobDashboardUrl, jobsListDashboardUrl, projectDashboardUrl } from "../../src/alerts/layout/studio-links.js";
import { escapeTelegramHtml, telegramVisibleLength } from "../../src/alerts/channels/telegram/markup.js";
import type { JobAlert, ProjectAlert } from "../../src/alerts/types.js";

const FAMILY = "👨‍👩‍👧‍👦";

describe("humanDuration", () => {
  const cases: [number, string][] = [
    [8100, "2h 15m"],
    [45, "45s"],
    [61, "1m"],
    [3600, "1h"],
    [90061, "1d 1h"],
    [0, "0s"],
    [-5, "0s"],
    [Number.NaN, "0s"],
    [Number.POSITIVE_INFINITY, "0s"],
  ];
  for (const [seconds, expected] of cases) it(`${seconds} s → ${expected}`, () => assert.equal(humanDuration(seconds), expected));
});

describe("fitText", () => {
  it("returns short text unchanged and cuts long text with a marker that counts what was left out", () => {
    assert.equal(fitText("hello", 10), "hello");
    const out = fitText("x".repeat(12_000), 100);
    assert.ok(out.length <= 100);
    const removed = 12_000 - out.indexOf("…");
    assert.equal(out, "x".repeat(12_000 - removed) + truncationMarker(removed));
    assert.equal(truncationMarker(11_234), "… [truncated 11,234 chars]");
  });

  it("cuts in raw text before escaping, so an entity is never split", () => {
    const spec = { render: escapeTelegramHtml, cost: (s: string) => s.length };
    for (let budget = 30; budget < 60; budget++) {
      const out = fitText("&".repeat(100), budget, spec);
      assert.ok(out.length <= budget);
      assert.match(out, /^(&amp;)*… \[truncated \d+ chars\]$/);
    }
  });

  it("never leaves half a surrogate pair or half a grapheme", () => {
    for (let budget = 30; budget < 80; budget++) {
      const emoji = fitText("😀".repeat(50), budget);
      assert.match(emoji, /^(😀)*… /u);
      const family = fitText(FAMILY.repeat(20), budget);
      assert.equal(family.slice(0, family.indexOf("…")).replaceAll(FAMILY, ""), "");
    }
    assert.equal(safeCut("a😀", 2), 1);
    assert.equal(safeCut(`ab${FAMILY}`, 7), 2);
  });

  it("cuts one-line summaries with a bare ellipsis", () => {
    assert.equal(fitText("abcdefghij", 5, undefined, shortMarker), "abcd…");
    assert.equal(fitText("abc", 5, undefined, shortMarker), "abc");
    const spec = { render: escapeTelegramHtml, cost: (s: string) => s.length };
    assert.equal(fitText("a&b&c&d", 12, spec, shortMarker), "a&amp;b…");
  });

  it("gives up gracefully on a budget smaller than the marker", () => {
    assert.equal(fitText("x".repeat(100), 3), "…");
    assert.equal(fitText("x".repeat(100), 0), "");
  });
});

describe("allocate and pack", () => {
  it("meets small demands in full and splits the rest evenly", () => {
    assert.deepEqual(allocate([10, 1000, 1000], 610), [10, 300, 300]);
    assert.deepEqual(allocate([5, 5], 100), [5, 5]);
    assert.deepEqual(allocate([100], -5), [0]);
  });

  it("starts a new chunk when the next item would not get its minimum share", () => {
    const items = Array.from({ length: 5 }, () => ({ fixed: 100, demand: 1000 }));
    const chunks = pack(items, { budget: 1000, maxItems: 10, separator: 2, minShare: 200 });
    assert.deepEqual(chunks.map((c) => c.items.length), [3, 2]);
    for (const c of chunks) {
      const used = c.items.reduce((s, it) => s + it.fixed, 0) + 2 * (c.items.length - 1) + c.budgets.reduce((a, b) => a + b, 0);
      assert.ok(used <= 1000);
      for (const b of c.budgets) assert.ok(b >= 200);
    }
  });
});

describe("packLines", () => {
  const line = (group: number, fixed: number, demand: number): CompactLine => ({ group, fixed, demand, build: () => "" });

  it("fills each message before starting the next, paying a group's title in every message it appears in", () => {
    const lines = [line(0, 10, 50), line(0, 10, 50), line(0, 10, 50), line(1, 10, 50), line(1, 10, 50)];
    // Minimum per line 10 + 20; titles cost 5: [0,0,0] = 5 + 90, then [1,1] = 5 + 60.
    const chunks = packLines(lines, { budget: 100, minShare: 20, titleCost: () => 5 });
    assert.deepEqual(chunks.map((c) => [c.start, c.end]), [[0, 3], [3, 5]]);
    // What a message has left goes to its reasons (water-filling), never beyond what they ask for.
    assert.deepEqual(chunks.map((c) => c.budgets), [[21, 22, 22], [37, 38]]);
    for (const c of chunks) {
      const used = lines.slice(c.start, c.end).reduce((sum, l, i) => sum + l.fixed + (c.budgets[i] ?? 0), 0);
      assert.ok(used <= 100 - 5, `chunk ${c.start}-${c.end} uses ${used}`);
    }
  });

  it("keeps a line that fits nowhere else on its own rather than dropping it", () => {
    assert.deepEqual(packLines([line(0, 500, 0)], { budget: 100, minShare: 20, titleCost: () => 5 }).map((c) => [c.start, c.end]), [[0, 1]]);
  });
});

describe("telegramVisibleLength", () => {
  it("counts text after entity parsing, in UTF-16 units", () => {
    assert.equal(telegramVisibleLength('<b>a&amp;b</b> <a href="https://x/?a=1&amp;b=2">link</a> &lt;&#128512;'), "a&b link <😀".length);
  });
});

describe("dashboard links", () => {
  const job = (over: Partial<JobAlert>): JobAlert => ({
    kind: "job", eventId: "e", projectName: "p", projectRef: "abcdefghijklmnopqrst", jobId: "j", jobName: "nightly cleanup/x", jobType: "pg_cron",
    sourceId: "42", fromStatus: null, toStatus: "failed", since: "2025-03-01T10:00:00Z", downSeconds: null, criticality: "low",
    schedule: null, scheduleDescription: null, reason: "", errorMessage: null, reminder: false, ...over,
  });
  const base = dashboardBase(undefined);

  it("links a pg_cron job to its run history by jobid, with its name URL-encoded as the breadcrumb", () => {
    assert.equal(jobDashboardUrl(job({}), base), "https://supabase.com/dashboard/project/abcdefghijklmnopqrst/integrations/cron/jobs/42?child-label=nightly%20cleanup%2Fx");
  });

  it("links a pg_cron job without a jobid to the jobs list", () => {
    assert.equal(jobDashboardUrl(job({ sourceId: null }), base), "https://supabase.com/dashboard/project/abcdefghijklmnopqrst/integrations/cron/jobs");
  });

  it("links an Edge Function by slug, falling back to its name when the source id is a uuid", () => {
    assert.equal(jobDashboardUrl(job({ jobType: "edge_function", sourceId: "send-digest" }), base), "https://supabase.com/dashboard/project/abcdefghijklmnopqrst/functions/send-digest");
    assert.equal(
      jobDashboardUrl(job({ jobType: "edge_function", sourceId: "6f1c2a3b-0000-4000-8000-000000000000", jobName: "hello world" }), base),
      "https://supabase.com/dashboard/project/abcdefghijklmnopqrst/functions/hello%20world",
    );
  });

  it("leaves the breadcrumb out on request (compact messages, where every URL character counts)", () => {
    assert.equal(jobDashboardUrl(job({}), base, { breadcrumb: false }), "https://supabase.com/dashboard/project/abcdefghijklmnopqrst/integrations/cron/jobs/42");
  });

  it("links a list of jobs to the cron jobs, the functions, or the project when they are mixed", () => {
    const cron = job({});
    const fn = job({ jobType: "edge_function", sourceId: "send-digest" });
    assert.equal(jobsListDashboardUrl([cron, cron], base), "https://supabase.com/dashboard/project/abcdefghijklmnopqrst/integrations/cron/jobs");
    assert.equal(jobsListDashboardUrl([fn], base), "https://supabase.com/dashboard/project/abcdefghijklmnopqrst/functions");
    assert.equal(jobsListDashboardUrl([cron, fn], base), "https://supabase.com/dashboard/project/abcdefghijklmnopqrst");
    assert.equal(jobsListDashboardUrl([cron, job({ projectRef: "other" })], base), null);
    assert.equal(jobsListDashboardUrl([job({ projectRef: null })], base), null);
  });

  it("gives no link without a project ref or with a base that is not http(s)", () => {
    assert.equal(jobDashboardUrl(job({ projectRef: null }), base), null);
    assert.equal(dashboardBase("javascript:alert(1)"), null);
    assert.equal(dashboardBase("not a url"), null);
    assert.equal(dashboardBase("http://localhost:8000/"), "http://localhost:8000");
    assert.equal(jobDashboardUrl(job({}), dashboardBase("http://localhost:8000/")), "http://localhost:8000/project/abcdefghijklmnopqrst/integrations/cron/jobs/42?child-label=nightly%20cleanup%2Fx");
  });

  it("links a project alert to the project, or to its cron jobs when the scheduler is down", () => {
    const p = (toStatus: ProjectAlert["toStatus"]): ProjectAlert => ({
      kind: "project", eventId: "e", projectName: "p", projectRef: "ref1", fromStatus: null, toStatus, since: "2025-03-01T10:00:00Z", downSeconds: null, reason: "", errorMessage: null,
    });
    assert.equal(projectDashboardUrl(p("unreachable"), base), "https://supabase.com/dashboard/project/ref1");
    assert.equal(projectDashboardUrl(p("scheduler_down"), base), "https://supabase.com/dashboard/project/ref1/integrations/cron/jobs");
  });
});
