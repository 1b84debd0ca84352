/**
 * Line-oriented text blocks, one per change, shared by the Telegram (HTML) and plain-text
 * renderers; only the markup differs. Every value goes through `markup.spec.render`
 * (escaping) before it is wrapped in markup, and is cut in raw form first, so a cut never
 * lands inside a tag or an entity.
 */
import type { JobAlert, MessageAlert, ProjectAlert } from "../types.js";
import {
  CRITICALITY_EMOJI,
  JOB_EMOJI,
  JOB_TYPE_LABEL,
  PROJECT_EMOJI,
  PROJECT_HEADLINE,
  type Sections,
  displayInstant,
  isRecovery,
  isReminder,
  jobHeadline,
  oneLine,
  recoverySentence,
  reminderSentence,
} from "./common.js";
import { jobDashboardUrl, projectDashboardUrl } from "./studio-links.js";
import { type Packable, type RenderSpec, fitText } from "./fit.js";

export interface Markup {
  spec: RenderSpec;
  bold(rendered: string): string;
  italic(rendered: string): string;
  code(rendered: string): string;
  pre(rendered: string): string;
  link(url: string, label: string): string;
}

export interface BlockDraft extends Packable {
  build(budget: number): string;
}

// Caps on the always-shown parts, so that one block always fits a message with room for its error.
const MAX_NAME = 150;
const MAX_REASON = 1000;
const MAX_LINE = 300;

/** " (was success)", " (new job)", or "". */
function previous(from: string | null, to: string): string {
  if (from === null || from === to) return "";
  return from === "new" ? " (new job)" : ` (was ${from})`;
}

function draft(markup: Markup, before: (string | null)[], cut: { text: string; wrap(rendered: string): string } | null, after: (string | null)[], cap: number): BlockDraft {
  const build = (budget: number, skeleton = false): string => {
    const lines = [...before];
    if (cut !== null) {
      const body = skeleton ? "" : fitText(cut.text, budget, markup.spec);
      lines.push(skeleton || body !== "" ? cut.wrap(body) : null);
    }
    lines.push(...after);
    return lines.filter((line): line is string => line !== null && line !== "").join("\n");
  };
  // The skeleton keeps an empty wrapper (and its line break) so that `fixed` counts them.
  const fixed = markup.spec.cost(build(0, true));
  let demand = 0;
  if (cut !== null) demand = cut.text.length >= cap ? cap : Math.min(cap, markup.spec.cost(markup.spec.render(cut.text)));
  return { fixed, demand, build: (budget) => build(budget) };
}

export function jobBlock(markup: Markup, job: JobAlert, sections: Sections, cap: number): BlockDraft {
  const text = (value: string, max: number): string => fitText(value, max, markup.spec);
  const name = markup.bold(text(job.jobName, MAX_NAME));
  const emoji = JOB_EMOJI[job.toStatus];
  let headline: string;
  if (isReminder(job)) headline = text(reminderSentence(job, sections.nowMs), MAX_LINE);
  else if (isRecovery(job)) headline = text(`${recoverySentence(job.downSeconds)}${previous(job.fromStatus, job.toStatus)}`, MAX_LINE);
  else headline = text(`${jobHeadline(job)}${previous(job.fromStatus, job.toStatus)}`, MAX_LINE);

  const meta: string[] = [JOB_TYPE_LABEL[job.jobType], job.criticality];
  if (isRecovery(job)) meta.push(`at ${displayInstant(job.since)}`);
  else if (!isReminder(job)) meta.push(`since ${displayInstant(job.since)}`);

  let schedule: string | null = null;
  if (job.schedule !== null || job.scheduleDescription !== null) {
    const cron = job.schedule === null ? "" : markup.code(text(oneLine(job.schedule), 200));
    const description = job.scheduleDescription === null ? "" : text(oneLine(job.scheduleDescription), MAX_LINE);
    schedule = `Schedule: ${[cron, description].filter((s) => s !== "").join(" — ")}`;
  }
  const url = jobDashboardUrl(job, sections.dashboard);
  return draft(
    markup,
    [`${emoji} ${name} ${headline}`, markup.italic(`${text(job.projectName, MAX_NAME)} · ${text(meta.join(" · "), MAX_LINE)}`), schedule, text(job.reason, MAX_REASON)],
    job.errorMessage === null ? null : { text: job.errorMessage, wrap: markup.pre },
    [url === null ? null : markup.link(url, "Open in Supabase dashboard")],
    cap,
  );
}

export function projectBlock(markup: Markup, alert: ProjectAlert, sections: Sections, cap: number): BlockDraft {
  const text = (value: string, max: number): string => fitText(value, max, markup.spec);
  const recovered = alert.toStatus === "ok";
  const headline = `${markup.bold(text(alert.projectName, MAX_NAME))}: ${text(`${PROJECT_HEADLINE[alert.toStatus]}${previous(alert.fromStatus, alert.toStatus)}`, MAX_LINE)}`;
  const meta = recovered
    ? `${recoverySentence(alert.downSeconds)} · at ${displayInstant(alert.since)}`
    : `since ${displayInstant(alert.since)}`;
  const url = projectDashboardUrl(alert, sections.dashboard);
  return draft(
    markup,
    [`${PROJECT_EMOJI[alert.toStatus]} ${headline}`, markup.italic(text(meta, MAX_LINE)), text(alert.reason, MAX_REASON)],
    alert.errorMessage === null ? null : { text: alert.errorMessage, wrap: markup.pre },
    [url === null ? null : markup.link(url, "Open project in Supabase dashboard")],
    cap,
  );
}

export function messageBlock(markup: Markup, alert: MessageAlert, cap: number): BlockDraft {
  const text = (value: string, max: number): string => fitText(value, max, markup.spec);
  const meta = [alert.criticality, alert.projectName, alert.jobName]
    .filter((s): s is string => s !== null)
    .map((s) => text(s, MAX_NAME))
    .join(" · ");
  return draft(
    markup,
    [`${CRITICALITY_EMOJI[alert.criticality]} ${markup.bold(text(alert.title, MAX_NAME))}`, markup.italic(meta)],
    alert.message === "" ? null : { text: alert.message, wrap: (s) => s },
    [],
    cap,
  );
}
