/**
 * Secret redaction for every text that leaves the process: alert messages, CLI output,
 * logs. pg_cron commands and error messages routinely carry credentials (`net.http_post`
 * headers with a service key, connection strings with a password), and an alert must not
 * repost them to a chat.
 *
 * Markers: a URL password becomes `***` (`postgresql://user:***@host`, the form people
 * recognise from connection strings); every other secret becomes `[redacted]`, keeping the
 * key or scheme in front of it (`apikey: [redacted]`, `Bearer [redacted]`,
 * `/bot[redacted]/sendMessage`). Redacting twice changes nothing.
 *
 * It redacts values, not prose: "a bearer token in the Authorization header" stays as it
 * is (a word after "bearer" is not a credential), and so does a placeholder such as
 * `Authorization: Bearer <token>`.
 *
 * Every pattern starts with a literal or a cheap anchor and has no nested or overlapping
 * quantifiers, so each is linear in the input: a 10 MB error message costs a few passes,
 * never a catastrophic backtrack.
 */

export const REDACTED = "[redacted]";
export const REDACTED_PASSWORD = "***";

/** Extra secrets shorter than this are ignored: replacing "abc" everywhere would shred the text. */
export const MIN_EXTRA_SECRET_LENGTH = 4;

// Characters that end a value: whitespace, quotes, separators, brackets, backslash (JSON escapes).
const VALUE = String.raw`[^\s"'\x60,;&<>\\(){}\[\]]+`;
// An optional quote around a key or value, possibly JSON-escaped (\").
const Q = String.raw`(?:\\?["'])?`;
// Already redacted: leave it alone so that redaction is idempotent.
const DONE = String.raw`(?!\[redacted\]|\*\*\*)`;

/**
 * `scheme://user:password@host`, any scheme. Anchored on `://`; the user and password runs
 * exclude `/`, so a scan can never pass the next `://`. The password may contain a raw `@`
 * (the last `@` before the host wins, as URL parsers do), and a raw `#` or `?`: a password
 * someone forgot to percent-encode is still a password.
 */
