import type { Command } from "commander";
import { statsOperation, traitsOperation } from "../../operations/store-operations.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";

export function registerStats(program: Command, cli: Cli): void {
  program
    .command("stats")
    .description("count what the database holds")
    .action(async (_opts, cmd: Command) => {
      const stats = await cli.run(cmd, statsOperation, {});
      cli.print(cmd, stats, () => table(["table", "rows"], Object.entries(stats)));
    });

  program
    .command("traits")
    .description("list the trait registry: every known customer trait with its type, category and pii flag")
    .action(async (_opts, cmd: Command) => {
      const result = await cli.run(cmd, traitsOperation, {});
      const { traits } = result;
      cli.print(cmd, result, () =>
        traits.length === 0
          ? "No traits yet: import a customers file.\n"
          : table(
              ["trait", "type", "category", "pii", "from column"],
              traits.map((t) => [t.name, t.type, t.category, t.pii ? "yes" : "", t.sourceColumn]),
            ),
      );
    });
}
