import { type Command, Option } from "commander";
import { type JobPatch, JOB_SETTING_LIMITS } from "../../hub/inventory.js";
import { CRITICALITIES, type Criticality } from "../../types.js";
import { decimalNumber, durationOption, wholeNumber } from "../arguments.js";
import { type CommandContext, UsageError } from "../context.js";
import { jobJson } from "../job-json.js";
import { printJson } from "../output.js";

/** `jobmon annotate`: what a job does, how to know it worked, how critical it is. */
export function register(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("annotate")
    .description("annotate a job by hand: what it does, how to know it worked, how critical it is")
    .argument("<job>", "inventory id or project/job_name")
    .option("--description <text>", "what the job does")
    .option("--success-criteria <text>", "how to know it worked")
    .addOption(new Option("--criticality <level>", "critical, important or low").choices([...CRITICALITIES]))
    .option("--grace <duration>", "how late a run may be before it is missed (e.g. 10m)", durationOption("--grace", JOB_SETTING_LIMITS.grace_seconds.max))
    .option("--max-runtime <duration>", "how long a run may take before it is stuck (e.g. 2h)", durationOption("--max-runtime", JOB_SETTING_LIMITS.max_runtime_seconds.max))
    .option("--failure-threshold <n>", "consecutive failures before alerting", wholeNumber("--failure-threshold", JOB_SETTING_LIMITS.failure_threshold.max))
    .option(
      "--slow-factor <n>",
      "slow when a run takes more than n × its usual p95 (at least p95 + 1m; default 3); 0 turns slow off",
      decimalNumber("--slow-factor", JOB_SETTING_LIMITS.slow_factor.min, JOB_SETTING_LIMITS.slow_factor.max),
    )
    .option("--slow-after <duration>", "slow when a run takes longer than this (e.g. 15m), instead of the usual durations", durationOption("--slow-after", JOB_SETTING_LIMITS.slow_after_seconds.max))
    .option("--json", "print the updated row as JSON")
    .action(
      async (
        ref: string,
        opts: {
          description?: string;
          successCriteria?: string;
          criticality?: Criticality;
          grace?: number;
          maxRuntime?: number;
          failureThreshold?: number;
          slowFactor?: number;
          slowAfter?: number;
          json?: boolean;
        },
      ) => {
        const patch: JobPatch = {
          description: opts.description,
          success_criteria: opts.successCriteria,
          criticality: opts.criticality,
          grace_seconds: opts.grace,
          max_runtime_seconds: opts.maxRuntime,
          failure_threshold: opts.failureThreshold,
          slow_factor: opts.slowFactor,
          slow_after_seconds: opts.slowAfter,
        };
        if (Object.values(patch).every((v) => v === undefined)) {
          throw new UsageError("nothing to change: give --description, --success-criteria, --criticality, --grace, --max-runtime, --failure-threshold, --slow-factor or --slow-after");
        }
        const m = ctx.monitor();
        const row = await m.updateJob(ref, patch);
        if (opts.json) return printJson(io, jobJson(row, m.config));
        io.out(`Annotated ${row.project_name}/${row.job_name} (${row.id}).`);
      },
    );
}
