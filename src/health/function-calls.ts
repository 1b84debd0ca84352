/**
 * Which Edge Functions (and other URLs) the cron jobs' commands call, read from their SQL,
 * pure: no clock, no I/O. A function called by a cron job takes the job's schedule and
 * verdict into its own (function-verdicts.ts), and a job that sends pg_net requests is a
 * candidate when responses are matched to runs (pgnet-correlation.ts).
 */

/** A call found in a command: the slug and, for a literal `https://<ref>.supabase.co` URL, the ref. */
export interface FunctionCall {
  slug: string;
  /** The project ref in the URL's host, when the URL is a literal `<ref>.supabase.co` one. */
  ref: string | null;
}

/**
 * `/functions/v1/<slug>` right after the host of a literal URL (`https://<ref>.supabase.co`,
 * `http://kong:8000`, a custom domain), or right after the opening quote of a string literal
 * that holds at most a host tail, which is how a URL built in SQL looks:
 * `(select decrypted_secret from vault.decrypted_secrets where name = 'project_url') ||
 * '/functions/v1/<slug>'`, or `'https://' || ref || '.supabase.co/functions/v1/<slug>'`.
 * Anchoring there keeps `…/storage/v1/object/public/functions/v1/x.png` out. A slug is
 * `[A-Za-z0-9_-]+`; what follows it (`?query`, `/sub/path`, a quote) is not part of it.
 */
