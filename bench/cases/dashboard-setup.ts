import { runOperation } from "../../src/operations/operation.js";
import { auditRecordOperation } from "../../src/operations/quality-operations.js";
import { segmentAddOperation, segmentRefreshOperation } from "../../src/operations/segment-operations.js";
import { rfmOperation } from "../../src/operations/value-operations.js";
import { openStore } from "../../src/store/open-store.js";
import { report } from "../measure.js";
import { SEGMENTS } from "../segments/definitions.js";

/**
 * argv: database (the data set imported). Not timed: brings it to what a dashboard user has, through the
 * operations: RFM scored, the segment benchmark's segments saved and refreshed at three month-ends before the
 * data's end and at its end (their history: the overview's trend lines), and one audit recorded.
 */
const [db] = process.argv.slice(2) as [string];
const store = await openStore(db);
const t0 = performance.now();
const scored = await runOperation(store, rfmOperation, {});
for (const def of SEGMENTS) await runOperation(store, segmentAddOperation, { definition: def });
const end = new Date(scored.asOf);
for (const monthsBack of [3, 2, 1]) {
  const asOf = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - monthsBack + 1, 0, 23, 59, 59));
  await runOperation(store, segmentRefreshOperation, { asOf: asOf.toISOString() });
}
await runOperation(store, segmentRefreshOperation, {});
await runOperation(store, auditRecordOperation, {});
await store.close();
report({ seconds: (performance.now() - t0) / 1000 });
