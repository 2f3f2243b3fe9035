import {
  buildFeatures,
  compileSegments,
  evaluatedSizes,
  FEATURE_TABLE,
  FEATURES,
} from "../../src/segments/evaluate.js";
import { loadSchemaContext } from "../../src/segments/schema-context.js";
import { openSession } from "../../src/store/open-store.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database (with the benchmark's segments saved), as-of (ISO). Times the evaluation alone: the feature table
 * and every segment's members built in temporary tables and counted, nothing stored (what `segment refresh
 * --as-of` does for a time before the latest refresh). The same work as the hand-written queries, which store
 * nothing either; the full refresh adds persisting the feature table and the membership history.
 */
const [db, asOfText] = process.argv.slice(2) as [string, string];
const asOf = new Date(asOfText);
const engine = await openSession(db);
const stop = startTimer();
const schema = await loadSchemaContext(engine, { events: false });
const ids = [...schema.segments.keys()];
const compiled = compileSegments(engine, [...schema.segments.values()], schema, asOf);
await buildFeatures(engine, compiled, schema, asOf, FEATURE_TABLE);
const sizes = await evaluatedSizes(engine, compiled, ids, FEATURES);
const timed = stop();
engine.close();
report({ ...timed, sizes: Object.fromEntries(sizes) });
