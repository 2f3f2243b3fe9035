import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { CONFLICT_POLICIES, IMPORT_KINDS, type ImportSummary } from "../../ingest/import-types.js";
import {
  type ImportEvent,
  importOperation,
  isDelimiter,
  isEncoding,
} from "../../operations/ingest-operations.js";
import type { Cli } from "../context.js";
import { formatCount } from "../table.js";
import { choiceOption } from "./value-options.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--delimiter`: one character, `tab` or `\t` (as typed in a shell) for a tab, or `whitespace`. */
export function delimiterOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const d = value === "tab" || value === "\\t" ? "\t" : value;
  if (!isDelimiter(d))
    throw new UserError(
      "bad-option",
      `expected one character (e.g. ";" or tab), or "whitespace"; got "${value}"`,
      "--delimiter",
    );
  return d;
}

/** What became of rows in conflict, by policy (the summary's words). */
const CONFLICT_OUTCOME = {
  reject: "rows with a stored or earlier key and other values were not loaded",
  "keep-first": "the version stored or given first was kept",
  replace: "the version given last was loaded in place of the other",
} as const;

/** `--encoding`: a label Node decodes (utf-8, latin1, windows-1252, utf-16le, …). */
export function encodingOption(value: string | undefined): string | undefined {
  if (value === undefined || isEncoding(value)) return value;
  throw new UserError(
    "bad-option",
    `unknown encoding "${value}" (e.g. utf-8, latin1, windows-1252, utf-16le)`,
    "--encoding",
  );
}

/** The text of one import's summary, for people. */
export function describeImport(s: ImportSummary): string {
  const lines = [
    `${s.file} (${s.kind}): ${formatCount(s.read)} rows read, ${formatCount(s.accepted)} accepted, ${formatCount(s.rejected)} rejected, ${formatCount(s.alreadyPresent)} already present${s.conflicts ? `, ${formatCount(s.conflicts)} in conflict` : ""} (${s.seconds.toFixed(1)} s)`,
  ];
  if (s.conflicts)
    lines.push(
      `  conflicts: ${CONFLICT_OUTCOME[s.onConflict]} (--on-conflict ${s.onConflict}); both versions in the reject file`,
    );
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
    .option("--category <category>", "category of the traits this import creates (default: custom)")
    .option(
      "--pii <traits>",
      "comma-separated traits that are personal data (columns that look like emails or phones are, unasked)",
    )
    .option(
      "--strict",
      "abort, writing nothing, if any row is rejected (or in conflict, with --on-conflict reject)",
    )
    .option(
      "--on-conflict <policy>",
      `a row whose message_id, order_id or order line is stored or given earlier with other content: ${CONFLICT_POLICIES.join(" | ")} (default reject: set aside, reported)`,
    )
    .option(
      "--allow-any-date",
      "admit dates on or before 1900-01-01 or more than a day in the future (rejected by default)",
    )
    .option(
      "--delimiter <char>",
      "CSV delimiter, one character or 'tab' (default: detected); 'whitespace' for blank-separated columns",
    )
    .option(
      "--encoding <name>",
      "the files' text encoding, e.g. latin1, windows-1252, utf-16le (default utf-8)",
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
          onConflict: choiceOption(opts.onConflict, "--on-conflict", CONFLICT_POLICIES, "reject"),
          allowAnyDate: Boolean(opts.allowAnyDate),
          delimiter: delimiterOption(opts.delimiter),
          encoding: encodingOption(opts.encoding),
          // Detected unless given: --header / --no-header only when typed.
          header: cmd.getOptionValueSource("header") === "cli" ? (opts.header as boolean) : undefined,
          rejects: opts.rejects,
        },
        show,
      );
      if (json) cli.io.out(`${JSON.stringify(result, null, 2)}\n`);
    });
}
