import { UserError } from "../errors.js";
import type { FeatureColumn, FeatureTable } from "./feature-matrix.js";
import type { CategoricalMatrix } from "./kprototypes.js";
import type { Matrix } from "./matrix.js";

export type Scale = "standard" | "robust" | "none";
export type Categorical = "onehot" | "kprototypes";

export interface PreprocessOptions {
  readonly scale: Scale;
  /** `auto`: log1p of counts and money (and of other non-negative numbers with a skewness above 2). */
  readonly log: "auto" | "none";
  readonly categorical: Categorical;
  /** Features the user named: degenerate ones are errors. Others (defaults) are skipped with a reason. */
  readonly required: ReadonlySet<string>;
}

/** How one column of the numeric matrix is made from a feature column. */
export interface ColumnStep {
  readonly name: string;
  readonly source: string;
  readonly feature: string;
  readonly kind: "numeric" | "indicator" | "onehot";
  /** Value used for a missing one (a level index for one-hot). */
  readonly impute: number;
  readonly log: boolean;
  readonly center: number;
  readonly scale: number;
  /** One-hot: the level this column flags. */
  readonly level?: number;
}

/** A categorical column kept as codes (k-prototypes). */
export interface CategoricalStep {
  readonly name: string;
  readonly source: string;
  readonly feature: string;
  readonly impute: number;
  readonly levels: readonly string[];
}

/** A fitted preprocessing: stored with a saved clustering and applied unchanged to new customers. */
export interface Preprocessing {
  readonly scale: Scale;
  readonly log: "auto" | "none";
  readonly categorical: Categorical;
  readonly columns: readonly ColumnStep[];
  readonly categoricals: readonly CategoricalStep[];
  /** Default features left out, with the reason. */
  readonly skipped: readonly { readonly feature: string; readonly reason: string }[];
}

/** Quantile q of sorted values (linear interpolation, as numpy's default). */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function present(values: Float64Array): Float64Array {
  let m = 0;
  for (const v of values) if (!Number.isNaN(v)) m++;
  const out = new Float64Array(m);
  let j = 0;
  for (const v of values) if (!Number.isNaN(v)) out[j++] = v;
  return out;
}

function moments(v: Float64Array): { mean: number; sd: number; skew: number; min: number; max: number } {
  let mean = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of v) {
    mean += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  mean /= v.length;
  let m2 = 0;
  let m3 = 0;
  for (const x of v) {
    const z = x - mean;
    m2 += z * z;
    m3 += z * z * z;
  }
  m2 /= v.length;
  m3 /= v.length;
  return { mean, sd: Math.sqrt(m2), skew: m2 > 0 ? m3 / m2 ** 1.5 : 0, min, max };
}

function modeOf(codes: Float64Array, levels: number): number {
  const counts = new Float64Array(levels);
  for (const c of codes) if (!Number.isNaN(c)) counts[c] = (counts[c] as number) + 1;
  let best = 0;
  for (let l = 1; l < levels; l++) if ((counts[l] as number) > (counts[best] as number)) best = l;
  return best;
}

/** The centre and spread a scale uses; a spread of 0 falls back to the standard deviation. */
function scaling(scale: Scale, transformed: Float64Array): { center: number; scale: number } {
  if (scale === "none") return { center: 0, scale: 1 };
  const m = moments(transformed);
  if (scale === "standard") return { center: m.mean, scale: m.sd };
  const sorted = transformed.slice().sort();
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  // Mostly-zero columns (shares, counts) have no interquartile range: their standard deviation stands in.
  return { center: quantile(sorted, 0.5), scale: iqr > 0 ? iqr : m.sd };
}

/**
 * Fits the preprocessing of a feature table: missing values get the median (numbers) or the most frequent level
 * (categories) plus one 0/1 indicator column per feature; counts and money get log1p; columns are scaled.
 * Indicator and one-hot columns stay 0/1 whatever the scale: standardising a rare flag would blow it up into
 * the dominant distance. A feature with no values, or the same value for everyone, is an error when the user
 * named it and is skipped when it came from the defaults.
 */
