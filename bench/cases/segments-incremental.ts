import { refreshSegments } from "../../src/segments/segment-refresh.js";
import { openSession } from "../../src/store/open-store.js";
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
const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");
const engine = await openSession(db);
const before = Number((await engine.query("SELECT count(*) AS n FROM events")).column("n")[0]);
const cut = (
  await engine.query("SELECT quantile_disc(ts, 0.99) AS t FROM events WHERE ts <= CAST($1 AS TIMESTAMP)", [
    ts(asOf),
  ])
).column("t")[0] as Date;
const spanSeconds = Math.round((asOf.getTime() - cut.getTime()) / 1000);
const gapSeconds = scenario === "span" ? spanSeconds : 86_400;
const later = new Date(asOf.getTime() + gapSeconds * 1000);
await engine.transaction(async () => {
  // A replayed event keeps its place within the replay: as_of + (ts − cut) · gap / span.
  await engine.run(
    `INSERT INTO events (message_id, customer_id, user_id, anonymous_id, type, event, ts, properties)
     SELECT message_id || '-replay', customer_id, user_id, anonymous_id, type, event,
            CAST($2 AS TIMESTAMP) + to_microseconds(CAST((epoch_us(ts) - epoch_us(CAST($1 AS TIMESTAMP))) * $3 AS BIGINT)),
            properties
       FROM events WHERE ts > CAST($1 AS TIMESTAMP) AND ts <= CAST($2 AS TIMESTAMP)`,
    [ts(cut), ts(asOf), gapSeconds / spanSeconds],
  );
  const fresh = `SELECT customer_id, min(ts) AS lo, max(ts) AS hi FROM events
                  WHERE ts > CAST($1 AS TIMESTAMP) AND ts <= CAST($2 AS TIMESTAMP) AND customer_id IS NOT NULL
                  GROUP BY customer_id`;
  await engine.run(
    `INSERT INTO segment_dirty (customer_id, marked_at, since) SELECT customer_id, now(), lo FROM (${fresh})`,
    [ts(asOf), ts(later)],
  );
  await engine.run(
    `UPDATE customers SET last_seen = greatest(coalesce(customers.last_seen, x.hi), x.hi)
       FROM (${fresh}) x WHERE customers.customer_id = x.customer_id`,
    [ts(asOf), ts(later)],
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
