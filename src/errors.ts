/**
 * Errors carry a class so callers can decide what to do: a configuration error is fixed by
 * the user (exit non-zero with the message), a transient one is retried, a permanent one is not.
 */
export type ErrorClass = "configuration" | "transient" | "permanent";

/**
 * The one base class of jobmon's errors. `code` says which error it is (stable, for callers
 * and `--json` output: test it, or the class, never `error.name`); `errorClass` says what to
 * do about it.
 */
export class JobmonError extends Error {
  readonly code: string;
  readonly errorClass: ErrorClass;
  constructor(code: string, message: string, errorClass: ErrorClass, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.errorClass = errorClass;
  }
}

/** A bad setting: the message names the variable or option and what to change. */
export class ConfigError extends JobmonError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super("config", `${variable}: ${message}`, "configuration");
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
