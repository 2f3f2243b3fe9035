/**
 * `clv predict`: per customer, from the saved model — expected purchases in the next period, P(alive), the
 * expected spend per purchase and the discounted lifetime value over a horizon — written to `customer_clv`
 * and registered as computed values. Predictions depend on (x, t_x, T) only, so they are computed once per
 * distinct tuple and joined back to customers in SQL.
 */
import { UserError } from "../errors.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { BgNbdParams } from "./bgnbd.js";
import { conditionalExpectedPurchases, pAlive, probabilityOfPurchases } from "./bgnbd-predict.js";
import { loadModel, type SavedModel } from "./clv.js";
import { saveSettings } from "./settings.js";
import { buildSummary, isoDay, purchaseTuples, SUMMARY, UNIT_DAYS } from "./summaries.js";

/** A month for discounting: a twelfth of a Julian year. */
export const DAYS_PER_MONTH = 365.25 / 12;

export interface ClvPredictOptions {
  /** Period for expected purchases, in the model's unit (default: a year, 52 weeks or 365 days). */
  readonly period?: number;
  /** CLV horizon in months (default 12). */
  readonly months?: number;
  /** Monthly discount rate (default 0.01). */
  readonly discount?: number;
  /** Share of revenue that is profit (default 1: CLV in revenue). */
  readonly margin?: number;
  /**
   * Score customers' histories up to this moment with the saved parameters (default: the model's calibration
   * end). Fitting is occasional; scoring a later as-of with the same parameters is how values stay fresh.
   */
  readonly asOf?: Date;
  /**
   * A customer whose own figures are wanted next (`customerPrediction`): refused before anything is written
   * when they have no purchases in the histories scored (an engine without transactions could not undo it).
   */
  readonly customer?: string;
}

/**
 * Σ over months m = 1..M of (E[purchases by month m] − E[purchases by month m−1]) / (1 + rate)^m: purchases
 * expected in each month, discounted to today. `cumulative(t)` is the expected number of purchases by t.
 */
export function discountedPurchases(
  cumulative: (t: number) => number,
  months: number,
  monthLength: number,
  monthlyRate: number,
): number {
  let total = 0;
  let previous = 0;
  for (let m = 1; m <= months; m++) {
    const c = cumulative(m * monthLength);
    total += (c - previous) / (1 + monthlyRate) ** m;
    previous = c;
  }
  return total;
}

/** What `clv predict` reports: population figures; the per-customer values are in `customer_clv`. */
export interface ClvPrediction {
  readonly calibrationEnd: string;
  /** The last day of the histories scored (the calibration end unless `asOf` was given). */
  readonly scoredTo: string;
  readonly unit: string;
  readonly period: number;
  readonly months: number;
  readonly discount: number;
  readonly margin: number;
  readonly customers: number;
  readonly expectedPurchases: number;
  readonly meanPAlive: number;
  readonly totalClv: number;
  readonly meanClv: number;
  readonly clvQuantiles: { readonly p50: number; readonly p90: number; readonly p99: number };
  /** Expected number of customers making n purchases in the period (n = 0…5; the last is 5 or more). */
  readonly purchaseDistribution: readonly { readonly purchases: string; readonly customers: number }[];
}

export const CLV_TABLE = "customer_clv";

/** Predictions per distinct (x, t_x, T), joined back to customers (a session temporary table). */
const TUPLE_PREDICTIONS = "_clv_tuple_predictions";

