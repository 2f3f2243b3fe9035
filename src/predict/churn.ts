/**
 * Churn risk: per customer with a purchase, P(no purchase in the next horizon), from a logistic regression on
 * what BG/NBD says of them and their recent engagement, fitted by a time split.
 *
 * Times are whole UTC days, as in the lifetime-value models: an as-of instant T sees the days before it whole
 * (its last day D = the day of T − 1 ms); a horizon of h days after day D is days D+1 … D+h.
 *
 * Fit (`scoreChurn`): BG/NBD is fitted on purchases up to day D − h; features at D − h; label 1 when the customer
 * made no purchase on days D − h + 1 … D. The regression is fitted on 80% of those customers (a seeded hash of the
 * id), Platt scaling on the other 20% (where the calibration curve is measured). Scored with features at D →
 * `customer_churn.churn_risk`.
 *
 * Evaluation (`evaluateChurn`): the same fit; then features at D, label = no purchase on days D + 1 … D + h (which
 * the data must cover), among customers with a purchase by day D: AUC of the model, of recency alone (days since
 * the last purchase) and of P(alive) alone (1 − P(alive)), and BG/NBD's own P(no purchase in h) beside them.
 */
import { type BgNbdParams, fitBgNbd } from "../analytics/bgnbd.js";
import { pAlive, probabilityOfPurchases } from "../analytics/bgnbd-predict.js";
import { noPurchasesError } from "../analytics/data-span.js";
import { saveSettings } from "../analytics/settings.js";
import { buildSummary, isoDay, purchaseSpan, purchaseTuples, SUMMARY } from "../analytics/summaries.js";
import { UserError } from "../errors.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { DAY_MS, engagementSql, floats, toMatrix } from "./customer-features.js";
import {
  type CalibrationBin,
  calibrationCurve,
  probabilityScores,
  type ScoreQuality,
  scoreQuality,
} from "./evaluation.js";
import {
  applyPlatt,
  fitLogistic,
  fitPlatt,
  type LogisticModel,
  type Matrix,
  type PlattScaling,
  predictLogistic,
} from "./logistic.js";
import { inCalibrationPart } from "./split.js";

export const CHURN_TABLE = "customer_churn";

/** The churn model's features, in column order. */
export const CHURN_FEATURES = [
  "logit_p_alive",
  "logit_bgnbd_no_purchase",
  "log_recency_days",
  "log_repeat_days",
  "log_age_days",
  "log_events_30d",
  "log_events_90d",
] as const;

export interface ChurnOptions {
  readonly asOf: Date;
  readonly horizonDays: number;
  /** k of the k-gate for the calibration curve's bins. */
  readonly minGroup: number;
  /** Seed of the fit/calibration split (default 1). */
  readonly seed?: number;
  /** Receives the test customers' ids, risks and labels (tests check the AUC against their own computation). */
  readonly onScores?: (ids: readonly string[], risk: Float64Array, label: Uint8Array) => void;
}

/** One set of customers with features and, where a window follows, labels. */
interface ChurnRows {
  readonly ids: string[];
  readonly matrix: Matrix;
  /** 1: no purchase in the window after the features' day. */
  readonly label: Uint8Array;
  readonly recencyDays: Float64Array;
  readonly pAlive: Float64Array;
  readonly bgnbdNoPurchase: Float64Array;
}

const logit = (p: number) => {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
};

