/**
 * L2-regularised logistic regression on typed arrays, fitted by Newton's method (iteratively reweighted least
 * squares). Shared by churn risk and launch propensity.
 *
 * Why Newton: the models here have few features (≤ ~40) and many customers. The objective is convex, Newton
 * converges quadratically (6–10 passes over the data, each one X'WX accumulation), needs no learning rate and is
 * deterministic; the p × p system is solved by Cholesky. Features are standardised first (mean 0, sd 1) so the
 * one penalty weighs every feature alike and the Hessian is well conditioned; constant features are dropped.
 *
 * Objective: mean negative log-likelihood + (λ/2)·‖β‖² (the intercept is not penalised), so λ does not depend on n.
 */

/** A feature matrix: n rows, p columns, row-major (`x[i * p + j]`). */
export interface Matrix {
  readonly n: number;
  readonly p: number;
  readonly x: Float64Array;
}

export interface LogisticOptions {
  /** L2 penalty on the standardised coefficients (default 1e-4). */
  readonly lambda?: number;
  readonly maxIterations?: number;
  /** Stop when the largest coefficient change is below this (default 1e-8). */
  readonly tolerance?: number;
}

/** A fitted model: applies to raw (unstandardised) rows of the same columns. */
export interface LogisticModel {
  readonly intercept: number;
  /** Coefficients on the standardised features (0 for a dropped constant column). */
  readonly coefficients: Float64Array;
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
  /** Mean negative log-likelihood at the optimum (without the penalty). */
  readonly meanLogLoss: number;
}

/** The column means and standard deviations (population); sd 0 marks a constant column. */
export function columnMoments(m: Matrix): { mean: Float64Array; sd: Float64Array } {
  const { n, p, x } = m;
  const mean = new Float64Array(p);
  const sq = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const row = i * p;
    for (let j = 0; j < p; j++) mean[j] = (mean[j] as number) + (x[row + j] as number);
  }
  for (let j = 0; j < p; j++) mean[j] = (mean[j] as number) / Math.max(1, n);
  for (let i = 0; i < n; i++) {
    const row = i * p;
    for (let j = 0; j < p; j++) {
      const d = (x[row + j] as number) - (mean[j] as number);
      sq[j] = (sq[j] as number) + d * d;
    }
  }
  const sd = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const s = Math.sqrt((sq[j] as number) / Math.max(1, n));
    sd[j] = s > 1e-12 * Math.max(1, Math.abs(mean[j] as number)) ? s : 0;
  }
  return { mean, sd };
}

/** ln(1 + e^z), without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Solves A v = b for a symmetric positive definite A (size k, row-major, only the upper triangle read) by
 * Cholesky; A and b are left unchanged.
 */
export function solveSpd(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[j * k + i] as number; // upper triangle: A[j][i] with j ≤ i
      for (let t = 0; t < j; t++) s -= (l[i * k + t] as number) * (l[j * k + t] as number);
      if (i === j) l[i * k + i] = Math.sqrt(Math.max(s, 1e-300));
      else l[i * k + j] = s / (l[j * k + j] as number);
    }
  }
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i] as number;
    for (let t = 0; t < i; t++) s -= (l[i * k + t] as number) * (y[t] as number);
    y[i] = s / (l[i * k + i] as number);
  }
  const v = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let t = i + 1; t < k; t++) s -= (l[t * k + i] as number) * (v[t] as number);
    v[i] = s / (l[i * k + i] as number);
  }
  return v;
}

/** The linear predictor of raw row i. */
function linear(
  model: Pick<LogisticModel, "intercept" | "coefficients" | "mean" | "sd">,
  m: Matrix,
  i: number,
) {
  let z = model.intercept;
  const row = i * m.p;
  for (let j = 0; j < m.p; j++) {
    const s = model.sd[j] as number;
    if (s > 0)
      z += ((model.coefficients[j] as number) * ((m.x[row + j] as number) - (model.mean[j] as number))) / s;
  }
  return z;
}

/**
 * Fits P(y = 1 | x) = σ(β₀ + Σ βⱼ (xⱼ − μⱼ)/σⱼ) by penalised Newton steps with step halving (the penalised
 * objective is strictly convex, so halving only guards the first steps from overshooting).
 */
