export { MonitoringAPI, type MonitoringOptions } from "./monitor.js";
export { resolveConfig, type Config, type ProjectConfig, type HubConfig, type Env } from "./config.js";
export type { Db, Queryable, Row } from "./db/types.js";
export type { JobRow, JobPatch, JobFilter } from "./hub/inventory.js";
export type { DiscoveryReport, ProjectDiscovery } from "./discovery.js";
export { ConfigError, JobmonError } from "./errors.js";
export * from "./types.js";
