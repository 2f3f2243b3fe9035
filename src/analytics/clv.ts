/**
 * Fitting the lifetime-value models on a store: the calibration summary in SQL, BG/NBD and Gamma-Gamma on
 * the distinct tuples, and the fitted model kept in `clv_model` (one row) for `clv predict`.
 */

import { UserError } from "../errors.js";
import type { ColumnDef, Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { type BgNbdParams, fitBgNbd } from "./bgnbd.js";
import { noPurchasesError } from "./data-span.js";
import { fitGammaGamma, type GammaGammaParams } from "./gamma-gamma.js";
import {
  buildSummary,
  dayOf,
  frequencySpendCorrelation,
  isoDay,
  purchaseSpan,
  purchaseTuples,
  spendTuples,
  type TimeUnit,
} from "./summaries.js";

export interface ClvFitOptions {
  /** Last day of the calibration period (inclusive, UTC); default: the last purchase day. */
  readonly calibrationEnd?: Date;
  readonly unit: TimeUnit;
}

/** What `clv fit` reports (and stores). */
export interface ClvFit {
  readonly bgnbd: BgNbdParams & { readonly logLikelihood: number };
  /** Null when no spend model could be fitted (see warnings). */
  readonly gammaGamma: GammaGammaParams | null;
  /** The Gamma-Gamma fit's log-likelihood and the repeat customers it was fitted on (null without one). */
  readonly gammaGammaFit: { readonly logLikelihood: number; readonly customers: number } | null;
  /** Customers whose first purchase is on or before the calibration end. */
  readonly customers: number;
  readonly repeatCustomers: number;
  /** Distinct (x, t_x, T) tuples the BG/NBD likelihood was summed over. */
  readonly tuples: number;
  readonly unit: TimeUnit;
  readonly calibrationEnd: string;
  /** Pearson correlation of repeat frequency and mean repeat spend (Gamma-Gamma assumes ≈ 0). */
  readonly frequencySpendCorrelation: number | null;
  readonly warnings: string[];
  /** Wall-clock seconds: the SQL summary and the two fits. */
  readonly seconds: { readonly summary: number; readonly fit: number };
}

/** Above this |correlation| the Gamma-Gamma independence assumption is doubtful. */
const CORRELATION_WARNING = 0.3;

/**
 * The calibration end as a day number, checked against the data: it must fall within the purchase history.
 * `option` names the option in errors.
 */
export async function resolveCalibrationEnd(
  engine: Engine,
  date: Date | undefined,
  option: string,
): Promise<number> {
  const span = await purchaseSpan(engine);
  if (span === null) throw await noPurchasesError(engine);
  if (date === undefined) return span.last;
  const day = dayOf(date);
  if (day < span.first)
    throw new UserError(
      "bad-option",
      `${isoDay(day)} is before the first purchase (${isoDay(span.first)}): no customer would be observed`,
      option,
    );
  if (day > span.last)
    throw new UserError(
      "bad-option",
      `${isoDay(day)} is after the last purchase (${isoDay(span.last)}): the data do not cover that period`,
      option,
    );
  return day;
}

/** Fits BG/NBD and Gamma-Gamma on the calibration summary already in SUMMARY_TABLE. */
export async function fitOnSummary(
  engine: Engine,
  unit: TimeUnit,
  calibrationEnd: string,
  summarySeconds: number,
): Promise<ClvFit> {
  const t0 = performance.now();
  const tuples = await purchaseTuples(engine, unit);
  const spend = await spendTuples(engine);
  const correlation = await frequencySpendCorrelation(engine);
  const readSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const bg = fitBgNbd(tuples);
  const warnings = [...bg.warnings];
  let gammaGamma: ClvFit["gammaGamma"] = null;
  let gammaGammaFit: ClvFit["gammaGammaFit"] = null;
  try {
    const gg = fitGammaGamma(spend);
    gammaGamma = { p: gg.params.p, q: gg.params.q, v: gg.params.v };
    gammaGammaFit = { logLikelihood: gg.logLikelihood, customers: gg.customers };
    warnings.push(...gg.warnings);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    warnings.push(`no spend model: ${e.message}`);
  }
  const fitSeconds = (performance.now() - t1) / 1000;
  if (correlation !== null && Math.abs(correlation) > CORRELATION_WARNING)
    warnings.push(
      `frequency and mean spend are correlated (r = ${correlation.toFixed(2)}): Gamma-Gamma assumes they are independent`,
    );
  let repeat = 0;
  for (let i = 0; i < tuples.x.length; i++)
    if ((tuples.x[i] as number) > 0) repeat += tuples.count[i] as number;
  return {
    bgnbd: {
      r: bg.params.r,
      alpha: bg.params.alpha,
      a: bg.params.a,
      b: bg.params.b,
      logLikelihood: bg.logLikelihood,
    },
    gammaGamma,
    customers: bg.customers,
    gammaGammaFit,
    repeatCustomers: repeat,
    tuples: bg.tuples,
    unit,
    calibrationEnd,
    frequencySpendCorrelation: correlation,
    warnings,
    seconds: { summary: summarySeconds + readSeconds, fit: fitSeconds },
  };
}

/** `clv fit`: summary as of the calibration end, both models, and the model saved for `clv predict`. */
export async function fitClv(engine: Engine, opts: ClvFitOptions): Promise<ClvFit> {
  const endDay = await resolveCalibrationEnd(engine, opts.calibrationEnd, "--calibration-end");
  const t0 = performance.now();
  await buildSummary(engine, endDay);
  const fit = await fitOnSummary(engine, opts.unit, isoDay(endDay), (performance.now() - t0) / 1000);
  await saveModel(engine, fit);
  return fit;
}

const MODEL_TABLE = "clv_model";

const MODEL_COLUMNS: readonly ColumnDef[] = [
  { name: "calibration_end", type: "string" },
  { name: "unit", type: "string" },
  { name: "r", type: "number" },
  { name: "alpha", type: "number" },
  { name: "a", type: "number" },
  { name: "b", type: "number" },
  { name: "bgnbd_ll", type: "number" },
  { name: "p", type: "number" },
  { name: "q", type: "number" },
  { name: "v", type: "number" },
  { name: "gg_ll", type: "number" },
  { name: "customers", type: "integer" },
  { name: "fitted_at", type: "timestamp" },
];

async function saveModel(engine: Engine, fit: ClvFit): Promise<void> {
  const d = engine.dialect;
  const g = fit.gammaGamma;
  // Absent without a spend model: typed, since a NULL says nothing of its type.
  const maybe = (x: number | null | undefined) => sql.param(x ?? null, "number");
  await engine.transaction(async () => {
    await engine.run(sql`DROP TABLE IF EXISTS ${sql.ident(MODEL_TABLE)}`);
    await engine.run(d.createTable(MODEL_TABLE, MODEL_COLUMNS, []));
    await engine.run(
      sql`INSERT INTO ${sql.ident(MODEL_TABLE)} (${sql.join(MODEL_COLUMNS.map((c) => sql.ident(c.name)))})
          VALUES (${fit.calibrationEnd}, ${fit.unit}, ${fit.bgnbd.r}, ${fit.bgnbd.alpha}, ${fit.bgnbd.a},
                  ${fit.bgnbd.b}, ${fit.bgnbd.logLikelihood}, ${maybe(g?.p)}, ${maybe(g?.q)}, ${maybe(g?.v)},
                  ${maybe(fit.gammaGammaFit?.logLikelihood)}, ${fit.customers}, ${d.now()})`,
    );
  });
}

/** A saved model. */
export interface SavedModel {
  readonly calibrationEnd: string;
  readonly unit: TimeUnit;
  readonly bgnbd: BgNbdParams;
  readonly gammaGamma: GammaGammaParams | null;
}

/** The model `clv fit` saved last; a UserError when there is none. */
export async function loadModel(engine: Engine): Promise<SavedModel> {
  const exists = await engine.tableColumns(MODEL_TABLE);
  const rows =
    exists.length === 0
      ? []
      : (await engine.query(sql`SELECT * FROM ${sql.ident(MODEL_TABLE)}`)).rows<Record<string, unknown>>();
  const m = rows[0];
  if (m === undefined) throw new UserError("no-model", "no fitted model: run `tessera clv fit` first");
  const num = (k: string) => Number(m[k]);
  return {
    calibrationEnd: String(m.calibration_end),
    unit: m.unit as TimeUnit,
    bgnbd: { r: num("r"), alpha: num("alpha"), a: num("a"), b: num("b") },
    gammaGamma: m.p === null || m.p === undefined ? null : { p: num("p"), q: num("q"), v: num("v") },
  };
}
