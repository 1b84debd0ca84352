import type { Command } from "commander";
import type { CommandContext } from "../program.js";

/**
 * Commands that live in files of their own register here: each exports
 * `register(program, ctx)`. One line per command module.
 */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

export const EXTRA_COMMANDS: RegisterCommand[] = [];
import { register as registerServe } from "./serve.js"; EXTRA_COMMANDS.push(registerServe);
import { register as registerDemo } from "./demo.js"; EXTRA_COMMANDS.push(registerDemo);
