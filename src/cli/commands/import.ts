import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { importFile } from "../../ingest/import.js";
import { IMPORT_KINDS, type ImportKind, type ImportSummary } from "../../ingest/import-types.js";
import type { Cli } from "../context.js";
import { formatCount } from "../table.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function describeImport(s: ImportSummary): string {
  const lines = [
    `${s.file} (${s.kind}): ${formatCount(s.read)} rows read, ${formatCount(s.accepted)} accepted, ${formatCount(s.rejected)} rejected, ${formatCount(s.alreadyPresent)} already present (${s.seconds.toFixed(1)} s)`,
  ];
  if (s.customersCreated || s.customersMerged) {
    lines.push(
      `  customers: ${formatCount(s.customersCreated)} new, ${formatCount(s.customersMerged)} merged by shared identifiers`,
    );
  }
  if (s.newTraits.length)
    lines.push(`  new traits: ${s.newTraits.map((t) => `${t.name} (${t.type})`).join(", ")}`);
  if (s.rejectsFile) lines.push(`  rejected rows and reasons: ${s.rejectsFile}`);
  for (const n of s.notes) lines.push(`  note: ${n}`);
  return `${lines.join("\n")}\n`;
}

export function registerImport(program: Command, cli: Cli): void {
  program
    .command("import")
    .description(
      `import files of one kind (${IMPORT_KINDS.join(", ")}): CSV, JSON, NDJSON or Parquet, gzipped or not`,
    )
    .argument("<kind>", `what the file holds: ${IMPORT_KINDS.join(" | ")}`)
    .argument("<files...>", "the files (each imported in its own transaction)")
    .option(
      "--map <target=source[:format]>",
      "take a column from another name; repeat per column, e.g. --map timestamp=date:%Y%m%d",
      collect,
      [],
    )
    .option("--category <category>", "category of the traits this import creates", "custom")
    .option("--pii <traits>", "comma-separated traits that are personal data")
    .option("--strict", "abort, writing nothing, if any row is rejected")
    .option(
      "--delimiter <char>",
      "CSV delimiter (default: detected); 'whitespace' for blank-separated columns",
    )
    .option("--header", "the first line is a header")
    .option("--no-header", "the file has no header line (columns are column0, column1, …)")
    .option("--rejects <file>", "where rejected rows go (default <file>.rejects.csv)")
    .action(async (kind: string, files: string[], opts, cmd: Command) => {
      if (!(IMPORT_KINDS as readonly string[]).includes(kind)) {
        throw new UserError(
          "bad-kind",
          `unknown kind "${kind}" (expected one of ${IMPORT_KINDS.join(", ")})`,
          "import",
        );
      }
      const header = cmd.getOptionValueSource("header") === "cli" ? (opts.header as boolean) : undefined;
      const summaries = await cli.withStore(cmd, async (engine) => {
        const out: ImportSummary[] = [];
        for (const path of files) {
          const s = await importFile(engine, {
            kind: kind as ImportKind,
            path,
            map: opts.map,
            category: opts.category,
            pii: opts.pii
              ? String(opts.pii)
                  .split(",")
                  .map((p) => p.trim())
              : [],
            strict: Boolean(opts.strict),
            delimiter: opts.delimiter,
            header,
            rejectsPath: opts.rejects,
            onStep: (step) =>
              cli.io.interactive && !cli.globals(cmd).json && cli.io.err(`\r\x1b[K${path}: ${step} …`),
          });
          if (cli.io.interactive && !cli.globals(cmd).json) cli.io.err("\r\x1b[K");
          if (!cli.globals(cmd).json) cli.io.out(describeImport(s));
          out.push(s);
        }
        return out;
      });
      if (cli.globals(cmd).json)
        cli.io.out(
          `${JSON.stringify(summaries.length === 1 ? summaries[0] : { imports: summaries }, null, 2)}\n`,
        );
    });
}
