/**
 * Statistical checks for the samplers' tests (not used by the samplers). Each check is a hypothesis test whose
 * false-failure probability, for a correct sampler, is at most `ALPHA_PER_CHECK` = 1e-8. The suite makes 58 such
 * checks with unseeded randomness (24 for the discrete Laplace, 24 for the discrete Gaussian, 6 Bernoulli
 * frequencies, 4 on uniform draws), so by the union bound a correct implementation fails a run with probability
 * below 6e-7. Keep the total under 100 when adding checks.
 *
 * - Proportions (Bernoulli frequencies, symmetry, tail probabilities) use the Chernoff–Hoeffding bound
 *   P(p̂ ≥ a) ≤ exp(−N·KL(a‖p)) for a > p, and its mirror below p: rejecting when N·KL(p̂‖p) > ln(2/α) fails a
 *   correct sampler with probability ≤ α rigorously, for any N (no normal approximation).
 * - Moments (mean, mean square) use the central limit theorem with z = 6 (two-sided normal tail 2e-9): the slack
 *   to α = 1e-8 absorbs the skewness of X² that the normal tail ignores at N ≥ 10^5.
 * - Goodness of fit uses Pearson's chi-square over bins of expected count ≥ 100 (tails pooled), with the threshold
 *   at the 1 − 1e-9 quantile of the chi-square distribution: again a tenfold slack for the asymptotics.
 */
import gammainc from "@stdlib/math-base-special-gammainc";

/** The false-failure probability allowed to each check. */
export const ALPHA_PER_CHECK = 1e-8;
const Z_MOMENTS = 6;
const ALPHA_CHI_SQUARE = ALPHA_PER_CHECK / 10;
const MIN_EXPECTED_PER_BIN = 100;

export interface CheckResult {
  readonly ok: boolean;
  /** What was measured against what, for the failure message. */
  readonly detail: string;
}

function kl(a: number, p: number): number {
  const term = (x: number, y: number): number => (x === 0 ? 0 : x * Math.log(x / y));
  return term(a, p) + term(1 - a, 1 - p);
}

/** `hits` successes in `n` trials against probability `p` (Chernoff–Hoeffding, two-sided). */
export function checkProportion(hits: number, n: number, p: number, alpha = ALPHA_PER_CHECK): CheckResult {
  const observed = hits / n;
  // Probability 0 or 1: any deviation at all is a failure.
  const stat = p === 0 || p === 1 ? (observed === p ? 0 : Number.POSITIVE_INFINITY) : n * kl(observed, p);
  const limit = Math.log(2 / alpha);
  return {
    ok: stat <= limit,
    detail: `${hits}/${n} = ${observed.toPrecision(6)} vs p = ${p.toPrecision(6)}: N·KL = ${stat.toFixed(2)} (limit ${limit.toFixed(2)})`,
  };
}

/** The sample mean of `xs` against `mean`, with the exact `variance` of one draw (normal approximation). */
export function checkMean(xs: Float64Array, mean: number, variance: number): CheckResult {
  let s = 0;
  for (const x of xs) s += x;
  const observed = s / xs.length;
  const z = (observed - mean) / Math.sqrt(variance / xs.length);
  return {
    ok: Math.abs(z) <= Z_MOMENTS,
    detail: `mean ${observed.toPrecision(6)} vs ${mean.toPrecision(6)}: z = ${z.toFixed(2)} (limit ±${Z_MOMENTS})`,
  };
}

