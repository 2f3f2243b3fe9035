import type { Command } from "commander";
import { EXPORT_FORMATS, type ExportFormatName } from "../../activation/export-formats.js";
import { didYouMean } from "../../common/did-you-mean.js";
import { UserError } from "../../errors.js";
import { type AudienceExport, audienceExportOperation } from "../../operations/audience-export-operations.js";
import type { Cli } from "../context.js";
import { leftOutLine } from "./consent-text.js";

/**
 * `tessera audience export ID --format csv|google|meta --out FILE [--force]`: an audience's consented people to a
 * file (src/operations/audience-export-operations.ts). Prints what it wrote and whom it left out, and why.
 */
export function registerAudienceExport(audience: Command, cli: Cli): void {
  audience
    .command("export <id>")
    .description(audienceExportOperation.summary)
    .option("--format <format>", `${EXPORT_FORMATS.join(", ")} (required)`)
    .option(
      "--out <file>",
      "the file to write; meta past 10,000 rows: also FILE-2.json, FILE-3.json… (required)",
    )
    .option("--force", "replace files that exist")
    .action(async (id: string, opts, cmd: Command) => {
      const r = await cli.run(cmd, audienceExportOperation, {
        id,
        format: formatOption(opts.format),
        out: fileOption(opts.out),
        force: Boolean(opts.force),
      });
      cli.print(cmd, r, () => exportText(r));
    });
}

/** `--format`: one of the export formats (a typo gets the nearest one suggested). */
function formatOption(value: string | undefined): ExportFormatName {
  if (value === undefined)
    throw new UserError("bad-input", `required: ${EXPORT_FORMATS.join(", ")}`, "--format");
  const f = value.trim().toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(f)) return f as ExportFormatName;
  throw new UserError(
    "bad-input",
    `unknown format "${value}"${didYouMean(f, EXPORT_FORMATS)}: ${EXPORT_FORMATS.join(", ")}`,
    "--format",
  );
}

/** `--out`: the file to write. */
function fileOption(value: string | undefined): string {
  if (value === undefined || value.trim() === "")
    throw new UserError("bad-input", "required: the file to write", "--out");
  return value;
}

function exportText(r: AudienceExport): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const lines = [
    `exported ${n(r.rows)} ${r.rows === 1 ? "person" : "people"} of audience ${r.audience} (${r.purpose} by ${r.channel}) as ${r.format} to ${r.files.join(", ")}`,
    `columns: ${r.columns.join(", ")}`,
    leftOutLine(r),
  ];
  if (r.noContact > 0)
    lines.push(`not in the file: ${n(r.noContact)} consented without the contact details the format needs`);
  const { emails, phones } = r.notNormalised;
  if (emails + phones > 0)
    lines.push(
      `left out of their rows: ${n(emails)} email address${emails === 1 ? "" : "es"} that cannot be one, ${n(phones)} phone number${phones === 1 ? "" : "s"} that could not be normalised`,
    );
  if (r.replaced.length) lines.push(`replaced: ${r.replaced.join(", ")}`);
  if (r.removed.length) lines.push(`removed (parts of an earlier export): ${r.removed.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
