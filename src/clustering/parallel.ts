import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { UserError } from "../errors.js";
import { defaultInitialisations, type KMeansOptions, type KMeansResult, kmeans } from "./kmeans.js";
import type { Matrix } from "./matrix.js";

/** Below this many points the initialisations run one after the other: threads would cost more than they save. */
export const PARALLEL_MIN_POINTS = 200_000;

const WORKER = new URL("./kmeans-worker.js", import.meta.url);

/**
 * How many worker threads k-means may use: one per initialisation, at most one per core (`TESSERA_THREADS`
 * overrides; 1 disables). None when running from the TypeScript sources (tests), where no compiled worker exists.
 */
export function workerCount(nInit: number, n: number): number {
  if (n < PARALLEL_MIN_POINTS || nInit < 2 || !existsSync(fileURLToPath(WORKER))) return 0;
  const env = Number(process.env.TESSERA_THREADS);
  const cores = Number.isInteger(env) && env > 0 ? env : availableParallelism();
  return cores > 1 ? Math.min(nInit, cores) : 0;
}

interface Pending {
  resolve(r: KMeansResult): void;
  reject(e: Error): void;
}

/** Worker threads kept for the life of the process; referenced only while they work, so never keeping it alive. */
class Pool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  worker(i: number): Worker {
    let w = this.workers[i];
    if (!w) {
      w = new Worker(WORKER);
      w.on(
        "message",
        (m: {
          id: number;
          result?: KMeansResult;
          error?: { message: string; code?: string; where?: string };
        }) => {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          // Idle workers must not keep the process alive; busy ones must (their answer is awaited).
          if (this.pending.size === 0) for (const x of this.workers) x.unref();
          if (!p) return;
          if (m.error)
            p.reject(
              m.error.code
                ? new UserError(m.error.code, m.error.message.replace(/^[^:]*: /, ""), m.error.where)
                : new Error(m.error.message),
            );
          else p.resolve(m.result as KMeansResult);
        },
      );
      this.workers[i] = w;
    }
    return w;
  }

  run(i: number, task: Omit<Parameters<Worker["postMessage"]>[0], "id">): Promise<KMeansResult> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const w = this.worker(i);
      w.ref();
      w.postMessage({ ...task, id });
    });
  }
}

let pool: Pool | undefined;
const sharedCopies = new WeakMap<Float64Array, { buffer: SharedArrayBuffer; key: number }>();
let nextKey = 0;

/** The matrix's values in shared memory (copied once per matrix), with a key the workers cache them by. */
function shared(x: Matrix): { buffer: SharedArrayBuffer; key: number } {
  let copy = sharedCopies.get(x.data);
  if (!copy) {
    const buffer = new SharedArrayBuffer(x.data.byteLength);
    new Float64Array(buffer).set(x.data);
    copy = { buffer, key: nextKey++ };
    sharedCopies.set(x.data, copy);
  }
  return copy;
}

/**
 * k-means with its initialisations spread over worker threads on large bases: the same result as `kmeans`
 * (each initialisation is computed exactly as it would be in sequence; the lowest inertia wins, the first on a
 * tie), just sooner on a multi-core machine.
 */
export async function kmeansParallel(x: Matrix, opts: KMeansOptions): Promise<KMeansResult> {
  const nInit = opts.init ? 1 : (opts.nInit ?? defaultInitialisations(x.n));
  const workers = workerCount(nInit, x.n);
  if (workers === 0 || x.n < opts.k) return kmeans(x, opts);
  pool ??= new Pool();
  const p = pool;
  // Start the threads first: they load their modules while the matrix is copied into shared memory.
  for (let w = 0; w < workers; w++) p.worker(w);
  const { buffer, key } = shared(x);
  const { init: _init, ...plain } = opts;
  const results: KMeansResult[] = new Array(nInit);
  let nextStream = 0;
  // Each worker takes the next initialisation as soon as it is free.
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (nextStream < nInit) {
        const stream = nextStream++;
        results[stream] = await p.run(w, { buffer, key, n: x.n, d: x.d, opts: plain, stream });
      }
    }),
  );
  // The workers' own copies of the matrix are dropped once its initialisations are done.
  for (let w = 0; w < workers; w++) p.worker(w).postMessage({ release: key });
  let best = results[0] as KMeansResult;
  for (const r of results) if (r.inertia < best.inertia) best = r;
  return best;
}
