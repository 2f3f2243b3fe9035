import type { Command } from "commander";
import { storeStats } from "../../store/stats.js";
import { listTraits } from "../../store/trait-registry.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";

export function registerStats(program: Command, cli: Cli): void {
  program
    .command("stats")
    .description("count what the database holds")
    .action(async (_opts, cmd: Command) => {
      const stats = await cli.withStore(cmd, storeStats);
      cli.print(cmd, stats, () => table(["table", "rows"], Object.entries(stats)));
    });

  program
    .command("traits")
    .description("list the trait registry: every known customer trait with its type, category and pii flag")
    .action(async (_opts, cmd: Command) => {
      const traits = await cli.withStore(cmd, listTraits);
      cli.print(cmd, { traits }, () =>
        traits.length === 0
          ? "No traits yet: import a customers file.\n"
          : table(
              ["trait", "type", "category", "pii", "from column"],
              traits.map((t) => [t.name, t.type, t.category, t.pii ? "yes" : "", t.sourceColumn]),
            ),
      );
    });
}
