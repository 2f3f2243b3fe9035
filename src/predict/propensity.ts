/**
 * Propensity to respond to a launch: each customer's probability of buying in a category they have not bought yet
 * (or a new product described by its category and price band, or by a description keyword where the data have
 * no categories) within a horizon, from a calibrated L2 logistic regression on per-customer features
 * (customer-features.ts), fitted by a time split.
 *
 * Fit (`fitPropensity`, as of T, horizon h): features at T − h of every known customer (a purchase or an event
 * before T − h) who had not bought the target by then; label 1 when they bought it in [T − h, T). Regression on 80%
 * (a seeded hash of the id), Platt scaling on the other 20% (where AUC, the calibration curve and the lift are
 * measured beside the baseline). Scored with features at T for every known customer who has not bought the target
 * by T → `customer_propensity_<slug>.propensity`, computed value `propensity.<slug>`.
 *
 * Evaluation (`evaluatePropensity`): the same fit, then features at T and labels in [T, T + h) (the data must cover
 * it): AUC, decile calibration curve and top-decile lift, beside "bought the most in the past" (past spend).
 */
import { noPurchasesError } from "../analytics/data-span.js";
import { saveSettings } from "../analytics/settings.js";
import { isoDay, purchaseSpan } from "../analytics/summaries.js";
import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import { isSmall } from "../privacy/k-gate.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import {
  categoricalTraits,
  DAY_MS,
  type PropensityLayout,
  type PropensityRows,
  propensityRows,
  type Target,
  targetSql,
  topCategories,
} from "./customer-features.js";
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
  type PlattScaling,
  predictLogistic,
} from "./logistic.js";
import { inCalibrationPart } from "./split.js";

export interface PropensityOptions {
  readonly target: Target;
  readonly asOf: Date;
  readonly horizonDays: number;
  readonly minGroup: number;
  readonly seed?: number;
  /** Receives the test customers' ids, propensities and labels (tests check the figures with their own computation). */
  readonly onScores?: (ids: readonly string[], p: Float64Array, label: Uint8Array) => void;
}

/** A name for the target usable in a computed value's name and a table's: lower case, `[a-z0-9_]`. */
export function targetSlug(t: Target): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
  const parts: string[] = [];
  if (t.category !== undefined) parts.push(clean(t.category) || "category");
  if (t.keyword !== undefined) parts.push(`kw_${clean(t.keyword) || "keyword"}`);
  if (t.priceBand !== undefined)
    parts.push(`price_${clean(String(t.priceBand[0]))}_${clean(String(t.priceBand[1]))}`);
  const slug = parts.join("_");
  return /^[a-z]/.test(slug) ? slug : `c_${slug}`;
}

/** The target in words. */
function describeTarget(t: Target): string {
  const parts: string[] = [];
  if (t.category !== undefined) parts.push(`category "${t.category}"`);
  if (t.keyword !== undefined) parts.push(`description containing "${t.keyword}"`);
  if (t.priceBand !== undefined) parts.push(`unit price ${t.priceBand[0]}–${t.priceBand[1]}`);
  return parts.join(", ");
}

/**
 * Checks the target against the data: the category must exist (matched case-insensitively, else did-you-mean),
 * and some line must match the whole target. Returns the target with the category as stored.
 */
export async function resolveTarget(engine: Engine, t: Target): Promise<Target> {
  if (t.category === undefined && t.keyword === undefined)
    throw new UserError("bad-option", "say what to predict: --category C (or --keyword WORD)", "--category");
  if (t.priceBand !== undefined && !(t.priceBand[0] <= t.priceBand[1]))
    throw new UserError("bad-option", `the price band's low end is above its high end`, "--price-band");
  let resolved = t;
  if (t.category !== undefined) {
    const r = await engine.query(
      sql`SELECT DISTINCT category AS c FROM order_items WHERE category IS NOT NULL AND customer_id IS NOT NULL`,
    );
    const known = r.column("c") as string[];
    if (known.length === 0)
      throw new UserError(
        "no-categories",
        "the order lines carry no categories (import order lines with a category column), or use --keyword WORD to describe the product by its description",
        "--category",
      );
    const exact =
      known.find((k) => k === t.category) ?? known.find((k) => k.toLowerCase() === t.category?.toLowerCase());
    if (exact === undefined)
      throw new UserError(
        "unknown-category",
        `no order line has category "${t.category}"${didYouMean(t.category, known)}; known: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""}`,
        "--category",
      );
    resolved = { ...t, category: exact };
  }
  const r = await engine.query(
    sql`SELECT count(*) AS n FROM order_items i WHERE i.customer_id IS NOT NULL AND i.quantity > 0 AND ${targetSql(engine, resolved)}`,
  );
  if (Number(r.column("n")[0]) === 0)
    throw new UserError(
      "unknown-target",
      `no purchased order line matches ${describeTarget(resolved)}`,
      t.keyword !== undefined ? "--keyword" : "--price-band",
    );
  return resolved;
}

