import { rfm } from "../../src/analytics/rfm.js";
import { saveSegment } from "../../src/segments/segment-store.js";
import { openSession } from "../../src/store/open-store.js";
import { report } from "../measure.js";
import { SEGMENTS } from "../segments/definitions.js";

/**
 * argv: database, as-of (ISO). Not timed: scores RFM as of that time (the computed values two definitions use)
 * and saves the benchmark's segment definitions.
 */
const [db, asOfText] = process.argv.slice(2) as [string, string];
const engine = await openSession(db);
const t0 = performance.now();
await rfm(engine, { asOf: new Date(asOfText) });
for (const def of SEGMENTS) await saveSegment(engine, def);
const computed = await engine.query("SELECT count(*) AS n FROM computed_registry");
engine.close();
report({ seconds: (performance.now() - t0) / 1000, computed: Number(computed.column("n")[0]) });
