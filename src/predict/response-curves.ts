/**
 * Response curves with diminishing returns (issue 19, item 4): how many conversions a segment gives for a spend x.
 *
 *   r(x) = a · (1 − e^(−x/b)),   r'(x) = (a/b) · e^(−x/b)
 *
 * a is the reachable response (conversions as x → ∞), b the spend scale: at x = b, 1 − 1/e ≈ 63% of a is reached.
 * Why this shape rather than a Hill curve a·xⁿ/(kⁿ + xⁿ): it is concave on the whole of x ≥ 0, so the allocation's
 * equal-marginal rule (budget-allocation.ts) finds the global optimum and r'(x) = λ has a closed-form solution; its
 * two parameters read directly as "how many can respond" and "what it costs to reach most of them"; and a Hill
 * curve's third parameter (n) is not identifiable from the handful of spends a business has tried (campaign sends
 * to a whole audience vary little in spend), while n > 1 makes it S-shaped, where equal marginals are no longer
 * optimal.
 *
 * Where past campaigns exist the curve is fitted by least squares, regularised toward the prior (`fitCurve`);
 * otherwise it is the prior itself (budget-plan.ts: a = size × conversion rate, b = size × cost per contact).
 */
import { minimizeBfgs } from "../analytics/optimize.js";

/** A saturating curve a · (1 − e^(−x/b)); a ≥ 0, b > 0. */
export interface ExponentialCurve {
  readonly a: number;
  readonly b: number;
}

/** r(x): the response at spend x ≥ 0. */
export function responseAt(c: ExponentialCurve, x: number): number {
  return c.a * -Math.expm1(-x / c.b);
}

/** r'(x): the response to one more unit of spend at x. */
export function marginalAt(c: ExponentialCurve, x: number): number {
  return (c.a / c.b) * Math.exp(-x / c.b);
}

/** The spend at which r'(x) = λ (0 where even the first unit returns less than λ): b · ln(a / (b λ)). */
export function spendAtMarginal(c: ExponentialCurve, lambda: number): number {
  const m0 = c.a / c.b;
  return m0 > lambda ? c.b * Math.log(m0 / lambda) : 0;
}

/** One observed spend and the conversions it brought (a campaign send). */
export interface CurvePoint {
  readonly spend: number;
  readonly conversions: number;
}

/** A fitted curve and how it was found. */
export interface CurveFit {
  readonly curve: ExponentialCurve;
  /** Points fitted (0: the curve is the prior). */
  readonly points: number;
  /** Root mean squared error of the fit over the points, in conversions (null without points). */
  readonly rmse: number | null;
  readonly converged: boolean;
}

/**
 * The weight of the prior in `fitCurve`: 1/σ² for a log-normal prior of spread σ = 1 on each parameter (the prior
 * is believed to within a factor of e).
 */
export const PRIOR_WEIGHT = 1;

/** The smallest reachable response the fit starts from or is drawn to (a prior of none cannot be a log). */
const FLOOR = 0.5;

/**
 * Weighted least squares of the points' conversions against r(spend), regularised toward `prior` — the maximum a
 * posteriori curve when conversions are counts (variance ≈ their mean, so each squared residual is divided by
 * max(y, 1)) and each log-parameter has a normal prior around the prior curve's:
 *
 *   Σᵢ (yᵢ − r(xᵢ))² / max(yᵢ, 1) + τ · ((ln a − ln a₀)² + (ln b − ln b₀)²)
 *
 * With many conversions the data decide; with few points (one audience sent once or twice, all at nearly the same
 * spend) the curve passes near them and stays at the prior in the direction they cannot tell (how a and b trade
 * off). With no points the prior is returned as it is. Deterministic: BFGS from the prior on the log-parameters
 * (positivity needs no bounds) with an analytic gradient.
 */
export function fitCurve(
  points: readonly CurvePoint[],
  prior: ExponentialCurve,
  priorWeight = PRIOR_WEIGHT,
): CurveFit {
  if (points.length === 0) return { curve: prior, points: 0, rmse: null, converged: true };
  const xs = Float64Array.from(points, (p) => p.spend);
  const ys = Float64Array.from(points, (p) => p.conversions);
  const ws = Float64Array.from(points, (p) => 1 / Math.max(p.conversions, 1));
  const la0 = Math.log(Math.max(prior.a, FLOOR));
  const lb0 = Math.log(prior.b);
  const objective = (t: Float64Array, g: Float64Array): number => {
    const la = t[0] as number;
    const lb = t[1] as number;
    const a = Math.exp(la);
    const b = Math.exp(lb);
    let f = priorWeight * ((la - la0) ** 2 + (lb - lb0) ** 2);
    let ga = 2 * priorWeight * (la - la0);
    let gb = 2 * priorWeight * (lb - lb0);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      const w = ws[i] as number;
      const e = Math.exp(-x / b);
      const r = (ys[i] as number) - a * (1 - e);
      f += w * r * r;
      // ∂r(x)/∂ln a = a(1 − e); ∂r(x)/∂ln b = −a e x / b.
      ga -= 2 * w * r * a * (1 - e);
      gb += (2 * w * r * a * e * x) / b;
    }
    g[0] = ga;
    g[1] = gb;
    return f;
  };
  const m = minimizeBfgs(objective, [la0, lb0], { gradientTolerance: 1e-10, maxIterations: 500 });
  const curve = { a: Math.exp(m.x[0] as number), b: Math.exp(m.x[1] as number) };
  let sse = 0;
  for (let i = 0; i < xs.length; i++) sse += ((ys[i] as number) - responseAt(curve, xs[i] as number)) ** 2;
  return { curve, points: points.length, rmse: Math.sqrt(sse / xs.length), converged: m.converged };
}
