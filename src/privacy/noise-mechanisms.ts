/**
 * Differentially private counts and sums: the true integer plus exact discrete noise (`discrete-noise.ts`),
 * calibrated to the sensitivity and to ε (pure DP, discrete Laplace) or ρ (zero-concentrated DP, discrete
 * Gaussian).
 *
 * Neighbouring data sets differ by adding or removing one person. So a count has sensitivity 1, provided each
 * person is counted at most once, and a sum has sensitivity `bound`, provided each person contributes ONE value
 * (their own total, summed per person before it gets here) clamped to [−bound, bound].
 *
 * Everything released is a post-processing of the exact noisy integer, so callers may clamp a noisy count at 0,
 * divide a sum of cents by 100 or round for display without spending more budget.
 */
import { UserError } from "../errors.js";
import { sampleDiscreteGaussian, sampleDiscreteLaplace } from "./discrete-noise.js";
import { type RandomSource, secureRandom } from "./random.js";
import { compare, divide, fromNumber, multiply, type Rational, rational } from "./rational.js";

export type PrivacyUnit = "epsilon" | "rho";

/** What a release spends from a budget: exactly the parameter its noise was calibrated for. */
export interface PrivacyCost {
  readonly unit: PrivacyUnit;
  readonly amount: Rational;
}

export interface NoisyRelease {
  /** The true integer plus the noise (a double only once it exceeds 2^53, by rounding: post-processing). */
  readonly value: number;
  readonly mechanism: "discrete-laplace" | "discrete-gaussian";
  /** The discrete Laplace's scale (sensitivity/ε) or the discrete Gaussian's σ² (sensitivity²/(2ρ)). */
  readonly noise: Rational;
  readonly sensitivity: number;
  readonly cost: PrivacyCost;
}

/**
 * The accepted ranges. Below the minimum the noise drowns any answer (a count's noise would be in the millions);
 * above the maximum a release gives no meaningful protection (ε = 100 lets an observer's odds move by e^100).
 */
export const PARAMETER_RANGES: Readonly<Record<PrivacyUnit, { readonly min: number; readonly max: number }>> =
  {
    epsilon: { min: 1e-6, max: 100 },
    rho: { min: 1e-9, max: 100 },
  };

/**
 * ε or ρ as an exact rational, checked. A number is read as the decimal it prints as (`fromNumber`), which is the
 * value a person typed: 0.1 is exactly 1/10. The noise is then derived from that rational with no rounding at all
 * (a Laplace scale of sensitivity/ε exactly, not a double near it that might be a little smaller), and the budget
 * is charged the same rational, so the noise is never smaller than the privacy spent implies. A caller splitting
 * a budget can pass a rational (1/3) to avoid even the decimal's last-digit rounding.
 */
export function privacyParameter(value: number | Rational, unit: PrivacyUnit): Rational {
  const { min, max } = PARAMETER_RANGES[unit];
  const range = `from ${min} to ${max}`;
  if (typeof value !== "number" && (typeof value !== "object" || value === null)) {
    throw new UserError("bad-privacy-parameter", `must be a number ${range}, got ${String(value)}`, unit);
  }
  if (typeof value === "number") {
    if (Number.isNaN(value))
      throw new UserError("bad-privacy-parameter", `must be a number ${range}, got NaN`, unit);
    if (!Number.isFinite(value)) {
      throw new UserError("bad-privacy-parameter", `must be a finite number ${range}, got ${value}`, unit);
    }
  }
  const r = typeof value === "number" ? fromNumber(value) : rational(value.num, value.den);
  const shown = typeof value === "number" ? String(value) : `${r.num}/${r.den}`;
  if (r.num <= 0n) {
    throw new UserError("bad-privacy-parameter", `must be greater than 0 (${range}), got ${shown}`, unit);
  }
  if (compare(r, fromNumber(min)) < 0) {
    throw new UserError(
      "bad-privacy-parameter",
      `${shown} is below ${min}: the noise would drown any answer (${range})`,
      unit,
    );
  }
  if (compare(r, fromNumber(max)) > 0) {
    throw new UserError(
      "bad-privacy-parameter",
      `${shown} is above ${max}: it would give no meaningful privacy (${range})`,
      unit,
    );
  }
  return r;
}

/** A per-person bound on a sum's contributions: a whole number ≥ 1, in the values' own (integer) unit. */
function checkBound(bound: number): bigint {
  if (!Number.isSafeInteger(bound) || bound < 1) {
    throw new UserError(
      "bad-privacy-parameter",
      `must be a whole number of at least 1, got ${bound}`,
      "bound",
    );
  }
  return BigInt(bound);
}