/** Summary at `endDay` (holdout to `windowEnd`), then one row per customer with the features. */
async function churnRows(
  engine: Engine,
  endDay: number,
  windowEnd: number,
  horizonDays: number,
  params: BgNbdParams | null,
): Promise<{ rows: ChurnRows; params: BgNbdParams }> {
  await buildSummary(engine, endDay, windowEnd);
  const p = params ?? fitBgNbd(await purchaseTuples(engine, "week")).params;
  const cutoff = new Date((endDay + 1) * DAY_MS);
  const r = await engine.query(
    sql`SELECT s.customer_id, s.x, s.tx_days, s.t_days, s.holdout,
               coalesce(e.events_30d, 0) AS events_30d, coalesce(e.events_90d, 0) AS events_90d
          FROM ${SUMMARY} s LEFT JOIN (${engagementSql(cutoff)}) e ON e.customer_id = s.customer_id
         ORDER BY s.customer_id`,
  );
  const n = r.rowCount;
  const x = floats(r.column("x"));
  const tx = floats(r.column("tx_days"));
  const T = floats(r.column("t_days"));
  const holdout = floats(r.column("holdout"));
  const e30 = floats(r.column("events_30d"));
  const e90 = floats(r.column("events_90d"));
  const alive = new Float64Array(n);
  const none = new Float64Array(n);
  const recency = new Float64Array(n);
  const label = new Uint8Array(n);
  // BG/NBD depends on (x, t_x, T) only: computed once per distinct tuple.
  const cache = new Map<number, number>();
  const weeks = horizonDays / 7;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const txi = tx[i] as number;
    const Ti = T[i] as number;
    const key = (xi * 65_536 + txi) * 65_536 + Ti;
    let slot = cache.get(key);
    if (slot === undefined) {
      slot = i;
      cache.set(key, i);
      alive[i] = pAlive(p, xi, txi / 7, Ti / 7);
      none[i] = probabilityOfPurchases(p, 0, weeks, xi, txi / 7, Ti / 7);
    } else {
      alive[i] = alive[slot] as number;
      none[i] = none[slot] as number;
    }
    recency[i] = Ti - txi;
    label[i] = (holdout[i] as number) === 0 ? 1 : 0;
  }
  const columns = [
    alive.map(logit),
    none.map(logit),
    recency.map(Math.log1p),
    x.map(Math.log1p),
    T.map(Math.log1p),
    e30.map(Math.log1p),
    e90.map(Math.log1p),
  ];
  return {
    rows: {
      ids: r.column("customer_id") as string[],
      matrix: toMatrix(columns, n),
      label,
      recencyDays: recency,
      pAlive: alive,
      bgnbdNoPurchase: none,
    },
    params: p,
  };
}

/** Rows i where keep(i), as a new matrix and labels. */
function subset(m: Matrix, y: Uint8Array, keep: (i: number) => boolean): { m: Matrix; y: Uint8Array } {
  const idx: number[] = [];
  for (let i = 0; i < m.n; i++) if (keep(i)) idx.push(i);
  const x = new Float64Array(idx.length * m.p);
  const yy = new Uint8Array(idx.length);
  idx.forEach((i, r) => {
    x.set(m.x.subarray(i * m.p, (i + 1) * m.p), r * m.p);
    yy[r] = y[i] as number;
  });
  return { m: { n: idx.length, p: m.p, x }, y: yy };
}

/** The fitted churn model and what its fit says. */
export interface ChurnFit {
  readonly bgnbd: BgNbdParams;
  readonly model: LogisticModel;
  readonly platt: PlattScaling;
  /** Features' days and the label window of the fit. */
  readonly featuresDay: string;
  readonly labelWindow: { readonly from: string; readonly to: string };
  readonly trainingCustomers: number;
  readonly churnRate: number;
  /** On the 20% held out for calibration: the model's AUC and the decile calibration curve. */
  readonly heldOut: {
    readonly customers: number;
    readonly auc: number | null;
    readonly calibration: CalibrationBin[];
  };
}

/** Days: D (the as-of's last whole day), and the first purchase day. Refuses a horizon the data cannot train on. */
async function days(
  engine: Engine,
  asOf: Date,
  horizonDays: number,
): Promise<{ endDay: number; first: number; last: number }> {
  if (!Number.isInteger(horizonDays) || horizonDays < 1)
    throw new UserError(
      "bad-option",
      `the horizon must be a whole number of days ≥ 1, got ${horizonDays}`,
      "--horizon",
    );
  const span = await purchaseSpan(engine);
  if (span === null) throw await noPurchasesError(engine);
  const endDay = Math.floor((asOf.getTime() - 1) / DAY_MS);
  if (endDay - horizonDays < span.first)
    throw new UserError(
      "horizon-too-long",
      `a ${horizonDays}-day horizon before ${isoDay(endDay)} starts at ${isoDay(endDay - horizonDays)}, before the first purchase (${isoDay(span.first)}): nothing to learn from; use a shorter --horizon or a later --as-of`,
      "--horizon",
    );
  return { endDay, first: span.first, last: span.last };
}

