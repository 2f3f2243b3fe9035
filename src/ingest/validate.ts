import type { ColumnType, Dialect, Engine } from "../store/engine.js";
import { CANONICAL, type CanonicalField } from "./canonical-fields.js";
import type { ColumnPlan } from "./column-plan.js";
import type { ImportSource } from "./import-source.js";
import type { ImportKind } from "./import-types.js";

/**
 * The typed staging table: one typed column per canonical field, `x_<name>` per extra column, and the verdict
 * (`_reject_field`, `_reject_reason`), and `_row`, the 1-based data row number in the source.
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

/**
 * The source's text, each column read once: the stage is built in three nested selects — the innermost reads the
 * source and computes every trimmed text once (`_t<i>`, or `_a<i>` as written), the middle one parses fields from
 * them, the outer one judges each row — because the engine would otherwise trim the same value for every check.
 */
class Texts {
  private readonly cols = new Map<string, string>();
  constructor(private readonly d: Dialect) {}
  /** The trimmed text of a column, NULL when empty. */
  trimmed(col: string): string {
    return this.alias(`t:${col}`, `NULLIF(trim(r.${this.d.quoteIdent(col)}), '')`);
  }
  /** The text of a column as written, NULL when empty. */
  asIs(col: string): string {
    return this.alias(`a:${col}`, `NULLIF(r.${this.d.quoteIdent(col)}, '')`);
  }
  private alias(key: string, expr: string): string {
    let a = this.cols.get(key);
    if (!a) {
      a = this.d.quoteIdent(`_t${this.cols.size}`);
      this.cols.set(key, a);
      this.exprs.push(`${expr} AS ${a}`);
    }
    return a;
  }
  readonly exprs: string[] = [];
}

/** Parses one canonical field; returns its SQL expression and the checks on it. */
function parseField(
  d: Dialect,
  texts: Texts,
  f: CanonicalField,
  col: string | undefined,
  format?: string,
): [string, Check[]] {
  const q = d.quoteIdent;
  if (col === undefined) {
    const dflt = f.type.kind === "enum" && f.type.default !== undefined ? d.literal(f.type.default) : "NULL";
    return [`${dflt}::${d.typeOf(typeOfField(f))}`, []];
  }
  const raw = texts.trimmed(col);
  const name = `p.${q(f.name)}`;
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
      // Optional free text is kept as written (trimming every description costs more than it is worth).
      return [f.required ? raw : texts.asIs(col), checks];
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
 * Builds STAGE_TABLE in one pass over the source: every field parsed in SQL, and for each row the first failing
 * check as `_reject_field` / `_reject_reason` (NULL when the row is good).
 */
export async function buildStage(
  engine: Engine,
  kind: ImportKind,
  source: ImportSource,
  plan: ColumnPlan,
  typedExtras: readonly TypedExtra[] = [],
): Promise<{ accepted: number; rejected: number }> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const texts = new Texts(d);
  const select: string[] = [];
  const checks: Check[] = [];
  for (const f of CANONICAL[kind]) {
    const src = plan.fields.get(f.name);
    const [expr, cs] = parseField(d, texts, f, src?.column, src?.format);
    select.push(`${expr} AS ${q(f.name)}`);
    checks.push(...cs);
  }
  checks.push(...rowChecks(kind, d));
  const typed = new Map(typedExtras.map((t) => [t.column, t]));
  for (const x of plan.extras) {
    const raw = texts.trimmed(x.column);
    const t = typed.get(x.column);
    const col = q(`x_${x.name}`);
    const name = `p.${col}`;
    if (t === undefined || t.type === "string") {
      select.push(`${t === undefined ? texts.asIs(x.column) : raw} AS ${col}`);
      continue;
    }
    select.push(`${parseTyped(d, raw, t.type)} AS ${col}`);
    checks.push({
      field: x.column,
      failed: `${name} IS NULL AND ${raw} IS NOT NULL`,
      reason: `${d.literal(`not ${t.type === "integer" ? "an" : "a"} ${t.type} (trait ${t.name} is ${t.type}): `)} || ${raw}`,
    });
  }
  const field = checks.length
    ? `CASE ${checks.map((c) => `WHEN ${c.failed} THEN ${d.literal(c.field)}`).join(" ")} END`
    : "NULL";
  const reason = checks.length
    ? `CASE ${checks.map((c) => `WHEN ${c.failed} THEN ${c.reason}`).join(" ")} END`
    : "NULL";
  const keep = ["_row", ...CANONICAL[kind].map((f) => f.name), ...plan.extras.map((x) => `x_${x.name}`)].map(
    (c) => `p.${q(c)}`,
  );
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} AS
     SELECT ${keep.join(", ")}, ${field} AS _reject_field, ${reason} AS _reject_reason
       FROM (SELECT t.*, ${select.join(", ")}
               FROM (SELECT ${d.fileRowNumber()} AS _row, ${texts.exprs.join(", ") || "1 AS _none"} FROM ${source.relation} r) t) p`,
  );
  const r = await engine.query(
    `SELECT count(*) FILTER (WHERE _reject_field IS NULL) AS ok, count(*) FILTER (WHERE _reject_field IS NOT NULL) AS bad FROM ${STAGE_TABLE}`,
  );
  return { accepted: Number(r.column("ok")[0]), rejected: Number(r.column("bad")[0]) };
}
