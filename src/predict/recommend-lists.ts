/**
 * Reading the stored recommender (recommend.ts): a customer's list, a segment's members' lists and favourites, the
 * base's favourites, and an item's "bought together" and upsell lists. Every count that leaves is a number of
 * buyers ≥ k (items bought by fewer are left out of favourites and item lists: privacy/k-gate.ts).
 */
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { RECOMMEND_ITEMS, RECOMMEND_NEIGHBORS, RECOMMENDATIONS, storedModel } from "./recommend.js";

/** One recommended item as every list gives it. */
export interface RecommendedItem {
  readonly sku: string;
  readonly description: string | null;
  readonly category: string | null;
  readonly price: number | null;
  readonly score: number;
}

/** A customer's list; `fallback` says when it is not their own (no purchase before the model's as-of). */
export interface CustomerRecommendations {
  readonly customer_id: string;
  readonly fallback: "segment-favourites" | "base-favourites" | null;
  readonly note: string | null;
  readonly items: RecommendedItem[];
}

function items(rows: Record<string, unknown>[]): RecommendedItem[] {
  return rows.map((r) => ({
    sku: String(r.sku),
    description: r.description == null ? null : String(r.description),
    category: r.category == null ? null : String(r.category),
    price: r.price == null ? null : Number(r.price),
    score: Number(r.score),
  }));
}

/**
 * The favourites of a group of customers (`people`: a query of customer ids; null: everyone), as of the model:
 * the items most of them bought before it, bought by at least k of them; score = share of the group's buyers.
 */
export async function favourites(
  engine: Engine,
  people: Sql | null,
  top: number,
  k: number,
): Promise<RecommendedItem[]> {
  const asOf = (await storedModel(engine)).asOf;
  const r = await engine.query(
    sql`WITH b AS (SELECT li.sku AS sku, count(DISTINCT li.customer_id) AS buyers
                     FROM order_items li
                    WHERE li.customer_id IS NOT NULL AND li.quantity > 0 AND li.sku IS NOT NULL
                      AND li.ts < ${sql.param(asOf.toISOString(), "timestamp")}
                      ${people ? sql`AND li.customer_id IN (${people})` : sql.empty}
                    GROUP BY li.sku),
            n AS (SELECT count(DISTINCT li.customer_id) AS n FROM order_items li
                   WHERE li.customer_id IS NOT NULL AND li.quantity > 0
                     AND li.ts < ${sql.param(asOf.toISOString(), "timestamp")}
                     ${people ? sql`AND li.customer_id IN (${people})` : sql.empty})
       SELECT b.sku AS sku, i.description AS description, i.category AS category, i.price AS price,
              ${engine.dialect.cast(sql`b.buyers`, "number")} / (SELECT n FROM n) AS score
         FROM b LEFT JOIN ${sql.ident(RECOMMEND_ITEMS)} i ON i.sku = b.sku
        WHERE b.buyers >= ${k}
        ORDER BY b.buyers DESC, b.sku
        LIMIT ${sql.param(top, "integer")}`,
  );
  return items(r.rows());
}

const SMALLEST_SEGMENT = (customer: string) =>
  sql`SELECT m.segment_id AS segment_id FROM segment_membership m
       WHERE m.customer_id = ${customer} AND m.exited_at IS NULL`;

/** Current members of a saved segment. */
export const segmentMembers = (segment: string): Sql =>
  sql`SELECT customer_id FROM segment_membership WHERE segment_id = ${segment} AND exited_at IS NULL`;

/**
 * A customer's top items. With no purchase before the model's as-of: the favourites of the smallest saved segment
 * they are in (at least k members), else the base's — said in `fallback` and `note`.
 */
