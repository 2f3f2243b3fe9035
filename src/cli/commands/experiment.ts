import type { Command } from "commander";
import type { Cli } from "../context.js";
// experiment subcommands (imports): analysis
import { registerExperimentAnalysis } from "./experiment-analysis.js";
// experiment subcommands (imports): bandits and planning
import { registerExperimentBandit } from "./experiment-bandit.js";
// experiment subcommands (imports): design and assignment
import { registerExperimentDesign } from "./experiment-design.js";
import { registerExperimentPlan } from "./experiment-plan.js";
// experiment subcommands (imports): statistics
import { registerExperimentStats } from "./experiment-stats.js";

/**
 * `tessera experiment …` (issue 20): A/B tests and holdouts per segment. Each part of the capability registers
 * its subcommands from its own file.
 */
export function registerExperiment(program: Command, cli: Cli): void {
  const experiment = program
    .command("experiment")
    .description("design, assign, read and plan A/B tests and holdouts on segments");
  // experiment subcommands: design and assignment
  registerExperimentDesign(experiment, cli);
  // experiment subcommands: statistics
  registerExperimentStats(experiment, cli);
  // experiment subcommands: analysis
  registerExperimentAnalysis(experiment, cli);
  // experiment subcommands: bandits and planning
  registerExperimentBandit(experiment, cli);
  registerExperimentPlan(experiment, cli);
}
