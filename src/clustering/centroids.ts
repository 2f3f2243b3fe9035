import type { FeatureTable } from "./feature-matrix.js";

/** A centroid in the features' own units: numbers, shares, an hour of day, or a category's most frequent level. */
export type Centroid = Record<string, number | string | null>;

const round = (x: number, digits = 6) => Number(x.toFixed(digits));

/**
 * Each group's centroid in original units: the mean of the raw (non-missing) values of each numeric column,
 * the circular mean hour for the favourite hour, the most frequent level of a category. For unscaled,
 * untransformed, complete features this is exactly the k-means centre.
 */
export function centroidsInOriginalUnits(table: FeatureTable, labels: Int32Array, k: number): Centroid[] {
  const out: Centroid[] = Array.from({ length: k }, () => ({}));
  const hours = new Map<string, { sin: Float64Array; cos: Float64Array }>();
  for (const col of table.columns) {
    const sum = new Float64Array(k);
    const count = new Float64Array(k);
    const levelCounts = col.levels ? new Float64Array(k * col.levels.length) : null;
    for (let i = 0; i < table.n; i++) {
      const v = col.values[i] as number;
      if (Number.isNaN(v)) continue;
      const a = labels[i] as number;
      if (a < 0) continue;
      count[a] = (count[a] as number) + 1;
      if (levelCounts && col.levels)
        levelCounts[a * col.levels.length + v] = (levelCounts[a * col.levels.length + v] as number) + 1;
      else sum[a] = (sum[a] as number) + v;
    }
    for (let j = 0; j < k; j++) {
      const c = out[j] as Centroid;
      const m = count[j] as number;
      if (col.levels && levelCounts) {
        let best = -1;
        for (let l = 0; l < col.levels.length; l++) {
          const x = levelCounts[j * col.levels.length + l] as number;
          if (x > 0 && (best < 0 || x > (levelCounts[j * col.levels.length + best] as number))) best = l;
        }
        c[col.feature] = best < 0 ? null : (col.levels[best] as string);
      } else if (col.role === "circular") {
        const h = hours.get(col.feature) ?? { sin: new Float64Array(k), cos: new Float64Array(k) };
        hours.set(col.feature, h);
        (col.name.endsWith(":sin") ? h.sin : h.cos)[j] = m > 0 ? (sum[j] as number) / m : Number.NaN;
      } else {
        c[col.name] = m > 0 ? round((sum[j] as number) / m) : null;
      }
    }
  }
  for (const [feature, h] of hours) {
    for (let j = 0; j < k; j++)
      (out[j] as Centroid)[feature] = circularHour(h.sin[j] as number, h.cos[j] as number);
  }
  return out;
}

/** The hour of day (0 ≤ h < 24, one decimal) of a mean direction; null when undefined. */
export function circularHour(sin: number, cos: number): number | null {
  if (Number.isNaN(sin) || Number.isNaN(cos) || (sin === 0 && cos === 0)) return null;
  const h = ((Math.atan2(sin, cos) * 24) / (2 * Math.PI) + 24) % 24;
  return Math.round(h * 10) / 10 === 24 ? 0 : Math.round(h * 10) / 10;
}
