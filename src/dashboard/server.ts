/**
 * `jobmon serve`: a read-only status page and JSON API over the hub, on node:http.
 *
 *   GET /                 every project and job (filters in the query: project, status, criticality)
 *   GET /jobs/:id         one job: facts, health log, alert deliveries
 *   GET /api/status       the overview as JSON (same filters)
 *   GET /api/jobs/:id     one job as JSON
 *   GET /metrics          the same state for Prometheus (text exposition format, metrics.ts)
 *   GET /doctor           `jobmon doctor`'s findings, audited on each request (/api/doctor as JSON)
 *   GET /assets/…         the stylesheet and the one script
 *   GET|POST /login       only when a token is required
 *
 * Anything but GET and HEAD is answered 405 (the login POST excepted). Every response carries
 * a strict Content-Security-Policy (scripts and styles from 'self' only, no framing), nosniff
 * and no-referrer, and is not cached: it shows job errors and commands.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { redactSecrets } from "../lib/redact.js";
import { errorMessage, JobmonError } from "../errors.js";
import { JobNotFoundError } from "../hub/inventory.js";
import type { MonitoringAPI } from "../monitor.js";
import { ASSET_PATHS, DASHBOARD_CSS, DASHBOARD_JS } from "./assets.js";
import { checkBind, hostName, TOKEN_VARIABLE, isAuthorized, isLoopbackHost, sameSecret, sessionCookie } from "./auth.js";
import { loadJobPage, loadMetrics, loadOverview } from "./load.js";
import { renderMetrics } from "./metrics.js";
import { doctorPage, jobPage, loginPage, messagePage, overviewPage } from "./pages.js";

import { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, DEFAULT_REFRESH_SECONDS } from "./defaults.js";

export { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, DEFAULT_REFRESH_SECONDS };

/** Runs `fn` with an open MonitoringAPI (the embedded hub is opened per request: see serve.ts). */
export type MonitorSession = <T>(fn: (monitor: MonitoringAPI) => Promise<T>) => Promise<T>;

export interface DashboardOptions {
  /** The facade to read from, or a function that opens one for each request. */
  monitor: MonitoringAPI | MonitorSession;
  /** Default 127.0.0.1. Any non-loopback address requires `token`. */
  host?: string;
  /** Default 8484; 0 picks a free port (tests). */
  port?: number;
  /** JOBMON_DASHBOARD_TOKEN: when set, every request must carry it (bearer or login cookie). */
  token?: string;
  /** How often the page refreshes itself (seconds; 0 = never). Default 30. */
  refreshSeconds?: number;
  /** Literal secrets to redact from error messages besides the configuration's. */
  secrets?: readonly string[];
  now?: () => Date;
  /** Where server-side errors are reported (already redacted). */
  log?: (line: string) => void;
}

