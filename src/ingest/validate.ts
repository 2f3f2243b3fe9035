import type { ColumnType, Dialect, Engine } from "../store/engine.js";
import type { ColumnPlan } from "./column-plan.js";
import type { FileSource } from "./file-source.js";
import type { ImportKind } from "./import-types.js";
import { CANONICAL, type CanonicalField } from "./kinds.js";

/**
 * The typed staging table: one typed column per canonical field, `x_<name>` per extra column, and the verdict
 * (`_reject_field`, `_reject_reason`), and `_row`, the 1-based data row number in the file.
 */
export const STAGE_TABLE = "_import_stage";

/** An extra column that must parse as a trait type (customers' registered traits). */
export interface TypedExtra {
  readonly name: string;
  readonly column: string;
  readonly type: ColumnType;
}

interface Check {
  readonly field: string;
  readonly failed: string; // SQL condition over the inner select
  readonly reason: string; // SQL text expression
}

// Parsed values are read as p.<field>; the file's text as r.<column> inside, and as p."_raw_<column>" in the
// verdict (carried through the inner select, never stored).
const text = (d: Dialect, col: string) => `NULLIF(trim(r.${d.quoteIdent(col)}), '')`;

/** Parses one canonical field; returns its SQL expression and the checks on it. */
function parseField(
  d: Dialect,
  f: CanonicalField,
  col: string | undefined,
  format?: string,
): [string, Check[]] {
  const q = d.quoteIdent;
  if (col === undefined) {
    const dflt = f.type.kind === "enum" && f.type.default !== undefined ? d.literal(f.type.default) : "NULL";
    return [`${dflt}::${d.typeOf(typeOfField(f))}`, []];
  }
  const raw = text(d, col);
  const name = `p.${q(f.name)}`;
  // Optional free text is kept as written (trimming every description costs more than it is worth).
  const asIs = `NULLIF(r.${q(col)}, '')`;
  const checks: Check[] = [];
  if (f.required) {
    checks.push({
      field: f.name,
      failed: `${name} IS NULL AND ${raw} IS NULL`,
      reason: "'missing required value'",
    });
  }
  const bad = (what: string): Check => ({
    field: f.name,
    failed: `${name} IS NULL AND ${raw} IS NOT NULL`,
    reason: `${d.literal(`${what}: `)} || ${raw}`,
  });
  switch (f.type.kind) {
    case "string":
      return [f.required ? raw : asIs, checks];
    case "email":
    case "phone":
      return [raw, checks];
    case "id":
      // Spreadsheet exports write numeric ids as floats ("17850.0"); the id is the integer.
      return [
        `CASE WHEN ${raw} LIKE '%.0' THEN ${d.regexReplace(raw, "'^([0-9]+)\\.0+$'", "'\\1'")} ELSE ${raw} END`,
        checks,
      ];
    case "number":
      return [d.tryNumber(raw), [...checks, bad("not a number")]];
    case "timestamp": {
      const hint = format === undefined ? "not an ISO 8601 timestamp" : `does not match the format ${format}`;
      return [d.tryTimestamp(raw, format), [...checks, bad(hint)]];
    }
    case "json-object":
      return [`CASE WHEN ${d.isJsonObject(raw)} THEN ${raw} END`, [...checks, bad("not a JSON object")]];
    case "enum": {
      const values = f.type.values;
      const inList = values.map((v) => d.literal(v)).join(", ");
      const dflt = f.type.default === undefined ? "NULL" : d.literal(f.type.default);
      return [
        `CASE WHEN lower(${raw}) IN (${inList}) THEN lower(${raw}) WHEN ${raw} IS NULL THEN ${dflt} END`,
        [...checks, bad(`unknown ${f.name} (expected ${values.join(", ")})`)],
      ];
    }
  }
}

function typeOfField(f: CanonicalField): ColumnType {
  switch (f.type.kind) {
    case "number":
      return "number";
    case "timestamp":
      return "timestamp";
    default:
      return "string";
  }
}

function parseTyped(d: Dialect, raw: string, type: ColumnType): string {
  switch (type) {
    case "integer":
      return d.tryInteger(raw);
    case "number":
      return d.tryNumber(raw);
    case "boolean":
      return d.tryBoolean(raw);
    case "date":
      return d.tryDate(raw);
    case "timestamp":
      return d.tryTimestamp(raw);
    default:
      return raw;
  }
}

