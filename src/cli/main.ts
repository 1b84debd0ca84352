#!/usr/bin/env node
import { redactSecrets } from "../alerts/redact.js";
import { ConfigError, errorMessage } from "../errors.js";
import { JobNotFoundError } from "../hub/inventory.js";
import { loadEnv } from "./env-file.js";
import { stdio } from "./output.js";
import { buildProgram, UsageError } from "./program.js";

const env = loadEnv(process.cwd());
const program = buildProgram({
  env,
  io: stdio,
  setExitCode: (code) => {
    process.exitCode = code;
  },
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Known mistakes get one line; anything else gets its message (never a URL password).
  const known = error instanceof ConfigError || error instanceof UsageError || error instanceof JobNotFoundError;
  const message = redactSecrets(errorMessage(error));
  stdio.err(`jobmon: ${known ? "" : "error: "}${message}`);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
}