async function fitChurn(engine: Engine, endDay: number, opts: ChurnOptions): Promise<ChurnFit> {
  const h = opts.horizonDays;
  const trainDay = endDay - h;
  const { rows, params } = await churnRows(engine, trainDay, endDay, h, null);
  let churned = 0;
  for (const v of rows.label) churned += v;
  if (churned === 0 || churned === rows.ids.length)
    throw new UserError(
      "no-variation",
      `between ${isoDay(trainDay + 1)} and ${isoDay(endDay)} ${churned === 0 ? "every" : "no"} customer bought again: there is nothing to learn churn from; try another --as-of or --horizon`,
      "--horizon",
    );
  const seed = opts.seed ?? 1;
  const calib = rows.ids.map((id) => inCalibrationPart(id, seed));
  const train = subset(rows.matrix, rows.label, (i) => !calib[i]);
  const held = subset(rows.matrix, rows.label, (i) => calib[i] === true);
  const model = fitLogistic(train.m, train.y);
  const raw = predictLogistic(model, held.m);
  const platt = fitPlatt(raw, held.y);
  const calibrated = applyPlatt(platt, Float64Array.from(raw));
  return {
    bgnbd: params,
    model,
    platt,
    featuresDay: isoDay(trainDay),
    labelWindow: { from: isoDay(trainDay + 1), to: isoDay(endDay) },
    trainingCustomers: rows.ids.length,
    churnRate: churned / rows.ids.length,
    heldOut: {
      customers: held.m.n,
      auc: scoreQuality(calibrated, held.y).auc,
      calibration: calibrationCurve(calibrated, held.y, 10, opts.minGroup),
    },
  };
}

function scoreRows(fit: ChurnFit, rows: ChurnRows): Float64Array {
  return applyPlatt(fit.platt, predictLogistic(fit.model, rows.matrix));
}

/** The coefficients on standardised features, by name. */
function coefficients(fit: ChurnFit): Record<string, number> {
  const out: Record<string, number> = { intercept: fit.model.intercept };
  CHURN_FEATURES.forEach((f, j) => {
    out[f] = fit.model.coefficients[j] as number;
  });
  return out;
}

/** What `churn` reports. */
export interface ChurnReport {
  readonly asOf: string;
  readonly scoredDay: string;
  readonly horizonDays: number;
  readonly customers: number;
  readonly meanChurnRisk: number;
  /** Customers by risk band (k-gated counts). */
  readonly bands: readonly { readonly band: string; readonly customers: number | null }[];
  readonly fit: Omit<ChurnFit, "model" | "platt"> & {
    readonly coefficients: Record<string, number>;
    readonly platt: PlattScaling;
    readonly iterations: number;
  };
  readonly seconds: number;
}

const BANDS = [0, 0.3, 0.5, 0.7, 0.9, 1.0000001];

/** Fits the churn model at the as-of and stores every customer's risk in `customer_churn` (computed `churn_risk`). */
export async function scoreChurn(engine: Engine, opts: ChurnOptions): Promise<ChurnReport> {
  const t0 = performance.now();
  const { endDay } = await days(engine, opts.asOf, opts.horizonDays);
  const fit = await fitChurn(engine, endDay, opts);
  const { rows } = await churnRows(engine, endDay, endDay, opts.horizonDays, fit.bgnbd);
  const risk = scoreRows(fit, rows);
  await writeChurn(engine, rows, risk);
  // What a refresh re-scores it with (prediction-refresh.ts).
  await saveSettings(engine, "churn", { horizonDays: opts.horizonDays });
  let sum = 0;
  const counts = new Array<number>(BANDS.length - 1).fill(0);
  for (const v of risk) {
    sum += v;
    for (let b = 0; b < counts.length; b++)
      if (v < (BANDS[b + 1] as number)) {
        counts[b] = (counts[b] as number) + 1;
        break;
      }
  }
  const { model, platt, ...rest } = fit;
  return {
    asOf: opts.asOf.toISOString(),
    scoredDay: isoDay(endDay),
    horizonDays: opts.horizonDays,
    customers: rows.ids.length,
    meanChurnRisk: rows.ids.length ? sum / rows.ids.length : 0,
    bands: counts.map((c, b) => ({
      band: `${BANDS[b]}–${Math.min(1, BANDS[b + 1] as number)}`,
      customers: c > 0 && c < opts.minGroup ? null : c,
    })),
    fit: { ...rest, coefficients: coefficients(fit), platt, iterations: model.iterations },
    seconds: (performance.now() - t0) / 1000,
  };
}

