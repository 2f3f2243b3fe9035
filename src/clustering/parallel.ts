import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { threadsSetting, workerScript } from "../common/worker-threads.js";
import { type KMeansOptions, type KMeansResult, kmeans, kmeansWith } from "./kmeans.js";
import { runTask } from "./kmeans-tasks.js";
import type { Matrix } from "./matrix.js";
import { controlBlock, Team } from "./worker-pool.js";

/** Below this many points k-means runs on the main thread alone: threads would cost more than they save. */
export const PARALLEL_MIN_POINTS = 200_000;

const COMPILED = new URL("./kmeans-worker.js", import.meta.url);
const SOURCE = new URL("./kmeans-worker.ts", import.meta.url);

/**
 * How many threads k-means uses on n points, the main thread included: one per core (`TESSERA_THREADS`
 * overrides; 1 disables). One when running from the TypeScript sources, unless a caller asks for more.
 */
export function threadCount(n: number): number {
  const setting = threadsSetting();
  if (n < PARALLEL_MIN_POINTS || !existsSync(fileURLToPath(COMPILED))) return 1;
  return setting ?? availableParallelism();
}

/**
 * Worker threads kept for the life of the process, started as first needed and never awaited: a fit is posted
 * to them at once and they join its passes when they have loaded (the main thread claims every task they do
 * not), so a cold start does not wait ~50–100 ms for them. Unreferenced: they never keep the process alive.
 */
class Pool {
  private readonly workers: Worker[] = [];
  /** Settles when each worker has loaded (or failed): only for callers that want them up first (the tests). */
  readonly loaded = new Map<Worker, Promise<void>>();

  constructor(private readonly script: URL) {}

  /** `count` workers, started if need be. */
  get(count: number): Worker[] {
    while (this.workers.length < count) {
      const w = new Worker(this.script);
      w.unref();
      // A worker that fails or ends leaves the pool; its fit's tasks are done by the other threads.
      const drop = () => {
        const at = this.workers.indexOf(w);
        if (at >= 0) this.workers.splice(at, 1);
      };
      w.on("error", drop);
      w.on("exit", drop);
      this.loaded.set(
        w,
        new Promise<void>((resolve) => {
          w.once("message", () => resolve());
          w.once("exit", () => resolve());
        }),
      );
      this.workers.push(w);
    }
    return this.workers.slice(0, count);
  }
}

let pool: Pool | undefined;
const sharedCopies = new WeakMap<Float64Array, Float64Array>();

/** The matrix's values in shared memory (copied once per matrix). */
function shared(x: Matrix): Float64Array {
  let copy = sharedCopies.get(x.data);
  if (!copy) {
    copy = new Float64Array(new SharedArrayBuffer(x.data.byteLength));
    copy.set(x.data);
    sharedCopies.set(x.data, copy);
  }
  return copy;
}

/**
 * Starts the workers `threads` threads need and resolves once they have loaded. Never needed (a fit does not
 * wait for its workers); the tests use it so that the workers surely take part.
 */
export async function startWorkers(threads: number): Promise<void> {
  const script = workerScript(COMPILED, SOURCE);
  if (!script || threads < 2) return;
  pool ??= new Pool(script);
  const p = pool;
  const workers = p.get(threads - 1);
  // Referenced while loading: the process must not end before they answer.
  for (const w of workers) w.ref();
  await Promise.all(workers.map((w) => p.loaded.get(w)));
  for (const w of workers) w.unref();
}

/**
 * k-means with every pass over the points shared by the main thread and worker threads on large bases
 * (`threads` in all; default `threadCount`): exactly the result of `kmeans`, sooner on a multi-core machine.
 * Each initialisation runs on all threads in turn (rows split, not initialisations): the threads stay busy
 * whatever the number of initialisations, and the workers never need a copy of the matrix of their own.
 */
export async function kmeansParallel(
  x: Matrix,
  opts: KMeansOptions,
  threads?: number,
): Promise<KMeansResult> {
  const workers = (threads ?? threadCount(x.n)) - 1;
  const script = workers > 0 ? workerScript(COMPILED, SOURCE) : null;
  if (!script || x.n < opts.k) return kmeans(x, opts);
  pool ??= new Pool(script);
  // The threads start (loading their modules) while the matrix is copied into shared memory.
  const team = pool.get(workers);
  return kmeansWith(x, opts, {
    sharedData: () => shared(x),
    open(state) {
      const control = controlBlock();
      for (const w of team) w.postMessage({ state, control });
      return new Team((phase, task) => runTask(state, phase, task), control);
    },
  });
}
