import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { type GenerateEvent, generateOperation } from "../../operations/synth-operations.js";
import type { Cli } from "../context.js";
import { intOption, numberOption } from "../parse.js";
import { progressBar } from "../progress.js";
import { formatCount } from "../table.js";
import { describeImport } from "./import.js";

export function registerGenerate(program: Command, cli: Cli): void {
  program
    .command("generate")
    .description(
      "write a synthetic customer base (six planted personas, BG/NBD purchases, dirt) in the import formats",
    )
    .requiredOption("--customers <n>", "how many customers")
    .option("--seed <s>", "random seed: the same seed gives the same files, byte for byte", "1")
    .option("--days <d>", "length of the simulated period in days", "365")
    .option("--dirt <rate>", "share of customers given each kind of dirt (0 = clean)", "0.02")
    .requiredOption("--out <dir>", "folder to write the files and truth.json to")
    .option("--into <db>", "also import the files into this database")
    .option("--force", "replace files of the same names in --out that generate did not write")
    .action(async (opts, cmd: Command) => {
      const { json } = cli.globals(cmd);
      if (opts.into !== undefined && (typeof opts.into !== "string" || opts.into === ""))
        throw new UserError("bad-option", "expected a database file", "--into");
      const bar = progressBar(json ? { ...cli.io, interactive: false } : cli.io, "generating");
      const show = (e: GenerateEvent): void => {
        switch (e.type) {
          case "progress":
            bar.update(e.done, e.total);
            return;
          case "generated": {
            bar.done();
            if (json) return;
            const c = e.result.counts;
            cli.io.out(
              `wrote ${opts.out}: ${formatCount(c.customers)} customers, ${formatCount(c.events)} events, ${formatCount(c.orders)} orders (${formatCount(c.orderLines)} lines), ${formatCount(c.consents)} consents, ${formatCount(c.surveyResponses)} survey answers in ${e.result.seconds.toFixed(1)} s\n`,
            );
            return;
          }
          case "imported":
            if (!json) cli.io.out(describeImport(e.summary));
            return;
        }
      };
      const result = await cli.run(
        cmd,
        generateOperation,
        {
          customers: intOption(opts.customers, "--customers", 1) as number,
          seed: intOption(opts.seed, "--seed", 0) as number,
          days: intOption(opts.days, "--days", 1),
          dirt: numberOption(opts.dirt, "--dirt", 0, 0.5),
          out: opts.out,
          into: opts.into,
          force: Boolean(opts.force),
        },
        show,
      );
      if (json) cli.io.out(`${JSON.stringify(result, null, 2)}\n`);
    });
}
