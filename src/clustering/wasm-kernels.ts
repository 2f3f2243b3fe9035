/**
 * The hot loops of k-means as WebAssembly with SIMD (two f64 lanes), over arrays in one shared
 * `WebAssembly.Memory`: Hamerly's assignment step and the k-means++ passes. Each is the JS kernel of the same name
 * (`hamerly.ts`, `kmeans-init.ts`) instruction for instruction, and gives bit-identical results: `sqDist` keeps
 * two accumulators, the even columns and the odd ones, added at the end, which is exactly what the two lanes of
 * an f64x2 accumulator do (separate multiply and add, no fused multiply-add). So the JS kernels remain the
 * fallback where WebAssembly SIMD is missing, and any mix of the two gives the same result.
 *
 * Arguments are byte addresses into the memory; every kernel works on rows lo…hi (one chunk).
 */
import { EPS } from "./bounds.js";
import {
  assemble,
  block,
  br,
  brIf,
  type Code,
  type Func,
  f64,
  f64Add,
  f64c,
  f64Eq,
  f64Ge,
  f64Gt,
  f64Load,
  f64Lt,
  f64Min,
  f64Mul,
  f64Sqrt,
  f64Store,
  f64Sub,
  f64x2Add,
  f64x2Lane,
  f64x2Mul,
  f64x2Sub,
  get,
  i32,
  i32Add,
  i32And,
  i32c,
  i32Eq,
  i32GeU,
  i32Load,
  i32LtS,
  i32Mul,
  i32Or,
  i32Shl,
  i32ShrU,
  i32Store,
  if_,
  ifElse,
  ifElseOf,
  loop,
  set,
  tee,
  v128,
  v128Load,
  v128Load64Zero,
  v128Zero,
} from "./wasm-asm.js";

/** Names → local indices of one function (parameters first). */
type Locals<P extends string, L extends string> = Record<P | L, number>;

function func<P extends string, L extends string>(
  name: string,
  params: readonly (readonly [P, number])[],
  results: readonly number[],
  locals: readonly (readonly [L, number])[],
  body: (l: Locals<P, L>) => Code[],
): Func {
  const index = {} as Record<string, number>;
  [...params, ...locals].forEach(([n], i) => {
    index[n] = i;
  });
  return {
    name,
    params: params.map(([, t]) => t),
    results,
    locals: locals.map(([, t]) => t),
    body: body(index as Locals<P, L>),
  };
}

/** Locals every distance needs. */
const DIST_LOCALS = [
  ["p", i32],
  ["q", i32],
  ["e", i32],
  ["pairBytes", i32],
  ["odd", i32],
  ["acc", v128],
  ["z", v128],
] as const;
type DistLocal = (typeof DIST_LOCALS)[number][0];

/** Sets pairBytes (16 per pair of columns) and odd from d. */
function distSetup(l: Record<DistLocal | "d", number>): Code[] {
  return [
    get(l.d),
    i32c(1),
    i32ShrU,
    i32c(4),
    i32Shl,
    set(l.pairBytes),
    get(l.d),
    i32c(1),
    i32And,
    set(l.odd),
  ];
}

/** Sets dBytes, the bytes of one row (8 per column). */
function rowBytes(l: Record<"d" | "dBytes", number>): Code[] {
  return [get(l.d), i32c(3), i32Shl, set(l.dBytes)];
}

/**
 * The loop over rows lo..hi−1 of the matrix at `base` (code pushing its address): `i` and `row` (the row's
 * address) advance together; `body` runs once per row.
 */
function forEachRow(
  l: Record<"lo" | "hi" | "i" | "row" | "dBytes", number>,
  base: Code,
  body: Code[],
): Code[] {
  return [
    get(l.lo),
    set(l.i),
    base,
    get(l.lo),
    get(l.dBytes),
    i32Mul,
    i32Add,
    set(l.row),
    block(
      loop(
        get(l.i),
        get(l.hi),
        i32GeU,
        brIf(1),
        ...body,
        get(l.i),
        i32c(1),
        i32Add,
        set(l.i),
        get(l.row),
        get(l.dBytes),
        i32Add,
        set(l.row),
        br(0),
      ),
    ),
  ];
}

/**
 * Pushes the squared distance between the rows at addresses `a` and `b` (code pushing an i32 each): lane 0 sums
 * the even columns' squares, lane 1 the odd ones', in column order, then lane 0 + lane 1 — `sqDist`'s order.
 */
