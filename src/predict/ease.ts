/**
 * EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): item-to-item weights
 * B = I − P·diagMat(1/diag(P)), P = (XᵀX + λI)⁻¹, with B's diagonal zero, from binarised customer × item
 * purchases. A customer's score for item j is Σ over their items i of B[i][j].
 *
 * The dense inverse costs n³/2 multiply-adds (cholesky.ts: about 0.85·10⁹ a second in JavaScript, so 2,000 items
 * take ~5 s and 3,600 ~29 s), so the model holds the `maxItems` most-bought items; rarer items are never
 * recommended (they still count as bought). Each row of B is then cut to its `neighbours` largest weights, so
 * scoring a customer costs (their items) × neighbours additions, not a pass over every item.
 */
import { invertSpd } from "./cholesky.js";
import type { Purchases } from "./recommend-data.js";

export interface EaseOptions {
  /** L2 regularisation λ (> 0). */
  readonly lambda: number;
  /** Items in the model: the most bought. */
  readonly maxItems: number;
  /** Weights kept per item. */
  readonly neighbours: number;
}

/** The fitted model: per item, its strongest neighbours (CSR), with how many customers bought both. */
export interface EaseModel {
  /** Items in the model: 0 … m−1 (the m most bought). */
  readonly m: number;
  readonly start: Int32Array;
  readonly item: Int32Array;
  readonly weight: Float32Array;
  readonly coBuyers: Int32Array;
  readonly seconds: { readonly gram: number; readonly inverse: number };
}

/** XᵀX over the first m items: co-purchase counts (customers who bought both), dense, row-major. */
export function gramMatrix(p: Purchases, m: number): Float64Array {
  const g = new Float64Array(m * m);
  for (let u = 0; u < p.customers; u++) {
    const s = p.start[u] as number;
    let e = p.start[u + 1] as number;
    // Items are sorted within a customer and numbered by popularity: the model's are a prefix.
    while (e > s && (p.item[e - 1] as number) >= m) e--;
    for (let a = s; a < e; a++) {
      const ia = p.item[a] as number;
      const row = ia * m;
      g[row + ia] = (g[row + ia] as number) + 1;
      for (let b = a + 1; b < e; b++) {
        const ib = p.item[b] as number;
        g[row + ib] = (g[row + ib] as number) + 1;
      }
    }
  }
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) g[j * m + i] = g[i * m + j] as number;
  return g;
}

/** Fits EASE^R on the purchases. */
export function fitEase(p: Purchases, options: EaseOptions): EaseModel {
  const m = Math.min(options.maxItems, p.items);
  const k = Math.min(options.neighbours, Math.max(0, m - 1));
  const t0 = performance.now();
  const g = gramMatrix(p, m);
  const counts = Float32Array.from(g);
  for (let i = 0; i < m; i++) g[i * m + i] = (g[i * m + i] as number) + options.lambda;
  const t1 = performance.now();
  const pm = m > 0 ? invertSpd(g, m) : g;
  const t2 = performance.now();
  const start = new Int32Array(m + 1);
  const item = new Int32Array(m * k);
  const weight = new Float32Array(m * k);
  const coBuyers = new Int32Array(m * k);
  // Row i of B: B[i][j] = −P[i][j] / P[j][j]; its k largest by value, kept in a min-heap, then sorted.
  const heapW = new Float64Array(k);
  const heapJ = new Int32Array(k);
  let out = 0;
  for (let i = 0; i < m; i++) {
    const row = i * m;
    let size = 0;
    for (let j = 0; j < m; j++) {
      if (j === i) continue;
      const w = -(pm[row + j] as number) / (pm[j * m + j] as number);
      if (size < k) {
        heapW[size] = w;
        heapJ[size] = j;
        siftUp(heapW, heapJ, size++);
      } else if (k > 0 && w > (heapW[0] as number)) {
        heapW[0] = w;
        heapJ[0] = j;
        siftDown(heapW, heapJ, size);
      }
    }
    const order = Array.from({ length: size }, (_, x) => x).sort(
      (a, b) => (heapW[b] as number) - (heapW[a] as number) || (heapJ[a] as number) - (heapJ[b] as number),
    );
    for (const x of order) {
      const j = heapJ[x] as number;
      item[out] = j;
      weight[out] = heapW[x] as number;
      coBuyers[out] = counts[row + j] as number;
      out++;
    }
    start[i + 1] = out;
  }
  return {
    m,
    start,
    item: item.subarray(0, out),
    weight: weight.subarray(0, out),
    coBuyers: coBuyers.subarray(0, out),
    seconds: { gram: (t1 - t0) / 1000, inverse: (t2 - t1) / 1000 },
  };
}