const CALL =
  /(?:\b[Hh][Tt][Tt][Pp][Ss]?:\/\/([A-Za-z0-9.-]+)(?::\d+)?|(?:['"]|\$[A-Za-z_0-9]*\$)[A-Za-z0-9.-]*(?::\d+)?)\/functions\/v1\/([A-Za-z0-9_-]+)/g;

/**
 * pg_net's request functions (always schema-qualified `net.`; a bare `http_post(` is more
 * likely the synchronous `http` extension, which writes no pg_net response) and the
 * database-webhook wrapper that calls them.
 */
const HTTP_CALL = /\bnet\s*\.\s*http_(?:post|get|delete)\s*\(|\bsupabase_functions\s*\.\s*http_request\s*\(/i;
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/y;

/**
 * SQL comments out, quoted text kept: `--` and `/* *\/` (nested, as PostgreSQL allows) are
 * comments only outside '…' and "…". A $tag$…$tag$ body is stripped the same way, since
 * in a cron command it is mostly code (`do $$ … $$`). A call in a comment does not run.
 */
export function stripSqlComments(sql: string, depth = 0): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (c === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql.startsWith("/*", i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith("*/", i)) {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      out += " ";
      continue;
    }
    if (c === "'" || c === '"') {
      // A doubled quote inside is an escaped quote: the scan simply continues past it.
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else if (c === "'" && sql[j] === "\\" && (sql[i - 1] === "e" || sql[i - 1] === "E")) {
          j += 2; // E'…\'…' escape
        } else {
          j++;
        }
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "$" && !/[A-Za-z_0-9]/.test(sql[i - 1] ?? "")) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql);
      if (tag) {
        // The body of `do $$ … $$` is code with comments of its own: strip those too.
        const open = i + tag[0].length;
        const close = sql.indexOf(tag[0], open);
        const bodyEnd = close < 0 ? sql.length : close;
        const body = sql.slice(open, bodyEnd);
        // Bounded recursion: tags nested deeper than this are kept verbatim.
        out += tag[0] + (depth < 4 ? stripSqlComments(body, depth + 1) : body) + (close < 0 ? "" : tag[0]);
        i = close < 0 ? sql.length : close + tag[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** Every Edge Function call in a command, in order of appearance, each (slug, ref) once. */
export function functionCallTargets(command: string): FunctionCall[] {
  const calls: FunctionCall[] = [];
  const seen = new Set<string>();
  for (const match of stripSqlComments(command).matchAll(CALL)) {
    const host = match[1]?.toLowerCase() ?? null;
    const slug = match[2] as string;
    const ref = host === null ? null : (/^([a-z0-9]+)\.supabase\.(?:co|in|net)$/.exec(host)?.[1] ?? null);
    const key = `${slug}\0${ref ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    calls.push({ slug, ref });
  }
  return calls;
}

/**
 * The slugs of the Edge Functions a cron command calls through `/functions/v1/<slug>`. With
 * `projectRef`, a literal URL of another project (`https://<other>.supabase.co/…`) is left
 * out: that function is not this project's to look for.
 */
export function functionCallsInCommand(command: string, projectRef?: string | null): string[] {
  const slugs = functionCallTargets(command)
    .filter((call) => !projectRef || call.ref === null || call.ref === projectRef)
    .map((call) => call.slug);
  return [...new Set(slugs)];
}

/**
 * True when each run of the command makes exactly one pg_net request: one call site, not under
 * a FROM that could repeat it (`select net.http_post(…) from users`), and no loop. A FROM inside
 * parentheses (the usual `(select decrypted_secret from vault.decrypted_secrets …)`) is a
 * sub-select giving the call an argument, not more calls. When in doubt: false.
 */
export function makesOneRequest(command: string): boolean {
  const code = stripSqlComments(command).replace(/'(?:[^']|'')*'/g, "''");
  if ((code.match(new RegExp(HTTP_CALL.source, "gi")) ?? []).length !== 1) return false;
  let topLevel = "";
  let depth = 0;
  for (const c of code) {
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0) topLevel += c;
  }
  return !/\b(?:from|loop|foreach|while|generate_series)\b/i.test(topLevel);
}

/** True when the command sends an HTTP request through pg_net (net.http_post/get/delete). */
export function makesHttpRequest(command: string): boolean {
  return HTTP_CALL.test(stripSqlComments(command));
}

/**
 * The `calls` map that misconfiguredCalls and correlateResponses (pgnet-correlation.ts)
 * take: every cron job that sends pg_net requests or calls a function, keyed by jobid, with
 * the slugs of this project's functions it calls (possibly none: a job posting to another
 * service still makes pg_net responses, and must be a candidate when responses are matched
 * to jobs, or its failures would land on a job that calls a function).
 */
export function functionCallsByJob(
  jobs: readonly { jobid: number; command: string }[],
  projectRef?: string | null,
): Map<number, string[]> {
  const calls = new Map<number, string[]>();
  for (const job of jobs) {
    const slugs = functionCallsInCommand(job.command, projectRef);
    if (slugs.length > 0 || makesHttpRequest(job.command)) calls.set(job.jobid, slugs);
  }
  return calls;
}

/** A job calling a slug the project does not have (or has as REMOVED). */
export interface MisconfiguredCall {
  jobid: number;
  slug: string;
  reason: string;
}

/**
 * Calls to functions the project does not have. `functions` are the project's functions
 * (slugs, or `{slug, status}` from the Management API: a call to a REMOVED one is reported too).
 */
export function misconfiguredCalls(
  calls: ReadonlyMap<number, readonly string[]>,
  functions: Iterable<string | { slug: string; status: string }>,
): MisconfiguredCall[] {
  const status = new Map<string, string>();
  for (const f of functions) {
    if (typeof f === "string") status.set(f, "ACTIVE");
    else status.set(f.slug, f.status);
  }
  const out: MisconfiguredCall[] = [];
  for (const [jobid, slugs] of calls) {
    for (const slug of slugs) {
      const state = status.get(slug);
      if (state === undefined) {
        out.push({
          jobid,
          slug,
          reason: `calls the Edge Function "${slug}" (/functions/v1/${slug}), which this project does not have: deploy it or fix the URL in the command`,
        });
      } else if (state === "REMOVED") {
        out.push({
          jobid,
          slug,
          reason: `calls the Edge Function "${slug}" (/functions/v1/${slug}), which is REMOVED in this project: redeploy it or unschedule the job`,
        });
      }
    }
  }
  return out;
}