function dist(l: Record<DistLocal, number>, a: Code, b: Code): Code[] {
  return [
    a,
    tee(l.p),
    get(l.pairBytes),
    i32Add,
    set(l.e),
    b,
    set(l.q),
    v128Zero,
    set(l.acc),
    block(
      loop(
        get(l.p),
        get(l.e),
        i32GeU,
        brIf(1),
        get(l.acc),
        get(l.p),
        v128Load(),
        get(l.q),
        v128Load(),
        f64x2Sub,
        tee(l.z),
        get(l.z),
        f64x2Mul,
        f64x2Add,
        set(l.acc),
        get(l.p),
        i32c(16),
        i32Add,
        set(l.p),
        get(l.q),
        i32c(16),
        i32Add,
        set(l.q),
        br(0),
      ),
    ),
    // An odd last column: in lane 0, with 0 − 0 in lane 1 (adding +0 to a sum of squares changes nothing).
    get(l.odd),
    if_(
      get(l.acc),
      get(l.p),
      v128Load64Zero(),
      get(l.q),
      v128Load64Zero(),
      f64x2Sub,
      tee(l.z),
      get(l.z),
      f64x2Mul,
      f64x2Add,
      set(l.acc),
    ),
    get(l.acc),
    f64x2Lane(0),
    get(l.acc),
    f64x2Lane(1),
    f64Add,
  ];
}

/** Address of element `index` (code pushing an i32) of the array at `base` (a local) with `shift` = log2 size. */
function at(base: number, index: Code, shift: number): Code[] {
  return [get(base), index, i32c(shift), i32Shl, i32Add];
}

const UP = 1 + EPS;
const DOWN = 1 - EPS;

