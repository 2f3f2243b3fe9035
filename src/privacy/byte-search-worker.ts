import { parentPort, workerData } from "node:worker_threads";
import { type SearchPlan, searchRange } from "./byte-search.js";

/** A worker thread of `searchFileThreaded`: searches its range of the file and posts the result. */
const { path, plan, start, end } = workerData as {
  path: string;
  plan: SearchPlan;
  start: number;
  end: number;
};
parentPort?.postMessage(searchRange(path, plan, start, end));
