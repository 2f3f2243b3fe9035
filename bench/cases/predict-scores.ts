/**
 * Churn and launch propensity on a given database, one step per process (each reports its own peak memory):
 *   churn       <db> [horizon]             `tessera churn`: fit by a time split and score everyone (writes customer_churn)
 *   propensity  <db> <category> [horizon]  `tessera propensity fit --category C` (writes propensity.<category>)
 * The database is one a user made (e.g. `tessera generate --customers 1000000 … --into DB`); the run reports seconds,
 * the customers scored and the held-out quality beside the baseline, so speed and quality come from the same run.
 */

import { runOperation } from "../../src/operations/operation.js";
import { churnOperation, propensityFitOperation } from "../../src/operations/predict-operations.js";
import { openStore } from "../../src/store/open-store.js";
import { report, startTimer } from "../measure.js";

const [mode, db, ...rest] = process.argv.slice(2) as [string, string, ...string[]];
const store = await openStore(db);
const stop = startTimer();
if (mode === "churn") {
  const r = await runOperation(store, churnOperation, { horizon: rest[0] ?? "90d" });
  const time = stop();
  await store.close();
  report({ ...time, customers: r.customers, heldOutAuc: r.fit.heldOut.auc, iterations: r.fit.iterations });
} else if (mode === "propensity") {
  const r = await runOperation(store, propensityFitOperation, {
    category: rest[0] as string,
    horizon: rest[1] ?? "90d",
  });
  const time = stop();
  await store.close();
  report({
    ...time,
    scored: r.scored,
    trainingCustomers: r.training.customers,
    heldOutAuc: r.heldOut.model.auc,
    baselineAuc: r.heldOut.baseline.auc,
    liftTopDecile: r.heldOut.model.liftTopDecile,
    baselineLiftTopDecile: r.heldOut.baseline.liftTopDecile,
  });
} else {
  throw new Error(`unknown mode ${mode}: churn | propensity`);
}
