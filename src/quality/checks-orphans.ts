import { tablesWhere } from "../store/data-model.js";
import { sql } from "../store/sql.js";
import { type AuditContext, aggregate, exampleIds, finding, fmt, label, rowId } from "./context.js";
import type { Finding } from "./types.js";

/** The records that should name someone a customers file described (data-model.ts: `profileExpected`). */
const FACT_TABLES = tablesWhere((t) => t.profileExpected === true);

/**
 * Records that name a customer who has no profile: no customers row at all, or a row that no customers file
 * described (profile_at NULL). Their behaviour can be segmented, but there is no contact or trait to act on.
 * Examples are the customer ids, which is what someone fixing the customers file needs.
 */
async function withoutProfile(ctx: AuditContext, table: (typeof FACT_TABLES)[number]): Promise<Finding> {
  const t = sql.ident(table);
  const orphan = sql`SELECT f.customer_id,
         CASE WHEN EXISTS (SELECT 1 FROM customers AS c WHERE c.customer_id = f.customer_id) THEN 1 ELSE 0 END
           AS has_row
       FROM ${t} AS f
       WHERE f.customer_id IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM customers AS c WHERE c.customer_id = f.customer_id AND c.profile_at IS NOT NULL)`;
  const row = await aggregate(
    ctx,
    sql`SELECT count(*) AS n, sum(1 - has_row) AS no_row, count(DISTINCT customer_id) AS people FROM (${orphan}) AS o`,
  );
  const examples = await exampleIds(ctx, sql`SELECT DISTINCT customer_id AS id FROM (${orphan}) AS o`);
  const n = row.n ?? 0;
  const noRow = row.no_row ?? 0;
  const people = row.people ?? 0;
  return finding({
    check: "records-without-profile",
    title: `${label(table)} from customers with no profile`,
    table,
    field: "customer_id",
    severity: "low",
    count: n,
    total: ctx.totals[table] ?? 0,
    examples,
    detail: `${fmt(people)} customers never described by a customers file (${fmt(noRow)} records name an id with no customer at all)`,
    breakdown: { customers: people, noCustomerRow: noRow },
  });
}

/** Order lines with no customer at all: guest checkouts, or an id lost on export. */
async function linesWithoutCustomer(ctx: AuditContext): Promise<Finding> {
  const row = await aggregate(
    ctx,
    sql`SELECT count(*) AS n, count(DISTINCT order_id) AS orders, sum(quantity * unit_price) AS amount
     FROM order_items WHERE customer_id IS NULL`,
  );
  const examples = await exampleIds(
    ctx,
    sql`SELECT ${rowId(ctx.d, "order_items")} AS id FROM order_items WHERE customer_id IS NULL`,
  );
  const amount = row.amount ?? 0;
  return finding({
    check: "lines-without-customer",
    title: "Order lines without a customer",
    table: "order_items",
    field: "customer_id",
    // Often legitimate guest orders, but nobody can be segmented on them.
    severity: "low",
    count: row.n ?? 0,
    total: ctx.totals.order_items ?? 0,
    examples,
    detail: `${fmt(row.orders ?? 0)} orders worth ${fmt(amount, 2)} cannot be attributed to anyone`,
    breakdown: { orders: row.orders ?? 0, amount },
  });
}

/** Orphans (records whose customer has no profile) and guest order lines. */
export async function orphanChecks(ctx: AuditContext): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const table of FACT_TABLES) out.push(await withoutProfile(ctx, table));
  out.push(await linesWithoutCustomer(ctx));
  return out;
}