/** `hamerlyAssign` of `hamerly.ts`. */
const hamerlyAssign = func(
  "hamerlyAssign",
  [
    ["lo", i32],
    ["hi", i32],
    ["d", i32],
    ["k", i32],
    ["data", i32],
    ["centers", i32],
    ["labels", i32],
    ["half", i32],
    ["drift", i32],
    ["upper", i32],
    ["lower", i32],
    ["rest", i32],
    ["second", i32],
    ["sums", i32],
    ["sizes", i32],
    ["maxDrift", f64],
    ["slack", f64],
  ] as const,
  [i32],
  [
    ...DIST_LOCALS,
    ["i", i32],
    ["a", i32],
    ["c", i32],
    ["row", i32],
    ["dBytes", i32],
    ["halfRow", i32],
    ["j", i32],
    ["best", i32],
    ["changed", i32],
    ["from", i32],
    ["to", i32],
    ["t", i32],
    ["h", f64],
    ["l1", f64],
    ["l2", f64],
    ["ua", f64],
    ["da", f64],
    ["u", f64],
    ["b1", f64],
    ["b2", f64],
    ["b3", f64],
    ["v", f64],
    ["hj", f64],
    ["x", f64],
  ] as const,
  (l) => [
    ...distSetup(l),
    ...rowBytes(l),
    ...forEachRow(l, get(l.data), [
      block(
        // a, c, and the half-distance row of a.
        at(l.labels, get(l.i), 2),
        i32Load(),
        set(l.a),
        at(l.second, get(l.i), 2),
        i32Load(),
        set(l.c),
        get(l.half),
        get(l.a),
        get(l.k),
        i32Mul,
        i32c(3),
        i32Shl,
        i32Add,
        set(l.halfRow),
        at(l.halfRow, get(l.a), 3),
        f64Load(),
        set(l.h),
        // l1 = lower − (c < 0 ? maxDrift : drift[c]) − slack
        at(l.lower, get(l.i), 3),
        f64Load(),
        get(l.c),
        i32c(0),
        i32LtS,
        ifElseOf(f64, [get(l.maxDrift)], [at(l.drift, get(l.c), 3), f64Load()]),
        f64Sub,
        get(l.slack),
        f64Sub,
        set(l.l1),
        // l2 = rest − maxDrift − slack
        at(l.rest, get(l.i), 3),
        f64Load(),
        get(l.maxDrift),
        f64Sub,
        get(l.slack),
        f64Sub,
        set(l.l2),
        // ua = upper + drift[a] + slack
        at(l.upper, get(l.i), 3),
        f64Load(),
        at(l.drift, get(l.a), 3),
        f64Load(),
        f64Add,
        get(l.slack),
        f64Add,
        set(l.ua),
        // (ua < h) | ((ua < l1) & (ua < l2)): the point stays.
        get(l.ua),
        get(l.h),
        f64Lt,
        get(l.ua),
        get(l.l1),
        f64Lt,
        get(l.ua),
        get(l.l2),
        f64Lt,
        i32And,
        i32Or,
        brIf(0),
        // The exact distance to its centre.
        dist(l, get(l.row), [get(l.centers), get(l.a), get(l.dBytes), i32Mul, i32Add]),
        tee(l.da),
        f64Sqrt,
        f64c(UP),
        f64Mul,
        set(l.u),
        get(l.u),
        get(l.h),
        f64Lt,
        get(l.u),
        get(l.l1),
        f64Lt,
        get(l.u),
        get(l.l2),
        f64Lt,
        i32And,
        i32Or,
        if_(
          at(l.upper, get(l.i), 3),
          get(l.u),
          at(l.drift, get(l.a), 3),
          f64Load(),
          f64Sub,
          f64Store(),
          br(1),
        ),
        // The scan of `hamerly.ts`: nearest, second and third distances, skipping centres beyond 2h − u.
        get(l.a),
        set(l.best),
        get(l.da),
        set(l.b1),
        i32c(-1),
        set(l.c),
        f64c(Number.POSITIVE_INFINITY),
        tee(l.b2),
        set(l.b3),
        i32c(0),
        set(l.j),
        block(
          loop(
            get(l.j),
            get(l.k),
            i32GeU,
            brIf(1),
            block(
              get(l.j),
              get(l.a),
              i32Eq,
              brIf(0),
              at(l.halfRow, get(l.j), 3),
              f64Load(),
              tee(l.hj),
              get(l.u),
              f64Gt,
              ifElse(
                [f64c(2), get(l.hj), f64Mul, get(l.u), f64Sub, tee(l.v), get(l.v), f64Mul, set(l.v)],
                [
                  dist(l, get(l.row), [get(l.centers), get(l.j), get(l.dBytes), i32Mul, i32Add]),
                  set(l.v),
                  // v < b1 || (v === b1 && j < best)
                  get(l.v),
                  get(l.b1),
                  f64Lt,
                  get(l.v),
                  get(l.b1),
                  f64Eq,
                  get(l.j),
                  get(l.best),
                  i32LtS,
                  i32And,
                  i32Or,
                  if_(
                    get(l.b2),
                    set(l.b3),
                    get(l.b1),
                    set(l.b2),
                    get(l.best),
                    set(l.c),
                    get(l.v),
                    set(l.b1),
                    get(l.j),
                    set(l.best),
                    br(2),
                  ),
                ],
              ),
              get(l.v),
              get(l.b2),
              f64Lt,
              ifElse(
                [get(l.b2), set(l.b3), get(l.v), set(l.b2), get(l.j), set(l.c)],
                [get(l.v), get(l.b3), f64Lt, if_(get(l.v), set(l.b3))],
              ),
            ),
            get(l.j),
            i32c(1),
            i32Add,
            set(l.j),
            br(0),
          ),
        ),
        // The bounds, relative to the drifts.
        at(l.upper, get(l.i), 3),
        get(l.b1),
        f64Sqrt,
        f64c(UP),
        f64Mul,
        at(l.drift, get(l.best), 3),
        f64Load(),
        f64Sub,
        f64Store(),
        at(l.lower, get(l.i), 3),
        get(l.b2),
        f64Sqrt,
        f64c(DOWN),
        f64Mul,
        get(l.c),
        i32c(0),
        i32LtS,
        ifElseOf(f64, [get(l.maxDrift)], [at(l.drift, get(l.c), 3), f64Load()]),
        f64Add,
        f64Store(),
        at(l.rest, get(l.i), 3),
        get(l.b3),
        f64Sqrt,
        f64c(DOWN),
        f64Mul,
        get(l.maxDrift),
        f64Add,
        f64Store(),
        at(l.second, get(l.i), 2),
        get(l.c),
        i32Store(),
        at(l.labels, get(l.i), 2),
        get(l.best),
        i32Store(),
        // A move: the point's vector from one chunk sum to the other (`transfer`).
        get(l.best),
        get(l.a),
        i32Eq,
        brIf(0),
        get(l.sums),
        get(l.a),
        get(l.dBytes),
        i32Mul,
        i32Add,
        set(l.from),
        get(l.sums),
        get(l.best),
        get(l.dBytes),
        i32Mul,
        i32Add,
        set(l.to),
        i32c(0),
        set(l.t),
        block(
          loop(
            get(l.t),
            get(l.dBytes),
            i32GeU,
            brIf(1),
            get(l.row),
            get(l.t),
            i32Add,
            f64Load(),
            set(l.x),
            get(l.from),
            get(l.t),
            i32Add,
            get(l.from),
            get(l.t),
            i32Add,
            f64Load(),
            get(l.x),
            f64Sub,
            f64Store(),
            get(l.to),
            get(l.t),
            i32Add,
            get(l.to),
            get(l.t),
            i32Add,
            f64Load(),
            get(l.x),
            f64Add,
            f64Store(),
            get(l.t),
            i32c(8),
            i32Add,
            set(l.t),
            br(0),
          ),
        ),
        at(l.sizes, get(l.a), 2),
        at(l.sizes, get(l.a), 2),
        i32Load(),
        i32c(-1),
        i32Add,
        i32Store(),
        at(l.sizes, get(l.best), 2),
        at(l.sizes, get(l.best), 2),
        i32Load(),
        i32c(1),
        i32Add,
        i32Store(),
        get(l.changed),
        i32c(1),
        i32Add,
        set(l.changed),
      ),
    ]),
    get(l.changed),
  ],
);