const URL_PASSWORD = /:\/\/([^\s:@/?#"'\x60<>]*):([^\s/"'\x60<>]+)@/g;

/** Telegram Bot API paths: `/bot<id>:<secret>/method`. */
const TELEGRAM_BOT_PATH = /\/bot\d+:[^/\s?#"'\x60<>]+/g;

/** Discord webhook URLs: the id is public, the token is the credential. */
const DISCORD_WEBHOOK = /(\/api\/(?:v\d+\/)?webhooks\/\d+\/)[A-Za-z0-9_-]+/g;

/** Slack incoming webhook URLs (`/services/T…/B…/<secret>`): the workspace and hook ids stay. */
const SLACK_WEBHOOK = /(\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/)(?!\[redacted\])[A-Za-z0-9]+/g;

const AUTH_SCHEME = "(?:basic|bearer|digest|token)";

/**
 * `Authorization: <scheme> <credentials>` in headers, JSON and SQL. The first lookahead
 * skips an already redacted value (with or without its scheme) so that a second pass is a
 * no-op; the second keeps a scheme word from being taken for the credentials when what
 * follows it is no value (`Authorization: Bearer <token>`).
 */
const AUTHORIZATION = new RegExp(
  String.raw`(\bauthorization${Q}[ \t]*[:=][ \t]*${Q}[ \t]*)` +
    String.raw`(?!(?:${AUTH_SCHEME}[ \t]+)?\[redacted\])` +
    String.raw`(?:(${AUTH_SCHEME}[ \t]+)|(?!${AUTH_SCHEME}[ \t]))${VALUE}`,
  "gi",
);

/** `Bearer <token>` anywhere (RFC 6750 b64token characters). */
const BEARER = /\b(bearer[ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;

/**
 * What follows "bearer" in a sentence: one short word of letters, capitalised at most,
 * perhaps ending it ("a bearer token in the header", "bearer or cookie"). A credential has
 * digits, symbols, mixed case or length.
 */
const PROSE_WORD = /^[A-Za-z][a-z]{0,19}\.?$/;

const SECRET_KEYS = String.raw`api[_-]?key|password|passwd|pwd|secret|client[_-]secret|(?:access|refresh|auth|id)[_-]token|token|service[_-]role[_-]key`;

/**
 * Key/value pairs whose key names a secret: `"apikey": "…"`, `apikey=…`, `apikey: …`,
 * `password=…`, and SQL pairs such as `jsonb_build_object('apikey', '…')` (the comma form
 * needs quotes on both sides, so prose like "token, then" is left alone).
 */
const KEY_VALUE = new RegExp(
  String.raw`((?<![A-Za-z0-9_])(?:${SECRET_KEYS})` +
    String.raw`(?:${Q}[ \t]*(?::|=>|=)[ \t]*${Q}[ \t]*|\\?["'][ \t]*,[ \t]*\\?["']))` +
    String.raw`${DONE}${VALUE}`,
  "gi",
);

/**
 * Secrets known by their prefix alone, wherever they stand (no key or scheme in front):
 * Supabase secret keys (`sb_secret_…`) and access tokens (`sbp_…`); Stripe secret and
 * restricted keys (`sk_live_…`, `sk_test_…`, `rk_live_…`, `rk_test_…`); GitHub tokens
 * (`ghp_…`, `gho_…`, `ghu_…`, `ghs_…`, `ghr_…`, `github_pat_…`); Slack tokens (`xoxb-…`,
 * `xoxp-…`, `xoxa-…`, `xoxe-…`, `xoxo-…`, `xoxr-…`, `xoxs-…`). A Supabase publishable key
 * (`sb_publishable_…`) is public by design and stays. Except Supabase's, each needs a body
 * of some length, so that prose naming a prefix ("keys start with sk_live_") stays too.
 */
const PREFIXED_SECRET = new RegExp(
  String.raw`(?<![A-Za-z0-9])(?:` +
    [
      String.raw`sb_secret_[A-Za-z0-9_-]+`,
      String.raw`sbp_(?:oauth_)?[A-Za-z0-9]+`,
      String.raw`[sr]k_(?:live|test)_[A-Za-z0-9]{8,}`,
      String.raw`gh[oprsu]_[A-Za-z0-9]{20,}`,
      String.raw`github_pat_[A-Za-z0-9_]{20,}`,
      String.raw`xox[abeoprs]-[A-Za-z0-9-]{8,}`,
    ].join("|") +
    ")",
  "g",
);

/**
 * JWT-shaped: base64url JSON (`eyJ` is `{"`) with up to two more dot-separated segments.
 * A lone long segment counts too, so a token an error message cut short is still hidden.
 * The lookbehind makes a match start only at the beginning of a run (linear on `eyJeyJ…`).
 */
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}/g;

/** Telegram bot tokens outside URLs: `<bot id>:<35-character secret>`. */
const TELEGRAM_TOKEN = /(?<![A-Za-z0-9_:-])\d{5,12}:[A-Za-z0-9_-]{30,}/g;

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The same secrets list (config.secrets) is passed for every run of every check: build its
// pattern once.
const patternCache = new WeakMap<readonly string[], RegExp | null>();

/** One pass over the text for all extra secrets (and their URL-encoded forms), longest first. */
function extraSecretsPattern(extraSecrets: readonly string[]): RegExp | null {
  let pattern = patternCache.get(extraSecrets);
  if (pattern === undefined) {
    pattern = buildExtraSecretsPattern(extraSecrets);
    patternCache.set(extraSecrets, pattern);
  }
  if (pattern) pattern.lastIndex = 0;
  return pattern;
}

function buildExtraSecretsPattern(extraSecrets: readonly string[]): RegExp | null {
  const forms = new Set<string>();
  for (const secret of extraSecrets) {
    if (typeof secret !== "string" || secret.length < MIN_EXTRA_SECRET_LENGTH) continue;
    forms.add(secret);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) forms.add(encoded);
  }
  if (forms.size === 0) return null;
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegExp).join("|"), "g");
}

/**
 * redactSecrets for many texts that repeat — pg_cron's "1 row", the same error every minute:
 * each distinct text is redacted once. At most `maxEntries` distinct texts are remembered.
 */
export function cachedRedactor(extraSecrets: readonly string[], maxEntries = 10_000): (text: string) => string {
  const seen = new Map<string, string>();
  return (text) => {
    let out = seen.get(text);
    if (out === undefined) {
      out = redactSecrets(text, extraSecrets);
      if (seen.size < maxEntries) seen.set(text, out);
    }
    return out;
  };
}

/**
 * Replaces the secrets in `text` (see the file comment for the markers). `extraSecrets` are
 * literal values known to be secret (configured passwords and tokens); those shorter than
 * four characters are ignored.
 */
export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  if (typeof text !== "string" || text === "") return typeof text === "string" ? text : "";
  let out = text;
  // Known literals first: a pattern's marker could otherwise contain a short extra secret.
  const extra = extraSecretsPattern(extraSecrets);
  if (extra !== null) out = out.replace(extra, REDACTED);
  // Key-anchored rules before shape rules, so that `Authorization: Bearer x` keeps its scheme.
  out = out.replace(URL_PASSWORD, `://$1:${REDACTED_PASSWORD}@`);
  out = out.replace(TELEGRAM_BOT_PATH, `/bot${REDACTED}`);
  out = out.replace(DISCORD_WEBHOOK, `$1${REDACTED}`);
  out = out.replace(SLACK_WEBHOOK, `$1${REDACTED}`);
  out = out.replace(AUTHORIZATION, (_m, key: string, scheme: string | undefined) => `${key}${scheme ?? ""}${REDACTED}`);
  out = out.replace(BEARER, (match, scheme: string, token: string) => (PROSE_WORD.test(token) ? match : `${scheme}${REDACTED}`));
  out = out.replace(KEY_VALUE, `$1${REDACTED}`);
  out = out.replace(PREFIXED_SECRET, REDACTED);
  out = out.replace(JWT, REDACTED);
  out = out.replace(TELEGRAM_TOKEN, REDACTED);
  return out;
}

