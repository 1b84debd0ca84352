import type { Command } from "commander";
import type { ProjectDoctor } from "../../doctor.js";
import type { Finding } from "../../health/doctor.js";
import { type CommandContext, UsageError } from "../context.js";
import { multiline, pc, printJson, status } from "../output.js";

const SEVERITY_MARK: Record<Finding["severity"], (text: string) => string> = {
  critical: (t) => pc.red(`✗ ${t}`),
  warning: (t) => pc.yellow(`⚠ ${t}`),
  info: (t) => pc.dim(`• ${t}`),
};

function printProject(ctx: CommandContext, p: ProjectDoctor): void {
  const { io } = ctx;
  if (p.status === "unreachable") {
    io.out(`${pc.red("✗")} ${p.project_name}: ${status("unreachable")}: ${p.error}`);
    return;
  }
  const counts = (["critical", "warning", "info"] as const).map((s) => `${p.findings.filter((f) => f.severity === s).length} ${s}`).join(", ");
  io.out(`${p.project_name}: pg_cron ${p.pg_cron_version ?? "not installed"}, read as ${p.role}${p.source === "api" ? " (Management API, read-only)" : ""}; ${counts}`);
  const h = p.history;
  if (h) {
    const perDay = h.runs_last_week === null ? "" : `, ~${Math.round(h.runs_last_week / 7)} runs/day`;
    const cleanup = h.cleanup_jobs.length ? `cleaned by ${h.cleanup_jobs.join(", ")}` : "no cleanup job";
    io.out(`  run history: ${h.rows_exact ? "" : "~"}${h.rows} rows, ${(h.bytes / 1024 ** 2).toFixed(1)} MB${perDay}; ${cleanup}`);
  }
  for (const f of p.findings) {
    io.out(`  ${SEVERITY_MARK[f.severity](f.id)}${f.fixable ? pc.dim(" (jobmon doctor --fix applies it)") : ""}`);
    io.out(`    ${f.what}`);
    io.out(`    why: ${f.why}`);
    io.out(multiline(`    fix: ${f.fix.split("\n").join("\n      ")}`));
  }
}

/** `jobmon doctor`: audit each project's pg_cron and pg_net set-up; `--fix <id>` applies one safe fix. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("doctor")
    .description("audit each project's pg_cron and pg_net set-up: findings, why they matter, the fix")
    .option("--project <name>", "only this project")
    .option("--fix <finding-id>", "apply the fix of one finding that has a safe one (shows the SQL, asks first)")
    .option("--yes", "with --fix: apply without asking")
    .option("--json", "print the report as JSON")
    .action(async (opts: { project?: string; fix?: string; yes?: boolean; json?: boolean }) => {
      const m = ctx.monitor();
      if (m.config.projects.length === 0 && m.config.apiProjects === null) {
        throw new UsageError("no projects configured: set SUPABASE_ACCESS_TOKEN (every project it can see) or SUPABASE_POSTGRES_URL (and _2, _3 … for more projects)");
      }
      const scope = opts.project === undefined ? {} : { project: opts.project };
      if (opts.fix === undefined) {
        if (opts.yes) throw new UsageError("--yes goes with --fix <finding-id>");
        const report = await m.doctor(scope);
        if (report.projects.some((p) => p.status === "unreachable" || p.findings.some((f) => f.severity === "critical"))) ctx.setExitCode(1);
        if (opts.json) return printJson(io, report);
        if (report.projects.length === 0) io.out("No project found: the access token lists none (or JOBMON_PROJECTS leaves none).");
        for (const p of report.projects) printProject(ctx, p);
        for (const note of report.notes) io.err(`${pc.yellow("note:")} ${note}`);
        return;
      }

      const plan = await m.doctorFixPlan(opts.fix, scope);
      if (!opts.json) {
        io.out(`${plan.finding.id} on ${plan.project.name}: ${plan.finding.what}`);
        io.out("This SQL will run:");
        io.out(multiline(plan.sql));
      }
      const confirmed = opts.yes === true || (ctx.confirm ? await ctx.confirm(`Run it on ${plan.project.name}?`) : false);
      if (!confirmed) {
        ctx.setExitCode(1);
        const why = ctx.confirm ? "not confirmed: nothing was changed" : "not confirmed (no terminal to ask on): nothing was changed; run again with --yes to apply it";
        if (opts.json) return printJson(io, { project_name: plan.project.name, finding: plan.finding.id, sql: plan.sql, applied: false, reason: why });
        io.err(`jobmon: ${why}`);
        return;
      }
      const rows = await m.applyDoctorFix(plan);
      if (opts.json) return printJson(io, { project_name: plan.project.name, finding: plan.finding.id, sql: plan.sql, applied: true, result: rows });
      io.out(`${pc.green("✓")} applied ${plan.finding.id} on ${plan.project.name}${rows[0] ? ` (${Object.entries(rows[0]).map(([k, v]) => `${k} ${String(v)}`).join(", ")})` : ""}`);
    });
}