function siftUp(w: Float64Array, j: Int32Array, at: number): void {
  let c = at;
  while (c > 0) {
    const p = (c - 1) >> 1;
    if ((w[p] as number) <= (w[c] as number)) return;
    swap(w, j, p, c);
    c = p;
  }
}

function siftDown(w: Float64Array, j: Int32Array, size: number): void {
  let p = 0;
  for (;;) {
    const l = 2 * p + 1;
    const r = l + 1;
    let s = p;
    if (l < size && (w[l] as number) < (w[s] as number)) s = l;
    if (r < size && (w[r] as number) < (w[s] as number)) s = r;
    if (s === p) return;
    swap(w, j, p, s);
    p = s;
  }
}

function swap(w: Float64Array, j: Int32Array, a: number, b: number): void {
  const tw = w[a] as number;
  w[a] = w[b] as number;
  w[b] = tw;
  const tj = j[a] as number;
  j[a] = j[b] as number;
  j[b] = tj;
}

/** Each customer's top n items (item numbers, −1 where none) and scores, customers × n, row-major. */
export interface TopItems {
  readonly n: number;
  readonly item: Int32Array;
  readonly score: Float32Array;
}

/**
 * Top n unbought items per customer: by EASE score (Σ of their items' weights) among items with a positive score,
 * then, when fewer than n have one, the most bought items they have not bought (score 0). With no model
 * (`model` null) every list is the popularity baseline: the most bought items not bought.
 */
export function topItems(p: Purchases, model: EaseModel | null, n: number): TopItems {
  const m = model?.m ?? 0;
  const acc = new Float64Array(Math.max(m, 1));
  const touched = new Int32Array(Math.max(m, 1));
  const bought = new Int32Array(p.items);
  const item = new Int32Array(p.customers * n).fill(-1);
  const score = new Float32Array(p.customers * n);
  const topW = new Float64Array(n);
  const topJ = new Int32Array(n);
  for (let u = 0; u < p.customers; u++) {
    const s = p.start[u] as number;
    const e = p.start[u + 1] as number;
    const stamp = u + 1;
    for (let a = s; a < e; a++) bought[p.item[a] as number] = stamp;
    let size = 0;
    if (model) {
      let nt = 0;
      for (let a = s; a < e; a++) {
        const i = p.item[a] as number;
        if (i >= m) break;
        for (let x = model.start[i] as number; x < (model.start[i + 1] as number); x++) {
          const j = model.item[x] as number;
          if (acc[j] === 0) touched[nt++] = j;
          acc[j] = (acc[j] as number) + (model.weight[x] as number);
        }
      }
      // Insertion into a sorted top-n (n is small).
      for (let t = 0; t < nt; t++) {
        const j = touched[t] as number;
        const w = acc[j] as number;
        acc[j] = 0;
        if (!(w > 0) || bought[j] === stamp) continue;
        if (size === n && !better(w, j, topW[n - 1] as number, topJ[n - 1] as number)) continue;
        let at = size < n ? size++ : n - 1;
        while (at > 0 && better(w, j, topW[at - 1] as number, topJ[at - 1] as number)) {
          topW[at] = topW[at - 1] as number;
          topJ[at] = topJ[at - 1] as number;
          at--;
        }
        topW[at] = w;
        topJ[at] = j;
      }
    }
    const o = u * n;
    for (let r = 0; r < size; r++) {
      item[o + r] = topJ[r] as number;
      score[o + r] = topW[r] as number;
      bought[topJ[r] as number] = stamp; // not offered again by the fill below
    }
    for (let j = 0; size < n && j < p.items; j++) {
      if (bought[j] === stamp) continue;
      item[o + size] = j;
      score[o + size] = 0;
      size++;
    }
  }
  return { n, item, score };
}

/** Higher score first; equal scores by the more bought item (lower number). */
function better(w: number, j: number, w2: number, j2: number): boolean {
  return w > w2 || (w === w2 && j < j2);
}
