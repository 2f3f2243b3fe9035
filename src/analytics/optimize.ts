/**
 * Deterministic minimisers for the models' (negative, mean) log-likelihoods: BFGS with an analytic gradient
 * and a backtracking line search, and Nelder–Mead for objectives without one. Both work on unconstrained
 * vectors: the models optimise log-parameters, so positivity needs no bounds.
 */

/** An objective and its gradient at x (the gradient is written into `grad`). */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

/** What a minimiser found. */
export interface Minimum {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** True when the gradient (BFGS) or simplex (Nelder–Mead) met the tolerance. */
  readonly converged: boolean;
}

export interface BfgsOptions {
  /**
   * Stop when every gradient component is below this in absolute value (default 1e-8). When the line search
   * can no longer improve the value (the floating-point floor), a gradient 100 times that still counts.
   */
  readonly gradientTolerance?: number;
  readonly maxIterations?: number;
  /** Largest move of any coordinate in one step (default 2: a factor e² on a log-parameter). */
  readonly maxStep?: number;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/** Minimises `f` from `x0` by BFGS (inverse-Hessian form); never returns a non-finite value. */
export function minimizeBfgs(
  f: ObjectiveWithGradient,
  x0: ArrayLike<number>,
  opts: BfgsOptions = {},
): Minimum {
  const n = x0.length;
  const gtol = opts.gradientTolerance ?? 1e-8;
  const maxIterations = opts.maxIterations ?? 1000;
  const maxStep = opts.maxStep ?? 2;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  if (!Number.isFinite(fx)) throw new Error("objective is not finite at the starting point");
  const h = identity(n);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iterations = 0;
  let converged = maxAbs(g) < gtol;
  while (!converged && iterations < maxIterations) {
    iterations++;
    direction(h, g, d);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (a poor Hessian estimate): restart from steepest descent.
      resetIdentity(h);
      for (let i = 0; i < n; i++) d[i] = -(g[i] as number);
      slope = dot(g, d);
    }
    let step = Math.min(1, maxStep / Math.max(maxAbs(d), 1e-300));
    let fNew = Number.NaN;
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + step * (d[i] as number);
      fNew = f(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(Number.isFinite(fNew) && fNew <= fx)) {
      // No progress possible at machine precision.
      converged = maxAbs(g) < 100 * gtol;
      break;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] as number) - (x[i] as number);
      y[i] = (gNew[i] as number) - (g[i] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-14 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (iterations === 1) scaleIdentity(h, sy / dot(y, y));
      updateInverseHessian(h, s, y, sy);
    }
    const previous = fx;
    [x, g, gNew] = [Float64Array.from(xNew), gNew, g];
    fx = fNew;
    converged = maxAbs(g) < gtol;
    // A step that changes nothing at all means we are at the floating-point floor of the objective.
    if (!converged && previous - fx === 0 && maxAbs(s) < 1e-14) {
      converged = maxAbs(g) < 100 * gtol;
      break;
    }
  }
  return { x, value: fx, iterations, evaluations, converged };
}

function identity(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n);
    row[i] = 1;
    return row;
  });
}

function resetIdentity(h: Float64Array[]): void {
  h.forEach((row, i) => {
    row.fill(0);
    row[i] = 1;
  });
}

