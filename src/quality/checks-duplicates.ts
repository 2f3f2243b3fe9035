import { sql } from "../store/sql.js";
import { type AuditContext, aggregate, exampleIds, finding, fmt, rowId } from "./context.js";
import type { Finding, Severity } from "./types.js";

interface DuplicateSpec {
  readonly check: string;
  readonly title: string;
  readonly table: string;
  /** The column that differs between copies by construction (a line number, a message id), if any. */
  readonly except?: string;
  readonly severity: Severity;
  readonly detail: string;
}

const SPECS: readonly DuplicateSpec[] = [
  {
    check: "duplicate-order-lines",
    title: "Order lines recorded more than once",
    table: "order_items",
    except: "line_no",
    // Copies inflate revenue, quantities and every value-based segment.
    severity: "high",
    detail: "lines identical in every column except the line number",
  },
  {
    check: "duplicate-events",
    title: "Events recorded more than once",
    table: "events",
    except: "message_id",
    severity: "medium",
    detail: "events identical in every column except the message id",
  },
  {
    check: "duplicate-consents",
    title: "Consent records repeated",
    table: "consents",
    // A repeated ledger entry does not change anyone's latest status; it only hints at a double import.
    severity: "low",
    detail: "identical consent records",
  },
  {
    check: "duplicate-survey-responses",
    title: "Survey answers repeated",
    table: "survey_responses",
    severity: "low",
    detail: "identical survey answers",
  },
];

/**
 * Exact copies: count is the number of extra copies (rows − distinct rows), so one line stored three times
 * counts 2. The columns compared are read from the table, so columns added later are compared too.
 */
async function exactDuplicates(ctx: AuditContext, spec: DuplicateSpec): Promise<Finding> {
  const d = ctx.d;
  const t = sql.ident(spec.table);
  const cols = sql.join(
    (await ctx.engine.tableColumns(spec.table)).filter((c) => c !== spec.except).map((c) => sql.ident(c)),
  );
  const row = await aggregate(
    ctx,
    sql`SELECT sum(copies) - count(*) AS extra, sum(CASE WHEN copies > 1 THEN 1 ELSE 0 END) AS repeated
     FROM (SELECT count(*) AS copies FROM ${t} GROUP BY ${cols}) AS g`,
  );
  const id = rowId(d, spec.table);
  // The first copy of each group (by id) is the original; the others are the examples.
  const examples = await exampleIds(
    ctx,
    sql`SELECT DISTINCT id FROM (
       SELECT ${id} AS id, row_number() OVER (PARTITION BY ${cols} ORDER BY ${id}) AS copy FROM ${t}
     ) AS numbered WHERE copy > 1`,
  );
  const extra = row.extra ?? 0;
  const repeated = row.repeated ?? 0;
  return finding({
    check: spec.check,
    title: spec.title,
    table: spec.table,
    severity: spec.severity,
    count: extra,
    total: ctx.totals[spec.table] ?? 0,
    examples,
    detail: `${spec.detail}: ${fmt(extra)} extra copies of ${fmt(repeated)} distinct rows`,
    breakdown: { extraCopies: extra, repeatedRows: repeated },
  });
}

/** Exact duplicate rows in order lines, events, consents and survey answers. */
export async function duplicateChecks(ctx: AuditContext): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const spec of SPECS) out.push(await exactDuplicates(ctx, spec));
  return out;
}