/** Computes and stores every customer's predictions from the saved model. */
export async function predictClv(engine: Engine, opts: ClvPredictOptions = {}): Promise<ClvPrediction> {
  const model = await loadModel(engine);
  const g = model.gammaGamma;
  if (g === null)
    throw new UserError(
      "no-spend-model",
      "the saved model has no Gamma-Gamma spend model (see `clv fit` warnings)",
    );
  if (g.q <= 1)
    throw new UserError("no-spend-model", `Gamma-Gamma q = ${g.q} ≤ 1: expected spend is infinite`);
  const unitDays = UNIT_DAYS[model.unit];
  const period = opts.period ?? 365 / unitDays;
  const months = opts.months ?? 12;
  const discount = opts.discount ?? 0.01;
  const margin = opts.margin ?? 1;
  // An as-of instant sees the days before it whole: midnight of day d scores up to day d − 1.
  const endDay =
    opts.asOf === undefined
      ? Math.round(Date.parse(`${model.calibrationEnd}T00:00:00Z`) / 86_400_000)
      : Math.floor((opts.asOf.getTime() - 1) / 86_400_000);
  const scoredTo = isoDay(endDay);
  await buildSummary(engine, endDay);
  if (opts.customer !== undefined) await requireScored(engine, opts.customer, model);
  const t = await purchaseTuples(engine, model.unit);
  const n = t.x.length;
  const expected = new Float64Array(n);
  const alive = new Float64Array(n);
  const discounted = new Float64Array(n);
  const dist = new Float64Array(6);
  const p = model.bgnbd;
  for (let i = 0; i < n; i++) {
    const x = t.x[i] as number;
    const tx = t.tx[i] as number;
    const T = t.T[i] as number;
    expected[i] = conditionalExpectedPurchases(p, period, x, tx, T);
    alive[i] = pAlive(p, x, tx, T);
    discounted[i] = discountedPurchases(
      (h) => conditionalExpectedPurchases(p, h, x, tx, T),
      months,
      DAYS_PER_MONTH / unitDays,
      discount,
    );
    accumulateDistribution(dist, p, period, x, tx, T, t.count[i] as number);
  }
  await engine.appendTemp(TUPLE_PREDICTIONS, [
    { name: "x", type: "integer", values: t.x },
    { name: "tx_days", type: "integer", values: t.days.tx },
    { name: "t_days", type: "integer", values: t.days.T },
    { name: "expected_purchases", type: "number", values: expected },
    { name: "p_alive", type: "number", values: alive },
    { name: "discounted_purchases", type: "number", values: discounted },
  ]);
  await writeCustomerTable(engine, model, margin);
  await saveSettings(engine, "clv", { period: opts.period, months, discount, margin });
  const summary = await summarise(engine);
  return {
    calibrationEnd: model.calibrationEnd,
    scoredTo,
    unit: model.unit,
    period,
    months,
    discount,
    margin,
    ...summary,
    purchaseDistribution: Array.from(dist, (c, k) => ({
      purchases: k === 5 ? "5+" : String(k),
      customers: c,
    })),
  };
}

function accumulateDistribution(
  dist: Float64Array,
  p: BgNbdParams,
  period: number,
  x: number,
  tx: number,
  T: number,
  weight: number,
): void {
  let rest = 1;
  for (let k = 0; k < 5; k++) {
    const pk = probabilityOfPurchases(p, k, period, x, tx, T);
    dist[k] = (dist[k] as number) + weight * pk;
    rest -= pk;
  }
  dist[5] = (dist[5] as number) + weight * Math.max(0, rest);
}

async function writeCustomerTable(engine: Engine, model: SavedModel, margin: number): Promise<void> {
  const g = model.gammaGamma as NonNullable<SavedModel["gammaGamma"]>;
  // E[Z | x, z̄] = p (v + x z̄) / (p x + q − 1); with x = 0 it is the population mean p v / (q − 1).
  const spend = sql`(${g.p} * (${g.v} + s.x * coalesce(s.zbar, 0)) / (${g.p} * s.x + ${g.q} - 1))`;
  await engine.transaction(async () => {
    await engine.run(
      engine.dialect.createTableAs(
        CLV_TABLE,
        sql`SELECT s.customer_id, p.expected_purchases, p.p_alive, ${spend} AS expected_spend,
                   ${margin} * ${spend} * p.discounted_purchases AS clv
              FROM ${SUMMARY} s
              JOIN ${sql.temp(TUPLE_PREDICTIONS)} p ON p.x = s.x AND p.tx_days = s.tx_days AND p.t_days = s.t_days`,
        ["customer_id"],
      ),
    );
    const common = { table: CLV_TABLE, producer: "clv" } as const;
    await registerComputed(engine, [
      {
        ...common,
        name: "clv",
        type: "number",
        column: "clv",
        description: "discounted lifetime value over the horizon of the last `clv predict`",
      },
      {
        ...common,
        name: "expected_purchases",
        type: "number",
        column: "expected_purchases",
        description: "BG/NBD expected purchases in the next period",
      },
      {
        ...common,
        name: "p_alive",
        type: "number",
        column: "p_alive",
        description: "BG/NBD probability that the customer is still active",
      },
      {
        ...common,
        name: "expected_spend",
        type: "number",
        column: "expected_spend",
        description: "Gamma-Gamma expected spend per purchase",
      },
    ]);
  });
}

