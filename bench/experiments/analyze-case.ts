import { analyzeExperiment } from "../../src/experiments/analysis.js";
import { hashDrawSql, variantSql } from "../../src/experiments/assignment-draw.js";
import { saveExperiment } from "../../src/experiments/experiments.js";
import { openStore } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database (a copy of the engine benchmark's data set), runs (default 3). Every customer is assigned to one
 * of three variants (control:34, offer-a:33, offer-b:33) by the assignment hash, written in SQL as `assign` writes
 * them, exposed 60 days before the end of the data; then the experiment is analysed as `experiment analyze` does
 * (per-arm sums in SQL from the raw events and orders, the statistics, the adjustment, the verdicts) with 5
 * metrics, CUPED on each: conversion:30d, revenue, orders, retention:14d and conversion on a named event within 7d.
 * Reports the fastest run's seconds (and each run's) against the 10 s target.
 */
const [db, runsText = "3"] = process.argv.slice(2) as [string, string?];
const runs = Number(runsText);
const ID = "bench-analyze";
const VARIANTS = [
  { name: "control", weight: 0.34 },
  { name: "offer-a", weight: 0.33 },
  { name: "offer-b", weight: 0.33 },
];
const store = await openStore(db);

const setup = startTimer();
const { exposed, end, assigned } = await store.write(async (engine) => {
  const r = await engine.query("SELECT max(ts) AS end FROM orders");
  const end = new Date(r.column("end")[0] as Date | string);
  const exposed = new Date(end.getTime() - 60 * 86_400_000);
  await engine.run(sql`DELETE FROM experiment_assignments WHERE experiment_id = ${ID}`);
  await engine.run(sql`DELETE FROM experiments WHERE experiment_id = ${ID}`);
  await saveExperiment(
    engine,
    {
      id: ID,
      exposures: "Experiment Viewed",
      variants: VARIANTS,
      metrics: [],
      start: new Date(exposed.getTime() - 1000),
      costs: [
        ["offer-a", 1],
        ["offer-b", 2],
      ],
    },
    "bench",
  );
  const d = engine.dialect;
  await engine.run(
    sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source)
        SELECT ${ID}, customer_id, ${variantSql(hashDrawSql(d, ID, sql`customer_id`), VARIANTS, 0)},
               ${sql.param(exposed.toISOString(), "timestamp")}, 'hash'
          FROM customers`,
  );
  const n = await engine.query(
    sql`SELECT count(*) AS n FROM experiment_assignments WHERE experiment_id = ${ID}`,
  );
  return { exposed, end, assigned: Number(n.column("n")[0]) };
});
const setupSeconds = setup().seconds;

const METRICS = [
  "conversion:30d+cuped",
  "revenue+cuped",
  "orders+cuped",
  "retention:14d+cuped",
  "conversion:event=Product Viewed:7d+cuped",
];
const times: number[] = [];
let summary: unknown;
for (let i = 0; i < runs; i++) {
  const t = startTimer();
  const a = await store.read((engine) =>
    analyzeExperiment(engine, ID, {
      engine: "frequentist",
      sequential: false,
      alpha: 0.05,
      segments: [],
      metrics: METRICS,
      asOf: end,
      k: 10,
    }),
  );
  times.push(t().seconds);
  summary = {
    assigned: a.assigned.map((x) => `${x.variant}:${x.people}`),
    srm: a.srm?.p,
    verdicts: a.metrics.map((m) => `${m.metric}: ${m.comparisons.map((c) => c.verdict).join("/")}`),
  };
}
await store.close();
report({
  seconds: Math.min(...times),
  runs: times.map((s) => Math.round(s * 1000) / 1000),
  setupSeconds: Math.round(setupSeconds * 1000) / 1000,
  assigned,
  exposed: exposed.toISOString(),
  metrics: METRICS,
  summary,
});
