import { refreshSegments } from "../../src/segments/segment-refresh.js";
import { openSession } from "../../src/store/open-store.js";
import { report, startTimer } from "../measure.js";

/** argv: database (with the benchmark's segments saved), as-of (ISO). Times one full refresh of every segment. */
const [db, asOfText] = process.argv.slice(2) as [string, string];
const engine = await openSession(db);
const stop = startTimer();
const r = await refreshSegments(engine, { asOf: new Date(asOfText), mode: "full" });
// Part of `tessera segment refresh` (a write operation): compacting what it left, where the engine needs it.
await engine.compact();
const timed = stop();
engine.close();
report({
  ...timed,
  mode: r.mode,
  features: r.features,
  recomputed: r.recomputed,
  phases: r.phases,
  sizes: Object.fromEntries(r.segments.map((s) => [s.id, s.size])),
  // Stays opened or closed by this refresh (none when it repeats one at the same time).
  changes: r.segments.reduce((n, s) => n + s.entered + s.exited, 0),
});