/** `seedFirstChunk` of `kmeans-init.ts`: distances to centre 0. */
const seedFirst = func(
  "seedFirst",
  [
    ["lo", i32],
    ["hi", i32],
    ["d", i32],
    ["data", i32],
    ["centers", i32],
    ["closest", i32],
    ["farther", i32],
    ["labels", i32],
  ] as const,
  [f64],
  [...DIST_LOCALS, ["i", i32], ["row", i32], ["dBytes", i32], ["v", f64], ["pot", f64]] as const,
  (l) => [
    ...distSetup(l),
    ...rowBytes(l),
    ...forEachRow(l, get(l.data), [
      at(l.closest, get(l.i), 3),
      dist(l, get(l.row), get(l.centers)),
      tee(l.v),
      f64Store(),
      at(l.farther, get(l.i), 3),
      f64c(Number.POSITIVE_INFINITY),
      f64Store(),
      at(l.labels, get(l.i), 2),
      i32c(0),
      i32Store(),
      get(l.pot),
      get(l.v),
      f64Add,
      set(l.pot),
    ]),
    get(l.pot),
  ],
);

/** `seedAddChunk` of `kmeans-init.ts`: centre c enters the nearest/second-nearest bookkeeping. */
const seedAdd = func(
  "seedAdd",
  [
    ["lo", i32],
    ["hi", i32],
    ["d", i32],
    ["c", i32],
    ["data", i32],
    ["centers", i32],
    ["closest", i32],
    ["farther", i32],
    ["labels", i32],
    ["toNew", i32],
    ["apart", i32],
  ] as const,
  [f64],
  [
    ...DIST_LOCALS,
    ["i", i32],
    ["a", i32],
    ["row", i32],
    ["dBytes", i32],
    ["centre", i32],
    ["own", f64],
    ["v", f64],
    ["pot", f64],
  ] as const,
  (l) => [
    ...distSetup(l),
    ...rowBytes(l),
    get(l.centers),
    get(l.c),
    get(l.dBytes),
    i32Mul,
    i32Add,
    set(l.centre),
    ...forEachRow(l, get(l.data), [
      at(l.closest, get(l.i), 3),
      f64Load(),
      set(l.own),
      at(l.labels, get(l.i), 2),
      i32Load(),
      set(l.a),
      at(l.toNew, get(l.a), 3),
      f64Load(),
      get(l.own),
      f64Ge,
      ifElse(
        [
          // Not computed: a bound for the second nearest, apart[a] − √own, squared.
          at(l.apart, get(l.a), 3),
          f64Load(),
          get(l.own),
          f64Sqrt,
          f64Sub,
          tee(l.v),
          get(l.v),
          f64Mul,
          tee(l.v),
          at(l.farther, get(l.i), 3),
          f64Load(),
          f64Lt,
          if_(at(l.farther, get(l.i), 3), get(l.v), f64Store()),
        ],
        [
          dist(l, get(l.row), get(l.centre)),
          tee(l.v),
          get(l.own),
          f64Lt,
          ifElse(
            [
              at(l.farther, get(l.i), 3),
              get(l.own),
              f64Store(),
              at(l.closest, get(l.i), 3),
              get(l.v),
              f64Store(),
              at(l.labels, get(l.i), 2),
              get(l.c),
              i32Store(),
            ],
            [
              get(l.v),
              at(l.farther, get(l.i), 3),
              f64Load(),
              f64Lt,
              if_(at(l.farther, get(l.i), 3), get(l.v), f64Store()),
            ],
          ),
        ],
      ),
      get(l.pot),
      at(l.closest, get(l.i), 3),
      f64Load(),
      f64Add,
      set(l.pot),
    ]),
    get(l.pot),
  ],
);