/** The cut-off of the training features, T − h, checked against the data. */
async function trainingCutoff(engine: Engine, asOf: Date, horizonDays: number): Promise<Date> {
  if (!Number.isInteger(horizonDays) || horizonDays < 1)
    throw new UserError(
      "bad-option",
      `the horizon must be a whole number of days ≥ 1, got ${horizonDays}`,
      "--horizon",
    );
  const span = await purchaseSpan(engine);
  if (span === null) throw await noPurchasesError(engine);
  const cutoff = new Date(asOf.getTime() - horizonDays * DAY_MS);
  if (Math.floor(cutoff.getTime() / DAY_MS) <= span.first)
    throw new UserError(
      "horizon-too-long",
      `a ${horizonDays}-day horizon before ${asOf.toISOString()} starts at ${cutoff.toISOString().slice(0, 10)}, not after the first purchase (${isoDay(span.first)}): nothing to learn from; use a shorter --horizon or a later --as-of`,
      "--horizon",
    );
  return cutoff;
}

/**
 * The most customers the regression is fitted on: 40 coefficients are estimated to well within their noise from
 * 200,000 rows, and each Newton pass costs p²/2 per row, so a bigger base is sampled (every m-th customer of the
 * fitting part, in id order) and the fit's time stays bounded. Calibration and scoring use everyone.
 */
export const MAX_FIT_ROWS = 200_000;

function split(rows: PropensityRows, seed: number) {
  const calib = rows.ids.map((id) => inCalibrationPart(id, seed));
  const fitting = calib.reduce((a, c) => a + (c ? 0 : 1), 0);
  const stride = Math.max(1, Math.ceil(fitting / MAX_FIT_ROWS));
  const pick = (want: boolean) => {
    const idx: number[] = [];
    let seen = 0;
    calib.forEach((c, i) => {
      if (c !== want) return;
      if (want || seen++ % stride === 0) idx.push(i);
    });
    const p = rows.matrix.p;
    const x = new Float64Array(idx.length * p);
    const y = new Uint8Array(idx.length);
    const spend = new Float64Array(idx.length);
    idx.forEach((i, r) => {
      x.set(rows.matrix.x.subarray(i * p, (i + 1) * p), r * p);
      y[r] = rows.label[i] as number;
      spend[r] = rows.pastSpend[i] as number;
    });
    return { m: { n: idx.length, p, x }, y, spend };
  };
  return { train: pick(false), held: pick(true) };
}

/** What a fit says, measured on its held-out 20%. */
export interface PropensityQuality {
  readonly customers: number;
  /** Null when fewer than k (the k-gate). */
  readonly buyers: number | null;
  readonly model: ScoreQuality & { readonly logLoss: number; readonly brier: number };
  /** "Bought the most in the past": customers ranked by past spend. */
  readonly baseline: ScoreQuality;
  readonly calibration: CalibrationBin[];
}

function quality(p: Float64Array, y: Uint8Array, spend: Float64Array, minGroup: number): PropensityQuality {
  let buyers = 0;
  for (const v of y) buyers += v;
  return {
    customers: y.length,
    buyers: isSmall(buyers, minGroup) ? null : buyers,
    model: { ...scoreQuality(p, y), ...probabilityScores(p, y) },
    baseline: scoreQuality(spend, y),
    calibration: calibrationCurve(p, y, 10, minGroup),
  };
}

interface Fitted {
  readonly target: Target;
  readonly layout: PropensityLayout;
  readonly names: string[];
  readonly model: LogisticModel;
  readonly platt: PlattScaling;
  readonly training: {
    readonly featuresAt: string;
    readonly labelWindow: { from: string; to: string };
    readonly customers: number;
    readonly buyers: number;
  };
  readonly heldOut: PropensityQuality;
}

async function fitTarget(engine: Engine, opts: PropensityOptions): Promise<Fitted> {
  const target = await resolveTarget(engine, opts.target);
  const cutoff = await trainingCutoff(engine, opts.asOf, opts.horizonDays);
  const layout: PropensityLayout = {
    categories: (await topCategories(engine, cutoff)).filter(
      (c) => target.priceBand !== undefined || c !== target.category,
    ),
    traits: await categoricalTraits(engine),
  };
  const rows = await propensityRows(engine, target, layout, cutoff, opts.horizonDays);
  let buyers = 0;
  for (const v of rows.label) buyers += v;
  if (buyers === 0 || buyers === rows.ids.length)
    throw new UserError(
      "no-variation",
      `between ${cutoff.toISOString().slice(0, 10)} and ${opts.asOf.toISOString().slice(0, 10)} ${buyers === 0 ? "no" : "every"} new customer bought ${describeTarget(target)}: there is nothing to learn from; try another --as-of or a longer --horizon`,
      "--horizon",
    );
  const { train, held } = split(rows, opts.seed ?? 1);
  const model = fitLogistic(train.m, train.y);
  const raw = predictLogistic(model, held.m);
  const platt = fitPlatt(raw, held.y);
  const p = applyPlatt(platt, Float64Array.from(raw));
  return {
    target,
    layout,
    names: rows.names,
    model,
    platt,
    training: {
      featuresAt: cutoff.toISOString(),
      labelWindow: { from: cutoff.toISOString(), to: opts.asOf.toISOString() },
      customers: rows.ids.length,
      buyers,
    },
    heldOut: quality(p, held.y, held.spend, opts.minGroup),
  };
}

