import { type Command, Option } from "commander";
import {
  DEMO_DB,
  DEMO_END,
  type DemoBuilt,
  type DemoEvent,
  type DemoKept,
  demoOperation,
} from "../../operations/demo-operation.js";
import type { Cli } from "../context.js";
import { intOption } from "../parse.js";
import { progressBar } from "../progress.js";
import { formatCount, table } from "../table.js";
import { gatedCount } from "./value-options.js";

export function registerDemo(program: Command, cli: Cli): void {
  program
    .command("demo")
    .description(
      "generate 50,000 customers into a fresh demo database, audit them, and show what to try next",
    )
    .option("--customers <n>", "how many customers", "50000")
    .option("--seed <s>", "random seed", "42")
    .option("--force", "replace the database if it exists (it may hold data: never replaced without this)")
    .addOption(
      new Option(
        "--keep",
        "if the database exists, leave it as it is and show what it holds (what npm start does)",
      ).conflicts("force"),
    )
    .action(async (opts, cmd: Command) => {
      const { json } = cli.globals(cmd);
      const say = (t: string) => !json && cli.io.out(t);
      const bar = progressBar(json ? { ...cli.io, interactive: false } : cli.io, "generating");
      const show = (e: DemoEvent): void => {
        if (e.type === "generating") bar.update(e.done, e.total);
        else if (e.type === "imported")
          say(
            `  ${e.summary.kind.padEnd(17)} ${formatCount(e.summary.accepted).padStart(11)} rows  (${e.summary.seconds.toFixed(1)} s)\n`,
          );
        else {
          // Generating is the only phase with a bar: the next phase ends it.
          if (e.phase === "import") bar.done();
          say(`${e.message}\n`);
        }
      };
      const result = await cli.run(
        cmd,
        demoOperation,
        {
          // Only an explicit --db: the demo builds in a file of its own, not in $TESSERA_DB's database.
          db: (cmd.optsWithGlobals() as { db?: string }).db,
          customers: intOption(opts.customers, "--customers", 1),
          seed: intOption(opts.seed, "--seed", 0),
          ifExists: opts.force ? "replace" : opts.keep ? "keep" : "refuse",
        },
        show,
      );
      cli.print(cmd, result, () => (result.built ? formatDemo(result) : formatKept(result)));
    });
}

/** What to try on the demo's database. */
function tryNext(db: string): string {
  return (
    `  npx tessera stats --db ${db}\n` +
    `  npx tessera audit --db ${db}\n` +
    `  npx tessera traits --db ${db}\n` +
    `  npx tessera segment explain champions-mobile --db ${db}\n` +
    `  npx tessera segment preview --db ${db} --id try --name Try --where 'age < 30 and consent("marketing", "email")'\n` +
    `  npx tessera pareto --db ${db}\n` +
    `  npx tessera import customers my-customers.csv --db ${db}\n`
  );
}

/** The database was there already (--keep): say so, what it holds, and how to rebuild it. */
function formatKept(r: DemoKept): string {
  return (
    `${r.db} is already there: left as it is (\`npx tessera demo --force${r.db === DEMO_DB ? "" : ` --db ${r.db}`}\` rebuilds it).\n` +
    `\nWhat is there:\n${table(["table", "rows"], Object.entries(r.stats))}` +
    `\nTry next:\n${tryNext(r.db)}`
  );
}

/** The demo's report for people: what is there, its quality, value and example segments, and what to try. */
function formatDemo(r: DemoBuilt): string {
  const { db } = r;
  // The result keeps only findings with cases; people are shown the ones that are more than information.
  const issues = r.audit.findings.filter((f) => f.severity !== "info").sort((a, b) => b.count - a.count);
  const b = r.clv.bgnbd;
  return (
    `\nWhat is there:\n${table(["table", "rows"], Object.entries(r.stats))}` +
    `\nData quality score: ${r.audit.score} / 100. Findings worth a look:\n` +
    table(
      ["finding", "severity", "count", "examples"],
      issues.slice(0, 8).map((f) => [f.title, f.severity, f.count, f.examples.slice(0, 3).join(", ")]),
    ) +
    `\nRFM segments (as of ${DEMO_END}):\n` +
    table(
      ["segment", "customers", "revenue share"],
      r.rfm
        .filter((x) => x.suppressed || (x.customers ?? 0) > 0)
        .map((x) => [
          x.name,
          gatedCount(x.customers, r.minGroup),
          x.revenueShare === null ? "" : `${(100 * x.revenueShare).toFixed(1)}%`,
        ]),
    ) +
    `\nBG/NBD fit: r ${b.r.toFixed(3)}, alpha ${b.alpha.toFixed(3)}, a ${b.a.toFixed(3)}, b ${b.b.toFixed(3)} (the generator used 0.5, 5, 0.8, 2.5)\n` +
    "\nExample segments:\n" +
    table(
      ["segment", "name", "customers"],
      r.segments.map((x) => [x.id, x.name, gatedCount(x.size, r.minGroup)]),
    ) +
    `\nDone in ${r.seconds.toFixed(0)} s. Try next:\n${tryNext(db)}`
  );
}
