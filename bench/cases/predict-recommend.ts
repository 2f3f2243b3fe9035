import { runOperation } from "../../src/operations/operation.js";
import { recommendFitOperation } from "../../src/operations/recommend-operations.js";
import { openStore } from "../../src/store/open-store.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database (any engine). Fits the recommender as `tessera recommend fit` does (EASE^R on the order lines, the
 * top items of every buyer stored): what issue 19 times as "fit + top-10 for everyone". Reports the seconds, the
 * items and customers, and the stored rows.
 */
const [db] = process.argv.slice(2) as [string];
const store = await openStore(db);
const stop = startTimer();
const fit = await runOperation(store, recommendFitOperation, { stored: 10 });
const timed = stop();
await store.close();
report({ ...timed, fit: JSON.parse(JSON.stringify(fit)) as unknown });
