import type { MetricComparison, Verdict } from "./types";

/**
 * How the experiments view writes its figures, as `experiment analyze` prints them: effects as signed percents
 * with a true minus sign, p-values to three decimals, a metric's value by its kind.
 */
export function signedPercent(x: number | null): string {
  if (x === null) return "unbounded";
  const v = 100 * x;
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(1)}%`;
}

export const formatP = (p: number | undefined): string =>
  p === undefined ? "—" : p < 0.001 ? "<0.001" : p.toFixed(3);

const significant = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });

/** A metric's value in an arm: a rate as a percent, a mean or ratio to four significant digits. */
export function metricValue(statistic: string, v: number | null): string {
  if (v === null) return "—";
  return statistic === "proportion" ? `${(v * 100).toFixed(2)}%` : significant.format(v);
}

/** Verdicts in words and colours (the colours keep AA contrast on white). */
export const VERDICTS: Record<Verdict, { readonly words: string; readonly colour: string }> = {
  winner: { words: "winner", colour: "#1a7f37" },
  loser: { words: "loser", colour: "#b42318" },
  inconclusive: { words: "inconclusive", colour: "#1f5fbf" },
  "srm-invalid": { words: "SRM-invalid", colour: "#8a5a00" },
  "not-computable": { words: "not computable", colour: "#5a6472" },
};

/** A computable comparison with both ends of its interval: what an interval chart can draw. */
export type Drawable = Extract<MetricComparison, { computable: true }> & {
  readonly ci: readonly [number, number];
};

export const drawable = (c: MetricComparison): c is Drawable =>
  c.computable && c.ci[0] !== null && c.ci[1] !== null;