export function fitLogistic(m: Matrix, y: Uint8Array, opts: LogisticOptions = {}): LogisticModel {
  const { n, p, x } = m;
  if (y.length !== n) throw new Error(`labels (${y.length}) and rows (${n}) differ`);
  if (n === 0) throw new Error("no rows to fit");
  const lambda = opts.lambda ?? 1e-4;
  const maxIterations = opts.maxIterations ?? 50;
  const tolerance = opts.tolerance ?? 1e-8;
  const { mean, sd } = columnMoments(m);
  // Kept columns: the parameter vector is [intercept, β over kept columns].
  const kept: number[] = [];
  for (let j = 0; j < p; j++) if ((sd[j] as number) > 0) kept.push(j);
  const k = kept.length + 1;
  // The standardised design matrix, built once (n × k, row-major, 1 first): every pass below reads it in order.
  const zs = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = i * p;
    const out = i * k;
    zs[out] = 1;
    for (let c = 0; c < kept.length; c++) {
      const j = kept[c] as number;
      zs[out + c + 1] = ((x[row + j] as number) - (mean[j] as number)) / (sd[j] as number);
    }
  }
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] as number;
  const rate = Math.min(1 - 1e-9, Math.max(1e-9, positives / n));
  let beta = new Float64Array(k);
  beta[0] = Math.log(rate / (1 - rate));

  const objective = (b: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let eta = 0;
      for (let c = 0; c < k; c++) eta += (b[c] as number) * (zs[o + c] as number);
      loss += softplus(eta) - (y[i] as number) * eta;
    }
    let pen = 0;
    for (let c = 1; c < k; c++) pen += (b[c] as number) ** 2;
    return loss / n + (lambda / 2) * pen;
  };

  let current = objective(beta);
  let iterations = 0;
  let converged = false;
  const h = new Float64Array(k * k);
  const g = new Float64Array(k);
  while (iterations < maxIterations) {
    iterations++;
    h.fill(0);
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let eta = 0;
      for (let c = 0; c < k; c++) eta += (beta[c] as number) * (zs[o + c] as number);
      const mu = sigmoid(eta);
      const w = Math.max(mu * (1 - mu), 1e-12);
      const r = mu - (y[i] as number);
      for (let a = 0; a < k; a++) {
        const za = zs[o + a] as number;
        g[a] = (g[a] as number) + r * za;
        const wa = w * za;
        const base = a * k;
        for (let b = a; b < k; b++) h[base + b] = (h[base + b] as number) + wa * (zs[o + b] as number);
      }
    }
    for (let a = 0; a < k; a++) {
      g[a] = (g[a] as number) / n + (a > 0 ? lambda * (beta[a] as number) : 0);
      for (let b = a; b < k; b++) h[a * k + b] = (h[a * k + b] as number) / n;
      if (a > 0) h[a * k + a] = (h[a * k + a] as number) + lambda;
    }
    const step = solveSpd(h, g, k);
    let t = 1;
    let next = beta;
    let value = current;
    for (let halvings = 0; halvings < 30; halvings++) {
      next = beta.map((v, c) => v - t * (step[c] as number));
      value = objective(next);
      if (value <= current + 1e-15) break;
      t /= 2;
    }
    let change = 0;
    for (let c = 0; c < k; c++)
      change = Math.max(change, Math.abs((next[c] as number) - (beta[c] as number)));
    beta = next;
    current = value;
    if (change < tolerance) {
      converged = true;
      break;
    }
  }
  const coefficients = new Float64Array(p);
  kept.forEach((j, c) => {
    coefficients[j] = beta[c + 1] as number;
  });
  let pen = 0;
  for (let c = 1; c < k; c++) pen += (beta[c] as number) ** 2;
  return {
    intercept: beta[0] as number,
    coefficients,
    mean,
    sd,
    iterations,
    converged,
    meanLogLoss: current - (lambda / 2) * pen,
  };
}

/** P(y = 1) for every row of `m` (raw features, the columns the model was fitted on). */
export function predictLogistic(
  model: Pick<LogisticModel, "intercept" | "coefficients" | "mean" | "sd">,
  m: Matrix,
): Float64Array {
  const out = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) out[i] = sigmoid(linear(model, m, i));
  return out;
}

/** Platt scaling: P(y = 1 | s) = σ(a · logit(s) + b), fitted on a held-out part. */
export interface PlattScaling {
  readonly a: number;
  readonly b: number;
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return Math.log(q / (1 - q));
}

/** Fits Platt scaling of raw probabilities `scores` against labels (a one-feature logistic regression, no penalty). */
export function fitPlatt(scores: Float64Array, y: Uint8Array): PlattScaling {
  const x = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) x[i] = logit(scores[i] as number);
  const model = fitLogistic({ n: x.length, p: 1, x }, y, { lambda: 0 });
  const sd = model.sd[0] as number;
  if (sd === 0) return { a: 0, b: model.intercept };
  const a = (model.coefficients[0] as number) / sd;
  return { a, b: model.intercept - a * (model.mean[0] as number) };
}

/** Applies Platt scaling to raw probabilities (in place, and returns them). */
export function applyPlatt(s: PlattScaling, scores: Float64Array): Float64Array {
  for (let i = 0; i < scores.length; i++) scores[i] = sigmoid(s.a * logit(scores[i] as number) + s.b);
  return scores;
}
