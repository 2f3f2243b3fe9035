/**
 * The allocation of a total budget across segments that maximises the expected return Σ rₛ(xₛ) under
 * Σ xₛ = total and minₛ ≤ xₛ ≤ maxₛ (issue 19, item 4), for concave curves (response-curves.ts: each rₛ is
 * a·(1 − e^(−x/b)) in units of return).
 *
 * Equal marginal return (the KKT conditions of a concave maximisation under one linear constraint and box
 * bounds): there is a λ such that every segment strictly inside its bounds has rₛ'(xₛ) = λ, a segment at its
 * minimum has rₛ'(minₛ) ≤ λ and one at its maximum rₛ'(maxₛ) ≥ λ. Each xₛ(λ) = clip(rₛ'⁻¹(λ), minₛ, maxₛ) is
 * continuous and non-increasing in λ, so their sum meets the total at a λ found by bisection ("water-filling");
 * the few units of rounding left are then taken from the segments inside their bounds, so the total is met
 * exactly. When even every segment at its maximum spends less than the total (or every segment with any response
 * is at its maximum), the rest is left unallocated and said, never spent for nothing.
 */
import { UserError } from "../errors.js";
import { type ExponentialCurve, marginalAt, responseAt } from "./response-curves.js";

/** One segment to plan: its curve (in units of return) and its bounds (max: Infinity when unbounded). */
export interface AllocationItem {
  readonly curve: ExponentialCurve;
  readonly min: number;
  readonly max: number;
}

/** Why a segment got what it got. */
export type AllocationStatus =
  /** Inside its bounds: its marginal return equals λ. */
  | "equal-marginal"
  /** Held at its minimum: its marginal return there is below λ (0 when the minimum is 0: it got nothing). */
  | "at-min"
  /** Held at its maximum: its marginal return there is still above λ. */
  | "at-max"
  /** No response at all (a = 0): its minimum, nothing more. */
  | "no-response";

export interface Allocation {
  /** Spend per segment, in the items' order. */
  readonly spend: Float64Array;
  readonly status: AllocationStatus[];
  /** The marginal return shared by segments inside their bounds (null when none is: every one at a bound). */
  readonly lambda: number | null;
  /** The total less what was allocated: > 0 only when the bounds or the curves cannot take more. */
  readonly unallocated: number;
}

/** Relative tolerance on the total: the allocation sums to it within this (and floating point). */
const EXACT = 1e-12;

/** Checks the total and bounds; a bad one is a user error naming the field. */
function check(items: readonly AllocationItem[], total: number): void {
  if (!Number.isFinite(total) || total <= 0)
    throw new UserError("bad-total", `the total budget must be a positive number, got ${total}`, "total");
  if (items.length === 0) throw new UserError("no-segments", "nothing to plan: no segments", "by");
  let minSum = 0;
  for (const [i, it] of items.entries()) {
    if (!(it.min >= 0) || !(it.max >= it.min) || !Number.isFinite(it.min))
      throw new UserError(
        "bad-bounds",
        `bounds must satisfy 0 ≤ min ≤ max, got [${it.min}, ${it.max}]`,
        `bounds[${i}]`,
      );
    minSum += it.min;
  }
  if (minSum > total * (1 + EXACT))
    throw new UserError(
      "bounds-infeasible",
      `the minimums add up to ${minSum}, more than the total ${total}`,
      "bounds",
    );
}

/**
 * Spend of each item at λ = e^lnλ, clipped to its bounds (an item with no response stays at its minimum). In
 * logarithms: far past saturation λ is below the smallest double (e^−2000), where b·(ln(a/b) − ln λ) is not.
 */
function spendAt(items: readonly AllocationItem[], lnLambda: number, out: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as AllocationItem;
    const { a, b } = it.curve;
    const free = Math.max(0, b * (Math.log(a / b) - lnLambda));
    const x = a > 0 ? Math.min(it.max, Math.max(it.min, free)) : it.min;
    out[i] = x;
    sum += x;
  }
  return sum;
}

/**
 * The allocation maximising Σ rₛ(xₛ) with Σ xₛ = total within the bounds (see the module comment). Deterministic;
 * refuses a total that is not a positive number and minimums that add up to more than the total.
 */
export function allocate(items: readonly AllocationItem[], total: number): Allocation {
  check(items, total);
  const n = items.length;
  const spend = new Float64Array(n);
  // Where the curves can take no more: every segment with a response at its maximum, the others at their minimum.
  let ceiling = 0;
  for (const it of items) ceiling += it.curve.a > 0 ? it.max : it.min;
  if (ceiling <= total) {
    for (let i = 0; i < n; i++) {
      const it = items[i] as AllocationItem;
      spend[i] = it.curve.a > 0 ? it.max : it.min;
    }
    return { spend, status: statuses(items, spend, null), lambda: null, unallocated: total - ceiling };
  }
  // λ above every first-unit marginal: all at their minimums (≤ total). Below: the sum grows without bound or to
  // the ceiling (> total). Bisection on ln λ.
  let hi = Number.NEGATIVE_INFINITY;
  for (const it of items)
    if (it.curve.a > 0) hi = Math.max(hi, Math.log(it.curve.a / it.curve.b) - it.min / it.curve.b);
  hi += 1;
  let lo = hi - 1;
  const tmp = new Float64Array(n);
  for (let step = 1; spendAt(items, lo, tmp) < total; step *= 2) lo -= step;
  for (let k = 0; k < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); k++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (spendAt(items, mid, tmp) >= total) lo = mid;
    else hi = mid;
  }
  // At λ = lo the sum is at least the total: take the excess from the segments inside their bounds, in proportion
  // to b (how fast each one's spend moves with ln λ), which keeps their marginals equal to first order.
  let sum = spendAt(items, lo, spend);
  let excess = sum - total;
  for (let pass = 0; pass < 3 && excess > total * EXACT; pass++) {
    let weight = 0;
    for (let i = 0; i < n; i++) {
      const it = items[i] as AllocationItem;
      if ((spend[i] as number) > it.min) weight += it.curve.b;
    }
    if (weight === 0) break;
    for (let i = 0; i < n; i++) {
      const it = items[i] as AllocationItem;
      const x = spend[i] as number;
      if (x > it.min) spend[i] = Math.max(it.min, x - (excess * it.curve.b) / weight);
    }
    sum = spend.reduce((a, b) => a + b, 0);
    excess = sum - total;
  }
  const lambda = Math.exp(lo);
  const status = statuses(items, spend, lambda);
  return { spend, status, lambda: status.includes("equal-marginal") ? lambda : null, unallocated: 0 };
}

function statuses(
  items: readonly AllocationItem[],
  spend: Float64Array,
  lambda: number | null,
): AllocationStatus[] {
  return items.map((it, i) => {
    const x = spend[i] as number;
    if (it.curve.a <= 0) return "no-response";
    const tol = 1e-9 * Math.max(1, it.max === Number.POSITIVE_INFINITY ? x : it.max);
    if (x <= it.min + tol && (lambda === null || marginalAt(it.curve, it.min) <= lambda * (1 + 1e-9)))
      return "at-min";
    if (x >= it.max - tol) return "at-max";
    return "equal-marginal";
  });
}

/** The expected return Σ rₛ(xₛ) of a spend vector: the objective. */
export function expectedReturn(items: readonly AllocationItem[], spend: ArrayLike<number>): number {
  let r = 0;
  for (let i = 0; i < items.length; i++)
    r += responseAt((items[i] as AllocationItem).curve, spend[i] as number);
  return r;
}
