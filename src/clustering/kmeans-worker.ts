/**
 * A worker thread running k-means initialisations for `parallel.ts`: the data arrive once as shared memory,
 * each task is one initialisation (its stream number), the result goes back with its labels transferred.
 */
import { parentPort } from "node:worker_threads";
import { type KMeansOptions, kmeans } from "./kmeans.js";

interface Task {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  readonly n: number;
  readonly d: number;
  readonly opts: KMeansOptions;
  readonly stream: number;
}

parentPort?.on("message", (t: Task) => {
  try {
    const r = kmeans(
      { n: t.n, d: t.d, data: new Float64Array(t.buffer) },
      { ...t.opts, nInit: 1, initOffset: t.stream },
    );
    parentPort?.postMessage({ id: t.id, result: r }, [r.labels.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({
      id: t.id,
      error:
        e instanceof Error
          ? {
              message: e.message,
              code: (e as { code?: string }).code,
              where: (e as { where?: string }).where,
            }
          : { message: String(e) },
    });
  }
});
