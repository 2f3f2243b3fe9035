import type { Command } from "commander";
import { privacyExportOperation } from "../../operations/privacy-export-operations.js";
import type { AccessReport, ExplainedCondition, HeldTable } from "../../privacy/access-request.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";

const NAMED_BY: Record<string, string> = {
  customer_id: "customer id",
  user_id: "user id",
  email: "email address",
  phone: "phone number",
};

/** `tessera privacy export <person>`: an access request, readable by the person (the JSON is complete). */
export function registerPrivacyExport(privacy: Command, cli: Cli): void {
  privacy
    .command("export <person>")
    .description(privacyExportOperation.summary)
    .action(async (person: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, privacyExportOperation, { person });
      cli.print(cmd, r, () => accessText(r));
    });
}

/** The access report for the person to read: what is held, table by table, then each segment and why. */
export function accessText(r: AccessReport): string {
  const out: string[] = [
    `What is held about ${r.customerId} (found by ${NAMED_BY[r.namedBy] ?? r.namedBy}), as of ${r.generatedAt}\n`,
  ];
  const empty: string[] = [];
  for (const t of r.tables) {
    if (t.rows.length === 0) empty.push(t.label);
    else out.push(heldText(t));
  }
  if (empty.length) out.push(`Nothing held in: ${empty.join(", ")}.\n`);
  if (r.consent.length) {
    out.push("Consent now (what your latest records say):");
    for (const c of r.consent)
      out.push(
        `  ${c.purpose}${c.channel ? ` by ${c.channel}` : " (any channel)"}: ${c.granted ? "granted" : "not granted"}`,
      );
    out.push("");
  }
  if (r.segments.length === 0) out.push("Segments: in none.\n");
  else {
    out.push(`Segments you are in, and why (as of ${r.segmentsAsOf}):`);
    for (const s of r.segments) {
      out.push(`  ${s.name} (${s.id}), since ${s.since}:`);
      if (s.why) out.push(...metLines(s.why, "    ", true));
      else out.push(`    (its conditions cannot be evaluated now: ${s.note ?? "unknown"})`);
    }
    out.push("");
  }
  return `${out.join("\n")}`;
}

/**
 * One table's rows: a profile, or one row of columns that need words (stored segment features), as name: value
 * lines; anything else as a table. A column is named by what it holds where its name does not say.
 */
function heldText(t: HeldTable): string {
  const name = (c: string) => t.labels?.[c] ?? c;
  if ((t.role === "profile" || t.labels) && t.rows.length === 1) {
    const row = t.rows[0] ?? {};
    const lines = t.columns.filter((c) => row[c] !== null).map((c) => `  ${name(c)}: ${String(row[c])}`);
    return `${t.label}:\n${lines.join("\n")}\n`;
  }
  const columns = t.columns.filter((c) => t.rows.some((row) => row[c] !== null));
  return `${t.label} (${t.rows.length}):\n${table(
    columns.map(name),
    t.rows.map((row) => columns.map((c) => row[c])),
  )}`;
}

/**
 * The conditions that held, as a list: every item of an `all`, the items of an `any` that held, a `not` with the
 * value that made its condition false, a referenced segment with its own conditions.
 */
function metLines(c: ExplainedCondition, indent: string, top = false): string[] {
  const kids = c.children ?? [];
  switch (c.kind) {
    case "all":
      return top
        ? kids.flatMap((k) => metLines(k, indent))
        : [`${indent}- all of these hold:`, ...kids.flatMap((k) => metLines(k, `${indent}  `))];
    case "any": {
      const held = kids.filter((k) => k.met);
      return [
        `${indent}- ${held.length} of ${kids.length} alternatives hold:`,
        ...held.flatMap((k) => metLines(k, `${indent}  `)),
      ];
    }
    case "not":
      return [`${indent}- not ${kids[0]?.condition ?? ""}: ${kids[0] ? notLine(kids[0]) : ""}`];
    case "segment":
      return [
        `${indent}- ${c.condition}, whose conditions hold:`,
        ...kids.flatMap((k) => metLines(k, `${indent}  `, true)),
      ];
    default:
      return [`${indent}- ${c.reason}`];
  }
}

/** Why a negated condition does not hold: its own words for a leaf, else that it does not hold. */
function notLine(c: ExplainedCondition): string {
  return c.kind === "leaf" ? c.reason : "it does not hold";
}
