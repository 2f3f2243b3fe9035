import { refreshSegments } from "../../src/segments/segment-refresh.js";
import { openSession } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database (any engine; refreshed in full as of the given time), as-of (ISO), scenario ("day" | "span"),
 * in portable SQL (the segment and the engines benchmarks both run it). Adds 1% more
 * events the way an import would: the latest 1% of the stream (a few days of traffic) replayed after the as-of
 * time with new message ids, the customers they touch marked dirty (since their earliest new event) and their
 * last_seen moved as the importer does. Then times the refresh that follows, which must take the incremental path:
 *   "day"  the replay is compressed into the day after as-of and the refresh runs a day later (a daily refresh
 *          after a busy day);
 *   "span" the replay keeps its pace (shifted by its own span) and the refresh runs that span later.
 * (The benchmark then checks it against a full refresh at the same time, in a process of its own.)
 */
const [db, asOfText, scenario = "day"] = process.argv.slice(2) as [string, string, string?];
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
const spanSeconds = Math.round((asOf.getTime() - cut.getTime()) / 1000);
const gapSeconds = scenario === "span" ? spanSeconds : 86_400;
const later = new Date(asOf.getTime() + gapSeconds * 1000);
const epoch = (t: Date) => t.getTime() / 1000;
await engine.transaction(async () => {
  // A replayed event keeps its place within the replay: as_of + (ts − cut) · gap / span, in whole seconds.
  const replayed = d.timestampFromEpochSeconds(
    d.cast(
      sql`floor(${epoch(asOf)} + (${d.epochSeconds(sql`ts`)} - ${epoch(cut)}) * ${gapSeconds / spanSeconds})`,
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
// An import is its own command: its process closes the database, which writes what it changed to disk (a
// checkpoint), and it compacts what it rewrote. Here it shares the refresh's process, so both are done
// explicitly, or the refresh would pay for the import's writes.
await engine.run(d.checkpoint());
await engine.compact();
const after = Number((await engine.query("SELECT count(*) AS n FROM events")).column("n")[0]);
const touched = Number(
  (await engine.query("SELECT count(DISTINCT customer_id) AS n FROM segment_dirty")).column("n")[0],
);

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
  touchedCustomers: touched,
  later: later.toISOString(),
  scenario,
  replaySpanHours: Math.round(spanSeconds / 36) / 100,
  sizes: Object.fromEntries(inc.segments.map((s) => [s.id, s.size])),
});