/**
 * `trialChunk` of `kmeans-init.ts`: Σ min(closest, d²(point, candidate)) over rows lo…hi of `x`, skipping the
 * points whose own centre is at least twice as far from the candidate (`quarter`: this trial's row).
 */
const trial = func(
  "trial",
  [
    ["lo", i32],
    ["hi", i32],
    ["d", i32],
    ["x", i32],
    ["closest", i32],
    ["nearest", i32],
    ["quarter", i32],
    ["candidate", i32],
  ] as const,
  [f64],
  [...DIST_LOCALS, ["i", i32], ["row", i32], ["dBytes", i32], ["own", f64], ["pot", f64]] as const,
  (l) => [
    ...distSetup(l),
    ...rowBytes(l),
    ...forEachRow(l, get(l.x), [
      at(l.closest, get(l.i), 3),
      f64Load(),
      set(l.own),
      get(l.pot),
      at(l.quarter, [at(l.nearest, get(l.i), 2), i32Load()], 3),
      f64Load(),
      get(l.own),
      f64Ge,
      ifElseOf(f64, [get(l.own)], [dist(l, get(l.row), get(l.candidate)), get(l.own), f64Min]),
      f64Add,
      set(l.pot),
    ]),
    get(l.pot),
  ],
);

/** Pages of 64 KiB a memory may grow to (4 GiB: the whole 32-bit address space). */
export const MAX_PAGES = 65_536;

export interface Kernels {
  hamerlyAssign(
    lo: number,
    hi: number,
    d: number,
    k: number,
    data: number,
    centers: number,
    labels: number,
    half: number,
    drift: number,
    upper: number,
    lower: number,
    rest: number,
    second: number,
    sums: number,
    sizes: number,
    maxDrift: number,
    slack: number,
  ): number;
  seedFirst(
    lo: number,
    hi: number,
    d: number,
    data: number,
    centers: number,
    closest: number,
    farther: number,
    labels: number,
  ): number;
  seedAdd(
    lo: number,
    hi: number,
    d: number,
    c: number,
    data: number,
    centers: number,
    closest: number,
    farther: number,
    labels: number,
    toNew: number,
    apart: number,
  ): number;
  trial(
    lo: number,
    hi: number,
    d: number,
    x: number,
    closest: number,
    nearest: number,
    quarter: number,
    candidate: number,
  ): number;
}

let bytes: Uint8Array<ArrayBuffer> | null | undefined;

/** The module's bytes, or null when this engine has no WebAssembly SIMD (or no shared memory). */
export function kernelBytes(): Uint8Array<ArrayBuffer> | null {
  if (bytes === undefined) {
    const b = assemble([hamerlyAssign, seedFirst, seedAdd, trial], MAX_PAGES);
    bytes = typeof WebAssembly === "object" && WebAssembly.validate(b) ? b : null;
  }
  return bytes;
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, Kernels>();

/** The kernels over `memory` (one instance per memory and thread), or null without WebAssembly SIMD. */
export function kernelsFor(memory: WebAssembly.Memory): Kernels | null {
  let k = instances.get(memory);
  if (k) return k;
  if (compiled === undefined) {
    const b = kernelBytes();
    compiled = b ? new WebAssembly.Module(b) : null;
  }
  if (!compiled) return null;
  k = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Kernels;
  instances.set(memory, k);
  return k;
}
