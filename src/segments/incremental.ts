import type { Engine } from "../store/engine.js";
import { Binder } from "./binder.js";
import type { CompiledSegments } from "./evaluate.js";
import { type EventFeature, eventBandsSql, eventDetailTests } from "./event-bands.js";
import { featureTableSql } from "./feature-sql.js";
import type { SchemaContext } from "./schema-context.js";
import { windowStart } from "./window.js";

/**
 * Bringing a stored feature table from one as-of time to a later one without reading all events again.
 *
 * Event features are counts, so they move by deltas: a count at `to` is the count at `from`, plus the rows
 * dated in (from, to] it counts, minus the rows its relative window has left behind. Both sets lie in narrow
 * time bands, and events are stored in time order (src/ingest/load-facts.ts), so each band reads a few row
 * groups. Customers whose new facts reach back before `from` (late data) or whose history moved (identity
 * merges) cannot be brought forward that way: their events are read again in full (`_seg_rescan`).
 *
 * Everything else a candidate's row holds (traits, computed values, orders, order lines, consents) is rebuilt
 * from the source tables, which are small next to the events.
 *
 * Temp tables left for the caller: `_seg_candidates` (whose rows to rebuild) and `_seg_event_values` (their
 * event features at `to`); `dropIncremental` removes them.
 */

export const CANDIDATES = "_seg_candidates";
export const EVENT_VALUES = "_seg_event_values";
const DELTA = "_seg_event_delta";
const RESCAN = "_seg_rescan";

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

/**
 * The customers whose features may differ between `from` and `to` apart from their event counts (which the
 * delta covers): those marked dirty by imports and merges, those with order, order-line or consent rows dated in
 * (from, to], those with order rows a relative window drops between the two, customers without a stored row,
 * and those whose computed values changed. Plus everyone the event delta touches.
 */
function candidateParts(
  engine: Engine,
  compiled: CompiledSegments,
  schema: SchemaContext,
  storedTable: string,
  b: Binder,
  from: Date,
  to: Date,
): string[] {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const p = (v: Date) => b.bind(ts(v), "timestamp");
  const bands = { orders: new Map<string, string>(), order_items: new Map<string, string>() };
  for (const { feature: f } of compiled.features.features()) {
    if (f.kind !== "orders" || !f.window || f.window.kind !== "relative") continue;
    const table = f.of === "total" && !f.categories ? "orders" : "order_items";
    const key = JSON.stringify(f.window);
    if (bands[table].has(key)) continue;
    bands[table].set(
      key,
      `(e.ts > ${p(windowStart(f.window, from))} AND e.ts <= ${p(windowStart(f.window, to))})`,
    );
  }
  const parts = [`SELECT customer_id FROM segment_dirty`, `SELECT customer_id FROM ${DELTA}`];
  for (const table of ["orders", "order_items", "consents"] as const) {
    const windowBands = table === "consents" ? [] : [...bands[table].values()];
    const ranges = [`(e.ts > ${p(from)} AND e.ts <= ${p(to)})`, ...windowBands];
    parts.push(
      `SELECT e.customer_id FROM ${table} e WHERE e.customer_id IS NOT NULL AND (${ranges.join(" OR ")})`,
    );
  }
  parts.push(
    `SELECT customer_id FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM ${q(storedTable)})`,
  );
  // Computed values are rewritten by their producers (RFM, CLV, clusters): whoever's value changed is a candidate.
  for (const [name, col] of compiled.features.computed) {
    const src = schema.computed.get(name);
    if (!src) continue;
    parts.push(
      `SELECT f.customer_id FROM ${q(storedTable)} f LEFT JOIN ${q(src.table)} v ON v.customer_id = f.customer_id
        WHERE f.${q(col)} IS DISTINCT FROM v.${q(src.column)}`,
    );
  }
  return parts;
}

/**
 * Prepares an incremental refresh from the stored feature table built at `from` to `to`: the candidates and
 * their event features at `to` (see the module comment). Returns false when the definitions do not allow it
 * (an event property compared with a relative date: the row tests themselves move), leaving nothing behind.
 */
export async function prepareIncremental(
  engine: Engine,
  compiled: CompiledSegments,
  schema: SchemaContext,
  storedTable: string,
  from: Date,
  to: Date,
): Promise<boolean> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const events = eventFeatures(compiled);
  if (events.some((e) => rowTestReadsTime(engine, e.feature, to))) return false;

  const cols = events.map((e) => q(e.column));
  const db = new Binder(d);
  const delta = eventBandsSql(d, db, events, from, to);
  await engine.run(
    delta
      ? `CREATE OR REPLACE TEMP TABLE ${DELTA} AS ${delta}`
      : `CREATE OR REPLACE TEMP TABLE ${DELTA} AS SELECT customer_id${cols.map((c) => `, 0 AS ${c}`).join("")} FROM customers WHERE false`,
    db.values,
  );

  const b = new Binder(d);
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${CANDIDATES} AS ${candidateParts(engine, compiled, schema, storedTable, b, from, to).join(" UNION ")}`,
    b.values,
  );
  // Whose events must be read again: facts that reach back to or before `from` (late rows; -infinity after a
  // merge), and anyone without a stored row who is not dirty (nothing says where their history starts).
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${RESCAN} AS
       SELECT DISTINCT customer_id FROM segment_dirty WHERE since <= CAST($1 AS TIMESTAMP)
       UNION
       SELECT c.customer_id FROM ${CANDIDATES} c
        WHERE c.customer_id NOT IN (SELECT customer_id FROM ${q(storedTable)})
          AND c.customer_id NOT IN (SELECT customer_id FROM segment_dirty)`,
    [ts(from)],
  );

  const carried = cols.map((c) => `coalesce(s.${c}, 0) + coalesce(x.${c}, 0) AS ${c}`);
  const forward = `SELECT c.customer_id${carried.map((x) => `, ${x}`).join("")}
                     FROM ${CANDIDATES} c
                     LEFT JOIN ${q(storedTable)} s ON s.customer_id = c.customer_id
                     LEFT JOIN ${DELTA} x ON x.customer_id = c.customer_id
                    WHERE c.customer_id NOT IN (SELECT customer_id FROM ${RESCAN})`;
  const rescanCount = await engine.query(`SELECT count(*) AS n FROM ${RESCAN}`);
  if (events.length === 0 || Number(rescanCount.column("n")[0]) === 0) {
    await engine.run(`CREATE OR REPLACE TEMP TABLE ${EVENT_VALUES} AS ${forward}`);
  } else {
    // The rescanned customers' event features, read the ordinary way (restricted to them).
    const full = featureTableSql(d, compiled.features, schema, to, {
      customerFilter: `SELECT customer_id FROM ${RESCAN}`,
    });
    await engine.run(
      `CREATE OR REPLACE TEMP TABLE ${EVENT_VALUES} AS ${forward}
       UNION ALL SELECT customer_id${cols.map((c) => `, ${c}`).join("")} FROM (${full.sql}) r`,
      full.params,
    );
  }
  return true;
}

export async function dropIncremental(engine: Engine): Promise<void> {
  await engine.run(
    `DROP TABLE IF EXISTS ${DELTA}; DROP TABLE IF EXISTS ${RESCAN}; DROP TABLE IF EXISTS ${EVENT_VALUES}; DROP TABLE IF EXISTS ${CANDIDATES};`,
  );
}
