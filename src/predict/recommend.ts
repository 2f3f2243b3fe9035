/**
 * `tessera recommend fit`: EASE^R (ease.ts) on the purchases before the as-of time, then every customer's top
 * items, stored as tables other modules read:
 *   recommend_items       (idx, sku, description, category, price, buyers, in_model)  the catalogue as of the fit
 *   recommend_neighbors   (sku, rank, neighbor_sku, weight, co_buyers)                  each item's strongest weights
 *   recommendations       (customer_id, rank, sku, score)                                 top `stored` per customer
 *   recommend_model       one row: as_of, lambda, items, model_items, neighbours, customers, fitted_at
 * and the computed values `recommended_sku` (rank 1) and `recommendation_score` (its score).
 */

import { saveSettings } from "../analytics/settings.js";
import { UserError } from "../errors.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { type EaseModel, fitEase, type TopItems, topItems } from "./ease.js";
import { CUSTOMERS, ITEMS, loadPurchases, type Purchases } from "./recommend-data.js";

export const RECOMMENDATIONS = "recommendations";
export const RECOMMEND_ITEMS = "recommend_items";
export const RECOMMEND_NEIGHBORS = "recommend_neighbors";
export const RECOMMEND_MODEL = "recommend_model";
const TOP1 = "customer_recommendation";

/** Defaults: λ chosen on a validation split before 2011-11-09 on Online Retail (readme-19-recommend.md). */
export const RECOMMEND_DEFAULTS = { lambda: 500, maxItems: 2000, neighbours: 200, stored: 20 } as const;

export interface RecommendFitOptions {
  readonly asOf: Date;
  readonly lambda: number;
  readonly maxItems: number;
  readonly neighbours: number;
  /** Recommendations kept per customer. */
  readonly stored: number;
}

export interface RecommendFit {
  readonly asOf: string;
  readonly model: "EASE^R";
  readonly lambda: number;
  readonly items: number;
  readonly modelItems: number;
  readonly customers: number;
  readonly purchases: number;
  readonly stored: number;
  readonly seconds: {
    readonly load: number;
    readonly gram: number;
    readonly inverse: number;
    readonly score: number;
    readonly write: number;
  };
}

/** The EASE model and top items on purchases before `to` (from `from`): what fit and evaluate share. */
export async function fitOn(
  engine: Engine,
  from: Date | null,
  to: Date,
  options: Pick<RecommendFitOptions, "lambda" | "maxItems" | "neighbours">,
): Promise<{ purchases: Purchases; model: EaseModel; loadSeconds: number }> {
  const t0 = performance.now();
  const purchases = await loadPurchases(engine, from, to);
  const loadSeconds = (performance.now() - t0) / 1000;
  if (purchases.customers === 0)
    throw new UserError(
      "no-purchases",
      `no customer bought anything before ${to.toISOString()}: nothing to learn recommendations from`,
      "asOf",
    );
  return { purchases, model: fitEase(purchases, options), loadSeconds };
}

/** Fits the recommender as of `asOf`, scores every customer with a purchase before it and stores it all. */
export async function fitRecommender(engine: Engine, options: RecommendFitOptions): Promise<RecommendFit> {
  const { purchases, model, loadSeconds } = await fitOn(engine, null, options.asOf, options);
  const t0 = performance.now();
  const top = topItems(purchases, model, options.stored);
  const t1 = performance.now();
  await engine.transaction(async () => {
    await writeModel(engine, options, purchases, model, top);
    // What a refresh re-fits it with (prediction-refresh.ts).
    const { asOf: _asOf, ...settings } = options;
    await saveSettings(engine, "recommend", settings);
  });
  const t2 = performance.now();
  return {
    asOf: options.asOf.toISOString(),
    model: "EASE^R",
    lambda: options.lambda,
    items: purchases.items,
    modelItems: model.m,
    customers: purchases.customers,
    purchases: purchases.item.length,
    stored: options.stored,
    seconds: {
      load: loadSeconds,
      gram: model.seconds.gram,
      inverse: model.seconds.inverse,
      score: (t1 - t0) / 1000,
      write: (t2 - t1) / 1000,
    },
  };
}