export interface Dashboard {
  /** e.g. http://127.0.0.1:8484/ */
  url: string;
  host: string;
  port: number;
  tokenRequired: boolean;
  close(): Promise<void>;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

const HTML_TYPE = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
const TEXT_TYPE = "text/plain; charset=utf-8";
const METRICS_PATH = "/metrics";
const MAX_FORM_BYTES = 8 * 1024;

/** A request the dashboard refuses: answered with `status` and the message. */
class HttpError extends JobmonError {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super("http_refused", message, "permanent");
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON_TYPE, `${JSON.stringify(value, null, 2)}\n`, headers);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new HttpError(413, "form too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

/** Only a local path may follow a login: no `//host` or `/\host` open redirect, no control characters. */
function localPath(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !/[\\\u0000-\u001f\u007f]/.test(next) ? next : "/";
}

function wantsJson(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

/** The id segment of /jobs/:id or /api/jobs/:id (a uuid, or an encoded project/job_name). */
function jobRef(path: string, prefix: string): string | null {
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length);
  if (rest === "") return null;
  try {
    return decodeURIComponent(rest);
  } catch {
    throw new HttpError(400, "malformed job id in the URL");
  }
}

function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? DEFAULT_DASHBOARD_HOST;
  const token = options.token === "" ? undefined : options.token;
  checkBind(host, token);
  const refreshSeconds = options.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const source = options.monitor;
  const session: MonitorSession = typeof source === "function" ? source : (fn) => fn(source);
  const extraSecrets = [...(options.secrets ?? []), ...(token ? [token] : [])];
  const secrets = typeof source === "function" ? extraSecrets : [...source.config.secrets, ...extraSecrets];
  const loopback = isLoopbackHost(host);

  async function route(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const path = url.pathname;
    if (method === "POST" && path === "/login" && token) return login(req, res);
    if (path === ASSET_PATHS.css) return send(res, 200, "text/css; charset=utf-8", DASHBOARD_CSS, { "Cache-Control": "no-cache" });
    if (path === ASSET_PATHS.js) return send(res, 200, "text/javascript; charset=utf-8", DASHBOARD_JS, { "Cache-Control": "no-cache" });
    if (path === "/favicon.ico") return send(res, 204, "text/plain", "");

    if (token) {
      if (path === "/login") return send(res, 200, HTML_TYPE, loginPage({ next: localPath(url.searchParams.get("next")), failed: false, now: now() }).value);
      if (!isAuthorized(req, token)) {
        const refusal = "this dashboard requires JOBMON_DASHBOARD_TOKEN as `Authorization: Bearer <token>`";
        const challenge = { "WWW-Authenticate": 'Bearer realm="jobmon"' };
        if (wantsJson(path)) return sendJson(res, 401, { error: refusal }, challenge);
        if (path === METRICS_PATH) return send(res, 401, TEXT_TYPE, `${refusal}\n`, challenge);
        return send(res, 401, HTML_TYPE, loginPage({ next: localPath(path + url.search), failed: false, now: now() }).value, challenge);
      }
    } else if (path === "/login") {
      return send(res, 303, "text/plain", "", { Location: "/" });
    }

    const at = now();
    if (path === METRICS_PATH) {
      const { contentType, body } = await renderMetrics(await session((m) => loadMetrics(m, at)));
      return send(res, 200, contentType, body);
    }
    if (path === "/" || path === "/api/status") {
      const overview = await session((m) => loadOverview(m, url.searchParams, at));
      if (path === "/api/status") return sendJson(res, 200, overview);
      return send(res, 200, HTML_TYPE, overviewPage(overview, { refreshSeconds, now: at }).value);
    }
    if (path === "/doctor" || path === "/api/doctor") {
      const report = await session((m) => m.doctor());
      if (path === "/api/doctor") return sendJson(res, 200, report);
      return send(res, 200, HTML_TYPE, doctorPage(report, { now: at, secrets }).value);
    }
    const apiRef = jobRef(path, "/api/jobs/");
    if (apiRef !== null) return sendJson(res, 200, await session((m) => loadJobPage(m, apiRef, at)));
    const pageRef = jobRef(path, "/jobs/");
    if (pageRef !== null) {
      const page = await session((m) => loadJobPage(m, pageRef, at));
      return send(res, 200, HTML_TYPE, jobPage(page, { refreshSeconds, now: at }).value);
    }
    throw new HttpError(404, `nothing at ${path}`);
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // SameSite=Strict keeps the cookie off cross-site requests; a cross-site login POST is
    // refused too, so no other site can sign a browser in. Browsers send Sec-Fetch-Site; with
    // Referrer-Policy: no-referrer their Origin on a form POST is "null", so that cannot be
    // required (only a real, different origin is refused).
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    let crossSite = site !== undefined && site !== "same-origin" && site !== "none";
    if (!crossSite && origin && origin !== "null") {
      try {
        crossSite = new URL(origin).host !== (req.headers.host ?? "");
      } catch {
        crossSite = true;
      }
    }
    if (crossSite) throw new HttpError(403, "cross-site login refused");
    const form = await readForm(req);
    const next = localPath(form.get("next"));
    if (!token || !sameSecret(form.get("token") ?? "", token)) {
      return send(res, 401, HTML_TYPE, loginPage({ next, failed: true, now: now() }).value);
    }
    const secure = req.headers["x-forwarded-proto"] === "https";
    send(res, 303, "text/plain", "", { Location: next, "Set-Cookie": sessionCookie(token, secure) });
  }

  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://dashboard.invalid");
    } catch {
      return send(res, 400, TEXT_TYPE, "bad request\n");
    }
    const path = url.pathname;
    const loginPost = method === "POST" && path === "/login" && token !== undefined;
    if (method !== "GET" && method !== "HEAD" && !loginPost) {
      const allow = path === "/login" && token ? "GET, HEAD, POST" : "GET, HEAD";
      req.resume();
      if (wantsJson(path)) return sendJson(res, 405, { error: `${method} is not allowed: this API is read-only (${allow})` }, { Allow: allow });
      return send(res, 405, TEXT_TYPE, `${method} is not allowed: the dashboard is read-only\n`, { Allow: allow });
    }
    // Bound to loopback without a token, the page trusts "this machine": a web page that
    // rebinds its own DNS name to 127.0.0.1 must not read it, so only loopback names are served.
    if (!token && loopback && !isLoopbackHost(hostName(req.headers.host))) {
      return send(res, 403, TEXT_TYPE, `this dashboard answers only to localhost (Host was not a loopback name); to serve other names, bind them with ${TOKEN_VARIABLE} set\n`);
    }
    route(req, res, method, url).catch((error: unknown) => {
      const api = wantsJson(path);
      let status = 500;
      let message: string;
      let headers: Record<string, string> = {};
      if (error instanceof HttpError) {
        status = error.status;
        message = error.message;
        headers = error.headers;
      } else if (error instanceof JobNotFoundError) {
        status = 404;
        message = error.message;
      } else if (error instanceof JobmonError && error.code === "hub_busy") {
        // The embedded hub is held by another jobmon process (a check): try again shortly.
        status = 503;
        message = `${error.message}; try again in a few seconds`;
        headers = { "Retry-After": "5" };
      } else {
        message = `could not read the hub: ${errorMessage(error)}`;
      }
      message = redactSecrets(message, secrets);
      if (status >= 500) log(`jobmon serve: ${method} ${path}: ${message}`);
      if (res.headersSent) return void res.destroy();
      if (api) return sendJson(res, status, { error: message }, headers);
      if (path === METRICS_PATH) return send(res, status, TEXT_TYPE, `${message}\n`, headers);
      const title = status === 404 ? "Not found" : status === 503 ? "Busy" : status >= 500 ? "Error" : "Request refused";
      send(res, status, HTML_TYPE, messagePage(title, message, now()).value, headers);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") reject(new Error(`port ${options.port ?? DEFAULT_DASHBOARD_PORT} on ${host} is already in use: choose another with --port`));
      else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") reject(new Error(`cannot listen on ${host}: no such local address (--host)`));
      else reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options.port ?? DEFAULT_DASHBOARD_PORT, host);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${formatHost(host)}:${port}/`,
    host,
    port,
    tokenRequired: token !== undefined,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
