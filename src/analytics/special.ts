/**
 * The special functions the customer-value models need, from @stdlib (well-kept ports of Cephes and Boost),
 * plus the few log-space helpers that keep likelihoods finite where plain products would underflow.
 */
import betalnImpl from "@stdlib/math-base-special-betaln";
import digammaImpl from "@stdlib/math-base-special-digamma";
import gammalnImpl from "@stdlib/math-base-special-gammaln";
import hyp2f1Impl from "@stdlib/math-base-special-hyp2f1";

/** ln Γ(x). */
export const gammaln: (x: number) => number = gammalnImpl;
/** ln B(a, b). */
export const betaln: (a: number, b: number) => number = betalnImpl;
/** ψ(x), the derivative of ln Γ. */
export const digamma: (x: number) => number = digammaImpl;
/** The Gaussian hypergeometric function ₂F₁(a, b; c; z). */
export const hyp2f1: (a: number, b: number, c: number, z: number) => number = hyp2f1Impl;

/** ln(eᵃ + eᵇ) without overflow or underflow. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** ln(eᵃ − eᵇ) for a ≥ b (−∞ when they are equal). */
export function logSubExp(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (b >= a) return Number.NEGATIVE_INFINITY;
  return a + Math.log1p(-Math.exp(b - a));
}
