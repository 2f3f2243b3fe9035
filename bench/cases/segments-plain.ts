import { DuckDBInstance } from "@duckdb/node-api";
import { report, startTimer } from "../measure.js";
import { SEGMENTS } from "../segments/definitions.js";
import { countQuery } from "../segments/queries.js";

/**
 * argv: database, as-of (ISO). The baseline on the same DuckDB file: one hand-written query per segment, run one
 * after another, each counting its members. Reports the total time, and each query's time and count.
 */
const [db, asOfText] = process.argv.slice(2) as [string, string];
const asOf = new Date(asOfText);
const instance = await DuckDBInstance.create(db);
const conn = await instance.connect();
const sizes: Record<string, number> = {};
const perQuery: Record<string, number> = {};
const stop = startTimer();
for (const { id } of SEGMENTS) {
  const q0 = performance.now();
  const r = await conn.runAndReadAll(countQuery(id, asOf));
  perQuery[id] = Math.round(performance.now() - q0) / 1000;
  sizes[id] = Number(r.getRows()[0]?.[0]);
}
const timed = stop();
conn.closeSync();
instance.closeSync();
report({ ...timed, sizes, perQuery });
