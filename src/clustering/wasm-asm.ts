/**
 * A minimal WebAssembly assembler: just what the k-means kernels (`wasm-kernels.ts`) need. The module's bytes are
 * built here at load time because the project has no WebAssembly toolchain (and wants no binary blob in the
 * sources): every instruction is a function returning its encoding, a function body is a flat list of them.
 */

/** Value types. */
export const i32 = 0x7f;
export const f64 = 0x7c;
export const v128 = 0x7b;
/** The block type of a block with no result. */
const VOID = 0x40;

export type Code = number | Code[];

function flat(code: Code[], out: number[] = []): number[] {
  for (const c of code) {
    if (typeof c === "number") out.push(c);
    else flat(c, out);
  }
  return out;
}

/** Unsigned LEB128. */
function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit values). */
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Locals and control. */
export const get = (l: number): Code => [0x20, ...uleb(l)];
export const set = (l: number): Code => [0x21, ...uleb(l)];
export const tee = (l: number): Code => [0x22, ...uleb(l)];
export const block = (...body: Code[]): Code => [0x02, VOID, ...body, 0x0b];
export const loop = (...body: Code[]): Code => [0x03, VOID, ...body, 0x0b];
export const if_ = (...body: Code[]): Code => [0x04, VOID, ...body, 0x0b];
export const ifElse = (then: Code[], otherwise: Code[]): Code => [
  0x04,
  VOID,
  ...then,
  0x05,
  ...otherwise,
  0x0b,
];
/** An if/else whose branches leave one value of type `type`. */
export const ifElseOf = (type: number, then: Code[], otherwise: Code[]): Code => [
  0x04,
  type,
  ...then,
  0x05,
  ...otherwise,
  0x0b,
];
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number): Code => [0x0d, ...uleb(depth)];
export const select: Code = 0x1b;
export const call = (fn: number): Code => [0x10, ...uleb(fn)];

/** i32. */
export const i32c = (v: number): Code => [0x41, ...sleb(v | 0)];
export const i32Load = (offset = 0): Code => [0x28, 2, ...uleb(offset)];
export const i32Store = (offset = 0): Code => [0x36, 2, ...uleb(offset)];
export const i32Eqz: Code = 0x45;
export const i32Eq: Code = 0x46;
export const i32Ne: Code = 0x47;
export const i32LtS: Code = 0x48;
export const i32LtU: Code = 0x49;
export const i32GeU: Code = 0x4f;
export const i32Add: Code = 0x6a;
export const i32Sub: Code = 0x6b;
export const i32Mul: Code = 0x6c;
export const i32And: Code = 0x71;
export const i32Or: Code = 0x72;
export const i32Shl: Code = 0x74;
export const i32ShrU: Code = 0x76;

/** f64. */
export const f64c = (v: number): Code => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
export const f64Load = (offset = 0): Code => [0x2b, 3, ...uleb(offset)];
export const f64Store = (offset = 0): Code => [0x39, 3, ...uleb(offset)];
export const f64Eq: Code = 0x61;
export const f64Lt: Code = 0x63;
export const f64Gt: Code = 0x64;
export const f64Ge: Code = 0x66;
export const f64Sqrt: Code = 0x9f;
export const f64Add: Code = 0xa0;
export const f64Sub: Code = 0xa1;
export const f64Mul: Code = 0xa2;
export const f64Min: Code = 0xa4;

/** SIMD (the 0xfd prefix; sub-opcodes as unsigned LEB128). */
const simd = (op: number, ...rest: number[]): Code => [0xfd, ...uleb(op), ...rest];
export const v128Load = (offset = 0): Code => simd(0x00, 3, ...uleb(offset));
/** Loads 8 bytes into lane 0 and zeroes lane 1. */
export const v128Load64Zero = (offset = 0): Code => simd(0x5d, 3, ...uleb(offset));
export const v128Zero: Code = simd(0x0c, ...new Array<number>(16).fill(0));
export const f64x2Lane = (lane: number): Code => simd(0x21, lane);
export const f64x2Add: Code = simd(0xf0);
export const f64x2Sub: Code = simd(0xf1);
export const f64x2Mul: Code = simd(0xf2);

export interface Func {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  /** Types of the locals after the parameters. */
  readonly locals: readonly number[];
  readonly body: Code[];
}

/**
 * A module importing a shared memory (`env.memory`, up to `maxPages` pages) and exporting `funcs` (function i is
 * funcs[i], for `call`).
 */
export function assemble(funcs: readonly Func[], maxPages: number): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  // Limits flag 3: a maximum, and shared.
  const memory = [...name("env"), ...name("memory"), 0x02, 0x03, ...uleb(0), ...uleb(maxPages)];
  const exports = funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const code = [...locals, ...flat(f.body), 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([memory])),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
