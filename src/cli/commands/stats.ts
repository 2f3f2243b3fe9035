import type { Command } from "commander";
import { statsOperation, traitSetOperation, traitsOperation } from "../../operations/store-operations.js";
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

  const traitsCommand = program
    .command("traits")
    .description("list the trait registry: every known customer trait with its type, category and pii flag");
  traitsCommand
    .command("set")
    .description("change a trait's PII flag or category")
    .argument("<name>", "the trait, as `tessera traits` lists it")
    .option("--pii", "the trait is personal data")
    .option("--no-pii", "the trait is not personal data")
    .option(
      "--category <category>",
      "demographic, geographic, psychographic, behavioral, technographic, value, sensitive (checked by tessera privacy fairness), custom",
    )
    .action(async (name: string, opts, cmd: Command) => {
      // --pii / --no-pii only when typed: absent, the flag stays as it is.
      const pii = cmd.getOptionValueSource("pii") === "cli" ? (opts.pii as boolean) : undefined;
      const result = await cli.run(cmd, traitSetOperation, { name, pii, category: opts.category });
      const t = result.trait;
      cli.print(
        cmd,
        result,
        () => `${t.name}: ${t.category}, ${t.pii ? "personal data (pii)" : "not personal data"}\n`,
      );
    });
  traitsCommand.action(async (_opts, cmd: Command) => {
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
