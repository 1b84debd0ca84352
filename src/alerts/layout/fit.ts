/**
 * Cutting text to a budget without breaking it: never inside an escape sequence (the cut
 * is made in the raw text, then escaped), never inside a surrogate pair or a grapheme
 * (an emoji cut in half shows as garbage or makes Telegram reject the UTF-8), and always
 * with a visible marker saying how much was left out.
 */

/** How a piece of raw text is written into a message, and what that costs against a limit. */
export interface RenderSpec {
  /** Escapes raw text for the target (identity for plain text). */
  render(raw: string): string;
  /**
   * Cost of rendered text against the budget. Must be at least the raw length of what was
   * rendered (true for escaping, which only grows text), so that only a budget-sized
   * prefix of a huge text is ever rendered.
   */
  cost(rendered: string): number;
}

export const PLAIN: RenderSpec = { render: (s) => s, cost: (s) => s.length };

/** `12345` → `12,345`; locale-independent so the output is the same on every host. */
export function groupThousands(n: number): string {
  return String(Math.max(0, Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The marker appended to cut text. `removed` is in UTF-16 units of the (redacted) raw text. */
export function truncationMarker(removed: number): string {
  return `… [truncated ${groupThousands(removed)} chars]`;
}

let graphemes: Intl.Segmenter | null | undefined;
function graphemeSegmenter(): Intl.Segmenter | null {
  if (graphemes === undefined) {
    graphemes = typeof Intl !== "undefined" && typeof Intl.Segmenter === "function" ? new Intl.Segmenter("en", { granularity: "grapheme" }) : null;
  }
  return graphemes;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** Clusters longer than this are cut at a code point instead (combining-mark floods). */
const MAX_GRAPHEME = 64;

/** The largest cut position ≤ `k` that splits neither a surrogate pair nor a grapheme. */
export function safeCut(text: string, k: number): number {
  if (k <= 0) return 0;
  if (k >= text.length) return text.length;
  let cut = k;
  // Between two ASCII characters there is always a grapheme boundary (UAX #29), except
  // inside CR LF: the common case, and segmenting is slow enough to matter when batches()
  // formats hundreds of lines O(log n) times.
  const before = text.charCodeAt(cut - 1);
  const after = text.charCodeAt(cut);
  if (before < 0x80 && after < 0x80 && !(before === 0x0d && after === 0x0a)) return cut;
  if (isHighSurrogate(before) && isLowSurrogate(after)) cut--;
  const segmenter = graphemeSegmenter();
  if (segmenter === null) return cut;
  const windowStart = Math.max(0, cut - MAX_GRAPHEME);
  const window = text.slice(windowStart, Math.min(text.length, cut + MAX_GRAPHEME));
  let best = -1;
  for (const segment of segmenter.segment(window)) {
    const boundary = windowStart + segment.index;
    if (boundary > cut) break;
    best = boundary;
  }
  // No boundary inside the window other than its (artificial) start: a giant cluster.
  return best > windowStart || windowStart === 0 ? Math.max(best, 0) : cut;
}

/** The marker for one-line summaries (compact layout): the full text is one command away. */
export const shortMarker = (): string => "…";

/**
 * `text` rendered by `spec`, cut so that its cost (marker included) is at most `budget`.
 * Returns rendered text: a prefix of `text`, escaped, followed by the marker when cut.
 * `marker` must not need escaping and must never be shorter for more removed text.
 */
export function fitText(text: string, budget: number, spec: RenderSpec = PLAIN, marker: (removed: number) => string = truncationMarker): string {
  const limit = Math.max(0, Math.floor(budget));
  if (text.length <= limit) {
    const full = spec.render(text);
    if (spec.cost(full) <= limit) return full;
  }
  // Check against the widest marker this text can get, so that the cost only grows with
  // the prefix length (binary search stays valid) and a smaller actual marker still fits.
  const widest = marker(text.length);
  if (spec.cost(widest) > limit) {
    const ellipsis = "…";
    return spec.cost(ellipsis) <= limit ? ellipsis : "";
  }
  const fits = (k: number): boolean => spec.cost(spec.render(text.slice(0, k)) + widest) <= limit;
  let lo = 0;
  let hi = Math.min(text.length, limit);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const cut = safeCut(text, lo);
  return spec.render(text.slice(0, cut)) + marker(text.length - cut);
}

/**
 * Shares `available` among demands: small demands are met in full, the rest split what
 * is left evenly (water-filling). Never gives more than asked or more than available.
 */
export function allocate(demands: readonly number[], available: number): number[] {
  const out = demands.map(() => 0);
  const order = demands.map((_, i) => i).sort((a, b) => (demands[a] ?? 0) - (demands[b] ?? 0));
  let remaining = Math.max(0, Math.floor(available));
  let left = order.length;
  for (const i of order) {
    const share = Math.floor(remaining / left);
    const given = Math.min(Math.max(0, demands[i] ?? 0), share);
    out[i] = given;
    remaining -= given;
    left--;
  }
  return out;
}

/** An item to pack into messages: text that is always shown, plus error text that can be cut. */
export interface Packable {
  /** Cost of everything but the cuttable text (separators excluded). */
  fixed: number;
  /** Cost of the cuttable text shown in full, capped at what the item can hold. */
  demand: number;
}

export interface PackLimits {
  /** Budget of one message for the items and separators. */
  budget: number;
  /** At most this many items per message (Discord: 10 embeds). */
  maxItems: number;
  /** Cost of the separator between two items. */
  separator: number;
  /**
   * Each item keeps at least this much of its cuttable text (or all of it if shorter):
   * below that an error is no longer informative, so a new message is started instead.
   */
  minShare: number;
}

/**
 * Splits items, in order, into as few messages as the limits allow (greedy is optimal for
 * contiguous chunks) and gives each item its share of its message's budget.
 */
export function pack<T extends Packable>(items: readonly T[], limits: PackLimits): { items: T[]; budgets: number[] }[] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let need = 0;
  for (const item of items) {
    const cost = item.fixed + Math.min(item.demand, limits.minShare);
    const withSeparator = current.length > 0 ? cost + limits.separator : cost;
    if (current.length > 0 && (current.length >= limits.maxItems || need + withSeparator > limits.budget)) {
      chunks.push(current);
      current = [];
      need = 0;
    }
    need += current.length > 0 ? cost + limits.separator : cost;
    current.push(item);
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map((chunk) => {
    const fixed = chunk.reduce((sum, item) => sum + item.fixed, 0) + limits.separator * (chunk.length - 1);
    return { items: chunk, budgets: allocate(chunk.map((item) => item.demand), limits.budget - fixed) };
  });
}
