import { EMAIL_PATTERN, PHONE_PATTERN, PHONE_SEPARATORS } from "../common/contact-formats.js";
import { DATA_MODEL, type DescribedTable } from "../store/data-model.js";
import { sql } from "../store/sql.js";
import { type AuditContext, aggregate, exampleIds, filled, finding, fmt, label, rowId } from "./context.js";
import type { Finding } from "./types.js";

/** Customers whose email or phone, as given in the file, cannot be a real address or number. */
async function contactSyntax(ctx: AuditContext, field: "email" | "phone"): Promise<Finding> {
  const d = ctx.d;
  const col = sql.ident(field);
  // Patterns are constants written as literals: engines compile a constant pattern once, not per row.
  const value =
    field === "email"
      ? sql`trim(${col})`
      : d.regexReplace(sql`trim(${col})`, sql.raw(d.literal(PHONE_SEPARATORS)), sql.raw("''"));
  const pattern = sql.raw(d.literal(field === "email" ? EMAIL_PATTERN : PHONE_PATTERN));
  const bad = sql`${filled(d, col)} AND NOT ${d.regexMatches(value, pattern)}`;
  const row = await aggregate(
    ctx,
    sql`SELECT sum(CASE WHEN ${filled(d, col)} THEN 1 ELSE 0 END) AS total,
            sum(CASE WHEN ${bad} THEN 1 ELSE 0 END) AS bad
     FROM ${ctx.contacts}`,
  );
  const examples = await exampleIds(ctx, sql`SELECT customer_id AS id FROM ${ctx.contacts} WHERE ${bad}`);
  return finding({
    check: `invalid-${field}`,
    title: field === "email" ? "Email addresses that are not valid" : "Phone numbers that are not valid",
    table: "customers",
    field,
    // A bad email blocks a channel outright; phone numbers are used less and often formatted loosely.
    severity: field === "email" ? "medium" : "low",
    count: row.bad ?? 0,
    total: row.total ?? 0,
    examples,
    detail:
      field === "email"
        ? "expected one @, a name before it, a domain with a dot after it, and no spaces"
        : "expected 7–15 digits with an optional leading + once spaces, dashes, dots and brackets are removed",
  });
}

type DatedTable = DescribedTable & { readonly time: string };

/**
 * The future check covers the imported records (what stats counts) that say when they happened: facts and
 * ledgers with a time column (data-model.ts).
 */
const TIMED_TABLES = DATA_MODEL.filter(
  (t): t is DatedTable => t.stats !== null && (t.role === "fact" || t.role === "ledger") && t.time !== null,
);

/** Rows stamped later than asOf: clock or time-zone errors that would distort recency and windows. */
async function futureTimestamps(ctx: AuditContext, { name: table, time }: DatedTable): Promise<Finding> {
  const t = sql.ident(table);
  const ts = sql.ident(time);
  const row = await aggregate(ctx, sql`SELECT count(*) AS n FROM ${t} WHERE ${ts} > ${ctx.asOf}`);
  const id = rowId(ctx.d, table);
  const examples = await exampleIds(ctx, sql`SELECT ${id} AS id FROM ${t} WHERE ${ts} > ${ctx.asOf}`);
  return finding({
    check: "future-timestamps",
    title: `${label(table)} dated in the future`,
    table,
    field: time,
    severity: "medium",
    count: row.n ?? 0,
    total: ctx.totals[table] ?? 0,
    examples,
    detail: `later than ${ctx.asOf.toISOString()}`,
  });
}

/** Order lines priced at zero or below: free samples, adjustments or typing errors that skew revenue and AOV. */
async function nonPositivePrices(ctx: AuditContext): Promise<Finding> {
  const row = await aggregate(
    ctx,
    sql`SELECT sum(CASE WHEN unit_price = 0 THEN 1 ELSE 0 END) AS zero,
            sum(CASE WHEN unit_price < 0 THEN 1 ELSE 0 END) AS negative
     FROM order_items`,
  );
  const zero = row.zero ?? 0;
  const negative = row.negative ?? 0;
  const examples = await exampleIds(
    ctx,
    sql`SELECT ${rowId(ctx.d, "order_items")} AS id, unit_price FROM order_items WHERE unit_price <= 0`,
    // Negative prices are rarer and more alarming, so they come first.
    sql.raw("unit_price, id"),
  );
  return finding({
    check: "non-positive-prices",
    title: "Order lines with a zero or negative price",
    table: "order_items",
    field: "unit_price",
    severity: "medium",
    count: zero + negative,
    total: ctx.totals.order_items ?? 0,
    examples,
    detail: `${fmt(zero)} at zero, ${fmt(negative)} negative`,
    breakdown: { zero, negative },
  });
}

/** Orders whose total is below zero: refunds booked as orders, or sign errors. */
async function negativeTotals(ctx: AuditContext): Promise<Finding> {
  const row = await aggregate(
    ctx,
    sql.raw("SELECT count(*) AS n, sum(total) AS amount FROM orders WHERE total < 0"),
  );
  const examples = await exampleIds(
    ctx,
    sql.raw("SELECT order_id AS id, total FROM orders WHERE total < 0"),
    sql.raw("total, id"),
  );
  const amount = row.amount ?? 0;
  return finding({
    check: "negative-order-totals",
    title: "Orders with a negative total",
    table: "orders",
    field: "total",
    severity: "high",
    count: row.n ?? 0,
    total: ctx.totals.orders ?? 0,
    examples,
    detail: `together ${fmt(amount, 2)}`,
    breakdown: { amount },
  });
}

/** Invalid values: contact syntax, future timestamps, non-positive prices, negative totals. */
export async function validityChecks(ctx: AuditContext): Promise<Finding[]> {
  const out: Finding[] = [await contactSyntax(ctx, "email"), await contactSyntax(ctx, "phone")];
  for (const table of TIMED_TABLES) out.push(await futureTimestamps(ctx, table));
  out.push(await nonPositivePrices(ctx), await negativeTotals(ctx));
  return out;
}
