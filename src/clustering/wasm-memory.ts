/**
 * The shared `WebAssembly.Memory` a k-means fit lives in when its kernels run as WebAssembly (`wasm-kernels.ts`):
 * the matrix is copied in once per matrix, and each fit's arrays are carved out after it (the previous fit's
 * space reused). The memory is shared, so its buffer is a SharedArrayBuffer: worker threads receive the memory
 * itself, instantiate the kernels on it and read the same arrays, with no copy per pass.
 */
import type { Matrix } from "./matrix.js";
import { kernelBytes, MAX_PAGES } from "./wasm-kernels.js";

const PAGE = 65_536;
/** Leaves a fit's arrays aligned for 16-byte loads (not required, but an unaligned v128 load can be slower). */
const ALIGN = 16;
/**
 * The most a memory may hold: wasm32 addresses reach 4 GiB, and larger matrices keep to the JS kernels. Below
 * the limit, with room for a fit's own arrays (about 40 bytes per point for Hamerly's).
 */
const MAX_BYTES = 3.5 * 1024 ** 3;

/**
 * Below this many points a fit keeps to the JS kernels: a WebAssembly memory reserves gigabytes of address
 * space whatever its size, which a few hundred small fits (choosing k, stability, tests) would pile up, and
 * the kernels gain a few milliseconds there at most. Same results either way (see `wasm-kernels.ts`).
 */
export const WASM_MIN_POINTS = 16_384;

let enabled = true;

/** Turns the WebAssembly kernels off (or back on) for the fits that start afterwards: the tests compare both. */
export function setWasmKernels(on: boolean): void {
  enabled = on;
}

/** A matrix copied into a shared WebAssembly memory, and room after it for one fit's arrays at a time. */
export class Arena {
  readonly memory: WebAssembly.Memory;
  /** The matrix's values, at address 0. */
  readonly data: Float64Array;
  private readonly base: number;
  private top: number;

  constructor(values: Float64Array, rows: number) {
    this.base = align(values.byteLength);
    const pages = Math.ceil((this.base + 48 * rows + (1 << 20)) / PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
    this.data = new Float64Array(this.memory.buffer, 0, values.length);
    this.data.set(values);
    this.top = this.base;
  }

  /** Frees every array carved out since the matrix: a new fit starts. */
  reset(): void {
    this.top = this.base;
  }

  /** A new array of zeros. */
  f64(length: number): Float64Array {
    const at = this.take(length * 8);
    return new Float64Array(this.memory.buffer, at, length).fill(0);
  }

  /** A new array of zeros. */
  i32(length: number): Int32Array {
    const at = this.take(length * 4);
    return new Int32Array(this.memory.buffer, at, length).fill(0);
  }

  private take(bytes: number): number {
    const at = this.top;
    this.top = align(at + bytes);
    const size = this.memory.buffer.byteLength;
    if (this.top > size) this.memory.grow(Math.ceil((this.top - size) / PAGE));
    return at;
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

const arenas = new WeakMap<Float64Array, Arena>();

/**
 * The memory of fits on `x` (made on first use, kept as long as the matrix), or null when they use the JS
 * kernels: no WebAssembly SIMD, turned off, too few points, or too large a matrix.
 */
export function arenaFor(x: Matrix): Arena | null {
  if (!enabled || x.n < WASM_MIN_POINTS || x.data.byteLength + 48 * x.n > MAX_BYTES || !kernelBytes())
    return null;
  let arena = arenas.get(x.data);
  if (!arena) {
    arena = new Arena(x.data, x.n);
    arenas.set(x.data, arena);
  }
  arena.reset();
  return arena;
}