export function fitPreprocessing(table: FeatureTable, opts: PreprocessOptions): Preprocessing {
  const columns: ColumnStep[] = [];
  const categoricals: CategoricalStep[] = [];
  const skipped: { feature: string; reason: string }[] = [];
  const byFeature = new Map<string, FeatureColumn[]>();
  for (const c of table.columns) byFeature.set(c.feature, [...(byFeature.get(c.feature) ?? []), c]);
  for (const [feature, cols] of byFeature) {
    const values = cols.map((c) => present(c.values));
    const problem = values.every((v) => v.length === 0)
      ? "has no values for any customer"
      : values.every((v) => v.length === 0 || moments(v).min === moments(v).max)
        ? "has the same value for every customer"
        : null;
    if (problem) {
      if (opts.required.has(feature))
        throw new UserError(
          problem.startsWith("has no") ? "feature-all-missing" : "feature-constant",
          `feature "${feature}" ${problem}: it cannot separate customers`,
          "--features",
        );
      skipped.push({ feature, reason: problem });
      continue;
    }
    let missing = false;
    cols.forEach((col, ci) => {
      const v = values[ci] as Float64Array;
      if (v.length < table.n) missing = true;
      if (col.levels) {
        const impute = modeOf(col.values, col.levels.length);
        if (opts.categorical === "kprototypes") {
          categoricals.push({ name: col.name, source: col.name, feature, impute, levels: col.levels });
          return;
        }
        col.levels.forEach((level, l) => {
          columns.push({
            name: `${col.name}=${level}`,
            source: col.name,
            feature,
            kind: "onehot",
            impute,
            log: false,
            center: 0,
            scale: 1,
            level: l,
          });
        });
        return;
      }
      const m = moments(v);
      // A sub-column of a mix that is the same for everyone carries nothing (its feature still has others).
      if (m.min === m.max) return;
      const log =
        opts.log === "auto" &&
        m.min >= 0 &&
        (col.role === "count" ||
          col.role === "money" ||
          ((col.role === "value" || col.role === "days") && m.skew > 2));
      const impute = v.length < table.n ? quantile(v.slice().sort(), 0.5) : 0;
      const transformed = log ? v.map(Math.log1p) : v;
      const s = scaling(opts.scale, transformed);
      columns.push({ name: col.name, source: col.name, feature, kind: "numeric", impute, log, ...s });
    });
    if (missing) {
      const source = (cols[0] as FeatureColumn).name;
      columns.push({
        name: `${feature}:missing`,
        source,
        feature,
        kind: "indicator",
        impute: 0,
        log: false,
        center: 0,
        scale: 1,
      });
    }
  }
  if (columns.length === 0 && categoricals.length === 0)
    throw new UserError("no-features", "none of the features has values to cluster on", "--features");
  return { scale: opts.scale, log: opts.log, categorical: opts.categorical, columns, categoricals, skipped };
}

/** Applies a fitted preprocessing: the numeric matrix, and the categorical codes for k-prototypes. */
export function applyPreprocessing(
  table: FeatureTable,
  prep: Preprocessing,
): { x: Matrix; cat: CategoricalMatrix } {
  const { n } = table;
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const source = (name: string): FeatureColumn => {
    const c = byName.get(name);
    if (!c) throw new Error(`feature column ${name} is missing from the table`);
    return c;
  };
  const d = prep.columns.length;
  const data = new Float64Array(n * d);
  prep.columns.forEach((step, t) => {
    const v = source(step.source).values;
    for (let i = 0; i < n; i++) {
      const raw = v[i] as number;
      let z: number;
      if (step.kind === "indicator") z = Number.isNaN(raw) ? 1 : 0;
      else if (step.kind === "onehot") z = (Number.isNaN(raw) ? step.impute : raw) === step.level ? 1 : 0;
      else {
        const x = Number.isNaN(raw) ? step.impute : raw;
        z = ((step.log ? Math.log1p(Math.max(0, x)) : x) - step.center) / step.scale;
      }
      data[i * d + t] = z;
    }
  });
  const q = prep.categoricals.length;
  const codes = new Int32Array(n * q);
  prep.categoricals.forEach((step, t) => {
    const v = source(step.source).values;
    for (let i = 0; i < n; i++) {
      const raw = v[i] as number;
      codes[i * q + t] = Number.isNaN(raw) ? step.impute : raw;
    }
  });
  return { x: { n, d, data }, cat: { n, q, codes, levels: prep.categoricals.map((c) => c.levels.length) } };
}
