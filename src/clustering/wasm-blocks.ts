/**
 * Building blocks of the k-means WebAssembly kernels (`wasm-kernels.ts`): functions with named locals, the
 * squared distance in two f64 lanes (`sqDist`'s order), the loop over a chunk's rows, and array addressing.
 */
import {
  block,
  br,
  brIf,
  type Code,
  type Func,
  f64Add,
  f64x2Add,
  f64x2Lane,
  f64x2Mul,
  f64x2Sub,
  get,
  i32,
  i32Add,
  i32And,
  i32c,
  i32GeU,
  i32Mul,
  i32Shl,
  i32ShrU,
  if_,
  loop,
  set,
  tee,
  v128,
  v128Load,
  v128Load64Zero,
  v128Zero,
} from "./wasm-asm.js";

/** Names → local indices of one function (parameters first). */
export type Locals<P extends string, L extends string> = Record<P | L, number>;

export function func<P extends string, L extends string>(
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
export const DIST_LOCALS = [
  ["p", i32],
  ["q", i32],
  ["e", i32],
  ["pairBytes", i32],
  ["odd", i32],
  ["acc", v128],
  ["z", v128],
] as const;
export type DistLocal = (typeof DIST_LOCALS)[number][0];

/** Sets pairBytes (16 per pair of columns) and odd from d. */
export function distSetup(l: Record<DistLocal | "d", number>): Code[] {
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
export function rowBytes(l: Record<"d" | "dBytes", number>): Code[] {
  return [get(l.d), i32c(3), i32Shl, set(l.dBytes)];
}

/**
 * The loop over rows lo..hi−1 of the matrix at `base` (code pushing its address): `i` and `row` (the row's
 * address) advance together; `body` runs once per row.
 */
export function forEachRow(
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
export function dist(l: Record<DistLocal, number>, a: Code, b: Code): Code[] {
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
export function at(base: number, index: Code, shift: number): Code[] {
  return [get(base), index, i32c(shift), i32Shl, i32Add];
}
