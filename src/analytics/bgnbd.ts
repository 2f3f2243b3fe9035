/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a customer buys at
 * rate λ ~ Gamma(r, α); after each repeat purchase they drop out with probability p ~ Beta(a, b). Fitted by
 * maximum likelihood on log-parameters with BFGS and the analytic gradient.
 *
 * The likelihood of one customer with x repeat purchases, the last at t_x, observed for T:
 *   L = Γ(r+x) αʳ / Γ(r) · [ B(a, b+x)/B(a,b) · (α+T)^−(r+x) + [x>0] B(a+1, b+x−1)/B(a,b) · (α+t_x)^−(r+x) ]
 * is evaluated in log space (the bracket with logAddExp), and summed over distinct (x, t_x, T) weighted by
 * their count: terms that depend on x alone are computed once per distinct x, and ln(α+t) once per distinct
 * time, so an evaluation costs a few flops per tuple.
 */
import { UserError } from "../errors.js";
import { minimizeBfgs, minimizeNelderMead } from "./optimize.js";
import { type Indexed, indexValues, type PurchaseTuples, totalCount } from "./purchase-tuples.js";
import { betaln, digamma, gammaln, logAddExp } from "./special.js";

/** BG/NBD parameters: λ ~ Gamma(shape r, rate α), p ~ Beta(a, b). */
export interface BgNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

export interface BgNbdFit {
  readonly params: BgNbdParams;
  /** The maximised log-likelihood (sum over customers). */
  readonly logLikelihood: number;
  readonly customers: number;
  /** Distinct (x, t_x, T) tuples the likelihood was summed over. */
  readonly tuples: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly warnings: string[];
}

/** Prepared data: tuples with x-groups and time indexes. */
interface Prepared {
  readonly count: Float64Array;
  readonly xs: Float64Array;
  readonly xIndex: Int32Array;
  readonly T: Indexed;
  readonly tx: Indexed;
  readonly n: number;
}

function prepare(t: PurchaseTuples): Prepared {
  const xi = indexValues(t.x);
  return {
    count: t.count,
    xs: xi.values,
    xIndex: xi.index,
    T: indexValues(t.T),
    tx: indexValues(t.tx),
    n: totalCount(t.count),
  };
}

/**
 * The log-likelihood of the tuples and, when `grad` is given, its gradient with respect to
 * (ln r, ln α, ln a, ln b).
 */
function logLikelihood(d: Prepared, p: BgNbdParams, grad?: Float64Array): number {
  const { r, alpha, a, b } = p;
  const nx = d.xs.length;
  // Per distinct x: the parts of the likelihood and gradient that depend on x and the parameters only.
  const base = new Float64Array(nx);
  const logBa = new Float64Array(nx);
  const logBb = new Float64Array(nx);
  const lnBab = betaln(a, b);
  for (let k = 0; k < nx; k++) {
    const x = d.xs[k] as number;
    base[k] = gammaln(r + x) - gammaln(r) + r * Math.log(alpha) - lnBab;
    logBa[k] = betaln(a, b + x);
    logBb[k] = x > 0 ? betaln(a + 1, b + x - 1) : Number.NEGATIVE_INFINITY;
  }
  const lnT = d.T.values.map((v) => Math.log(alpha + v));
  const lnTx = d.tx.values.map((v) => Math.log(alpha + v));
  const count = d.count;
  const m = count.length;
  let ll = 0;
  // Gradient accumulators: per x, Σw and Σw·πA; globally the time terms.
  const sw = grad ? new Float64Array(nx) : undefined;
  const swA = grad ? new Float64Array(nx) : undefined;
  let sLog = 0; // Σ w (πA ln(α+T) + πB ln(α+t_x))
  let sInv = 0; // Σ w (r+x) (πA/(α+T) + πB/(α+t_x))
  for (let i = 0; i < m; i++) {
    const k = d.xIndex[i] as number;
    const x = d.xs[k] as number;
    const w = count[i] as number;
    const lt = lnT[d.T.index[i] as number] as number;
    const A = (logBa[k] as number) - (r + x) * lt;
    if (x > 0) {
      const ltx = lnTx[d.tx.index[i] as number] as number;
      const B = (logBb[k] as number) - (r + x) * ltx;
      ll += w * ((base[k] as number) + logAddExp(A, B));
      if (sw && swA) {
        const piA = 1 / (1 + Math.exp(B - A));
        const piB = 1 - piA;
        sw[k] = (sw[k] as number) + w;
        swA[k] = (swA[k] as number) + w * piA;
        sLog += w * (piA * lt + piB * ltx);
        sInv += w * (r + x) * (piA * Math.exp(-lt) + piB * Math.exp(-ltx));
      }
    } else {
      ll += w * ((base[k] as number) + A);
      if (sw && swA) {
        sw[k] = (sw[k] as number) + w;
        swA[k] = (swA[k] as number) + w;
        sLog += w * lt;
        sInv += w * r * Math.exp(-lt);
      }
    }
  }
  if (grad && sw && swA) {
    let dr = 0;
    let da = 0;
    let db = 0;
    const psiR = digamma(r);
    const psiA = digamma(a);
    const psiA1 = digamma(a + 1);
    const psiB = digamma(b);
    const psiAB = digamma(a + b);
    for (let k = 0; k < nx; k++) {
      const x = d.xs[k] as number;
      const wk = sw[k] as number;
      const wA = swA[k] as number;
      const wB = wk - wA;
      const psiABx = digamma(a + b + x);
      dr += wk * (digamma(r + x) - psiR);
      da += wA * (psiA - psiABx) + wB * (psiA1 - psiABx) - wk * (psiA - psiAB);
      const psiBx = digamma(b + x);
      const psiBx1 = x > 0 ? digamma(b + x - 1) : 0;
      db += wA * (psiBx - psiABx) + wB * (psiBx1 - psiABx) - wk * (psiB - psiAB);
    }
    dr += d.n * Math.log(alpha) - sLog;
    const dalpha = (d.n * r) / alpha - sInv;
    grad[0] = r * dr;
    grad[1] = alpha * dalpha;
    grad[2] = a * da;
    grad[3] = b * db;
  }
  return ll;
}

