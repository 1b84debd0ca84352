/**
 * HTML that is safe by construction: the `html` tag escapes every interpolated value unless
 * it is itself `Html` built by this tag (or `trusted` markup written in this module's
 * callers, never data). Job names, commands, schedules and error texts come from monitored
 * databases, so they are data: a `<img src=x onerror=…>` in an error shows as text.
 *
 * Attribute values must be written in double quotes (`title="${x}"`): escaping `"` and `'`
 * keeps a value inside them. URLs are built from our own paths with encodeURIComponent.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i] as Part) + (strings[i + 1] ?? "");
  return new Html(out);
}

/** Markup written in the dashboard's own source (never data from a database or a request). */
export function trusted(markup: string): Html {
  return new Html(markup);
}
