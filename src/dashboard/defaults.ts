/**
 * The dashboard's defaults, apart from its server: `jobmon serve` names them in its options and
 * --help, and every other command starts without loading the dashboard.
 */
export const DEFAULT_DASHBOARD_HOST = "127.0.0.1";
export const DEFAULT_DASHBOARD_PORT = 8484;
export const DEFAULT_REFRESH_SECONDS = 30;
