/**
 * What a fitted BG/NBD says about one customer (x repeat purchases, the last at t_x, observed for T), from
 * Fader, Hardie & Lee (2005) and its technical notes. x = t_x = T = 0 gives the unconditional forms (a
 * customer just acquired). Everything is computed in log space or guarded so that no result is NaN.
 */
import type { BgNbdParams } from "./bgnbd.js";
import { betaln, gammaln, hyp2f1, logAddExp, logSubExp } from "./special.js";

/** (a + b + x − 1)/(a − 1) has a pole at a = 1; the limit is continuous, so step off it. */
function offPole(a: number): number {
  return Math.abs(a - 1) < 1e-7 ? 1 + 1e-7 : a;
}

/** P(alive at T | x, t_x, T) = 1 / (1 + [x>0] a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)). */
export function pAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const logRatio =
    Math.log(p.a / (p.b + x - 1)) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
  return 1 / (1 + Math.exp(logRatio));
}

/** E[X(t)]: expected purchases in (0, t] of a customer just acquired. */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  return conditionalExpectedPurchases(p, t, 0, 0, 0);
}

/**
 * E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] —
 * (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] / (1 + [x>0] a/(b+x−1) ((α+T)/(α+t_x))^(r+x)).
 */
export function conditionalExpectedPurchases(
  p: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  if (t <= 0) return 0;
  const { r, alpha, b } = p;
  const a = offPole(p.a);
  const z = t / (alpha + T + t);
  const power = Math.exp((r + x) * Math.log((alpha + T) / (alpha + T + t)));
  const f = hyp2f1(r + x, b + x, a + b + x - 1, z);
  const value = ((a + b + x - 1) / (a - 1)) * (1 - power * f) * pAlive({ ...p, a }, x, tx, T);
  // ₂F₁ can lose accuracy for large x; the expectation is never negative.
  return Number.isFinite(value) ? Math.max(0, value) : 0;
}

/**
 * ln of the NBD-type term Γ(r+x+j)/(Γ(r+x) j!) · ((α+T)/(α+T+t))^(r+x) · (t/(α+T+t))^j: the probability
 * of j purchases in (T, T+t] for a customer alive throughout, λ integrated over its posterior.
 */
function logNbd(rx: number, j: number, logP0: number, logQ: number): number {
  const lead = gammaln(rx + j) - gammaln(rx) - gammaln(j + 1) + rx * logP0;
  return j === 0 ? lead : lead + j * logQ;
}

/**
 * P(Y(t) = n | x, t_x, T): the probability of exactly n purchases in the next t (with x = t_x = T = 0, the
 * unconditional P(X(t) = n)). Derived from the joint of the data and the future: alive at T and then n
 * purchases (the first term, NBD while alive, plus dying after the n-th), or already dead (n = 0 only).
 */
export function probabilityOfPurchases(p: BgNbdParams, n: number, t: number, x = 0, tx = 0, T = 0): number {
  const { r, alpha, a, b } = p;
  const rx = r + x;
  const logP0 = Math.log((alpha + T) / (alpha + T + t));
  const logQ = t > 0 ? Math.log(t / (alpha + T + t)) : Number.NEGATIVE_INFINITY;
  // Everything is relative to Γ(r+x) αʳ / (Γ(r) B(a,b) (α+T)^(r+x)), the factor shared by the data likelihood.
  const logAliveData = betaln(a, b + x);
  const logDeadData =
    x > 0
      ? betaln(a + 1, b + x - 1) + rx * (Math.log(alpha + T) - Math.log(alpha + tx))
      : Number.NEGATIVE_INFINITY;
  const logData = logAddExp(logAliveData, logDeadData);
  // Alive at T, n purchases, still alive or not at T+t: the NBD term with (1−p)^(x+n).
  let logJoint = betaln(a, b + x + n) + logNbd(rx, n, logP0, logQ);
  if (n > 0) {
    // Alive at T, made n purchases and dropped out after the n-th: (1 − P(fewer than n purchases)) p (1−p)^(x+n−1).
    let logCdf = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) logCdf = logAddExp(logCdf, logNbd(rx, j, logP0, logQ));
    logJoint = logAddExp(logJoint, betaln(a + 1, b + x + n - 1) + logSubExp(0, Math.min(0, logCdf)));
  } else {
    logJoint = logAddExp(logJoint, logDeadData);
  }
  const prob = Math.exp(logJoint - logData);
  return Number.isFinite(prob) ? Math.min(1, Math.max(0, prob)) : 0;
}
