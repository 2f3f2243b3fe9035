import { IMPLAUSIBLE_AMOUNT } from "../common/plausible-values.js";
import { type Sql, sql } from "../store/sql.js";
import { type AuditContext, aggregate, exampleIds, finding, fmt, rowId } from "./context.js";
import type { Finding } from "./types.js";

/**
 * SQL condition: a magnitude that cannot be money. Written as "not below the limit" so that a value that is not
 * finite (stored before the import refused them) is caught too, on every engine (NaN is never below it).
 */
function implausible(amount: Sql): Sql {
  return sql`NOT (abs(${amount}) < ${sql.raw(String(IMPLAUSIBLE_AMOUNT))})`;
}

/** Orders whose total cannot be real money. */
async function implausibleTotals(ctx: AuditContext): Promise<Finding> {
  const bad = implausible(sql.raw("total"));
  const row = await aggregate(ctx, sql`SELECT count(*) AS n FROM orders WHERE ${bad}`);
  const examples = await exampleIds(ctx, sql`SELECT order_id AS id FROM orders WHERE ${bad}`);
  return finding({
    check: "implausible-amounts",
    title: "Orders with a total no real order reaches",
    table: "orders",
    field: "total",
    severity: "high",
    count: row.n ?? 0,
    total: ctx.totals.orders ?? 0,
    examples,
    detail: `|total| of ${fmt(IMPLAUSIBLE_AMOUNT)} or more (or not a finite number): revenue, RFM and CLV are meaningless while they stay`,
  });
}

/** Order lines whose price, or price × quantity, cannot be real money. */
async function implausibleLines(ctx: AuditContext): Promise<Finding> {
  const bad = sql`(${implausible(sql.raw("unit_price"))} OR ${implausible(sql.raw("quantity * unit_price"))})`;
  const row = await aggregate(ctx, sql`SELECT count(*) AS n FROM order_items WHERE ${bad}`);
  const examples = await exampleIds(
    ctx,
    sql`SELECT ${rowId(ctx.d, "order_items")} AS id FROM order_items WHERE ${bad}`,
  );
  return finding({
    check: "implausible-amounts",
    title: "Order lines with a price or amount no real line reaches",
    table: "order_items",
    field: "unit_price",
    severity: "high",
    count: row.n ?? 0,
    total: ctx.totals.order_items ?? 0,
    examples,
    detail: `|unit_price| or |quantity × unit_price| of ${fmt(IMPLAUSIBLE_AMOUNT)} or more (or not a finite number)`,
  });
}

/** Amounts that cannot be real money, on orders and on order lines. */
export async function amountChecks(ctx: AuditContext): Promise<Finding[]> {
  return [await implausibleTotals(ctx), await implausibleLines(ctx)];
}
