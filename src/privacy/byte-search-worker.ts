import { parentPort, workerData } from "node:worker_threads";
import { searchRange } from "./byte-search.js";

/** A worker thread of `searchFileThreaded`: searches its range of the file and posts the result. */
const { path, needles, start, end } = workerData as {
  path: string;
  needles: string[];
  start: number;
  end: number;
};
parentPort?.postMessage(
  searchRange(
    path,
    needles.map((n) => Buffer.from(n, "base64")),
    start,
    end,
  ),
);
