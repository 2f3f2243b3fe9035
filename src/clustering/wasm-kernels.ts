/**
 * The hot loops of k-means as WebAssembly with SIMD (two f64 lanes), over arrays in one shared
 * `WebAssembly.Memory`: Hamerly's assignment step and the k-means++ passes. Each is the JS kernel of the same name
 * (`hamerly.ts`, `kmeans-init.ts`) instruction for instruction, and gives bit-identical results: `sqDist` keeps
 * two accumulators, the even columns and the odd ones, added at the end, which is exactly what the two lanes of
 * an f64x2 accumulator do (separate multiply and add, no fused multiply-add). So the JS kernels remain the
 * fallback where WebAssembly SIMD is missing, and any mix of the two gives the same result.
 *
 * Arguments are byte addresses into the memory; every kernel works on rows lo…hi (one chunk). The kernels are
 * built in `wasm-hamerly.ts` and `wasm-seeding.ts` from the blocks of `wasm-blocks.ts`; this module assembles
 * them (`wasm-asm.ts`) and instantiates them on a memory.
 */
import { assemble } from "./wasm-asm.js";
import { hamerlyAssign } from "./wasm-hamerly.js";
import { seedAdd, seedFirst, trial } from "./wasm-seeding.js";

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