/** Row checks that involve several fields. */
function rowChecks(kind: ImportKind, d: Dialect): Check[] {
  const q = (n: string) => `p.${d.quoteIdent(n)}`;
  if (kind === "events") {
    return [
      {
        field: "event",
        failed: `${q("event")} IS NULL AND ${q("type")} = 'track'`,
        reason: "'missing event name (required for track events)'",
      },
      {
        field: "customer_id",
        failed: `${q("customer_id")} IS NULL AND ${q("user_id")} IS NULL AND ${q("anonymous_id")} IS NULL`,
        reason: "'no customer_id, user_id or anonymous_id'",
      },
    ];
  }
  return [];
}

/**
 * Builds STAGE_TABLE in one pass over the file: every field parsed in SQL, and for each row the first failing
 * check as `_reject_field` / `_reject_reason` (NULL when the row is good).
 */
export async function buildStage(
  engine: Engine,
  kind: ImportKind,
  source: FileSource,
  plan: ColumnPlan,
  typedExtras: readonly TypedExtra[] = [],
): Promise<{ accepted: number; rejected: number }> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const select: string[] = [`${d.fileRowNumber()} AS _row`];
  const checks: Check[] = [];
  for (const f of CANONICAL[kind]) {
    const src = plan.fields.get(f.name);
    const [expr, cs] = parseField(d, f, src?.column, src?.format);
    select.push(`${expr} AS ${q(f.name)}`);
    checks.push(...cs);
  }
  checks.push(...rowChecks(kind, d));
  const typed = new Map(typedExtras.map((t) => [t.column, t]));
  for (const x of plan.extras) {
    const raw = text(d, x.column);
    const t = typed.get(x.column);
    const col = q(`x_${x.name}`);
    const name = `p.${col}`;
    if (t === undefined || t.type === "string") {
      select.push(`${t === undefined ? `NULLIF(r.${q(x.column)}, '')` : raw} AS ${col}`);
      continue;
    }
    select.push(`${parseTyped(d, raw, t.type)} AS ${col}`);
    checks.push({
      field: x.column,
      failed: `${name} IS NULL AND ${raw} IS NOT NULL`,
      reason: `${d.literal(`not ${t.type === "integer" ? "an" : "a"} ${t.type} (trait ${t.name} is ${t.type}): `)} || ${raw}`,
    });
  }
  // The verdict runs on the outer select, where the file's text is available as p."_raw_<column>".
  const carried = new Map<string, string>();
  const lift = (sql: string) =>
    sql.replace(/NULLIF\(trim\(r\.("(?:[^"]|"")+")\), ''\)/g, (_m, ident: string) => {
      if (!carried.has(ident)) carried.set(ident, q(`_raw_${carried.size}`));
      return `p.${carried.get(ident)}`;
    });
  const lifted = checks.map((c) => ({ field: c.field, failed: lift(c.failed), reason: lift(c.reason) }));
  for (const [ident, alias] of carried) select.push(`NULLIF(trim(r.${ident}), '') AS ${alias}`);
  const field = lifted.length
    ? `CASE ${lifted.map((c) => `WHEN ${c.failed} THEN ${d.literal(c.field)}`).join(" ")} END`
    : "NULL";
  const reason = lifted.length
    ? `CASE ${lifted.map((c) => `WHEN ${c.failed} THEN ${c.reason}`).join(" ")} END`
    : "NULL";
  const keep = ["_row", ...CANONICAL[kind].map((f) => f.name), ...plan.extras.map((x) => `x_${x.name}`)].map(
    (c) => `p.${q(c)}`,
  );
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} AS
     SELECT ${keep.join(", ")}, ${field} AS _reject_field, ${reason} AS _reject_reason
       FROM (SELECT ${select.join(", ")} FROM ${source.relation} r) p`,
  );
  const r = await engine.query(
    `SELECT count(*) FILTER (WHERE _reject_field IS NULL) AS ok, count(*) FILTER (WHERE _reject_field IS NOT NULL) AS bad FROM ${STAGE_TABLE}`,
  );
  return { accepted: Number(r.column("ok")[0]), rejected: Number(r.column("bad")[0]) };
}
