/**
 * The SQL side of the recommender: order lines reduced to distinct (customer, item) purchases in a time window,
 * items and customers numbered by the engine, and the purchases read back as two Int32Arrays sorted by customer
 * (a CSR matrix). No order line ever reaches JavaScript.
 */
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

export const PAIRS = "_rec_pairs";
export const ITEMS = "_rec_items";
export const CUSTOMERS = "_rec_customers";

/** A purchased line: a customer's, a positive quantity, an item code, dated in [from, to). */
export function purchaseLines(from: Date | null, to: Date): Sql {
  return sql`SELECT li.customer_id AS customer_id, li.sku AS sku
               FROM order_items li
              WHERE li.customer_id IS NOT NULL AND li.sku IS NOT NULL AND li.quantity > 0
                AND li.ts < ${sql.param(to.toISOString(), "timestamp")}
                ${from ? sql`AND li.ts >= ${sql.param(from.toISOString(), "timestamp")}` : sql.empty}`;
}

/** Customer-by-item purchases (binarised) as CSR: customer u's items are `items[start[u] … start[u+1])`. */
export interface Purchases {
  readonly customers: number;
  readonly items: number;
  readonly start: Int32Array;
  readonly item: Int32Array;
  /** Distinct buyers per item; items are numbered by buyers, most first (ties by code). */
  readonly buyers: Int32Array;
}

/**
 * Builds the session's temporary tables for purchases dated before `to` (and from `from`): `_rec_pairs`
 * (customer_id, sku), `_rec_items` (idx, sku, buyers; 0 = most bought) and `_rec_customers` (idx, customer_id),
 * and reads the purchases back as CSR.
 */
export async function loadPurchases(engine: Engine, from: Date | null, to: Date): Promise<Purchases> {
  const d = engine.dialect;
  await engine.run(
    d.createTempAs(PAIRS, sql`SELECT DISTINCT customer_id, sku FROM (${purchaseLines(from, to)}) l`),
  );
  await engine.run(
    d.createTempAs(
      ITEMS,
      sql`SELECT sku, buyers, row_number() OVER (ORDER BY buyers DESC, sku) - 1 AS idx
            FROM (SELECT sku, count(*) AS buyers FROM ${sql.temp(PAIRS)} GROUP BY sku) b`,
    ),
  );
  await engine.run(
    d.createTempAs(
      CUSTOMERS,
      sql`SELECT customer_id, row_number() OVER (ORDER BY customer_id) - 1 AS idx
            FROM (SELECT DISTINCT customer_id FROM ${sql.temp(PAIRS)}) c`,
    ),
  );
  const items = await engine.query(sql`SELECT buyers FROM ${sql.temp(ITEMS)} ORDER BY idx`);
  const buyers = Int32Array.from(items.column("buyers") as number[], Number);
  const r = await engine.query(
    sql`SELECT c.idx AS u, i.idx AS i
          FROM ${sql.temp(PAIRS)} p
          JOIN ${sql.temp(CUSTOMERS)} c ON c.customer_id = p.customer_id
          JOIN ${sql.temp(ITEMS)} i ON i.sku = p.sku
         ORDER BY u, i`,
  );
  const us = r.column("u");
  const is = r.column("i");
  const n = us.length;
  const item = new Int32Array(n);
  let customers = 0;
  for (let k = 0; k < n; k++) {
    item[k] = Number(is[k]);
    const u = Number(us[k]);
    if (u + 1 > customers) customers = u + 1;
  }
  const start = new Int32Array(customers + 1);
  for (let k = 0; k < n; k++) {
    const x = Number(us[k]) + 1;
    start[x] = (start[x] as number) + 1;
  }
  for (let u = 0; u < customers; u++) start[u + 1] = (start[u + 1] as number) + (start[u] as number);
  return { customers, items: buyers.length, start, item, buyers };
}
