/**
 * Errors carry a class so callers can decide what to do: a configuration error is fixed by
 * the user (exit non-zero with the message), a transient one is retried, a permanent one is not.
 */
export type ErrorClass = "configuration" | "transient" | "permanent";

export class JobmonError extends Error {
  readonly errorClass: ErrorClass;
  constructor(message: string, errorClass: ErrorClass, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JobmonError";
    this.errorClass = errorClass;
  }
}

/** A bad setting: the message names the variable or option and what to change. */
export class ConfigError extends JobmonError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`, "configuration");
    this.name = "ConfigError";
    this.variable = variable;
  }
}

/** Normalises anything thrown into a message string. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
