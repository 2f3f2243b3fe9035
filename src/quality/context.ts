import { describeTable } from "../store/data-model.js";
import type { Dialect, Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Finding, Severity } from "./types.js";

/** What every check needs: the engine, the resolved options and the table sizes. */
export interface AuditContext {
  readonly engine: Engine;
  readonly d: Dialect;
  readonly asOf: Date;
  /** asOf − staleDays: activity after this moment keeps a customer fresh. */
  readonly staleCutoff: Date;
  readonly staleDays: number;
  readonly examples: number;
  /** Rows per table (see `readTotals`). */
  readonly totals: Readonly<Record<string, number>>;
  /**
   * The customers' contact fields in clear (`customer_id`, `email`, `phone`): `customers` itself, or in an encrypted
   * database a session temporary table of them opened for the audit (never written; `contactsInClear`).
   */
  readonly contacts: Sql;
}

/**
 * The expression that names one row of a table in examples: its key (data-model.ts), several columns joined by
 * '#'. Records without a key of their own (consents, survey answers) are named by their customer.
 */
export function rowId(d: Dialect, table: string): Sql {
  const t = describeTable(table);
  const key = t?.key ?? [];
  if (key.length === 0) return sql.raw(t?.customer?.column ?? "customer_id");
  // The first key column is a text id; the others (line numbers, versions) are cast.
  return sql.join(
    key.map((c, i) => (i === 0 ? sql.raw(c) : d.toText(sql.raw(c)))),
    " || '#' || ",
  );
}

/** What people call a table's rows (data-model.ts). */
export function label(table: string): string {
  return describeTable(table)?.label ?? table;
}

/** A number read back from an aggregate: NULL (e.g. the sum of no rows) is 0, BIGINT/HUGEINT become numbers. */
export function num(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** Runs a query returning exactly one row of numbers (NULL read as 0). */
export async function aggregate(
  ctx: Pick<AuditContext, "engine">,
  query: Sql,
): Promise<Record<string, number>> {
  const rows = (await ctx.engine.query(query)).rows();
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rows[0] ?? {})) out[k] = num(v);
  return out;
}

/**
 * Reads a few example ids. `query` selects a column `id` (and whatever `orderBy` needs); the limit is bound,
 * so only `ctx.examples` values ever come back to JS.
 */
export async function exampleIds(
  ctx: AuditContext,
  query: Sql,
  orderBy: Sql = sql.raw("id"),
): Promise<string[]> {
  if (ctx.examples <= 0) return [];
  const r = await ctx.engine.query(
    sql`SELECT id FROM (${query}) AS flagged WHERE id IS NOT NULL ORDER BY ${orderBy} LIMIT ${sql.param(ctx.examples, "integer")}`,
  );
  return r.column("id").map((v) => String(v));
}

/** Builds a finding; `breakdown` and `detail` are left out when not given so reports stay compact. */
export function finding(f: {
  check: string;
  title: string;
  table: string;
  field?: string | undefined;
  severity: Severity;
  count: number;
  total: number;
  examples: string[];
  detail?: string | undefined;
  breakdown?: Record<string, number> | undefined;
}): Finding {
  const out: Finding = {
    check: f.check,
    title: f.title,
    table: f.table,
    count: f.count,
    total: f.total,
    severity: f.severity,
    examples: f.count > 0 ? f.examples : [],
  };
  if (f.field !== undefined) out.field = f.field;
  if (f.detail !== undefined && f.count > 0) out.detail = f.detail;
  if (f.breakdown !== undefined) out.breakdown = f.breakdown;
  return out;
}

/** Thousands separators for details people read. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** An expression that is true when a column holds something: not NULL and not blank once cast to text. */
export function filled(d: Dialect, column: Sql): Sql {
  return sql`(${column} IS NOT NULL AND trim(${d.toText(column)}) <> '')`;
}