/**
 * Releases `trueValue` with discrete Laplace noise of scale sensitivity/ε: ε-differentially private for a query
 * whose value moves by at most `sensitivity` when one person is added or removed.
 */
export function laplaceMechanism(
  trueValue: bigint,
  sensitivity: bigint,
  epsilon: number | Rational,
  source: RandomSource = secureRandom,
): NoisyRelease {
  const eps = privacyParameter(epsilon, "epsilon");
  const scale = divide(rational(sensitivity), eps);
  return {
    value: Number(trueValue + sampleDiscreteLaplace(source, scale)),
    mechanism: "discrete-laplace",
    noise: scale,
    sensitivity: Number(sensitivity),
    cost: { unit: "epsilon", amount: eps },
  };
}

/**
 * Releases `trueValue` with discrete Gaussian noise of σ² = sensitivity²/(2ρ): ρ-zCDP for a query whose value
 * moves by at most `sensitivity` (CKS20 prove the discrete Gaussian keeps the continuous one's guarantee).
 * Composes more gently than ε over many queries.
 */
export function gaussianMechanism(
  trueValue: bigint,
  sensitivity: bigint,
  rho: number | Rational,
  source: RandomSource = secureRandom,
): NoisyRelease {
  const r = privacyParameter(rho, "rho");
  const sigma2 = divide(rational(sensitivity * sensitivity), multiply(rational(2), r));
  return {
    value: Number(trueValue + sampleDiscreteGaussian(source, sigma2)),
    mechanism: "discrete-gaussian",
    noise: sigma2,
    sensitivity: Number(sensitivity),
    cost: { unit: "rho", amount: r },
  };
}

function checkCount(trueCount: number): bigint {
  // A wrong count is the caller's bug, not something a user can fix.
  if (!Number.isSafeInteger(trueCount) || trueCount < 0) throw new RangeError(`not a count: ${trueCount}`);
  return BigInt(trueCount);
}

/**
 * The sum of per-person values, each clamped to [−bound, bound]. Values must be whole numbers: money is summed in
 * minor units (cents, via `toMinorUnits`) and the noisy total divided back for display.
 */
export function clampedSum(values: Iterable<number>, bound: number): bigint {
  const b = checkBound(bound);
  let sum = 0n;
  for (const v of values) {
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(`noisy sums take whole numbers (money in cents: toMinorUnits), got ${v}`);
    }
    const x = BigInt(v);
    sum += x > b ? b : x < -b ? -b : x;
  }
  return sum;
}

/** A count (each person counted at most once) with discrete Laplace noise of scale 1/ε: ε-DP. */
export function noisyCount(
  trueCount: number,
  epsilon: number | Rational,
  source?: RandomSource,
): NoisyRelease {
  return laplaceMechanism(checkCount(trueCount), 1n, epsilon, source);
}

/**
 * A sum of one value per person, each clamped to [−bound, bound], with discrete Laplace noise of scale bound/ε:
 * ε-DP. `bound` is a setting chosen without looking at the data (choosing it from the data would leak).
 */
export function noisySum(
  values: Iterable<number>,
  bound: number,
  epsilon: number | Rational,
  source?: RandomSource,
): NoisyRelease {
  return laplaceMechanism(clampedSum(values, bound), checkBound(bound), epsilon, source);
}

/** A count with discrete Gaussian noise of σ² = 1/(2ρ): ρ-zCDP. */
export function noisyCountZcdp(
  trueCount: number,
  rho: number | Rational,
  source?: RandomSource,
): NoisyRelease {
  return gaussianMechanism(checkCount(trueCount), 1n, rho, source);
}

/** A clamped per-person sum with discrete Gaussian noise of σ² = bound²/(2ρ): ρ-zCDP. */
export function noisySumZcdp(
  values: Iterable<number>,
  bound: number,
  rho: number | Rational,
  source?: RandomSource,
): NoisyRelease {
  return gaussianMechanism(clampedSum(values, bound), checkBound(bound), rho, source);
}

/**
 * An amount in whole minor units (cents for `decimals` = 2), rounded half away from zero on the amount's decimal
 * reading, so 1.005 gives 101 cents where `Math.round(1.005 * 100)` gives 100. Applied to each person's own value
 * before the sum, it changes nobody's contribution by more than half a cent and keeps the sensitivity at `bound`.
 */
export function toMinorUnits(amount: number, decimals = 2): number {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 12)
    throw new RangeError(`bad decimals ${decimals}`);
  const scaled = multiply(fromNumber(amount), rational(10n ** BigInt(decimals)));
  const magnitude = ((scaled.num < 0n ? -scaled.num : scaled.num) * 2n + scaled.den) / (2n * scaled.den);
  return Number(scaled.num < 0n ? -magnitude : magnitude);
}
