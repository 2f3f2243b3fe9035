import { refreshSegments } from "../../src/segments/segment-refresh.js";
import { openSession } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database (refreshed in full as of the given time), as-of (ISO), scenario ("day" | "span"). Adds 1% more
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
const ts = (d: Date) => sql.param(d.toISOString().replace("T", " ").replace("Z", ""), "timestamp");
const engine = await openSession(db);
const d = engine.dialect;
const before = Number((await engine.query("SELECT count(*) AS n FROM events")).column("n")[0]);
// DuckDB's own functions below (quantile_disc, epoch_us, to_microseconds, CHECKPOINT): this case measures DuckDB.
const cut = (
  await engine.query(sql`SELECT quantile_disc(ts, 0.99) AS t FROM events WHERE ts <= ${ts(asOf)}`)
).column("t")[0] as Date;
const spanSeconds = Math.round((asOf.getTime() - cut.getTime()) / 1000);
const gapSeconds = scenario === "span" ? spanSeconds : 86_400;
const later = new Date(asOf.getTime() + gapSeconds * 1000);
await engine.transaction(async () => {
  // A replayed event keeps its place within the replay: as_of + (ts − cut) · gap / span.
  await engine.run(
    sql`INSERT INTO events (message_id, customer_id, user_id, anonymous_id, type, event, ts, properties)
     SELECT concat(message_id, '-replay'), customer_id, user_id, anonymous_id, type, event,
            ${ts(asOf)} + to_microseconds(CAST((epoch_us(ts) - epoch_us(${ts(cut)})) * ${gapSeconds / spanSeconds} AS BIGINT)),
            properties
       FROM events WHERE ts > ${ts(cut)} AND ts <= ${ts(asOf)}`,
  );
  const fresh = sql`SELECT customer_id, min(ts) AS lo, max(ts) AS hi FROM events
                  WHERE ts > ${ts(asOf)} AND ts <= ${ts(later)} AND customer_id IS NOT NULL
                  GROUP BY customer_id`;
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
// An import is its own command: its process closes the database, which writes what it changed into the file
// (a checkpoint). Here it shares the refresh's process, so that is done explicitly, or the refresh's commit would
// pay for the import's writes.
await engine.run("CHECKPOINT");
const after = Number((await engine.query("SELECT count(*) AS n FROM events")).column("n")[0]);
const touched = Number(
  (await engine.query("SELECT count(DISTINCT customer_id) AS n FROM segment_dirty")).column("n")[0],
);

const stop = startTimer();
const inc = await refreshSegments(engine, { asOf: later });
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
