import { writeFileSync } from "node:fs";
import { importBatchOperation } from "../../src/operations/ingest-operations.js";
import { runOperation } from "../../src/operations/operation.js";
import { segmentAddOperation, segmentRefreshOperation } from "../../src/operations/segment-operations.js";
import { rfmOperation } from "../../src/operations/value-operations.js";
import { openStore } from "../../src/store/open-store.js";
import { report } from "../measure.js";
import { SEGMENTS } from "../segments/definitions.js";
import { PROBE_SEGMENT } from "../server/live.js";

/**
 * argv: database (its data imported), file for a sample of customer ids. Not timed: prepares the live benchmark's
 * starting point as a user would, through the operations: RFM scored and the benchmark's segments saved, with the
 * probe segment (empty until the benchmark's probe events arrive), and refreshed once, all at the default as-of.
 * Writes 20,000 customer ids (the load generator's people).
 */
const [db, idsFile] = process.argv.slice(2) as [string, string];
const store = await openStore(db);
const t0 = performance.now();
await runOperation(store, rfmOperation, {});
// A segment on an event never seen is refused at save (a misspelt name, most often): one probe event from before
// the probe segment's window makes the name known without putting anyone in it.
await runOperation(store, importBatchOperation, {
  kind: "events",
  source: "benchmark set-up",
  rows: [
    {
      customer_id: "bench-warm-up",
      event: "Bench Probe",
      timestamp: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    },
  ],
});
for (const def of [...SEGMENTS, PROBE_SEGMENT])
  await runOperation(store, segmentAddOperation, { definition: def });
const refreshed = await runOperation(store, segmentRefreshOperation, {});
const ids = await store.read(async (s) =>
  (await s.query("SELECT customer_id FROM customers ORDER BY hash(customer_id) LIMIT 20000")).column(
    "customer_id",
  ),
);
await store.close();
writeFileSync(idsFile, JSON.stringify(ids));
report({ seconds: (performance.now() - t0) / 1000, refreshed: refreshed.asOfChoice });
