import { refreshSegments } from "../../src/segments/segment-refresh.js";
import { openSession } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database location (any engine; refreshed in full as of the given time), as-of (ISO). The segment
 * benchmark's "day" scenario in portable SQL: the latest 1% of the events up to as-of are replayed into the day
 * after it with new message ids, the customers they touch marked dirty since their earliest new event and their
 * last_seen moved as an import would; then the refresh a day later is timed (it must take the incremental path).
 */
const [db, asOfText] = process.argv.slice(2) as [string, string];
const asOf = new Date(asOfText);
const at = (t: Date) => sql.param(t.toISOString().replace("T", " ").replace("Z", ""), "timestamp");
const engine = await openSession(db);
const d = engine.dialect;
const before = Number((await engine.query("SELECT count(*) AS n FROM events")).column("n")[0]);
// The cut: the time of the event 1% from the end (exact, the same on every engine).
const cut = (
  await engine.query(
    sql`SELECT ts FROM events WHERE ts <= ${at(asOf)} ORDER BY ts DESC LIMIT 1 OFFSET ${sql.param(Math.floor(before / 100), "integer")}`,
  )
).column("ts")[0] as Date;
const span = (asOf.getTime() - cut.getTime()) / 1000;
const later = new Date(asOf.getTime() + 86_400_000);
const epoch = (t: Date) => t.getTime() / 1000;
await engine.transaction(async () => {
  // A replayed event keeps its place within the replay: as_of + (ts − cut) · day / span.
  const replayed = d.timestampFromEpochSeconds(
    d.cast(
      sql`floor(${epoch(asOf)} + (${d.epochSeconds(sql`ts`)} - ${epoch(cut)}) * ${86_400 / span})`,
      "integer",
    ),
  );
  await engine.run(
    sql`INSERT INTO events (message_id, customer_id, user_id, anonymous_id, type, event, ts, properties)
        SELECT concat(message_id, '-replay'), customer_id, user_id, anonymous_id, type, event, ${replayed}, properties
          FROM events WHERE ts > ${at(cut)} AND ts <= ${at(asOf)}`,
  );
  const fresh = sql`SELECT customer_id, min(ts) AS lo, max(ts) AS hi FROM events
                     WHERE ts > ${at(asOf)} AND ts <= ${at(later)} AND customer_id IS NOT NULL GROUP BY customer_id`;
  await engine.run(
    sql`INSERT INTO segment_dirty (customer_id, marked_at, since) SELECT customer_id, ${d.now()}, lo FROM (${fresh}) x`,
  );
  await engine.run(
    d.updateFrom({
      table: "customers",
      columns: await engine.tableColumns("customers"),
      key: "customer_id",
      source: sql`(${fresh})`,
      set: [["last_seen", sql`greatest(coalesce(t.last_seen, src.hi), src.hi)`]],
    }),
  );
});
// An import is its own command, whose end writes what it changed to disk (and compacts): not the refresh's cost.
await engine.run(d.checkpoint());
await engine.compact();
const after = Number((await engine.query("SELECT count(*) AS n FROM events")).column("n")[0]);

const stop = startTimer();
const inc = await refreshSegments(engine, { asOf: later });
// Part of `tessera segment refresh` (a write operation): compacting what it left, where the engine needs it.
await engine.compact();
const timed = stop();
engine.close();
report({
  ...timed,
  mode: inc.mode,
  recomputed: inc.recomputed,
  phases: inc.phases,
  addedEvents: after - before,
  addedShare: (after - before) / before,
  later: later.toISOString(),
  sizes: Object.fromEntries(inc.segments.map((s) => [s.id, s.size])),
});