/** The BG/NBD log-likelihood of the tuples at the given parameters (summed over customers). */
export function bgnbdLogLikelihood(tuples: PurchaseTuples, params: BgNbdParams): number {
  return logLikelihood(prepare(tuples), params);
}

/** The gradient of the log-likelihood with respect to the log-parameters (tests check it numerically). */
export function bgnbdGradient(tuples: PurchaseTuples, params: BgNbdParams): Float64Array {
  const g = new Float64Array(4);
  logLikelihood(prepare(tuples), params, g);
  return g;
}

const toParams = (v: Float64Array): BgNbdParams => ({
  r: Math.exp(v[0] as number),
  alpha: Math.exp(v[1] as number),
  a: Math.exp(v[2] as number),
  b: Math.exp(v[3] as number),
});

/**
 * Fits BG/NBD by maximum likelihood. Data that cannot identify the model (no customers, nobody with a repeat
 * purchase, no observation time) is a UserError; parameters that run off to a boundary give a warning.
 */
export function fitBgNbd(tuples: PurchaseTuples): BgNbdFit {
  const d = prepare(tuples);
  checkIdentifiable(tuples, d.n);
  // The objective is the mean negative log-likelihood, so tolerances do not depend on the number of customers.
  const objective = (v: Float64Array, g: Float64Array) => {
    const ll = logLikelihood(d, toParams(v), g);
    for (let i = 0; i < 4; i++) g[i] = -(g[i] as number) / d.n;
    return -ll / d.n;
  };
  let meanT = 0;
  for (let i = 0; i < tuples.T.length; i++) meanT += (tuples.T[i] as number) * (tuples.count[i] as number);
  meanT /= d.n;
  // Start: mean purchase rate one per T/10, moderate dropout.
  const start = Float64Array.from([0, Math.log(Math.max(meanT / 10, 1e-3)), 0, 0]);
  let best = minimizeBfgs(objective, start, { maxIterations: 500 });
  let iterations = best.iterations;
  if (!best.converged) {
    // A flat or curved valley can stall BFGS: Nelder–Mead walks out of it, then BFGS polishes.
    const nm = minimizeNelderMead((v) => objective(v, new Float64Array(4)), best.x, { maxEvaluations: 4000 });
    const polished = minimizeBfgs(objective, nm.x, { maxIterations: 500 });
    iterations += nm.iterations + polished.iterations;
    if (polished.value <= best.value) best = polished;
  }
  const params = toParams(best.x);
  const warnings: string[] = [];
  if (!best.converged)
    warnings.push("BG/NBD: the optimiser stopped before the gradient vanished; the fit may be imprecise");
  for (const [name, value] of Object.entries(params)) {
    if (value > 1e5 || value < 1e-5)
      warnings.push(
        `BG/NBD: ${name} = ${value.toPrecision(3)} ran to a boundary: the data barely identify it`,
      );
  }
  return {
    params,
    logLikelihood: -best.value * d.n,
    customers: d.n,
    tuples: tuples.count.length,
    iterations,
    converged: best.converged,
    warnings,
  };
}

function checkIdentifiable(t: PurchaseTuples, n: number): void {
  if (n < 2)
    throw new UserError("too-few-customers", `BG/NBD needs at least 2 customers with a purchase; found ${n}`);
  let repeaters = 0;
  let observed = 0;
  for (let i = 0; i < t.x.length; i++) {
    if ((t.x[i] as number) > 0) repeaters += t.count[i] as number;
    if ((t.T[i] as number) > 0) observed += t.count[i] as number;
  }
  if (repeaters === 0)
    throw new UserError(
      "no-repeat-purchases",
      "no customer bought on more than one day before the calibration end: BG/NBD learns the purchase rate from repeat purchases",
    );
  if (observed === 0)
    throw new UserError(
      "no-observation-time",
      "every customer's first purchase is on the calibration end: there is no time to observe them",
    );
}
