import { audienceCreateOperation, audienceShowOperation } from "../../src/operations/audience-operations.js";
import { runOperation } from "../../src/operations/operation.js";
import { segmentAddOperation, segmentRefreshOperation } from "../../src/operations/segment-operations.js";
import { openStore } from "../../src/store/open-store.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database (a copy of the 1M-customer data set), maximum age. Saves the segment `bench-young` (age below the
 * given one), refreshes, and saves the audience `bench-email` (that segment, for marketing by email): the
 * activation cases' audience. Reports its size (the consented members) and the refresh's seconds.
 */
const [db, maxAge] = process.argv.slice(2) as [string, string];
const store = await openStore(db);
await runOperation(store, segmentAddOperation, {
  definition: { id: "bench-young", name: "Young", where: { trait: "age", lt: Number(maxAge) } },
});
const stop = startTimer();
await runOperation(store, segmentRefreshOperation, {});
const refresh = stop();
await runOperation(store, audienceCreateOperation, {
  id: "bench-email",
  segments: { segment: "bench-young" },
  purpose: "marketing",
  channel: "email",
});
const shown = await runOperation(store, audienceShowOperation, { id: "bench-email" });
await store.close();
report({ seconds: refresh.seconds, audienceSize: shown.audience.size });
