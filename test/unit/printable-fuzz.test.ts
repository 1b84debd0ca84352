import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckReport } from "../../src/check/index.js";
import { printCheckReport } from "../../src/cli/check-report.js";
import { resolveProjectNames } from "../../src/cli/job-list.js";
import { type Io, pc, printJson, renderForTerminal, status, table, truncate, when } from "../../src/cli/output.js";
import { renderDemo } from "../../src/demo/render.js";
import type { DemoResult } from "../../src/demo/run.js";
import { BIDI, C0, C1, describeChar, fuzzValue, prng, SGR, UNSAFE } from "../helpers/terminal-fuzz.js";

/**
 * Fuzzing every text output with values made of control characters, escape sequences,
 * bidi controls and newlines. Each scenario composes its lines exactly as the CLI does
 * (src/cli/program.ts, src/cli/main.ts, the dashboard log, src/demo/render.ts), once with
 * fuzzed values and once with the plain value "v" in their place. What reaches the terminal
 * must contain no control character but jobmon's own newlines and jobmon's own SGR colour
 * codes: the same codes and the same number of lines as with the plain values.
 *
 * Seeded: a failure names its seed; FUZZ_SEED=<n> replays it (FUZZ_RUNS sets the count).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);

interface Call {
  stream: "out" | "err";
  text: string;
}

function recorder(): { io: Io; calls: Call[] } {
  const calls: Call[] = [];
  return { io: { out: (text) => calls.push({ stream: "out", text }), err: (text) => calls.push({ stream: "err", text }) }, calls };
}

const AT = new Date("2026-11-30T09:00:00Z");

/** Every composition the CLI prints, with `v()` wherever a value from a project (or the hub) goes. */
function cliScenario(v: () => string, io: Io, jsonValues: unknown[]): void {
  // discover
  io.out(`${pc.red("✗")} ${v()}: ${status("unreachable")}: ${v()}`);
  io.out(`${pc.green("✓")} ${v()}: pg_cron ${v()}, timezone ${v()}; 2 job(s), 1 Edge Function(s): 1 new, 0 changed, 0 removed`);
  io.err(`  ${pc.yellow("warning:")} ${v()}`);
  io.err(`${pc.yellow("note:")} ${v()}`);
  // jobs
  io.out(
    table(
      ["project", "type", "job", "schedule", "criticality", "status", "last seen", "description"],
      [
        [v(), v(), v(), v(), v(), status(v()), when(AT), truncate(v(), 40)],
        [v(), "pg_cron", v(), v(), pc.dim("(important)"), status("paused"), when(AT), truncate(v(), 40)],
        [v(), "edge_function", v(), null, undefined, status("removed"), "", truncate(null, 40)],
      ],
    ),
  );
  // annotate, mute, unmute
  io.out(`Annotated ${v()}/${v()} (${v()}).`);
  io.out(`Muted ${v()} ${v()} until ${when(AT)}.`);
  io.out(`Unmuted ${v()} ${v()}.`);
  // check
  io.err(`jobmon: ${v()}; this check did nothing`);
  io.out(v());
  io.out(`${pc.green("✓")} ${v()}: ${status("ok")}`);
  io.out(`${pc.red("✗")} ${v()}: ${status(v())} — ${v()}`);
  io.err(`  ${pc.yellow("warning:")} ${v()}`);
  io.out(
    table(
      ["project", "job", "status", "was", "last run", "reason"],
      [
        [v(), v() + pc.dim(" (muted)"), status("failed"), v(), when(AT), truncate(v(), 70)],
        [v(), v(), status(v()), null, when(null), truncate(v(), 70)],
      ],
    ),
  );
  io.out(`2 state change(s): ${v()}/${v()} ${v()} → failed; ${v()} new → ok (muted)`);
  io.out(`Alerts: 1 delivered in 1 message(s), 1 pending for the next check.`);
  io.err(`${pc.red("route broken:")} ${v()}: ${v()}`);
  io.err(`${pc.yellow("note:")} ${v()}`);
  io.out(pc.dim("(dry run: nothing was recorded or sent)"));
  // check's whole report, as printed (the default view and --all)
  const entry = (st: string) => ({ id: v(), project_name: v(), job_type: "pg_cron", job_name: v(), status: st, previous_status: v(), reason: v(), error_message: v(), last_run_at: AT.toISOString(), criticality: null, muted: false });
  const report: CheckReport = {
    check_id: "c",
    started_at: AT.toISOString(),
    finished_at: AT.toISOString(),
    dry_run: false,
    notes: [v()],
    projects: [{ project_name: v(), status: "ok", previous_status: "ok", reason: v(), warnings: [v()] }],
    jobs: [entry("failed"), entry("success"), entry("paused"), entry(v())],
    events: [{ kind: "job", project_name: v(), job_name: v(), type: "down", from: v(), to: "failed", muted: true }],
  };
  printCheckReport(io, report, { all: false });
  printCheckReport(io, report, { all: true });
  // --project with a name no project has
  try {
    resolveProjectNames([`${v()}-missing`], [v(), v()]);
  } catch (error) {
    io.err(`jobmon: ${(error as Error).message}`);
  }
  // status
  io.out(`${v()}: ${status("failed")} — ${v()}${pc.dim(` (muted until ${when(AT)})`)}`);
  io.out(table(["project", "job", "status", "last run", "reason"], [[v(), v() + pc.dim(" (muted)"), status("stuck"), when(AT), truncate(v(), 70)]]));
  // history
  io.out(`${v()}/${v()}: ${status("missed")} — ${v()}`);
  io.out(table(["collected", "entry", "status", "run at", "reason / error"], [[when(AT), "run 7", status("failed"), when(AT), truncate(v(), 80)], [when(AT), "check (2 runs)", status("ok"), "", truncate(v(), 80)]]));
  // schedule
  io.out(`${pc.red("✗")} pg_cron 1.6 rejects "${v()}": ${v()}`);
  io.out(`  ${pc.yellow("warning:")} ${v()}`);
  // alerts, alerts test
  io.out(table(["created", "state", "route", "project", "alert", "change", "error"], [[when(AT), status("ok"), v() + ` (for ${v()})`, v(), v(), `${v()} → failed`, truncate(v(), 60)]]));
  io.out(`${pc.green("✓")} ${v()}: delivered (no longer marked broken)`);
  io.out(`${pc.red("✗")} ${v()}: ${v()}`);
  // main.ts, and the dashboard's log through serve
  io.err(`jobmon: error: ${v()}`);
  io.err(`jobmon serve: GET /${v()}: could not read the hub: ${v()}`);
  // --json
  const value = { project_name: v(), job_name: v(), reason: v(), nested: [{ error_message: v() }], n: 1, none: null };
  jsonValues.push(value);
  printJson(io, value);
}