async function summarise(
  engine: Engine,
): Promise<
  Omit<
    ClvPrediction,
    | "calibrationEnd"
    | "scoredTo"
    | "unit"
    | "period"
    | "months"
    | "discount"
    | "margin"
    | "purchaseDistribution"
  >
> {
  const d = engine.dialect;
  const clv = sql`clv`;
  const r = await engine.query(
    sql`SELECT count(*) AS n, sum(expected_purchases) AS e, avg(p_alive) AS pa, sum(clv) AS total, avg(clv) AS mean,
               ${d.quantile(clv, 0.5)} AS p50, ${d.quantile(clv, 0.9)} AS p90, ${d.quantile(clv, 0.99)} AS p99
          FROM ${sql.ident(CLV_TABLE)}`,
  );
  const row = r.rows<Record<string, number>>()[0] ?? {};
  const num = (k: string) => Number(row[k] ?? 0);
  return {
    customers: num("n"),
    expectedPurchases: num("e"),
    meanPAlive: num("pa"),
    totalClv: num("total"),
    meanClv: num("mean"),
    clvQuantiles: { p50: num("p50"), p90: num("p90"), p99: num("p99") },
  };
}

function unknownCustomer(customerId: string, model: SavedModel): UserError {
  return new UserError(
    "unknown-customer",
    `no purchases by "${customerId}" up to ${model.calibrationEnd}`,
    "--customer",
  );
}

/** Refuses a customer who is not in the summary just built (no purchases in the histories scored). */
async function requireScored(engine: Engine, customerId: string, model: SavedModel): Promise<void> {
  const r = await engine.query(sql`SELECT count(*) AS n FROM ${SUMMARY} WHERE customer_id = ${customerId}`);
  if (Number(r.column("n")[0]) === 0) throw unknownCustomer(customerId, model);
}

/** One customer's figures (for `clv predict --customer`), with P(n purchases in the period) for n = 0…max. */
export async function customerPrediction(
  engine: Engine,
  customerId: string,
  period: number,
  maxN = 5,
): Promise<Record<string, unknown>> {
  const model = await loadModel(engine);
  const r = await engine.query(
    sql`SELECT s.x, s.tx_days, s.t_days, s.zbar, c.expected_purchases, c.p_alive, c.expected_spend, c.clv
          FROM ${SUMMARY} s LEFT JOIN ${sql.ident(CLV_TABLE)} c ON c.customer_id = s.customer_id
         WHERE s.customer_id = ${customerId}`,
  );
  const row = r.rows<Record<string, number>>()[0];
  if (row === undefined) throw unknownCustomer(customerId, model);
  const u = UNIT_DAYS[model.unit];
  const [x, tx, T] = [Number(row.x), Number(row.tx_days) / u, Number(row.t_days) / u];
  return {
    customerId,
    x,
    tx,
    T,
    meanRepeatSpend: row.zbar === null ? null : Number(row.zbar),
    expectedPurchases: Number(row.expected_purchases),
    pAlive: Number(row.p_alive),
    expectedSpend: Number(row.expected_spend),
    clv: Number(row.clv),
    probabilityOfPurchases: Array.from({ length: maxN + 1 }, (_, n) => ({
      purchases: n,
      probability: probabilityOfPurchases(model.bgnbd, n, period, x, tx, T),
    })),
  };
}
