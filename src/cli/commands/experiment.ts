import type { Command } from "commander";
import type { Cli } from "../context.js";
// experiment subcommands (imports): design and assignment
// experiment subcommands (imports): statistics
// experiment subcommands (imports): analysis
// experiment subcommands (imports): bandits and planning

/**
 * `tessera experiment …` (issue 20): A/B tests and holdouts per segment. Each part of the capability registers
 * its subcommands from its own file.
 */
export function registerExperiment(program: Command, cli: Cli): void {
  const experiment = program
    .command("experiment")
    .description("design, assign, read and plan A/B tests and holdouts on segments");
  // experiment subcommands: design and assignment
  // experiment subcommands: statistics
  // experiment subcommands: analysis
  // experiment subcommands: bandits and planning
  void experiment;
  void cli;
}