/** The upper 1 − α quantile of the chi-square distribution with `df` degrees of freedom (bisection on @stdlib). */
export function chiSquareQuantile(df: number, alpha: number): number {
  let lo = 0;
  let hi = df + 20 * Math.sqrt(2 * df) + 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (gammainc(mid / 2, df / 2, true, true) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** An integer distribution given by its probability mass on [−radius, radius] (mass outside is negligible). */
export interface IntegerPmf {
  readonly radius: number;
  readonly pmf: (x: number) => number;
}

/**
 * Pearson's chi-square of integer samples against a pmf. Consecutive integers are merged, left to right, until a
 * bin expects at least 100 samples; the first and last bins also take the tails.
 */
export function checkChiSquare(xs: Float64Array, dist: IntegerPmf, alpha = ALPHA_CHI_SQUARE): CheckResult {
  const n = xs.length;
  const minMass = MIN_EXPECTED_PER_BIN / n;
  // Bin upper edges (inclusive) and masses.
  const edges: number[] = [];
  const masses: number[] = [];
  let mass = 0;
  for (let x = -dist.radius; x <= dist.radius; x++) {
    mass += dist.pmf(x);
    if (mass >= minMass) {
      edges.push(x);
      masses.push(mass);
      mass = 0;
    }
  }
  // What is left at the right end joins the last bin, which then reaches to +∞.
  masses[masses.length - 1] = (masses.at(-1) ?? 0) + mass;
  edges[edges.length - 1] = Number.POSITIVE_INFINITY;
  const counts = new Float64Array(masses.length);
  for (const x of xs) {
    // Binary search for the first edge ≥ x.
    let lo = 0;
    let hi = edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x <= (edges[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  let stat = 0;
  masses.forEach((m, i) => {
    const e = m * n;
    stat += ((counts[i] as number) - e) ** 2 / e;
  });
  const df = masses.length - 1;
  const limit = chiSquareQuantile(df, alpha);
  return {
    ok: stat <= limit,
    detail: `chi-square ${stat.toFixed(1)} on ${df} df (limit ${limit.toFixed(1)})`,
  };
}

/** Mean, variance and fourth central moment of a symmetric integer pmf, by summing it. */
export function pmfMoments(dist: IntegerPmf): { mean: number; variance: number; fourth: number } {
  let mass = 0;
  let m1 = 0;
  let m2 = 0;
  let m4 = 0;
  // From the tails inwards, so the small terms are added first.
  for (let k = dist.radius; k >= 0; k--) {
    for (const x of k === 0 ? [0] : [-k, k]) {
      const p = dist.pmf(x);
      mass += p;
      m1 += p * x;
      m2 += p * x * x;
      m4 += p * x ** 4;
    }
  }
  const mean = m1 / mass;
  return { mean, variance: m2 / mass - mean * mean, fourth: m4 / mass };
}

/** The mean of X² against the exact variance (the mean is 0), with its exact spread √((μ4 − σ⁴)/N). */
export function checkVariance(xs: Float64Array, dist: IntegerPmf): CheckResult {
  const { variance, fourth } = pmfMoments(dist);
  const squares = xs.map((x) => x * x);
  const r = checkMean(squares, variance, fourth - variance * variance);
  return { ok: r.ok, detail: `E[X²]: ${r.detail}` };
}

/** Symmetry about 0: among nonzero draws, the positive ones are Binomial(n, 1/2). */
export function checkSymmetry(xs: Float64Array): CheckResult {
  let positive = 0;
  let nonzero = 0;
  for (const x of xs) {
    if (x !== 0) nonzero++;
    if (x > 0) positive++;
  }
  return checkProportion(positive, nonzero, 0.5);
}

/** P(|X| ≥ k) against the exact tail mass. */
export function checkTail(xs: Float64Array, dist: IntegerPmf, k: number): CheckResult {
  let tail = 0;
  for (let x = k; x <= dist.radius; x++) tail += 2 * dist.pmf(x);
  let hits = 0;
  for (const x of xs) if (Math.abs(x) >= k) hits++;
  const r = checkProportion(hits, xs.length, tail);
  return { ok: r.ok, detail: `P(|X| ≥ ${k}): ${r.detail}` };
}

/** The discrete Laplace with scale t: P(x) = (1 − q)/(1 + q) · q^|x|, q = e^{−1/t}, where it exceeds 1e-18. */
export function laplacePmf(scale: number): IntegerPmf {
  const q = Math.exp(-1 / scale);
  return { radius: Math.ceil(42 * scale) + 1, pmf: (x) => ((1 - q) / (1 + q)) * q ** Math.abs(x) };
}

/** The discrete Gaussian: P(x) ∝ exp(−x²/(2σ²)), normalised by summing where it matters (|x| ≤ 10σ + 2). */
export function gaussianPmf(sigma2: number): IntegerPmf {
  const radius = Math.ceil(10 * Math.sqrt(sigma2)) + 2;
  let z = 0;
  for (let x = -radius; x <= radius; x++) z += Math.exp(-(x * x) / (2 * sigma2));
  return { radius, pmf: (x) => Math.exp(-(x * x) / (2 * sigma2)) / z };
}

/** The smallest k ≥ 1 with P(|X| ≥ k) ≤ p. */
export function tailPoint(dist: IntegerPmf, p: number): number {
  let tail = 1 - dist.pmf(0);
  let k = 1;
  while (tail > p) {
    tail -= 2 * dist.pmf(k);
    k++;
  }
  return k;
}

/**
 * Every check of a symmetric integer sampler (six in all): chi-square fit, mean 0, variance, symmetry, and the
 * tail probabilities at the points where they fall to 1% and to 0.05%.
 */
export function checkDistribution(xs: Float64Array, dist: IntegerPmf): CheckResult[] {
  const { variance } = pmfMoments(dist);
  return [
    checkChiSquare(xs, dist),
    checkMean(xs, 0, variance),
    checkVariance(xs, dist),
    checkSymmetry(xs),
    checkTail(xs, dist, tailPoint(dist, 0.01)),
    checkTail(xs, dist, tailPoint(dist, 0.0005)),
  ];
}

/** `n` draws of an integer sampler, as doubles for the checks. */
export function draws(sample: () => bigint, n: number): Float64Array {
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = Number(sample());
  return xs;
}
