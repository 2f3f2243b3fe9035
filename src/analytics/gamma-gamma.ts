/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves"; Fader & Hardie's
 * note 025): each repeat transaction's value z ~ Gamma(p, ν), the customer's ν ~ Gamma(q, v). For a customer
 * with x repeat transactions of mean z̄ the marginal density of z̄ is
 *   Γ(px+q) / (Γ(px) Γ(q)) · v^q · x^(px) · z̄^(px−1) / (v + x z̄)^(px+q).
 * Fitted by maximum likelihood on (ln p, ln q, ln v) with BFGS and the analytic gradient; terms that depend on
 * x alone are computed once per distinct x.
 */
import { UserError } from "../errors.js";
import { minimizeBfgs, minimizeNelderMead } from "./optimize.js";
import { indexValues, type SpendTuples, totalCount } from "./purchase-tuples.js";
import { digamma, gammaln } from "./special.js";

export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  readonly v: number;
}

export interface GammaGammaFit {
  readonly params: GammaGammaParams;
  readonly logLikelihood: number;
  /** Customers the model was fitted on (x ≥ 1 and z̄ > 0). */
  readonly customers: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly warnings: string[];
}

function logLikelihood(
  t: SpendTuples,
  xs: Float64Array,
  xIndex: Int32Array,
  g: GammaGammaParams,
  grad?: Float64Array,
): number {
  const { p, q, v } = g;
  const nx = xs.length;
  const base = new Float64Array(nx);
  for (let k = 0; k < nx; k++) {
    const x = xs[k] as number;
    base[k] = gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * Math.log(v) + p * x * Math.log(x);
  }
  // Per x: Σw, Σw ln z̄, Σw ln(v + x z̄), Σw/(v + x z̄).
  const sw = new Float64Array(nx);
  const sLogZ = new Float64Array(nx);
  const sLogD = new Float64Array(nx);
  const sInvD = new Float64Array(nx);
  for (let i = 0; i < t.count.length; i++) {
    const k = xIndex[i] as number;
    const x = xs[k] as number;
    const w = t.count[i] as number;
    const z = t.mean[i] as number;
    const den = v + x * z;
    sw[k] = (sw[k] as number) + w;
    sLogZ[k] = (sLogZ[k] as number) + w * Math.log(z);
    sLogD[k] = (sLogD[k] as number) + w * Math.log(den);
    sInvD[k] = (sInvD[k] as number) + w / den;
  }
  let ll = 0;
  let dp = 0;
  let dq = 0;
  let dv = 0;
  const psiQ = digamma(q);
  for (let k = 0; k < nx; k++) {
    const x = xs[k] as number;
    const w = sw[k] as number;
    ll += w * (base[k] as number) + (p * x - 1) * (sLogZ[k] as number) - (p * x + q) * (sLogD[k] as number);
    if (grad) {
      const psiSum = digamma(p * x + q);
      dp += x * (w * (psiSum - digamma(p * x) + Math.log(x)) + (sLogZ[k] as number) - (sLogD[k] as number));
      dq += w * (psiSum - psiQ + Math.log(v)) - (sLogD[k] as number);
      dv += (w * q) / v - (p * x + q) * (sInvD[k] as number);
    }
  }
  if (grad) {
    grad[0] = p * dp;
    grad[1] = q * dq;
    grad[2] = v * dv;
  }
  return ll;
}

/** The Gamma-Gamma log-likelihood of the spend tuples (summed over customers). */
export function gammaGammaLogLikelihood(t: SpendTuples, params: GammaGammaParams): number {
  const xi = indexValues(t.x);
  return logLikelihood(t, xi.values, xi.index, params);
}

/** Gradient with respect to (ln p, ln q, ln v). */
export function gammaGammaGradient(t: SpendTuples, params: GammaGammaParams): Float64Array {
  const xi = indexValues(t.x);
  const g = new Float64Array(3);
  logLikelihood(t, xi.values, xi.index, params, g);
  return g;
}

const toParams = (v: Float64Array): GammaGammaParams => ({
  p: Math.exp(v[0] as number),
  q: Math.exp(v[1] as number),
  v: Math.exp(v[2] as number),
});

/** Fits Gamma-Gamma on customers with at least one repeat purchase and a positive mean spend. */
export function fitGammaGamma(t: SpendTuples): GammaGammaFit {
  const n = totalCount(t.count);
  if (n < 2)
    throw new UserError(
      "too-few-repeat-customers",
      `Gamma-Gamma needs at least 2 customers with a repeat purchase of positive value; found ${n}`,
    );
  const xi = indexValues(t.x);
  let meanZ = 0;
  let first = Number.NaN;
  let varies = false;
  for (let i = 0; i < t.mean.length; i++) {
    const z = t.mean[i] as number;
    meanZ += (t.count[i] as number) * z;
    if (Number.isNaN(first)) first = z;
    else if (z !== first) varies = true;
  }
  meanZ /= n;
  if (!varies)
    throw new UserError(
      "constant-spend",
      "every repeat customer has the same mean spend: Gamma-Gamma cannot tell customers' spend apart",
    );
  const objective = (v: Float64Array, g: Float64Array) => {
    const ll = logLikelihood(t, xi.values, xi.index, toParams(v), g);
    for (let i = 0; i < 3; i++) g[i] = -(g[i] as number) / n;
    return -ll / n;
  };
  // Start where the population mean spend p·v/(q−1) equals the observed mean.
  const start = Float64Array.from([0, Math.log(2), Math.log(meanZ)]);
  let best = minimizeBfgs(objective, start, { maxIterations: 500 });
  let iterations = best.iterations;
  if (!best.converged) {
    const nm = minimizeNelderMead((v) => objective(v, new Float64Array(3)), best.x, { maxEvaluations: 4000 });
    const polished = minimizeBfgs(objective, nm.x, { maxIterations: 500 });
    iterations += nm.iterations + polished.iterations;
    if (polished.value <= best.value) best = polished;
  }
  const params = toParams(best.x);
  const warnings: string[] = [];
  if (!best.converged) warnings.push("Gamma-Gamma: the optimiser stopped before the gradient vanished");
  if (params.q <= 1)
    warnings.push(
      `Gamma-Gamma: q = ${params.q.toPrecision(3)} ≤ 1, so the population mean spend is infinite`,
    );
  for (const [name, value] of Object.entries(params)) {
    if (value > 1e6 || value < 1e-6)
      warnings.push(`Gamma-Gamma: ${name} = ${value.toPrecision(3)} ran to a boundary`);
  }
  return {
    params,
    logLikelihood: -best.value * n,
    customers: n,
    iterations,
    converged: best.converged,
    warnings,
  };
}

/** E[Z | x, z̄] = p (v + x z̄) / (p x + q − 1): the customer's expected spend per transaction. */
export function expectedAverageSpend(g: GammaGammaParams, x: number, mean: number): number {
  return (g.p * (g.v + x * mean)) / (g.p * x + g.q - 1);
}
