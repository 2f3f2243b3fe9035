import type { Engine } from "../store/engine.js";
import { Binder } from "./binder.js";
import type { CompiledSegments } from "./evaluate.js";
import { type EventFeature, eventDetailTests, eventSlicesSql } from "./event-slices.js";
import { computedValuesSql, featureTableSql, type SourceTable, traitColumnsSql } from "./feature-sql.js";
import type { TimeLeaf } from "./predicate.js";
import type { SchemaContext } from "./schema-context.js";
import { type ResolvedWindow, windowStart } from "./window.js";

/**
 * Bringing a stored feature table from one as-of time to a later one without reading all events again.
 *
 * Event features are counts, so they move by deltas: a count at `to` is the count at `from`, plus the rows
 * dated in (from, to] it counts, minus the rows its relative window has left behind. Both sets lie in narrow
 * time slices, and events are stored in time order (src/ingest/load-facts.ts), so each slice reads a few row
 * groups. Customers whose new facts reach back before `from` (late data) or whose history moved (identity
 * merges) cannot be brought forward that way: their events are read again in full (`_seg_rescan`).
 *
 * The rest of a candidate's row is read again: traits and computed values always; order, order-line and consent
 * features only for the customers with rows in that table dated in the interval or leaving one of its windows
 * (plus the rescanned and the new), the others keep their stored values.
 *
 * Temp tables left for the caller: CANDIDATES (whose rows were rebuilt) and SCAN (among others, the customers
 * whose time leaves changed); `dropIncremental` removes them and the intermediate ones.
 */

export const CANDIDATES = "_seg_candidates";
/** Customers flagged by one scan (`scanCustomers`): new, gone, with a changed computed value, or a time crosser. */
const SCAN = "_seg_scan";
/** Customers without a stored row. */
const NEW = `SELECT customer_id FROM ${SCAN} WHERE is_new`;
/** Whom an incremental refresh evaluates the segments for (but the new or changed ones: for everyone). */
export const REEVALUATE = `SELECT customer_id FROM ${CANDIDATES} UNION SELECT customer_id FROM ${SCAN} WHERE crossed`;
const DELTA = "_seg_event_delta";
const RESCAN = "_seg_rescan";
/** The candidates' rebuilt feature rows, swapped into the stored table. */
const CANDIDATE_ROWS = "_seg_rebuilt";

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

function eventFeatures(compiled: CompiledSegments): { feature: EventFeature; column: string }[] {
  return compiled.features
    .features()
    .filter((x): x is { feature: EventFeature; column: string } => x.feature.kind === "event");
}

/**
 * Whether a feature's row tests themselves depend on the as-of time (a property compared with a relative date):
 * then the values they bind differ between two times.
 */
function rowTestReadsTime(engine: Engine, f: EventFeature, at: Date): boolean {
  const bound = (t: Date) => {
    const b = new Binder(engine.dialect);
    eventDetailTests(engine.dialect, b, f, t);
    return JSON.stringify(b.values);
  };
  return bound(at) !== bound(new Date(at.getTime() + 86_400_000));
}

const SOURCES: readonly SourceTable[] = ["orders", "order_items", "consents"];
const recomputeTable = (t: SourceTable) => `_seg_recompute_${t}`;

/**
 * Per source table, the customers whose features from it may differ between `from` and `to`: rows dated in
 * (from, to], rows a relative window drops between the two (orders and lines), plus the rescanned and the new.
 */
function recomputeSql(
  d: Engine["dialect"],
  compiled: CompiledSegments,
  from: Date,
  to: Date,
): Record<SourceTable, { sql: string; params: Binder["values"] }> {
  const windows: Record<SourceTable, Map<string, ResolvedWindow>> = {
    orders: new Map(),
    order_items: new Map(),
    consents: new Map(),
  };
  for (const { feature: f } of compiled.features.features()) {
    if (f.kind !== "orders" || !f.window || f.window.kind !== "relative") continue;
    windows[f.of === "total" && !f.categories ? "orders" : "order_items"].set(
      JSON.stringify(f.window),
      f.window,
    );
  }
  const out = {} as Record<SourceTable, { sql: string; params: Binder["values"] }>;
  for (const table of SOURCES) {
    const b = new Binder(d);
    const p = (v: Date) => b.bind(ts(v), "timestamp");
    const ranges = [
      `(e.ts > ${p(from)} AND e.ts <= ${p(to)})`,
      ...[...windows[table].values()].map(
        (w) => `(e.ts > ${p(windowStart(w, from))} AND e.ts <= ${p(windowStart(w, to))})`,
      ),
    ];
    out[table] = {
      sql: `SELECT e.customer_id FROM ${table} e WHERE e.customer_id IS NOT NULL AND (${ranges.join(" OR ")})
            UNION SELECT customer_id FROM ${RESCAN} UNION ${NEW}`,
      params: b.values,
    };
  }
  return out;
}

