import { type Sql, sql } from "../store/sql.js";
import { type AuditContext, aggregate, exampleIds, finding, fmt, rowId } from "./context.js";
import type { Finding } from "./types.js";

/** Robust z-scores above this are outliers (Iglewicz & Hoaglin's recommended cut-off). */
const Z_CUTOFF = 3.5;
/** MAD / 0.6745 estimates the standard deviation of normal data; 0.6745 is the normal's 75th percentile. */
const MAD_TO_SIGMA = 0.6745;
/** Fallback when MAD = 0 (over half the totals equal): mean absolute deviation × √(π/2) estimates sigma. */
const MEAN_AD_TO_SIGMA = 1.253314;

/**
 * The median of `v` over a relation that has a column `v`, in plain window SQL: the middle row, or the mean of
 * the two middle rows. No engine's own median function is needed.
 */
function medianSql(relation: Sql): Sql {
  return sql`SELECT avg(v) AS m FROM (
     SELECT v, row_number() OVER (ORDER BY v) AS rn, count(*) OVER () AS n FROM (${relation}) AS s WHERE v IS NOT NULL
   ) AS r WHERE rn >= n / 2.0 AND rn <= n / 2.0 + 1`;
}

/**
 * Orders whose total is far from the typical one: |0.6745 · (x − median) / MAD| > 3.5. Only three numbers
 * (median, MAD, mean absolute deviation) come back from the engine; the flagging runs there with them bound.
 * When MAD is 0 the mean absolute deviation stands in; when that is 0 too, all totals are equal: no outliers.
 */
async function totalOutliers(ctx: AuditContext): Promise<Finding> {
  const totals = sql.raw("SELECT total AS v FROM orders WHERE total IS NOT NULL");
  // Bound as doubles: a whole-valued double beyond 2^53 (a `1e308` total makes the median one) is no integer.
  const median = (await aggregate(ctx, medianSql(totals))).m ?? 0;
  const m = sql.param(median, "number");
  const deviations = sql`SELECT abs(total - ${m}) AS v FROM orders WHERE total IS NOT NULL`;
  const mad = (await aggregate(ctx, medianSql(deviations))).m ?? 0;
  const meanAd = (await aggregate(ctx, sql`SELECT avg(v) AS a FROM (${deviations}) AS d`)).a ?? 0;
  const sigma = mad > 0 ? mad / MAD_TO_SIGMA : meanAd * MEAN_AD_TO_SIGMA;
  const examined =
    (await aggregate(ctx, sql.raw("SELECT count(*) AS n FROM orders WHERE total IS NOT NULL"))).n ?? 0;

  let high = 0;
  let low = 0;
  let examples: string[] = [];
  // With absurd totals the cut-off itself can overflow (3.5σ of 1e308): nothing lies beyond an infinite one, and
  // those totals are the implausible-amounts check's to flag.
  if (sigma > 0 && Number.isFinite(Z_CUTOFF * sigma)) {
    const flagged = sql`SELECT order_id AS id, total FROM orders WHERE abs(total - ${m}) > ${sql.param(Z_CUTOFF * sigma, "number")}`;
    const row = await aggregate(
      ctx,
      sql`SELECT sum(CASE WHEN total > ${m} THEN 1 ELSE 0 END) AS high,
                 sum(CASE WHEN total < ${m} THEN 1 ELSE 0 END) AS low
       FROM (${flagged}) AS f`,
    );
    high = row.high ?? 0;
    low = row.low ?? 0;
    // The most extreme first: those are the likeliest typing errors.
    examples = await exampleIds(ctx, flagged, sql`abs(total - ${m}) DESC, id`);
  }
  const basis = mad > 0 ? `MAD ${fmt(mad, 2)}` : `MAD 0, mean absolute deviation ${fmt(meanAd, 2)}`;
  return finding({
    check: "order-total-outliers",
    title: "Orders with an unusually large or small total",
    table: "orders",
    field: "total",
    severity: "low",
    count: high + low,
    total: examined,
    examples,
    detail: `${fmt(high)} above ${fmt(median + Z_CUTOFF * sigma, 2)}, ${fmt(low)} below ${fmt(median - Z_CUTOFF * sigma, 2)} (median ${fmt(median, 2)}, ${basis}; robust z-score > ${Z_CUTOFF})`,
    breakdown: { high, low, median, mad, meanAbsoluteDeviation: meanAd },
  });
}

/** Order lines with a negative quantity: returns and cancellations, with the amount they take back. */
async function returnedLines(ctx: AuditContext): Promise<Finding> {
  const row = await aggregate(
    ctx,
    sql`SELECT count(*) AS n, count(DISTINCT order_id) AS orders, sum(-quantity * unit_price) AS amount
     FROM order_items WHERE quantity < 0`,
  );
  const examples = await exampleIds(
    ctx,
    sql`SELECT ${rowId(ctx.d, "order_items")} AS id FROM order_items WHERE quantity < 0`,
  );
  const amount = row.amount ?? 0;
  return finding({
    check: "returned-lines",
    title: "Order lines that are returns or cancellations",
    table: "order_items",
    field: "quantity",
    // A business fact rather than an error, but revenue figures should say whether they net it out.
    severity: "info",
    count: row.n ?? 0,
    total: ctx.totals.order_items ?? 0,
    examples,
    detail: `negative quantities in ${fmt(row.orders ?? 0)} orders, returning ${fmt(amount, 2)}`,
    breakdown: { orders: row.orders ?? 0, amount },
  });
}

/** Orders with a returned amount. */
async function ordersWithReturns(ctx: AuditContext): Promise<Finding> {
  const row = await aggregate(
    ctx,
    sql.raw("SELECT count(*) AS n, sum(returned) AS amount FROM orders WHERE returned > 0"),
  );
  const examples = await exampleIds(ctx, sql.raw("SELECT order_id AS id FROM orders WHERE returned > 0"));
  const amount = row.amount ?? 0;
  return finding({
    check: "orders-with-returns",
    title: "Orders with goods returned",
    table: "orders",
    field: "returned",
    severity: "info",
    count: row.n ?? 0,
    total: ctx.totals.orders ?? 0,
    examples,
    detail: `${fmt(amount, 2)} returned in all`,
    breakdown: { amount },
  });
}

/** Outlying order totals, and returns. */
export async function orderChecks(ctx: AuditContext): Promise<Finding[]> {
  return [await totalOutliers(ctx), await returnedLines(ctx), await ordersWithReturns(ctx)];
}
