import { JobmonError } from "../errors.js";

/** A check stopped by a signal (CheckOptions.signal); what it did is in the message. */
export class CheckInterruptedError extends JobmonError {
  constructor(
    message: string,
    /** The abort reason: the signal's name (SIGINT, SIGTERM) when the CLI was signalled. */
    readonly signal: string,
  ) {
    // Transient: the next check reads what this one left unread.
    super("check_interrupted", message, "transient");
  }
}

/** The check ran past its lease and another check took it over: it must not record. */
export class LeaseLostError extends JobmonError {
  constructor(checkId: string) {
    super(
      "lease_lost",
      `check ${checkId} lost its lease (it ran past the longest a check may take, and another check took over): nothing was recorded`,
      "transient",
    );
  }
}

/** The abort reason in words: the signal's name, or "a request to stop". */
export function abortReason(signal: AbortSignal): string {
  return typeof signal.reason === "string" ? signal.reason : "a request to stop";
}
