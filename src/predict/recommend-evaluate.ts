/**
 * `tessera recommend evaluate --as-of T --horizon 30d`: fit on purchases before T, recommend 10 unbought items to
 * every customer, and score them against what each customer bought in [T, T + horizon) — beside the popularity
 * baseline (the items most customers bought before T, less those the customer bought), computed the same way.
 *
 * Definitions: a customer is evaluated when they bought before T and bought in the horizon an item they had not
 * bought before T (items bought before are never recommended, so a repeat purchase is neither a hit nor a miss);
 * their relevant items are those new items (including items nobody bought before T: no recommender can name them,
 * and they count against recall). precision@10 = hits / 10, recall@10 = hits / relevant, hit rate = share of
 * customers with a hit, each averaged over evaluated customers; coverage = distinct items recommended to evaluated
 * customers / items bought before T. Nothing is written: only the session's temporary tables.
 */
import { addMonthsClamped, parseDuration } from "../common/duration.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { type EaseModel, type TopItems, topItems } from "./ease.js";
import { fitOn, type RecommendFitOptions } from "./recommend.js";
import { CUSTOMERS, ITEMS, PAIRS, type Purchases, purchaseLines } from "./recommend-data.js";

export interface Metrics {
  readonly precision_at_10: number;
  readonly recall_at_10: number;
  readonly hit_rate: number;
  readonly coverage: number;
}

export interface RecommendEvaluation extends Metrics {
  readonly customers_evaluated: number;
  readonly baseline: Metrics;
}

const AT = 10;

/** The end of a horizon after `t` ("30d", "4w", "1m"). */
export function horizonEnd(t: Date, text: string): Date {
  const dur = parseDuration(text);
  if (typeof dur === "string") throw new UserError("bad-option", dur, "horizon");
  const e = new Date(t.getTime());
  if (dur.unit === "d") e.setUTCDate(e.getUTCDate() + dur.n);
  else if (dur.unit === "w") e.setUTCDate(e.getUTCDate() + 7 * dur.n);
  else return addMonthsClamped(t, dur.unit === "m" ? dur.n : 12 * dur.n);
  return e;
}

/** Relevant items per customer (CSR over the training customers' numbers; −1: an item unknown before T). */
interface Truth {
  readonly start: Int32Array;
  readonly item: Int32Array;
}

async function horizonTruth(engine: Engine, p: Purchases, from: Date, to: Date): Promise<Truth> {
  const r = await engine.query(
    sql`SELECT c.idx AS u, coalesce(i.idx, -1) AS i
          FROM (SELECT DISTINCT customer_id, sku FROM (${purchaseLines(from, to)}) l) h
          JOIN ${sql.temp(CUSTOMERS)} c ON c.customer_id = h.customer_id
          LEFT JOIN ${sql.temp(ITEMS)} i ON i.sku = h.sku
          LEFT JOIN ${sql.temp(PAIRS)} b ON b.customer_id = h.customer_id AND b.sku = h.sku
         WHERE b.sku IS NULL
         ORDER BY u, i`,
  );
  const us = r.column("u");
  const is = r.column("i");
  const start = new Int32Array(p.customers + 1);
  for (const u of us) {
    const x = Number(u) + 1;
    start[x] = (start[x] as number) + 1;
  }
  for (let u = 0; u < p.customers; u++) start[u + 1] = (start[u + 1] as number) + (start[u] as number);
  return { start, item: Int32Array.from(is as number[], Number) };
}

/** The four figures of a set of top lists against the truth. */
export function scoreLists(p: Purchases, truth: Truth, top: TopItems): Metrics & { customers: number } {
  const mark = new Int32Array(p.items);
  const seen = new Uint8Array(p.items);
  let customers = 0;
  let precision = 0;
  let recall = 0;
  let hits = 0;
  for (let u = 0; u < p.customers; u++) {
    const s = truth.start[u] as number;
    const e = truth.start[u + 1] as number;
    if (e === s) continue;
    customers++;
    for (let a = s; a < e; a++) {
      const i = truth.item[a] as number;
      if (i >= 0) mark[i] = u + 1;
    }
    let h = 0;
    for (let r = 0; r < Math.min(AT, top.n); r++) {
      const i = top.item[u * top.n + r] as number;
      if (i < 0) continue;
      seen[i] = 1;
      if (mark[i] === u + 1) h++;
    }
    precision += h / AT;
    recall += h / (e - s);
    if (h > 0) hits++;
  }
  let covered = 0;
  for (let i = 0; i < p.items; i++) covered += seen[i] as number;
  const c = Math.max(customers, 1);
  return {
    customers,
    precision_at_10: precision / c,
    recall_at_10: recall / c,
    hit_rate: hits / c,
    coverage: p.items > 0 ? covered / p.items : 0,
  };
}

/** Evaluates the recommender fitted before `asOf` on the `horizon` after it. */
export async function evaluateRecommender(
  engine: Engine,
  options: Pick<RecommendFitOptions, "lambda" | "maxItems" | "neighbours"> & {
    readonly asOf: Date;
    readonly horizon: string;
  },
): Promise<RecommendEvaluation & { model: EaseModel }> {
  const end = horizonEnd(options.asOf, options.horizon);
  const last = await engine.query(
    sql`SELECT max(ts) AS last FROM order_items WHERE customer_id IS NOT NULL AND quantity > 0`,
  );
  const lastTs = last.column("last")[0];
  const lastDate = lastTs instanceof Date ? lastTs : lastTs ? new Date(String(lastTs)) : null;
  if (lastDate === null)
    throw new UserError("no-purchases", "no order lines with a customer: nothing to evaluate", "asOf");
  if (lastDate.getTime() < end.getTime() - 86_400_000)
    throw new UserError(
      "horizon-after-data",
      `the horizon ${options.horizon} after ${options.asOf.toISOString()} ends ${end.toISOString()}, but the last purchase is dated ${lastDate.toISOString()}: choose an earlier --as-of or a shorter --horizon`,
      "horizon",
    );
  const { purchases, model } = await fitOn(engine, null, options.asOf, options);
  const truth = await horizonTruth(engine, purchases, options.asOf, end);
  const mine = scoreLists(purchases, truth, topItems(purchases, model, AT));
  const base = scoreLists(purchases, truth, topItems(purchases, null, AT));
  if (mine.customers === 0)
    throw new UserError(
      "nothing-to-evaluate",
      `no customer who bought before ${options.asOf.toISOString()} bought a new item in the ${options.horizon} after it`,
      "asOf",
    );
  const { customers, ...metrics } = mine;
  const { customers: _c, ...baseline } = base;
  return { customers_evaluated: customers, ...metrics, baseline, model };
}