/**
 * Brings the stored feature table from `from` to `to` in place (see the module comment) and leaves the
 * candidates, whose rows were rebuilt, in CANDIDATES. Returns their number, or null when the definitions do not
 * allow it (an event property compared with a relative date: the row tests themselves move), having changed
 * nothing.
 */
export async function refreshFeaturesIncrementally(
  engine: Engine,
  compiled: CompiledSegments,
  schema: SchemaContext,
  storedTable: string,
  from: Date,
  to: Date,
): Promise<number | null> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const stored = q(storedTable);
  const events = eventFeatures(compiled);
  if (events.some((e) => rowTestReadsTime(engine, e.feature, to))) return null;

  const cols = events.map((e) => q(e.column));
  const db = new Binder(d);
  const delta = eventSlicesSql(d, db, events, from, to);
  await engine.run(
    delta
      ? `CREATE OR REPLACE TEMP TABLE ${DELTA} AS ${delta}`
      : `CREATE OR REPLACE TEMP TABLE ${DELTA} AS SELECT customer_id${cols.map((c) => `, 0 AS ${c}`).join("")} FROM customers WHERE false`,
    db.values,
  );
  await scanCustomers(engine, compiled, schema, storedTable, from, to);
  // Whose events must be read again: facts that reach back to or before `from` (late rows; -infinity after a
  // merge), and anyone new who is not dirty (nothing says where their history starts).
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${RESCAN} AS
       SELECT customer_id FROM segment_dirty WHERE since <= CAST($1 AS TIMESTAMP)
       UNION
       SELECT customer_id FROM (${NEW}) WHERE customer_id NOT IN (SELECT customer_id FROM segment_dirty)`,
    [ts(from)],
  );
  const recompute = recomputeSql(d, compiled, from, to);
  for (const t of SOURCES)
    await engine.run(
      `CREATE OR REPLACE TEMP TABLE ${recomputeTable(t)} AS ${recompute[t].sql}`,
      recompute[t].params,
    );
  const parts = [
    "SELECT customer_id FROM segment_dirty",
    `SELECT customer_id FROM ${DELTA}`,
    ...SOURCES.map((t) => `SELECT customer_id FROM ${recomputeTable(t)}`),
    `SELECT customer_id FROM ${SCAN} WHERE computed_changed`,
  ];
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${CANDIDATES} AS ${parts.join(" UNION ")}`);

  const carried = cols.map((c) => `coalesce(s.${c}, 0) + coalesce(x.${c}, 0) AS ${c}`);
  const forward = `SELECT c.customer_id${carried.map((x) => `, ${x}`).join("")}
                     FROM ${CANDIDATES} c
                     LEFT JOIN ${stored} s ON s.customer_id = c.customer_id
                     LEFT JOIN ${DELTA} x ON x.customer_id = c.customer_id
                    WHERE c.customer_id NOT IN (SELECT customer_id FROM ${RESCAN})`;
  // The rescanned customers' event counts, read the ordinary way (restricted to them).
  const rb = new Binder(d);
  const rescanned = eventSlicesSql(d, rb, events, null, to, `SELECT customer_id FROM ${RESCAN}`);
  const fresh = rescanned
    ? `UNION ALL SELECT r.customer_id${cols.map((c) => `, coalesce(y.${c}, 0) AS ${c}`).join("")}
         FROM ${RESCAN} r LEFT JOIN (${rescanned}) y ON y.customer_id = r.customer_id`
    : "";
  // The candidates' new rows, built while the stored ones can still be read, then swapped in.
  const rows = featureTableSql(d, compiled.features, schema, to, {
    customerFilter: `SELECT customer_id FROM ${CANDIDATES}`,
    // Read in place rather than stored first: one table of the candidates fewer to write.
    eventValues: `${forward} ${fresh}`,
    binder: rb,
    stored: {
      table: storedTable,
      recompute: {
        orders: `SELECT customer_id FROM ${recomputeTable("orders")}`,
        order_items: `SELECT customer_id FROM ${recomputeTable("order_items")}`,
        consents: `SELECT customer_id FROM ${recomputeTable("consents")}`,
      },
    },
  });
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${CANDIDATE_ROWS} AS ${rows.sql}`, rows.params);
  await engine.run(
    `DELETE FROM ${stored} WHERE customer_id IN (SELECT customer_id FROM ${CANDIDATES})
        OR customer_id IN (SELECT customer_id FROM ${SCAN} WHERE gone);
     INSERT INTO ${stored} SELECT * FROM ${CANDIDATE_ROWS};`,
  );
  const n = await engine.query(`SELECT count(*) AS n FROM ${CANDIDATES}`);
  return Number(n.column("n")[0]);
}

/**
 * One scan of the customers with their stored rows and the sources of the computed values they compare, into
 * SCAN, flagging each customer who is:
 * - new: no stored row;
 * - gone: a stored row, but no longer a customer (merged into another, erased): the row is removed;
 * - computed_changed: a computed value differs from the stored one (producers such as RFM, CLV and clustering
 *   rewrite their tables without saying whom they changed);
 * - crossed: some leaf that reads the time (a relative date, days since an order) is true at one of `from` and
 *   `to` and false at the other. A customer who is not a candidate keeps the row the last refresh evaluated, so
 *   only a changed time leaf can move them into or out of a segment: each distinct leaf is compiled at both times
 *   and compared here, instead of evaluating every such segment for everyone.
 * Only flagged customers are kept.
 */
async function scanCustomers(
  engine: Engine,
  compiled: CompiledSegments,
  schema: SchemaContext,
  storedTable: string,
  from: Date,
  to: Date,
): Promise<void> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const leaves = new Map<string, TimeLeaf>();
  for (const ls of compiled.timeLeaves.values()) {
    for (const leaf of ls) {
      const alone = new Binder(d);
      leaves.set(JSON.stringify([leaf(to, alone), alone.values]), leaf);
    }
  }
  const b = new Binder(d);
  const crossed = [...leaves.values()].map((leaf) => `(${leaf(from, b)}) IS DISTINCT FROM (${leaf(to, b)})`);
  // Each computed value now (`_v<i>`) beside the stored one.
  const computed = computedValuesSql(d, compiled.features, schema);
  const values = [...computed.values].map(([, value], i) => `, ${value} AS _v${i}`).join("");
  const changed = [...computed.values.keys()].map((col, i) => `f.${q(col)} IS DISTINCT FROM f._v${i}`);
  // Who is gone has no traits or computed values to compare: they are flagged gone and nothing else.
  const flags = {
    is_new: "f._stored IS NULL",
    gone: "f._id IS NULL",
    computed_changed: changed.length
      ? `f._id IS NOT NULL AND f._stored IS NOT NULL AND (${changed.join(" OR ")})`
      : "false",
    crossed: crossed.length ? `f._id IS NOT NULL AND (${crossed.join(" OR ")})` : "false",
  };
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${SCAN} AS
       SELECT * FROM (
         SELECT coalesce(f._id, f._stored) AS customer_id${Object.entries(flags)
           .map(([flag, sql]) => `, coalesce(${sql}, false) AS ${flag}`)
           .join("")}
           FROM (SELECT s.*, s.customer_id AS _stored, c.customer_id AS _id${traitColumnsSql(d, compiled.features, "c")}${values}
                   FROM customers c FULL JOIN ${q(storedTable)} s ON s.customer_id = c.customer_id
                   ${computed.joins.join(" ")}) f
       ) x WHERE is_new OR gone OR computed_changed OR crossed`,
    b.values,
  );
}

export async function dropIncremental(engine: Engine): Promise<void> {
  const tables = [DELTA, SCAN, RESCAN, CANDIDATE_ROWS, CANDIDATES, ...SOURCES.map(recomputeTable)];
  await engine.run(tables.map((t) => `DROP TABLE IF EXISTS ${t};`).join(" "));
}
