import type { Command } from "commander";
import { IMPORT_KINDS, type ImportSummary } from "../../ingest/import-types.js";
import { type ImportEvent, importOperation } from "../../operations/ingest-operations.js";
import type { Cli } from "../context.js";
import { formatCount } from "../table.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The text of one import's summary, for people. */
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
      const { json } = cli.globals(cmd);
      // Progress on the terminal only; each file's lines as soon as it is in (a later file may still fail).
      const progress = cli.io.interactive && !json;
      const show = (e: ImportEvent): void => {
        if (e.type === "step") {
          if (progress) cli.io.err(`\r\x1b[K${e.file}: ${e.step} …`);
          return;
        }
        if (progress) cli.io.err("\r\x1b[K");
        if (!json) cli.io.out(describeImport(e.summary));
      };
      const result = await cli.run(
        cmd,
        importOperation,
        {
          kind,
          files,
          map: opts.map,
          category: opts.category,
          pii: opts.pii
            ? String(opts.pii)
                .split(",")
                .map((p) => p.trim())
            : [],
          strict: Boolean(opts.strict),
          delimiter: opts.delimiter,
          // Detected unless given: --header / --no-header only when typed.
          header: cmd.getOptionValueSource("header") === "cli" ? (opts.header as boolean) : undefined,
          rejects: opts.rejects,
        },
        show,
      );
      if (json) cli.io.out(`${JSON.stringify(result, null, 2)}\n`);
    });
}
