/**
 * A worker thread of `parallel.ts`: for each fit it receives the fit's state (in shared memory) and a control
 * block, then takes part in every pass of the fit (`worker-pool.ts`) until the main thread closes it, and goes back to
 * waiting for the next fit. It never copies the matrix: each task reads only its own chunk of rows.
 */
import { parentPort } from "node:worker_threads";
import type { KMeansState } from "./kmeans-state.js";
import { runTask } from "./kmeans-tasks.js";
import { serve } from "./worker-pool.js";

parentPort?.on("message", (m: { state: KMeansState; control: SharedArrayBuffer }) => {
  serve(m.control, (phase, task) => runTask(m.state, phase, task));
});
// Loaded: only `startWorkers` listens.
parentPort?.postMessage("loaded");