export async function customerRecommendations(
  engine: Engine,
  customer: string,
  top: number,
  k: number,
): Promise<CustomerRecommendations> {
  const model = await storedModel(engine);
  const known = await engine.query(sql`SELECT count(*) AS n FROM customers WHERE customer_id = ${customer}`);
  if (Number(known.column("n")[0]) === 0)
    throw new UserError("unknown-customer", `no customer "${customer}"`, "customer");
  const r = await engine.query(
    sql`SELECT r.sku AS sku, i.description AS description, i.category AS category, i.price AS price, r.score AS score
          FROM ${sql.ident(RECOMMENDATIONS)} r LEFT JOIN ${sql.ident(RECOMMEND_ITEMS)} i ON i.sku = r.sku
         WHERE r.customer_id = ${customer} ORDER BY r.rank LIMIT ${sql.param(top, "integer")}`,
  );
  if (r.rowCount > 0) return { customer_id: customer, fallback: null, note: null, items: items(r.rows()) };
  const asOf = model.asOf.toISOString();
  // The smallest segment they are a current member of with at least k members.
  const seg = await engine.query(
    sql`SELECT s.segment_id AS segment_id, count(*) AS n
          FROM segment_membership s
         WHERE s.exited_at IS NULL AND s.segment_id IN (${SMALLEST_SEGMENT(customer)})
         GROUP BY s.segment_id HAVING count(*) >= ${k}
         ORDER BY n, segment_id LIMIT 1`,
  );
  const segment = seg.rowCount > 0 ? String(seg.column("segment_id")[0]) : null;
  if (segment) {
    const fav = await favourites(engine, segmentMembers(segment), top, k);
    if (fav.length > 0)
      return {
        customer_id: customer,
        fallback: "segment-favourites",
        note: `customer ${customer} bought nothing before the model's as-of (${asOf}): the favourites of segment "${segment}" instead`,
        items: fav,
      };
  }
  return {
    customer_id: customer,
    fallback: "base-favourites",
    note: `customer ${customer} bought nothing before the model's as-of (${asOf}) and is in no saved segment of ${k}+ members: the base's favourites instead`,
    items: await favourites(engine, null, top, k),
  };
}

/** An item's lists: bought by the same customers (EASE weight order), and dearer items to upsell. */
export interface ItemLists {
  readonly sku: string;
  readonly description: string | null;
  readonly category: string | null;
  readonly price: number | null;
  readonly upsellBasis: "category" | "bought-together";
  readonly boughtTogether: (RecommendedItem & { co_buyers: number })[];
  readonly upsell: (RecommendedItem & { co_buyers: number | null })[];
}

/**
 * "Bought together": the item's strongest EASE neighbours bought by ≥ k of the same customers. Upsell: items
 * priced higher in the same category, by weight then buyers; with no category (Online Retail has none), the dearer
 * items among its neighbours (bought by ≥ k of the same customers), by weight.
 */
export async function itemLists(engine: Engine, sku: string, top: number, k: number): Promise<ItemLists> {
  await storedModel(engine);
  const r = await engine.query(sql`SELECT * FROM ${sql.ident(RECOMMEND_ITEMS)} WHERE sku = ${sku}`);
  const me = r.rows<Record<string, unknown>>()[0];
  if (!me)
    throw new UserError("unknown-item", `no item "${sku}" was bought before the model's as-of`, "item");
  const price = me.price == null ? null : Number(me.price);
  const category = me.category == null ? null : String(me.category);
  const nb = await engine.query(
    sql`SELECT n.neighbor_sku AS sku, i.description AS description, i.category AS category, i.price AS price,
               n.weight AS score, n.co_buyers AS co_buyers
          FROM ${sql.ident(RECOMMEND_NEIGHBORS)} n LEFT JOIN ${sql.ident(RECOMMEND_ITEMS)} i ON i.sku = n.neighbor_sku
         WHERE n.sku = ${sku} AND n.co_buyers >= ${k}
         ORDER BY n.rank`,
  );
  const together = nb
    .rows<Record<string, unknown>>()
    .map((x) => ({ ...(items([x])[0] as RecommendedItem), co_buyers: Number(x.co_buyers) }));
  let upsell: ItemLists["upsell"] = [];
  if (price !== null && category !== null) {
    const u = await engine.query(
      sql`SELECT i.sku AS sku, i.description AS description, i.category AS category, i.price AS price,
                 coalesce(n.weight, 0) AS score, n.co_buyers AS co_buyers
            FROM ${sql.ident(RECOMMEND_ITEMS)} i
            LEFT JOIN ${sql.ident(RECOMMEND_NEIGHBORS)} n ON n.sku = ${sku} AND n.neighbor_sku = i.sku
           WHERE i.category = ${category} AND i.price > ${price} AND i.buyers >= ${k}
           ORDER BY score DESC, i.buyers DESC, i.sku LIMIT ${sql.param(top, "integer")}`,
    );
    upsell = u.rows<Record<string, unknown>>().map((x) => ({
      ...(items([x])[0] as RecommendedItem),
      co_buyers: x.co_buyers == null || Number(x.co_buyers) < k ? null : Number(x.co_buyers),
    }));
  } else if (price !== null)
    upsell = together.filter((x) => x.price !== null && x.price > price).slice(0, top);
  return {
    sku,
    description: me.description == null ? null : String(me.description),
    category,
    price,
    upsellBasis: category !== null ? "category" : "bought-together",
    boughtTogether: together.slice(0, top),
    upsell,
  };
}
