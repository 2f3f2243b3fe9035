/**
 * Exact samplers of discrete noise, after Canonne, Kamath & Steinke, "The Discrete Gaussian for Differential
 * Privacy" (NeurIPS 2020, arXiv:2004.00010), Algorithms 1–3. Every parameter is a rational and every step is
 * integer arithmetic on uniform integers from a `RandomSource`: no floating point anywhere on the sampling path,
 * because floating-point noise has gaps and biases in its low bits that reveal the true value (Mironov,
 * "On Significance of the Least Significant Bits for Differential Privacy", CCS 2012).
 *
 * The samplers never see the true value, but their running time varies with the noise they draw (a larger
 * magnitude takes more rounds of the geometric loop): a timing side channel (Jin et al., "Are We There Yet?
 * Timing and Floating-Point Attacks on Differential Privacy Systems", IEEE S&P 2022). It is a few microseconds per
 * value; callers should release noisy values with the whole report, not one at a time as they are drawn.
 */
import { bernoulli, fairCoin, type RandomSource, uniformBelow, uniformBelowUint32 } from "./random.js";
import { type Rational, rational } from "./rational.js";

const WORD = 4294967296;
const WORD_N = 4294967296n;

/**
 * Bernoulli(exp(−γ)) for a rational γ = num/den ≥ 0 (CKS20 Algorithm 1).
 *
 * For γ ≤ 1: draw A_k ~ Bernoulli(γ/k) for k = 1, 2, … until the first failure at K; P(K > k) = γ^k/k!, so
 * P(K odd) = Σ_k (−γ)^k/k! = exp(−γ). For γ > 1: exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)), each factor a trial
 * of the first kind, stopping at the first failure (so the expected work stays O(1) for any γ).
 */
export function bernoulliExp(source: RandomSource, num: bigint, den: bigint): boolean {
  if (den < 1n || num < 0n) throw new RangeError(`bernoulliExp: γ must be a rational ≥ 0, got ${num}/${den}`);
  if (num <= den) return bernoulliExpAtMostOne(source, num, den);
  const whole = num / den;
  for (let k = 0n; k < whole; k++) if (!bernoulliExpMinusOne(source)) return false;
  return bernoulliExpAtMostOne(source, num % den, den);
}

function bernoulliExpAtMostOne(source: RandomSource, num: bigint, den: bigint): boolean {
  if (den <= WORD_N) return bernoulliExpSmall(source, Number(num), Number(den));
  let k = 1n;
  while (bernoulli(source, num, den * k)) k++;
  return k % 2n === 1n;
}

/**
 * The same for γ = num/den ≤ 1 with den ≤ 2^32, in plain numbers (integers below 2^53 are exact in a double):
 * while den·k fits in a word, Bernoulli(num/(den·k)) is a single draw, without allocating BigInts. This is the
 * samplers' inner loop.
 */
function bernoulliExpSmall(source: RandomSource, num: number, den: number): boolean {
  let k = 1;
  for (;;) {
    const d = den * k;
    if (d > WORD) break;
    if (uniformBelowUint32(source, d) >= num) return k % 2 === 1;
    k++;
  }
  // Reached only when γ^k/k! is astronomically small, but exact all the same.
  let kb = BigInt(k);
  while (bernoulli(source, BigInt(num), BigInt(den) * kb)) kb++;
  return kb % 2n === 1n;
}

/** Bernoulli(exp(−1)): the γ = 1 case, where Bernoulli(1/k) is a uniform draw below k hitting 0. */
function bernoulliExpMinusOne(source: RandomSource): boolean {
  let k = 1;
  while (uniformBelowUint32(source, k) === 0) k++;
  return k % 2 === 1;
}

/**
 * Discrete Laplace with scale t = num/den > 0: P(x) = (e^{1/t} − 1)/(e^{1/t} + 1) · e^{−|x|/t} for every integer
 * x (CKS20 Algorithm 2, with their s = den and t = num).
 *
 * A geometric G with P(G = g) ∝ e^{−g·den/num} is built as ⌊(U + num·V)/den⌋, where U is uniform below num kept
 * with probability e^{−U/num} and V counts successes of Bernoulli(e^{−1}); a fair sign then makes it two-sided,
 * rejecting "−0" so that 0 is not counted twice.
 */
export function sampleDiscreteLaplace(source: RandomSource, scale: Rational): bigint {
  return discreteLaplaceSampler(scale)(source);
}

/** A sampler of the discrete Laplace with this scale, for many draws (one per cell of a report). */
export function discreteLaplaceSampler(scale: Rational): (source: RandomSource) => bigint {
  if (scale.num <= 0n || scale.den <= 0n)
    throw new RangeError("discreteLaplaceSampler: the scale must be positive");
  const t = scale.num;
  const s = scale.den;
  // A scale numerator within a word (as for most ε) keeps U and its trial in plain numbers, without BigInts.
  const small = t <= WORD_N ? Number(t) : 0;
  return (source) => {
    for (;;) {
      let u: bigint;
      if (small > 0) {
        const w = uniformBelowUint32(source, small);
        if (!bernoulliExpSmall(source, w, small)) continue;
        u = BigInt(w);
      } else {
        u = uniformBelow(source, t);
        if (!bernoulliExp(source, u, t)) continue;
      }
      let v = 0n;
      while (bernoulliExpMinusOne(source)) v++;
      const magnitude = (u + t * v) / s;
      const negative = fairCoin(source);
      if (negative && magnitude === 0n) continue;
      return negative ? -magnitude : magnitude;
    }
  };
}

/** ⌊√n⌋ for an integer n ≥ 0, by Newton's iteration on integers (exact; no Math.sqrt). */
export function floorSqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError("floorSqrt: negative");
  if (n < 2n) return n;
  // Start above the root (2^⌈bits/2⌉ ≥ √n); from there Newton's step decreases monotonically to ⌊√n⌋.
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Discrete Gaussian with variance parameter σ² = num/den > 0: P(x) ∝ exp(−x²/(2σ²)) for every integer x
 * (CKS20 Algorithm 3).
 *
 * Rejection from the discrete Laplace with integer scale t = ⌊σ⌋ + 1: a candidate Y is kept with probability
 * exp(−(|Y| − σ²/t)²/(2σ²)), which in integers is exp(−(|Y|·den·t − num)² / (2·num·den·t²)). CKS20 show the
 * acceptance rate is bounded below by a constant for every σ, so the expected work is O(1).
 */
export function sampleDiscreteGaussian(source: RandomSource, sigma2: Rational): bigint {
  return discreteGaussianSampler(sigma2)(source);
}

/** A sampler of the discrete Gaussian with this σ², for many draws (one per cell of a report). */
export function discreteGaussianSampler(sigma2: Rational): (source: RandomSource) => bigint {
  if (sigma2.num <= 0n || sigma2.den <= 0n)
    throw new RangeError("discreteGaussianSampler: σ² must be positive");
  const n = sigma2.num;
  const d = sigma2.den;
  // ⌊σ⌋ = ⌊√(n/d)⌋ = ⌊√⌊n/d⌋⌋, since m² ≤ n/d exactly when m² ≤ ⌊n/d⌋ for an integer m.
  const t = floorSqrt(n / d) + 1n;
  const laplace = discreteLaplaceSampler(rational(t));
  const biasDen = 2n * n * d * t * t;
  return (source) => {
    for (;;) {
      const y = laplace(source);
      const offset = (y < 0n ? -y : y) * d * t - n;
      if (bernoulliExp(source, offset * offset, biasDen)) return y;
    }
  };
}