function coefficients(f: Fitted): Record<string, number> {
  const out: Record<string, number> = { intercept: f.model.intercept };
  f.names.forEach((n, j) => {
    out[n] = f.model.coefficients[j] as number;
  });
  return out;
}

/** What `propensity fit` reports. */
export interface PropensityReport {
  readonly target: Target;
  readonly computed: string;
  readonly asOf: string;
  readonly horizonDays: number;
  readonly training: Fitted["training"];
  readonly heldOut: PropensityQuality;
  readonly coefficients: Record<string, number>;
  readonly platt: PlattScaling;
  readonly iterations: number;
  /** Customers scored: known by T and not buyers of the target yet. */
  readonly scored: number;
  readonly meanPropensity: number;
  readonly seconds: number;
}

/** Fits at the as-of and stores every candidate's propensity (`propensity.<slug>`). */
export async function fitPropensity(engine: Engine, opts: PropensityOptions): Promise<PropensityReport> {
  const t0 = performance.now();
  const f = await fitTarget(engine, opts);
  const rows = await propensityRows(engine, f.target, f.layout, opts.asOf, opts.horizonDays);
  const p = applyPlatt(f.platt, predictLogistic(f.model, rows.matrix));
  const slug = targetSlug(f.target);
  const name = `propensity.${slug}`;
  await writePropensity(engine, slug, name, f.target, rows.ids, p);
  // What a refresh re-fits it with (prediction-refresh.ts), under the name it is stored as.
  await saveSettings(engine, name, { target: f.target, horizonDays: opts.horizonDays });
  let sum = 0;
  for (const v of p) sum += v;
  return {
    target: f.target,
    computed: name,
    asOf: opts.asOf.toISOString(),
    horizonDays: opts.horizonDays,
    training: f.training,
    heldOut: f.heldOut,
    coefficients: coefficients(f),
    platt: f.platt,
    iterations: f.model.iterations,
    scored: rows.ids.length,
    meanPropensity: rows.ids.length ? sum / rows.ids.length : 0,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The table of a target's propensities. */
export function propensityTable(slug: string): string {
  return `customer_propensity_${slug}`;
}

const SCORES = "_propensity_scores";

async function writePropensity(
  engine: Engine,
  slug: string,
  name: string,
  target: Target,
  ids: string[],
  p: Float64Array,
): Promise<void> {
  const table = propensityTable(slug);
  await engine.appendTemp(SCORES, [
    { name: "customer_id", type: "string", values: ids },
    { name: "propensity", type: "number", values: p },
  ]);
  await engine.transaction(async () => {
    await engine.run(
      engine.dialect.createTableAs(table, sql`SELECT customer_id, propensity FROM ${sql.temp(SCORES)}`, [
        "customer_id",
      ]),
    );
    await registerComputed(engine, [
      {
        name,
        type: "number",
        table,
        column: "propensity",
        producer: "propensity",
        description: `probability of buying ${describeTarget(target)} in the horizon of the last \`tessera propensity fit\`, among customers who had not yet`,
      },
    ]);
  });
}

/** What `propensity evaluate` reports: the fit at T measured on [T, T + h). */
export interface PropensityEvaluation {
  readonly target: Target;
  readonly asOf: string;
  readonly horizonDays: number;
  readonly training: Fitted["training"];
  readonly test: PropensityQuality & {
    readonly featuresAt: string;
    readonly labelWindow: { from: string; to: string };
  };
  readonly coefficients: Record<string, number>;
  readonly seconds: number;
}

export async function evaluatePropensity(
  engine: Engine,
  opts: PropensityOptions,
): Promise<PropensityEvaluation> {
  const t0 = performance.now();
  const end = new Date(opts.asOf.getTime() + opts.horizonDays * DAY_MS);
  const span = await purchaseSpan(engine);
  if (span === null) throw await noPurchasesError(engine);
  if (Math.floor((end.getTime() - 1) / DAY_MS) > span.last)
    throw new UserError(
      "horizon-too-long",
      `the evaluation window ${opts.asOf.toISOString().slice(0, 10)} … ${end.toISOString().slice(0, 10)} runs past the last purchase (${isoDay(span.last)}): use an earlier --as-of or a shorter --horizon`,
      "--horizon",
    );
  const f = await fitTarget(engine, opts);
  const rows = await propensityRows(engine, f.target, f.layout, opts.asOf, opts.horizonDays);
  const p = applyPlatt(f.platt, predictLogistic(f.model, rows.matrix));
  opts.onScores?.(rows.ids, p, rows.label);
  return {
    target: f.target,
    asOf: opts.asOf.toISOString(),
    horizonDays: opts.horizonDays,
    training: f.training,
    test: {
      featuresAt: opts.asOf.toISOString(),
      labelWindow: { from: opts.asOf.toISOString(), to: end.toISOString() },
      ...quality(p, rows.label, rows.pastSpend, opts.minGroup),
    },
    coefficients: coefficients(f),
    seconds: (performance.now() - t0) / 1000,
  };
}
