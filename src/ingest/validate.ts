import { GROUP_ID } from "../store/accounts.js";
import type { ColumnType, Dialect, Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { CANONICAL, type CanonicalField } from "./canonical-fields.js";
import type { ColumnPlan } from "./column-plan.js";
import type { ImportSource } from "./import-source.js";
import type { ImportKind } from "./import-types.js";

/** The typed staging table's name. */
export const STAGE_NAME = "_import_stage";

/**
 * The typed staging table (a session temporary table): one typed column per canonical field, `x_<name>` per extra
 * column, and the verdict (`_reject_field`, `_reject_reason`), and `_row`, the 1-based data row number in the source.
 */
export const STAGE_TABLE = sql.temp(STAGE_NAME);

/**
 * The dates an import admits in its canonical timestamps (orders, lines, events, consents, answers): after
 * `earliest` and no later than `latest`. Dates outside are implausible (a `9999-12-31` placeholder, a 1900 default,
 * a typo in the year) and would move every default "as of the data's end"; they are rejected with the reason unless
 * the import admits any date (`flag` names the option that does, for the message).
 */
export interface DateBounds {
  readonly earliest: Date;
  readonly latest: Date;
  readonly flag: string;
}

/** Dates on or before this are implausible in customer data (1900-01-01 itself is a common placeholder). */
export const EARLIEST_PLAUSIBLE = new Date("1900-01-01T00:00:00Z");
/** How far after the import's own time a date may lie (clocks and time zones differ by hours, not days). */
export const FUTURE_TOLERANCE_MS = 86_400_000;

/** The bounds for an import running at `now`: after 1900-01-01, up to a day after `now`. */
export function plausibleDates(now: Date, flag: string): DateBounds {
  return { earliest: EARLIEST_PLAUSIBLE, latest: new Date(now.getTime() + FUTURE_TOLERANCE_MS), flag };
}

/** A time as a bound timestamp (UTC, as the engines' timestamp text). */
function timeParam(t: Date): Sql {
  return sql.param(t.toISOString().replace("T", " ").replace("Z", ""), "timestamp");
}

/** An extra column that must parse as a trait type (customers' registered traits). */
export interface TypedExtra {
  readonly name: string;
  readonly column: string;
  readonly type: ColumnType;
}

interface Check {
  /** SQL text expression: the field named in the verdict. */
  readonly field: Sql;
  /** SQL condition over the inner select. */
  readonly failed: Sql;
  /** SQL text expression: why the row is rejected. */
  readonly reason: Sql;
}

/** A constant text the program wrote, as a literal. */
function constant(d: Dialect, text: string): Sql {
  return sql.raw(d.literal(text));
}

/** A text holding what the user gave (a column's name, a format), as a bound value. */
function given(text: string): Sql {
  return sql.param(text, "string");
}

/**
 * The source's text, each column read once: the stage is built in three nested selects — the innermost reads the
 * source and computes every trimmed text once (`_t<i>`, or `_a<i>` as written), the middle one parses fields from
 * them, the outer one judges each row — because the engine would otherwise trim the same value for every check.
 */
class Texts {
  private readonly cols = new Map<string, Sql>();
  /** The trimmed text of a column, NULL when empty. */
  trimmed(col: string): Sql {
    return this.alias(`t:${col}`, sql`NULLIF(trim(r.${sql.ident(col)}), '')`);
  }
  /** The text of a column as written, NULL when empty. */
  asIs(col: string): Sql {
    return this.alias(`a:${col}`, sql`NULLIF(r.${sql.ident(col)}, '')`);
  }
  private alias(key: string, expr: Sql): Sql {
    let a = this.cols.get(key);
    if (!a) {
      a = sql.ident(`_t${this.cols.size}`);
      this.cols.set(key, a);
      this.exprs.push(sql`${expr} AS ${a}`);
    }
    return a;
  }
  readonly exprs: Sql[] = [];
}

/** Parses one canonical field; returns its SQL expression and the checks on it. */
function parseField(
  d: Dialect,
  texts: Texts,
  f: CanonicalField,
  col: string | undefined,
  format: string | undefined,
  dates: DateBounds | null,
): [Sql, Check[]] {
  if (col === undefined) {
    const dflt =
      f.type.kind === "enum" && f.type.default !== undefined ? constant(d, f.type.default) : sql`NULL`;
    return [d.cast(dflt, typeOfField(f)), []];
  }
  const raw = texts.trimmed(col);
  const name = sql`p.${sql.ident(f.name)}`;
  const field = constant(d, f.name);
  const checks: Check[] = [];
  if (f.required) {
    checks.push({
      field,
      failed: sql`${name} IS NULL AND ${raw} IS NULL`,
      reason: constant(d, "missing required value"),
    });
  }
  const bad = (what: Sql): Check => ({
    field,
    failed: sql`${name} IS NULL AND ${raw} IS NOT NULL`,
    reason: sql`${what} || ${raw}`,
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
        sql`CASE WHEN ${raw} LIKE '%.0' THEN ${d.regexReplace(raw, constant(d, "^([0-9]+)\\.0+$"), constant(d, "\\1"))} ELSE ${raw} END`,
        checks,
      ];
    case "number":
      // NaN and the infinities parse to NULL (tryNumber): no amount, price or quantity is ever non-finite.
      return [d.tryNumber(raw), [...checks, bad(constant(d, "not a number: "))]];
    case "timestamp": {
      const hint =
        format === undefined
          ? constant(d, "not an ISO 8601 timestamp: ")
          : given(`does not match the format ${format}: `);
      checks.push(bad(hint));
      if (dates !== null) checks.push(...implausibleDate(name, raw, field, dates));
      return [d.tryTimestamp(raw, format), checks];
    }
    case "json-object":
      return [
        sql`CASE WHEN ${d.isJsonObject(raw)} THEN ${raw} END`,
        [...checks, bad(constant(d, "not a JSON object: "))],
      ];
    case "enum": {
      const values = f.type.values;
      const inList = sql.join(values.map((v) => constant(d, v)));
      const dflt = f.type.default === undefined ? sql`NULL` : constant(d, f.type.default);
      return [
        sql`CASE WHEN lower(${raw}) IN (${inList}) THEN lower(${raw}) WHEN ${raw} IS NULL THEN ${dflt} END`,
        [...checks, bad(constant(d, `unknown ${f.name} (expected ${values.join(", ")}): `))],
      ];
    }
  }
}

/** The checks that refuse a parsed date outside the plausible bounds (an infinite timestamp included). */
function implausibleDate(name: Sql, raw: Sql, field: Sql, dates: DateBounds): Check[] {
  const latest = dates.latest.toISOString();
  return [
    {
      field,
      failed: sql`${name} > ${timeParam(dates.latest)}`,
      reason: sql`${given(`date in the future (after ${latest}, a day after the import; ${dates.flag} admits it): `)} || ${raw}`,
    },
    {
      field,
      // On or before: an engine whose timestamps start at 1900 (ClickHouse) reads an earlier date as 1900-01-01.
      failed: sql`${name} <= ${timeParam(dates.earliest)}`,
      reason: sql`${given(`date before 1900 (not after 1900-01-01; ${dates.flag} admits it): `)} || ${raw}`,
    },
  ];
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

function parseTyped(d: Dialect, raw: Sql, type: ColumnType): Sql {
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
  const p = (n: string) => sql`p.${sql.ident(n)}`;
  if (kind === "events") {
    return [
      {
        field: constant(d, "event"),
        failed: sql`${p("event")} IS NULL AND ${p("type")} = 'track'`,
        reason: constant(d, "missing event name (required for track events)"),
      },
      {
        field: constant(d, "customer_id"),
        failed: sql`${p("customer_id")} IS NULL AND ${p("user_id")} IS NULL AND ${p("anonymous_id")} IS NULL`,
        reason: constant(d, "no customer_id, user_id or anonymous_id"),
      },
    ];
  }
  if (kind === "order-lines") {
    // Each factor is finite (tryNumber), but their product can overflow to infinity: the line's amount (and the
    // order's total derived from it) would not be a number any report can print.
    return [
      {
        field: constant(d, "unit_price"),
        failed: sql`NOT (abs(${p("quantity")} * ${p("unit_price")}) <= 1.7976931348623157e308)`,
        reason: constant(d, "quantity × unit_price is not a finite amount (it overflows)"),
      },
    ];
  }
  return [];
}

/**
 * A group event names its account (`group_id`: a column, which becomes a property, or a key of `properties`, the
 * column winning as it does when they are merged): without one it would link its person to nothing.
 */
function groupCheck(d: Dialect, plan: ColumnPlan): Check {
  const inProperties = d.jsonText(sql`p.properties`, GROUP_ID);
  const column = plan.extras.some((x) => x.name === GROUP_ID)
    ? sql`coalesce(p.${sql.ident(`x_${GROUP_ID}`)}, ${inProperties})`
    : inProperties;
  return {
    field: constant(d, GROUP_ID),
    failed: sql`p.type = 'group' AND ${column} IS NULL`,
    reason: constant(
      d,
      "missing group_id (required for group events: a group_id column or a key of properties)",
    ),
  };
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
  typedExtras: readonly TypedExtra[],
  dates: DateBounds | null,
): Promise<{ accepted: number; rejected: number }> {
  const d = engine.dialect;
  const texts = new Texts();
  const select: Sql[] = [];
  const checks: Check[] = [];
  for (const f of CANONICAL[kind]) {
    const src = plan.fields.get(f.name);
    const [expr, cs] = parseField(d, texts, f, src?.column, src?.format, dates);
    select.push(sql`${expr} AS ${sql.ident(f.name)}`);
    checks.push(...cs);
  }
  checks.push(...rowChecks(kind, d));
  if (kind === "events") checks.push(groupCheck(d, plan));
  const typed = new Map(typedExtras.map((t) => [t.column, t]));
  for (const x of plan.extras) {
    const raw = texts.trimmed(x.column);
    const t = typed.get(x.column);
    const col = sql.ident(`x_${x.name}`);
    if (t === undefined || t.type === "string") {
      select.push(sql`${t === undefined ? texts.asIs(x.column) : raw} AS ${col}`);
      continue;
    }
    select.push(sql`${parseTyped(d, raw, t.type)} AS ${col}`);
    checks.push({
      field: given(x.column),
      failed: sql`p.${col} IS NULL AND ${raw} IS NOT NULL`,
      reason: sql`${given(`not ${t.type === "integer" ? "an" : "a"} ${t.type} (trait ${t.name} is ${t.type}): `)} || ${raw}`,
    });
  }
  const verdict = (part: (c: Check) => Sql): Sql =>
    checks.length > 0
      ? sql`CASE ${sql.join(
          checks.map((c) => sql`WHEN ${c.failed} THEN ${part(c)}`),
          " ",
        )} END`
      : sql`NULL`;
  const keep = sql.join(
    ["_row", ...CANONICAL[kind].map((f) => f.name), ...plan.extras.map((x) => `x_${x.name}`)].map(
      (c) => sql`p.${sql.ident(c)}`,
    ),
  );
  const inner = texts.exprs.length > 0 ? sql.join(texts.exprs) : sql`1 AS _none`;
  await engine.run(
    d.createTempAs(
      STAGE_NAME,
      sql`SELECT ${keep}, ${verdict((c) => c.field)} AS _reject_field, ${verdict((c) => c.reason)} AS _reject_reason
            FROM (SELECT t.*, ${sql.join(select)}
                    FROM (SELECT ${d.fileRowNumber()} AS _row, ${inner} FROM ${source.relation} r) t) p`,
    ),
  );
  const r = await engine.query(
    sql`SELECT ${d.aggIf("count", [], sql`_reject_field IS NULL`)} AS ok,
               ${d.aggIf("count", [], sql`_reject_field IS NOT NULL`)} AS bad FROM ${STAGE_TABLE}`,
  );
  return { accepted: Number(r.column("ok")[0]), rejected: Number(r.column("bad")[0]) };
}
