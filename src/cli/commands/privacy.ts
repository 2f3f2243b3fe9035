import type { Command } from "commander";
import type { Cli } from "../context.js";

/**
 * `tessera privacy …`: erasure, access requests, retention, the audit log, settings and fairness (issue 17). Each
 * subcommand family registers itself from its own module.
 */
export function registerPrivacy(program: Command, _cli: Cli): Command {
  const privacy = program
    .command("privacy")
    .description("privacy: erase or export a person, retention, the audit log, settings, fairness");
  return privacy;
}