async function writeModel(
  engine: Engine,
  options: RecommendFitOptions,
  p: Purchases,
  model: EaseModel,
  top: TopItems,
): Promise<void> {
  const d = engine.dialect;
  // The catalogue: each item's latest description and category, and its median positive unit price.
  await engine.run(
    d.createTableAs(
      RECOMMEND_ITEMS,
      sql`SELECT i.idx AS idx, i.sku AS sku, m.description AS description, m.category AS category,
                 m.price AS price, i.buyers AS buyers, i.idx < ${sql.raw(String(model.m))} AS in_model
            FROM ${sql.temp(ITEMS)} i
            LEFT JOIN (SELECT li.sku AS sku, ${d.argMax(sql`li.description`, sql`li.ts`)} AS description,
                              ${d.argMax(sql`li.category`, sql`li.ts`)} AS category,
                              ${d.quantile(sql`li.unit_price`, 0.5)} AS price
                         FROM order_items li
                        WHERE li.quantity > 0 AND li.unit_price > 0 AND li.sku IS NOT NULL
                          AND li.ts < ${sql.param(options.asOf.toISOString(), "timestamp")}
                        GROUP BY li.sku) m ON m.sku = i.sku`,
      ["sku"],
    ),
  );
  // Neighbours: item, rank, neighbour, weight, co-buyers, from the model's CSR.
  const nn = model.item.length;
  const from = new Int32Array(nn);
  const rank = new Int32Array(nn);
  for (let i = 0; i < model.m; i++)
    for (let x = model.start[i] as number, r = 1; x < (model.start[i + 1] as number); x++, r++) {
      from[x] = i;
      rank[x] = r;
    }
  await engine.appendTemp("_rec_nb", [
    { name: "i", type: "integer", values: from },
    { name: "rank", type: "integer", values: rank },
    { name: "j", type: "integer", values: model.item },
    { name: "weight", type: "number", values: model.weight },
    { name: "co_buyers", type: "integer", values: model.coBuyers },
  ]);
  await engine.run(
    d.createTableAs(
      RECOMMEND_NEIGHBORS,
      sql`SELECT a.sku AS sku, n.rank AS rank, b.sku AS neighbor_sku, n.weight AS weight, n.co_buyers AS co_buyers
            FROM ${sql.temp("_rec_nb")} n
            JOIN ${sql.temp(ITEMS)} a ON a.idx = n.i
            JOIN ${sql.temp(ITEMS)} b ON b.idx = n.j`,
      ["sku", "rank"],
    ),
  );
  // Recommendations: customer, rank, item, score.
  const rows = top.item.length;
  const cu = new Int32Array(rows);
  const rk = new Int32Array(rows);
  for (let k = 0; k < rows; k++) {
    cu[k] = Math.floor(k / top.n);
    rk[k] = (k % top.n) + 1;
  }
  await engine.appendTemp("_rec_top", [
    { name: "u", type: "integer", values: cu },
    { name: "rank", type: "integer", values: rk },
    { name: "i", type: "integer", values: top.item },
    { name: "score", type: "number", values: top.score },
  ]);
  await engine.run(
    d.createTableAs(
      RECOMMENDATIONS,
      sql`SELECT c.customer_id AS customer_id, t.rank AS rank, i.sku AS sku, t.score AS score
            FROM ${sql.temp("_rec_top")} t
            JOIN ${sql.temp(CUSTOMERS)} c ON c.idx = t.u
            JOIN ${sql.temp(ITEMS)} i ON i.idx = t.i`,
      ["customer_id", "rank"],
    ),
  );
  await engine.run(
    d.createTableAs(
      TOP1,
      sql`SELECT customer_id, sku AS recommended_sku, score AS recommendation_score
            FROM ${sql.ident(RECOMMENDATIONS)} WHERE rank = 1`,
      ["customer_id"],
    ),
  );
  await engine.run(sql`DROP TABLE IF EXISTS ${sql.ident(RECOMMEND_MODEL)}`);
  await engine.run(
    d.createTable(
      RECOMMEND_MODEL,
      [
        { name: "as_of", type: "timestamp" },
        { name: "reg_lambda", type: "number" },
        { name: "items", type: "integer" },
        { name: "model_items", type: "integer" },
        { name: "neighbours", type: "integer" },
        { name: "customers", type: "integer" },
        { name: "stored", type: "integer" },
        { name: "fitted_at", type: "timestamp" },
      ],
      [],
    ),
  );
  await engine.run(
    sql`INSERT INTO ${sql.ident(RECOMMEND_MODEL)} (as_of, reg_lambda, items, model_items, neighbours, customers, stored, fitted_at)
        VALUES (${sql.param(options.asOf.toISOString(), "timestamp")}, ${options.lambda}, ${p.items}, ${model.m},
                ${options.neighbours}, ${p.customers}, ${options.stored}, ${d.now()})`,
  );
  await registerComputed(engine, [
    {
      name: "recommended_sku",
      type: "string",
      table: TOP1,
      column: "recommended_sku",
      producer: "recommend",
      description: "the item the recommender ranks first for the customer (not bought yet)",
    },
    {
      name: "recommendation_score",
      type: "number",
      table: TOP1,
      column: "recommendation_score",
      producer: "recommend",
      description: "EASE^R score of the first recommendation (0: a popularity fill)",
    },
  ]);
}

/** The stored model's row, or a `no-model` error saying how to make one. */
export async function storedModel(engine: Engine): Promise<{
  asOf: Date;
  lambda: number;
  items: number;
  modelItems: number;
  customers: number;
  stored: number;
}> {
  if ((await engine.tableColumns(RECOMMEND_MODEL)).length === 0)
    throw new UserError("no-model", "no recommender fitted yet: run `tessera recommend fit` first");
  const r = (await engine.query(sql`SELECT * FROM ${sql.ident(RECOMMEND_MODEL)}`)).rows<
    Record<string, unknown>
  >()[0];
  if (!r) throw new UserError("no-model", "no recommender fitted yet: run `tessera recommend fit` first");
  return {
    asOf: r.as_of instanceof Date ? r.as_of : new Date(String(r.as_of)),
    lambda: Number(r.reg_lambda),
    items: Number(r.items),
    modelItems: Number(r.model_items),
    customers: Number(r.customers),
    stored: Number(r.stored),
  };
}