function scaleIdentity(h: Float64Array[], c: number): void {
  h.forEach((row, i) => {
    row.fill(0);
    row[i] = c;
  });
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function direction(h: Float64Array[], g: Float64Array, out: Float64Array): void {
  h.forEach((row, i) => {
    out[i] = -dot(row, g);
  });
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1 / sᵀy. */
function updateInverseHessian(h: Float64Array[], s: Float64Array, y: Float64Array, sy: number): void {
  const n = s.length;
  const rho = 1 / sy;
  const hy = new Float64Array(n);
  h.forEach((row, i) => {
    hy[i] = dot(row, y);
  });
  const yhy = dot(y, hy);
  for (let i = 0; i < n; i++) {
    const row = h[i] as Float64Array;
    for (let j = 0; j < n; j++) {
      row[j] =
        (row[j] as number) -
        rho * ((hy[i] as number) * (s[j] as number) + (s[i] as number) * (hy[j] as number)) +
        (rho * rho * yhy + rho) * (s[i] as number) * (s[j] as number);
    }
  }
}

export interface NelderMeadOptions {
  /** Stop when the simplex's values and vertices agree to this (default 1e-12). */
  readonly tolerance?: number;
  readonly maxEvaluations?: number;
  /** Size of the initial simplex along each axis (default 0.5). */
  readonly initialStep?: number;
}

/**
 * Minimises `f` by Nelder–Mead, restarting from the best vertex until a restart improves nothing (a lone
 * simplex can stall on a ridge). Deterministic: the initial simplex is axis-aligned.
 */
export function minimizeNelderMead(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  opts: NelderMeadOptions = {},
): Minimum {
  const tol = opts.tolerance ?? 1e-12;
  const maxEvaluations = opts.maxEvaluations ?? 20_000;
  let best: Float64Array = Float64Array.from(x0);
  let bestValue = f(best);
  let evaluations = 1;
  let iterations = 0;
  let converged = false;
  for (let restart = 0; restart < 10 && evaluations < maxEvaluations; restart++) {
    const r = nelderMeadOnce(f, best, opts.initialStep ?? 0.5, tol, maxEvaluations - evaluations);
    evaluations += r.evaluations;
    iterations += r.iterations;
    const improved = bestValue - r.value > tol * (1 + Math.abs(bestValue));
    if (r.value <= bestValue) {
      best = r.x;
      bestValue = r.value;
    }
    converged = r.converged;
    if (!improved && restart > 0) break;
  }
  return { x: best, value: bestValue, iterations, evaluations, converged };
}

interface Vertex {
  readonly x: Float64Array;
  readonly f: number;
}

function nelderMeadOnce(
  f: (x: Float64Array) => number,
  x0: Float64Array,
  step: number,
  tol: number,
  budget: number,
): Minimum {
  const n = x0.length;
  let evaluations = 0;
  const vertex = (x: Float64Array): Vertex => {
    evaluations++;
    const v = f(x);
    return { x, f: Number.isFinite(v) ? v : Number.POSITIVE_INFINITY };
  };
  // The combination from + t·(to − from).
  const towards = (from: Float64Array, to: Float64Array, t: number): Float64Array =>
    from.map((a, i) => a + t * ((to[i] as number) - a));
  let simplex: Vertex[] = [vertex(Float64Array.from(x0))];
  for (let i = 0; i < n; i++) {
    const p = Float64Array.from(x0);
    p[i] = (p[i] as number) + step;
    simplex.push(vertex(p));
  }
  let iterations = 0;
  let converged = false;
  // Stable sort: ties keep their order, so runs are reproducible.
  const sortSimplex = () => simplex.sort((u, w) => u.f - w.f);
  while (evaluations < budget) {
    sortSimplex();
    const best = simplex[0] as Vertex;
    const worst = simplex[n] as Vertex;
    let spread = 0;
    for (const v of simplex) {
      for (let j = 0; j < n; j++)
        spread = Math.max(spread, Math.abs((v.x[j] as number) - (best.x[j] as number)));
    }
    if (Math.abs(worst.f - best.f) <= tol * (1 + Math.abs(best.f)) && spread <= Math.sqrt(tol)) {
      converged = true;
      break;
    }
    iterations++;
    const centroid = new Float64Array(n);
    for (const v of simplex.slice(0, n)) {
      for (let j = 0; j < n; j++) centroid[j] = (centroid[j] as number) + (v.x[j] as number) / n;
    }
    const reflected = vertex(towards(centroid, worst.x, -1));
    const secondWorst = simplex[n - 1] as Vertex;
    if (reflected.f < best.f) {
      const expanded = vertex(towards(centroid, worst.x, -2));
      simplex[n] = expanded.f < reflected.f ? expanded : reflected;
    } else if (reflected.f < secondWorst.f) {
      simplex[n] = reflected;
    } else {
      const inside = reflected.f >= worst.f;
      const contracted = vertex(towards(centroid, worst.x, inside ? 0.5 : -0.5));
      if (contracted.f < Math.min(reflected.f, worst.f)) simplex[n] = contracted;
      else simplex = simplex.map((v, i) => (i === 0 ? v : vertex(towards(best.x, v.x, 0.5))));
    }
  }
  sortSimplex();
  const top = simplex[0] as Vertex;
  return { x: top.x, value: top.f, iterations, evaluations, converged };
}
