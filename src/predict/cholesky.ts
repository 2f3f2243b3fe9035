/**
 * The inverse of a symmetric positive-definite matrix (EASE's P = (XᵀX + λI)⁻¹), in Float64Arrays, row-major.
 *
 * Three passes of n³/6 multiply-adds each, every one a dot product of two contiguous rows (the layout a
 * row-major array reads fastest):
 *   1. Cholesky A = L·Lᵀ:            L[i][j] = (A[i][j] − L[i][0:j]·L[j][0:j]) / L[j][j]
 *   2. U = L⁻ᵀ (row j of U is column j of L⁻¹, forward substitution):
 *                                     U[j][i] = (δᵢⱼ − L[i][j:i]·U[j][j:i]) / L[i][i]      (i ≥ j)
 *   3. P = Uᵀ… = L⁻ᵀL⁻¹:             P[i][j] = U[i][j:n]·U[j][j:n]                         (j ≥ i)
 * Each pass works on a block of `BLOCK` rows at a time that stays in cache while the other rows stream past, and
 * the inner kernel takes four resident rows against one streamed row, so each value read feeds four
 * multiply-adds.
 */

const BLOCK = 32;

/** Four dot products of row `s` (from `sOff`) against rows at `o0…o3`, over `len` values; into `out[0…3]`. */
function dot4(
  m: Float64Array,
  s: number,
  r: Float64Array,
  o0: number,
  o1: number,
  o2: number,
  o3: number,
  len: number,
  out: Float64Array,
): void {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let k = 0; k < len; k++) {
    const x = m[s + k] as number;
    a0 += x * (r[o0 + k] as number);
    a1 += x * (r[o1 + k] as number);
    a2 += x * (r[o2 + k] as number);
    a3 += x * (r[o3 + k] as number);
  }
  out[0] = a0;
  out[1] = a1;
  out[2] = a2;
  out[3] = a3;
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let k = 0;
  for (; k + 1 < len; k += 2) {
    s0 += (a[ao + k] as number) * (b[bo + k] as number);
    s1 += (a[ao + k + 1] as number) * (b[bo + k + 1] as number);
  }
  if (k < len) s0 += (a[ao + k] as number) * (b[bo + k] as number);
  return s0 + s1;
}

/**
 * Cholesky factor of `a` (n×n, symmetric positive definite) in place: the lower triangle becomes L, the upper is
 * zeroed. Throws when the matrix is not positive definite (a bug for EASE: λ > 0 makes it so).
 */
export function choleskyInPlace(a: Float64Array, n: number): void {
  const out = new Float64Array(4);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK);
    // Columns left of the block: every row of the block against finished row j.
    for (let j = 0; j < i0; j++) {
      const jo = j * n;
      const ljj = a[jo + j] as number;
      let i = i0;
      for (; i + 3 < i1; i += 4) {
        dot4(a, jo, a, i * n, (i + 1) * n, (i + 2) * n, (i + 3) * n, j, out);
        for (let t = 0; t < 4; t++) {
          const p = (i + t) * n + j;
          a[p] = ((a[p] as number) - (out[t] as number)) / ljj;
        }
      }
      for (; i < i1; i++) {
        const p = i * n + j;
        a[p] = ((a[p] as number) - dot(a, i * n, a, jo, j)) / ljj;
      }
    }
    // The diagonal block, column by column.
    for (let j = i0; j < i1; j++) {
      const jo = j * n;
      const d = (a[jo + j] as number) - dot(a, jo, a, jo, j);
      if (!(d > 0)) throw new Error(`matrix is not positive definite (pivot ${j}: ${d})`);
      const ljj = Math.sqrt(d);
      a[jo + j] = ljj;
      for (let i = j + 1; i < i1; i++) {
        const p = i * n + j;
        a[p] = ((a[p] as number) - dot(a, i * n, a, jo, j)) / ljj;
      }
    }
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
}

/** U = L⁻ᵀ (upper triangular, row-major) from the Cholesky factor L. */
function inverseTransposeOfFactor(l: Float64Array, n: number): Float64Array {
  const u = new Float64Array(n * n);
  const out = new Float64Array(4);
  for (let j0 = 0; j0 < n; j0 += BLOCK) {
    const j1 = Math.min(n, j0 + BLOCK);
    for (let j = j0; j < j1; j++) u[j * n + j] = 1 / (l[j * n + j] as number);
    // Row i of L against every row j of the block with j < i (the sums run over k = j … i−1).
    for (let i = j0 + 1; i < n; i++) {
      const io = i * n;
      const lii = l[io + i] as number;
      const jEnd = Math.min(j1, i);
      let j = j0;
      // Four rows of U at once share the streamed row of L from the smallest j; the rows with larger j hold
      // zeros below their diagonal, so summing from the smallest start is exact.
      for (; j + 3 < jEnd; j += 4) {
        dot4(l, io + j, u, j * n + j, (j + 1) * n + j, (j + 2) * n + j, (j + 3) * n + j, i - j, out);
        for (let t = 0; t < 4; t++) u[(j + t) * n + i] = -(out[t] as number) / lii;
      }
      for (; j < jEnd; j++) u[j * n + i] = -dot(l, io + j, u, j * n + j, i - j) / lii;
    }
  }
  return u;
}

/**
 * The inverse of a symmetric positive-definite n×n matrix. `a` is overwritten (it holds the Cholesky factor,
 * then the inverse: the result is `a` itself, full and symmetric).
 */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  choleskyInPlace(a, n);
  const u = inverseTransposeOfFactor(a, n);
  const p = a;
  const out = new Float64Array(4);
  // P[i][j] = U[i][j:n]·U[j][j:n] for j ≥ i; block of rows i resident, rows j streamed.
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK);
    for (let j = i0; j < n; j++) {
      const jo = j * n + j;
      const len = n - j;
      const iEnd = Math.min(i1, j + 1);
      let i = i0;
      for (; i + 3 < iEnd; i += 4) {
        dot4(u, jo, u, i * n + j, (i + 1) * n + j, (i + 2) * n + j, (i + 3) * n + j, len, out);
        for (let t = 0; t < 4; t++) {
          const v = out[t] as number;
          p[(i + t) * n + j] = v;
          p[j * n + i + t] = v;
        }
      }
      for (; i < iEnd; i++) {
        const v = dot(u, jo, u, i * n + j, len);
        p[i * n + j] = v;
        p[j * n + i] = v;
      }
    }
  }
  return p;
}