const SCORES = "_churn_scores";

async function writeChurn(engine: Engine, rows: ChurnRows, risk: Float64Array): Promise<void> {
  await engine.appendTemp(SCORES, [
    { name: "customer_id", type: "string", values: rows.ids },
    { name: "churn_risk", type: "number", values: risk },
    { name: "p_alive", type: "number", values: rows.pAlive },
  ]);
  await engine.transaction(async () => {
    await engine.run(
      engine.dialect.createTableAs(
        CHURN_TABLE,
        sql`SELECT customer_id, churn_risk, p_alive AS bgnbd_p_alive FROM ${sql.temp(SCORES)}`,
        ["customer_id"],
      ),
    );
    await registerComputed(engine, [
      {
        name: "churn_risk",
        type: "number",
        table: CHURN_TABLE,
        column: "churn_risk",
        producer: "churn",
        description:
          "probability of no purchase in the horizon of the last `tessera churn` (BG/NBD + engagement)",
      },
    ]);
  });
}

/** What `churn evaluate` reports: the model and the baselines on the window after the as-of. */
export interface ChurnEvaluation {
  readonly asOf: string;
  readonly horizonDays: number;
  readonly training: {
    readonly featuresDay: string;
    readonly labelWindow: { from: string; to: string };
    readonly customers: number;
    readonly churnRate: number;
  };
  readonly test: {
    readonly featuresDay: string;
    readonly labelWindow: { from: string; to: string };
    readonly customers: number;
    readonly churnRate: number;
  };
  readonly model: ScoreQuality & { readonly logLoss: number; readonly brier: number };
  readonly baselines: {
    readonly recency: ScoreQuality;
    readonly pAlive: ScoreQuality;
    readonly bgnbdNoPurchase: ScoreQuality;
  };
  readonly calibration: CalibrationBin[];
  readonly coefficients: Record<string, number>;
  readonly seconds: number;
}

/** Fits at the as-of (as `churn` does) and measures on the horizon after it, which the data must cover. */
export async function evaluateChurn(engine: Engine, opts: ChurnOptions): Promise<ChurnEvaluation> {
  const t0 = performance.now();
  const { endDay, last } = await days(engine, opts.asOf, opts.horizonDays);
  const h = opts.horizonDays;
  if (endDay + h > last)
    throw new UserError(
      "horizon-too-long",
      `the evaluation window ${isoDay(endDay + 1)} … ${isoDay(endDay + h)} runs past the last purchase (${isoDay(last)}): use an earlier --as-of or a shorter --horizon`,
      "--horizon",
    );
  const fit = await fitChurn(engine, endDay, opts);
  const { rows } = await churnRows(engine, endDay, endDay + h, h, fit.bgnbd);
  const risk = scoreRows(fit, rows);
  opts.onScores?.(rows.ids, risk, rows.label);
  let churned = 0;
  for (const v of rows.label) churned += v;
  const y = rows.label;
  return {
    asOf: opts.asOf.toISOString(),
    horizonDays: h,
    training: {
      featuresDay: fit.featuresDay,
      labelWindow: fit.labelWindow,
      customers: fit.trainingCustomers,
      churnRate: fit.churnRate,
    },
    test: {
      featuresDay: isoDay(endDay),
      labelWindow: { from: isoDay(endDay + 1), to: isoDay(endDay + h) },
      customers: rows.ids.length,
      churnRate: rows.ids.length ? churned / rows.ids.length : 0,
    },
    model: { ...scoreQuality(risk, y), ...probabilityScores(risk, y) },
    baselines: {
      recency: scoreQuality(rows.recencyDays, y),
      pAlive: scoreQuality(
        rows.pAlive.map((v) => 1 - v),
        y,
      ),
      bgnbdNoPurchase: scoreQuality(rows.bgnbdNoPurchase, y),
    },
    calibration: calibrationCurve(risk, y, 10, opts.minGroup),
    coefficients: coefficients(fit),
    seconds: (performance.now() - t0) / 1000,
  };
}