/** `jobmon demo`'s report, from a result whose every text is a value. */
function demoScenario(v: () => string, io: Io): void {
  // Two texts are shown line by line, as they are: the alert message (the formatter's lines,
  // as the chat shows them) and a sample job's SQL command. Their values here hold no newline.
  const line = () => v().replace(/\n/g, " ");
  const alertText = [line(), line(), line()].join("\n");
  const job = { project_name: v(), job_type: "pg_cron", job_name: v(), schedule: v(), criticality: v(), description: v(), command: `select net.http_post('https://x.supabase.co/functions/v1/f${line()}')\nselect ${line()}` };
  const result = {
    hubDir: `/tmp/${v()}`,
    kept: true,
    hubIsDefault: false,
    sampleAt: AT,
    watchingSince: AT,
    inventory: [job, { ...job, job_name: v(), command: null }],
    check: {
      started_at: AT,
      projects: [{ project_name: v(), status: "ok", reason: v(), warnings: [v()] }, { project_name: v(), status: v(), reason: v(), warnings: [] }],
      jobs: [{ project_name: v(), job_name: v(), status: v(), last_run_at: AT, reason: v() }],
      events: [{}],
    },
    alerts: {
      routes_configured: true,
      events: 1,
      routes: [{ route: v(), channel: "discord", configured: false, serves: [v()], stands_in_for: [v()], messages: [{ project: v(), events: 2, text: alertText }] }],
    },
    delivery: { delivered: 1, messages: 1, pending: 1, unrouted: 0, broken_routes: [{ route: v(), error: v() }], notes: [v()] },
    secrets: [],
    notes: [v()],
    timings: { sample_ms: 1, hub_ms: 1, discover_ms: 1, check_ms: 1 },
  };
  renderDemo(io, result as unknown as DemoResult, { cwd: "/", send: true, wallMs: 5, secrets: [] });
}

function assertSafe(seed: number, fuzzed: Call[], plain: Call[], jsonValues: unknown[]): void {
  assert.equal(fuzzed.length, plain.length, `seed ${seed}: the same calls`);
  let json = 0;
  fuzzed.forEach((call, i) => {
    const where = `seed ${seed}, call ${i} (${JSON.stringify(plain[i]!.text.slice(0, 60))})`;
    const off = renderForTerminal(call.text, { colour: false });
    const on = renderForTerminal(call.text, { colour: true });
    const plainOn = renderForTerminal(plain[i]!.text, { colour: true });
    const plainOff = renderForTerminal(plain[i]!.text, { colour: false });
    const bad = UNSAFE.exec(off);
    assert.equal(bad, null, `${where}: ${describeChar(bad?.[0])} reaches the terminal in ${JSON.stringify(off)}`);
    assert.equal(on.replace(SGR, ""), off, `${where}: with colour, only SGR codes are added`);
    assert.deepEqual(on.match(SGR) ?? [], plainOn.match(SGR) ?? [], `${where}: the SGR codes are jobmon's own`);
    assert.equal(off.split("\n").length, plainOff.split("\n").length, `${where}: a value adds no line: ${JSON.stringify(off)}`);
    if (off.startsWith("{")) {
      assert.deepEqual(JSON.parse(off), jsonValues[json++], `${where}: --json is exact`);
      assert.deepEqual(JSON.parse(on), JSON.parse(off), `${where}: --json carries no colour`);
    }
  });
  assert.equal(json, jsonValues.length, `seed ${seed}: every JSON output checked`);
}

describe("fuzzing every text output with control characters", () => {
  for (const [name, scenario] of [
    ["the CLI's tables, plain lines, check summary, errors and logs", cliScenario],
    ["jobmon demo's report, alert text included", (v: () => string, io: Io) => demoScenario(v, io)],
  ] as [string, (v: () => string, io: Io, json: unknown[]) => void][]) {
    it(name, () => {
      for (let run = 0; run < RUNS; run++) {
        const seed = FIRST_SEED + run;
        const random = prng(seed);
        const fuzzed = recorder();
        const fuzzedJson: unknown[] = [];
        scenario(() => fuzzValue(random, { nul: true }), fuzzed.io, fuzzedJson);
        const plain = recorder();
        scenario(() => "v", plain.io, []);
        assertSafe(seed, fuzzed.calls, plain.calls, fuzzedJson);
      }
    });
  }

  it("the generator covers every control character, escape sequence kind and bidi control", () => {
    const random = prng(FIRST_SEED);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) for (const c of fuzzValue(random, { nul: true })) seen.add(c);
    for (const c of [...C0, ...C1, ...BIDI, "\u2028", "\u2029"]) assert.ok(seen.has(c), `U+${c.charCodeAt(0).toString(16)}`);
  });
});