/**
 * A URL fit to print: the password replaced by `***`, and any other secret in it (a
 * webhook token, an `apikey=` query parameter) by `[redacted]`. Malformed input is
 * redacted on a best-effort basis; this never throws.
 */
export function redactUrl(url: string, extraSecrets: readonly string[] = []): string {
  try {
    const text = typeof url === "string" ? url : String(url);
    let out = text;
    const schemeEnd = text.indexOf("://");
    if (schemeEnd >= 0) {
      // The authority ends at the first `/`, `?` or `#`; the userinfo ends at its last `@`.
      const start = schemeEnd + 3;
      let end = text.length;
      for (const delimiter of ["/", "?", "#"]) {
        const i = text.indexOf(delimiter, start);
        if (i >= 0 && i < end) end = i;
      }
      let at = end > start ? text.lastIndexOf("@", end - 1) : -1;
      // A password holding an unencoded `/`, `?` or `#` ends the authority early, and the rest
      // of it (with its `@`) lands in the path, query or fragment. When the authority has a
      // `:` and an `@` follows it, everything up to the last `@` is taken for the userinfo:
      // a port followed by an `@` in the path is hidden too, better than a password shown.
      const lastAt = text.lastIndexOf("@");
      const authorityColon = text.indexOf(":", start);
      if (lastAt >= end && authorityColon >= start && authorityColon < end) at = lastAt;
      if (at >= start) {
        const userinfo = text.slice(start, at);
        const colon = userinfo.indexOf(":");
        if (colon >= 0 && colon < userinfo.length - 1) {
          out = `${text.slice(0, start)}${userinfo.slice(0, colon)}:${REDACTED_PASSWORD}${text.slice(at)}`;
        }
      }
    }
    return redactSecrets(out, extraSecrets);
  } catch {
    return REDACTED;
  }
}

/** The kinds of secret redactSecrets would hide, by the rule that finds them (names only, never values). */
const SECRET_KINDS: readonly (readonly [string, RegExp])[] = [
  ["a password in a URL", URL_PASSWORD],
  ["a Telegram bot token", TELEGRAM_BOT_PATH],
  ["a Discord webhook token", DISCORD_WEBHOOK],
  ["a Slack webhook secret", SLACK_WEBHOOK],
  ["an Authorization header", AUTHORIZATION],
  ["a bearer token", BEARER],
  ["a key or password value", KEY_VALUE],
  ["a secret key by its prefix (sb_secret_, sbp_, sk_live_ …)", PREFIXED_SECRET],
  ["a JWT (e.g. a service_role key)", JWT],
  ["a Telegram bot token", TELEGRAM_TOKEN],
];

/**
 * Which kinds of secret `text` holds (e.g. "a bearer token"), in the order above, each once.
 * Says what, never the value: for telling a user that a command carries a credential.
 */
export function secretKinds(text: string): string[] {
  if (typeof text !== "string" || text === "") return [];
  const kinds = new Set<string>();
  for (const [kind, pattern] of SECRET_KINDS) {
    pattern.lastIndex = 0;
    const found = pattern === BEARER ? [...text.matchAll(BEARER)].some((m) => !PROSE_WORD.test(m[2] ?? "")) : pattern.test(text);
    pattern.lastIndex = 0;
    if (found) kinds.add(kind);
  }
  return [...kinds];
}
