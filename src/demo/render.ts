import { relative, sep } from "node:path";
import { envRoutesHint } from "../alerts/channels/index.js";
import { redactSecrets } from "../lib/redact.js";
import { type Io, pc, status, table, truncate, when } from "../cli/output.js";
import { formatDuration } from "../duration.js";
import type { RoutePreview } from "./alerts.js";
import type { DemoResult } from "./run.js";
import { SAMPLE_PG_CRON_VERSION, SAMPLE_PROJECTS, WATCHING_SECONDS } from "./sample.js";

/** The demo's report for people: what was set up, the inventory, the check, the alerts. */

/** `./.jobmon` for a directory under the working directory, the absolute path otherwise. */
export function displayDir(dir: string, cwd: string): string {
  const rel = relative(cwd, dir);
  return rel && !rel.startsWith("..") && !rel.startsWith(sep) ? `.${sep}${rel}` : dir;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function heading(io: Io, text: string): void {
  io.out("");
  io.out(pc.bold(text));
}

function routeHeader(route: RoutePreview): string {
  const parts = [route.route, `for ${route.serves.join(", ")}`];
  if (route.stands_in_for.length > 0) parts.push(`standing in for ${route.stands_in_for.join(", ")} (no route serves them)`);
  if (!route.configured) parts.push("not configured");
  const count = route.messages.length;
  parts.push(count === 0 ? "nothing to send" : `${count} message${count === 1 ? "" : "s"}`);
  return `━━ ${parts.join(" · ")} ━━`;
}

export function renderDemo(io: Io, result: DemoResult, options: { cwd: string; send: boolean; wallMs: number; secrets: readonly string[] }): void {
  const { check, inventory, alerts } = result;
  const hub = displayDir(result.hubDir, options.cwd);
  const cronJobs = inventory.filter((j) => j.job_type === "pg_cron");
  // In the order of the check's report (the configured projects' order), then by name.
  const projectOrder = check.projects.map((p) => p.project_name);
  const rows = [...inventory].sort((a, b) => projectOrder.indexOf(a.project_name) - projectOrder.indexOf(b.project_name) || a.job_name.localeCompare(b.job_name));

  io.out(pc.bold("jobmon demo: the whole cycle on made-up sample data, with no server and no configuration"));
  io.out(`  Projects  ${SAMPLE_PROJECTS.join(", ")}: in-memory PGlite databases holding pg_cron ${SAMPLE_PG_CRON_VERSION}'s cron.job and`);
  io.out(`            cron.job_run_details and pg_net's net._http_response, with a sample history up to ${when(result.sampleAt)}.`);
  io.out("            PGlite has no pg_cron: a simulated pg_extension row and launcher stand in for it.");
  io.out(`  Hub       an embedded PGlite hub in ${hub}${result.kept ? "" : " (deleted at the end)"}`);
  io.out(`  Clock     discovery ran as of ${when(result.watchingSince)}, as if jobmon had watched these projects for the last`);
  io.out(`            ${formatDuration(WATCHING_SECONDS)} (a job seen for the first time is not expected to have run before it was seen)`);

  heading(io, `1. Inventory (jobmon discover, then jobmon annotate): ${cronJobs.length} jobs in ${SAMPLE_PROJECTS.length} projects`);
  io.out(
    table(
      ["project", "job", "schedule", "criticality", "description"],
      rows.map((j) => [j.project_name, j.job_name, j.schedule, j.criticality, truncate(j.description, 60)]),
    ),
  );
  const caller = inventory.find((j) => j.command?.includes("/functions/v1/"));
  if (caller?.command) {
    io.out(`Secrets in commands are redacted before anything is printed or sent, e.g. ${caller.project_name}/${caller.job_name}:`);
    for (const line of redactSecrets(caller.command, options.secrets).split(/\r?\n/)) io.out(`    ${line}`);
  }

  heading(io, `2. Health check (jobmon check) at ${when(check.started_at)}`);
  for (const p of check.projects) {
    const mark = p.status === "ok" ? pc.green("✓") : pc.red("✗");
    io.out(`${mark} ${p.project_name}: ${status(p.status)} — ${p.reason}${p.status === "ok" ? " (the simulated launcher)" : ""}`);
    for (const w of p.warnings) io.out(`  ${pc.yellow("warning:")} ${w}`);
  }
  io.out(
    table(
      ["project", "job", "status", "last run", "reason"],
      check.jobs.map((j) => [j.project_name, j.job_name, status(j.status), when(j.last_run_at), truncate(j.reason, 72)]),
    ),
  );
  const counts = new Map<string, number>();
  for (const j of check.jobs) counts.set(j.status, (counts.get(j.status) ?? 0) + 1);
  io.out(`${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}; ${check.events.length} state change(s) recorded, each an alert in the outbox.`);

  heading(io, options.send ? "3. Alerts, as sent through your routes" : "3. Alerts it would send (nothing was sent)");
  if (alerts.routes_configured) {
    io.out("Routed by criticality through your configured routes (with the usual fallbacks), one message per project and route:");
  } else {
    io.out("No alert route is configured, so the default routing is shown (critical → Telegram, important and low → Discord),");
    io.out("one message per project and route:");
  }
  for (const route of alerts.routes) {
    io.out("");
    io.out(pc.bold(routeHeader(route)));
    route.messages.forEach((message, i) => {
      io.out(pc.dim(`┄┄ message ${i + 1} of ${route.messages.length}: ${message.project ?? "jobmon"} (${message.events} alert${message.events === 1 ? "" : "s"}) ┄┄`));
      // The message's own lines, as the chat shows them; each printed as one line.
      for (const line of message.text.split(/\r?\n/)) io.out(line);
      io.out("");
    });
  }
  const delivery = result.delivery;
  if (delivery) {
    io.out(`Sent: ${delivery.delivered} alert delivery(ies) in ${delivery.messages} message(s)${delivery.pending ? `; ${delivery.pending} left pending (see the notes)` : ""}.`);
    for (const b of delivery.broken_routes) io.err(`${pc.red("route broken:")} ${b.route}: ${b.error}`);
    for (const note of delivery.notes) io.err(`${pc.yellow("note:")} ${note}`);
  } else if (alerts.routes_configured) {
    io.out("Run `jobmon demo --send` to send them through these routes.");
  } else {
    io.out(`To send them: ${envRoutesHint()}, then run \`jobmon demo --send\`.`);
  }

  const t = result.timings;
  io.out("");
  io.out(
    `Done in ${seconds(options.wallMs)} (sample databases ${seconds(t.sample_ms)}, hub and sample history ${seconds(t.hub_ms)}, ` +
      `discover and annotate ${seconds(t.discover_ms)}, check ${seconds(t.check_ms)}).`,
  );
  if (result.kept) {
    const jobmon = result.hubIsDefault ? "jobmon" : `JOBMON_DIR=${hub} jobmon`;
    io.out(`The demo hub stays in ${hub}: explore it with \`${jobmon} status\`, \`${jobmon} jobs\`, \`${jobmon} history demo-leads/dedupe-leads\` or \`${jobmon} serve\`.`);
    io.out(`Its alerts stay in the outbox: a later \`jobmon check\` there with alert routes configured would send them. Delete ${hub} when done.`);
  } else {
    io.out("The demo hub was deleted. `jobmon demo --keep` leaves it in ./.jobmon, to explore with `jobmon status`, `jobmon history` and `jobmon serve`.");
  }
  io.out("To watch your own projects: `SUPABASE_ACCESS_TOKEN=sbp_… npx jobmon check` (every project the token can see, no database password), or one SUPABASE_POSTGRES_URL per project.");
  for (const note of result.notes) io.out(`${pc.yellow("note:")} ${note}`);
}
