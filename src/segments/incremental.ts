import type { Dialect, Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { CompiledSegments } from "./evaluate.js";
import { type EventFeature, eventDetailTests, eventSlicesSql } from "./event-slices.js";
import { computedValuesSql, featureTableSql, type SourceTable, traitColumnsSql } from "./feature-sql.js";
import { fragmentKey, type TimeLeaf } from "./predicate.js";
import type { SchemaContext } from "./schema-context.js";
import { type ResolvedWindow, tsParam, windowStart } from "./window.js";

/**
 * Bringing a stored feature table from one as-of time to a later one without reading all events again.
 *
 * Event features are counts, so they move by deltas: a count at `to` is the count at `from`, plus the rows
 * dated in (from, to] it counts, minus the rows its relative window has left behind. Both sets lie in narrow
 * time slices, and events are stored in time order (src/ingest/load-facts.ts), so each slice reads a few row
 * groups. Customers whose new facts reach back before `from` (late data) or whose history moved (identity
 * merges) cannot be brought forward that way: their events are read again in full (`_seg_rescan`).
 *
 * The rest of a row is read again only where it may have changed: order, order-line and consent features for the
 * customers with rows in that table dated in the interval or leaving one of its windows (plus the rescanned and
 * the new), computed values for those whose value changed; those rows are built in full, and every other
 * candidate's row is its stored one with the event counts brought forward (a join with the delta, where building
 * it in full reads every source table: most candidates of a day only have new events).
 *
 * Each large table is read once for the candidates: one scan of the customers beside their stored rows finds them
 * all (SCAN; where a filter by ids reads the whole table, with the traits the predicates read), one read of the
 * stored table takes their rows (STORED), and what follows works on those. ClickHouse reads the whole of a table for a filter by a list of ids spread over it, so
 * each such filter costs a scan (1M customers: reading the stored rows of the candidates again for the segments
 * cost 0.4 s of a 2.9 s refresh).
 *
 * Temp tables left for the caller: SCAN (the candidates: `REEVALUATE`), REBUILT and STORED (their rows:
 * `reevaluateRows`); `dropIncremental` removes them and the intermediate ones.
 */

/** The candidates, each flagged by one scan (`scanCustomers`). */
const SCAN = "_seg_scan";
const DELTA = "_seg_event_delta";
const RESCAN = "_seg_rescan";
/** The candidates' stored rows, read once. */
const STORED = "_seg_stored";
/** The candidates' new rows, swapped into the stored table. */
const REBUILT = "_seg_rebuilt";
/** The candidates whose rows are built in full (the others' event counts are brought forward). */
const FULL_ROWS = "_seg_full_rows";
/** The rows of FULL_ROWS, built. */
const BUILT = "_seg_built";
const temp = sql.temp;
/** The ids of a temporary table's customers. */
const idsOf = (table: string) => sql`SELECT customer_id FROM ${temp(table)}`;
/** Customers without a stored row. */
const NEW = sql`SELECT customer_id FROM ${temp(SCAN)} WHERE is_new`;
/** Whom an incremental refresh evaluates the segments for (but the new or changed ones: for everyone). */
export const REEVALUATE = idsOf(SCAN);

/**
 * The candidates' rows as the predicates read them (alias them `f`): the new row where one was built, else the
 * stored one, with the traits they compare (the gone have none): from `customers` where the engine reads the
 * candidates' rows alone, else as the scan took them (`scanCustomers`).
 */
export function reevaluateRows(d: Dialect, compiled: CompiledSegments): Sql {
  const rows = sql`(SELECT * FROM ${temp(REBUILT)}
      UNION ALL
      SELECT * FROM ${temp(STORED)} WHERE customer_id NOT IN (${idsOf(REBUILT)}))`;
  if (d.can.cheapIdFilter) {
    return sql`(SELECT r.*${traitColumnsSql(compiled.features, "c")} FROM ${rows} r
        JOIN (SELECT * FROM customers WHERE customer_id IN (${REEVALUATE})) c ON c.customer_id = r.customer_id)`;
  }
  const traits = [...compiled.features.traits.values()].map(
    (col) => sql`, t.${sql.ident(col)} AS ${sql.ident(col)}`,
  );
  return sql`(SELECT r.*${sql.join(traits, "")} FROM ${rows} r
      JOIN (SELECT * FROM ${temp(SCAN)} WHERE NOT gone) t ON t.customer_id = r.customer_id)`;
}

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
  const tests = (t: Date) => fragmentKey(sql.join(eventDetailTests(engine.dialect, f, t), " AND "));
  return tests(at) !== tests(new Date(at.getTime() + 86_400_000));
}

const SOURCES: readonly SourceTable[] = ["orders", "order_items", "consents"];
const recomputeTable = (t: SourceTable) => `_seg_recompute_${t}`;
/** Customers with rows in a source table dated in the interval or leaving one of its windows. */
const MOVED = "_seg_moved";

/**
 * Per source table, the customers whose features from it may differ between `from` and `to` through its rows: rows
 * dated in (from, to], rows a relative window drops between the two (orders and lines). (The rescanned and the new
 * are added once they are known.)
 */
function movedSql(compiled: CompiledSegments, from: Date, to: Date): Record<SourceTable, Sql> {
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
  const out = {} as Record<SourceTable, Sql>;
  for (const table of SOURCES) {
    const p = tsParam;
    const ranges = [
      sql`(e.ts > ${p(from)} AND e.ts <= ${p(to)})`,
      ...[...windows[table].values()].map(
        (w) => sql`(e.ts > ${p(windowStart(w, from))} AND e.ts <= ${p(windowStart(w, to))})`,
      ),
    ];
    out[table] =
      sql`SELECT DISTINCT e.customer_id, ${table} AS source FROM ${sql.ident(table)} e WHERE e.customer_id IS NOT NULL AND (${sql.join(ranges, " OR ")})`;
  }
  return out;
}

/**
 * Brings the stored feature table from `from` to `to` in place (see the module comment) and leaves the
 * candidates, whose rows may have changed, in SCAN. Returns the number of rows rebuilt, or null when the
 * definitions do not allow it (an event property compared with a relative date: the row tests themselves move),
 * having changed nothing.
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
  const stored = sql.ident(storedTable);
  const events = eventFeatures(compiled);
  if (events.some((e) => rowTestReadsTime(engine, e.feature, to))) return null;

  const cols = events.map((e) => sql.ident(e.column));
  const delta = eventSlicesSql(d, events, from, to);
  await engine.run(
    d.createTempAs(
      DELTA,
      delta ??
        sql`SELECT customer_id${sql.join(
          cols.map((c) => sql`, 0 AS ${c}`),
          "",
        )} FROM customers WHERE false`,
    ),
  );
  const moved = movedSql(compiled, from, to);
  await engine.run(
    d.createTempAs(
      MOVED,
      sql.join(
        SOURCES.map((t) => moved[t]),
        " UNION ALL ",
      ),
    ),
  );
  const storedColumns = await engine.tableColumns(storedTable);
  await scanCustomers(
    engine,
    compiled,
    schema,
    storedTable,
    storedColumns,
    from,
    to,
    await computedUnchanged(engine),
  );
  // Whose events must be read again: facts that reach back to or before `from` (late rows; the earliest timestamp
  // there is after a merge: `timestampMin`), and anyone new who is not dirty (nothing says where their history starts).
  await engine.run(
    d.createTempAs(
      RESCAN,
      sql`SELECT customer_id FROM segment_dirty WHERE since <= ${tsParam(from)}
          UNION DISTINCT
          SELECT customer_id FROM (${NEW}) n WHERE customer_id NOT IN (SELECT customer_id FROM segment_dirty)`,
    ),
  );
  for (const t of SOURCES) {
    await engine.run(
      d.createTempAs(
        recomputeTable(t),
        sql`SELECT customer_id FROM ${temp(MOVED)} WHERE source = ${t}
            UNION DISTINCT ${idsOf(RESCAN)} UNION DISTINCT ${NEW}`,
      ),
    );
  }
  // Candidates whose row takes more than new event counts (new or rescanned customers are among those with rows
  // to recompute): built in full. The other candidates' rows are their stored ones with the counts brought
  // forward, or, with no new counts (a profile changed, a time leaf crossed), stay as they are: evaluated again
  // all the same.
  await engine.run(
    d.createTempAs(
      FULL_ROWS,
      sql.join(
        [
          ...SOURCES.map((t) => idsOf(recomputeTable(t))),
          sql`SELECT customer_id FROM ${temp(SCAN)} WHERE computed_changed`,
        ],
        " UNION DISTINCT ",
      ),
    ),
  );
  // Every candidate is in SCAN (the moved among them were flagged there; the new and rescanned are), so one read of
  // the stored table by its ids serves the rows built, those brought forward and those evaluated as they are.
  await engine.run(d.createTempAs(STORED, sql`SELECT * FROM ${stored} WHERE customer_id IN (${REEVALUATE})`));
  await buildFullRows(engine, compiled, schema, events, to);
  const counted = new Set(events.map((e) => e.column));
  const carriedRow = storedColumns.map((c) => {
    const col = sql.ident(c);
    return counted.has(c)
      ? sql`coalesce(s.${col}, 0) + coalesce(x.${col}, 0) AS ${col}`
      : sql`s.${col} AS ${col}`;
  });
  const gone = sql`SELECT customer_id FROM ${temp(SCAN)} WHERE gone`;
  const broughtForward = sql`SELECT ${sql.join(carriedRow)}
      FROM (SELECT * FROM ${temp(STORED)} WHERE customer_id NOT IN (${idsOf(FULL_ROWS)}) AND customer_id NOT IN (${gone})) s
      JOIN ${temp(DELTA)} x ON x.customer_id = s.customer_id`;
  await engine.run(d.createTempAs(REBUILT, sql`SELECT * FROM ${temp(BUILT)} UNION ALL ${broughtForward}`));
  await engine.run([
    d.deleteWhere(storedTable, sql`customer_id IN (${idsOf(REBUILT)}) OR customer_id IN (${gone})`),
    sql`INSERT INTO ${stored} SELECT * FROM ${temp(REBUILT)}`,
  ]);
  const n = await engine.query(sql`SELECT count(*) AS n FROM ${temp(REBUILT)}`);
  return Number(n.column("n")[0]);
}

/**
 * The rows of FULL_ROWS built in full, into BUILT: their order, line and consent features computed anew where those
 * tables changed for them (else taken from STORED), their event counts brought forward (or, for the rescanned,
 * read again).
 */
async function buildFullRows(
  engine: Engine,
  compiled: CompiledSegments,
  schema: SchemaContext,
  events: readonly { feature: EventFeature; column: string }[],
  to: Date,
): Promise<void> {
  const d = engine.dialect;
  const cols = events.map((e) => sql.ident(e.column));
  const carried = cols.map((c) => sql`, coalesce(s.${c}, 0) + coalesce(x.${c}, 0) AS ${c}`);
  const forward = sql`SELECT c.customer_id AS customer_id${sql.join(carried, "")}
                     FROM ${temp(FULL_ROWS)} c
                     LEFT JOIN ${temp(STORED)} s ON s.customer_id = c.customer_id
                     LEFT JOIN ${temp(DELTA)} x ON x.customer_id = c.customer_id
                    WHERE c.customer_id NOT IN (${idsOf(RESCAN)})`;
  // The rescanned customers' event counts, read the ordinary way (restricted to them). Usually there are none (no
  // late data, no merge): then no read at all, where an empty list still has the engine scan each window's events
  // (chdb, 1M customers: 0.2 s of a 2.9 s refresh).
  const rescanning = Number(
    (await engine.query(sql`SELECT count(*) AS n FROM ${temp(RESCAN)}`)).column("n")[0],
  );
  const rescanned = rescanning > 0 ? eventSlicesSql(d, events, null, to, idsOf(RESCAN)) : null;
  const fresh = rescanned
    ? sql`UNION ALL SELECT r.customer_id AS customer_id${sql.join(
        cols.map((c) => sql`, coalesce(y.${c}, 0) AS ${c}`),
        "",
      )}
         FROM ${temp(RESCAN)} r LEFT JOIN (${rescanned}) y ON y.customer_id = r.customer_id`
    : sql.empty;
  const built = featureTableSql(d, compiled.features, schema, to, {
    customerFilter: idsOf(FULL_ROWS),
    eventValues: sql`${forward} ${fresh}`,
    stored: {
      table: temp(STORED),
      recompute: {
        orders: idsOf(recomputeTable("orders")),
        order_items: idsOf(recomputeTable("order_items")),
        consents: idsOf(recomputeTable("consents")),
      },
    },
  });
  await engine.run(d.createTempAs(BUILT, built));
}

/**
 * Whether no computed value has been written since the stored feature table was built. Every producer registers
 * its values when it writes them (`registerComputed`, src/store/computed.ts: the registry's `updated_at`), so then
 * no stored computed value can differ from the current one and the scan need not join them: a live refresh, which
 * keeps the values within a day, skips reading a million of them each time. Strictly before: a value written in
 * the build's own transaction (the same `now()`) counts as changed, to be safe.
 */
async function computedUnchanged(engine: Engine): Promise<boolean> {
  const r = await engine.query(
    sql`SELECT (SELECT max(updated_at) FROM computed_registry) AS written,
               (SELECT max(built_at) FROM segment_feature_state) AS built`,
  );
  const [written, built] = [r.column("written")[0], r.column("built")[0]];
  if (!(built instanceof Date)) return false;
  return written === null || (written instanceof Date && written.getTime() < built.getTime());
}

/**
 * One scan of the customers with their stored rows and the sources of the computed values they compare, into
 * SCAN, keeping each customer who is:
 * - new: no stored row;
 * - gone: a stored row, but no longer a customer (merged into another, erased): the row is removed;
 * - computed_changed: a computed value differs from the stored one (producers such as RFM, CLV and clustering
 *   rewrite their tables without saying whom they changed);
 * - crossed: some leaf that reads the time (a relative date, days since an order) is true at one of `from` and
 *   `to` and false at the other. A customer who is not a candidate keeps the row the last refresh evaluated, so
 *   only a changed time leaf can move them into or out of a segment: each distinct leaf is compiled at both times
 *   and compared here, instead of evaluating every such segment for everyone;
 * - or has new events (DELTA), rows of a source table that moved (MOVED), or a mark (`segment_dirty`: a profile
 *   changed, new facts).
 * With each, where a filter by ids reads the whole table (`cheapIdFilter` false), the traits the predicates read
 * (the gone have none).
 */
async function scanCustomers(
  engine: Engine,
  compiled: CompiledSegments,
  schema: SchemaContext,
  storedTable: string,
  columns: readonly string[],
  from: Date,
  to: Date,
  valuesUnchanged: boolean,
): Promise<void> {
  const d = engine.dialect;
  const leaves = new Map<string, TimeLeaf>();
  for (const ls of compiled.timeLeaves.values()) {
    for (const leaf of ls) leaves.set(fragmentKey(leaf(to)), leaf);
  }
  // A leaf is never NULL (a comparison's missing value compares false), so `<>` tells whether it changed.
  const crossed = [...leaves.values()].map((leaf) => sql`(${leaf(from)}) <> (${leaf(to)})`);
  // Each computed value now (`_v<i>`) beside the stored one (none to compare when none was written since).
  const computed = valuesUnchanged
    ? { values: new Map<string, Sql>(), joins: [] as Sql[] }
    : computedValuesSql(compiled.features, schema);
  const values = [...computed.values].map(([, value], i) => sql`, ${value} AS ${sql.raw(`_v${i}`)}`);
  // Differ, a missing value differing from any other (IS DISTINCT FROM, which not every engine has).
  const changed = [...computed.values.keys()].map((col, i) => {
    const [stored, now] = [sql`f.${sql.ident(col)}`, sql.raw(`f._v${i}`)];
    return sql`coalesce(${stored} <> ${now}, (${stored} IS NULL) <> (${now} IS NULL))`;
  });
  // The stored row's columns, and the customer's id under its own name (what an account leaf's semi-join reads):
  // not `s.*`, whose customer_id ClickHouse would call `s.customer_id` beside the customers' own.
  const storedColumns = columns.filter((c) => c !== "customer_id").map((c) => sql`s.${sql.ident(c)}, `);
  // The traits the predicates read, kept for the candidates when reading them again would read every customer.
  const traits = d.can.cheapIdFilter
    ? []
    : [...compiled.features.traits.values()].map((col) => sql`, f.${sql.ident(col)} AS ${sql.ident(col)}`);
  // Who is gone has no traits or computed values to compare: they are flagged gone and nothing else.
  const flags: [string, Sql][] = [
    ["is_new", sql`f._stored IS NULL`],
    ["gone", sql`f._id IS NULL`],
    [
      "computed_changed",
      changed.length
        ? sql`f._id IS NOT NULL AND f._stored IS NOT NULL AND (${sql.join(changed, " OR ")})`
        : sql`false`,
    ],
    ["crossed", crossed.length ? sql`f._id IS NOT NULL AND (${sql.join(crossed, " OR ")})` : sql`false`],
    ["touched", sql`f._id IS NOT NULL AND f._touched IS NOT NULL`],
  ];
  // Whom new events, moved source rows or a mark name (a customer's id once).
  const touched = sql`SELECT customer_id FROM ${temp(DELTA)}
                      UNION DISTINCT SELECT customer_id FROM ${temp(MOVED)}
                      UNION DISTINCT SELECT customer_id FROM segment_dirty`;
  await engine.run(
    d.createTempAs(
      SCAN,
      sql`SELECT * FROM (
         SELECT coalesce(f._id, f._stored) AS customer_id${sql.join(
           flags.map(([flag, test]) => sql`, coalesce(${test}, false) AS ${sql.raw(flag)}`),
           "",
         )}${sql.join(traits, "")}
           FROM (SELECT ${sql.join(storedColumns, "")}coalesce(c.customer_id, s.customer_id) AS customer_id, s.customer_id AS _stored, c.customer_id AS _id, w.customer_id AS _touched${traitColumnsSql(compiled.features, "c")}${sql.join(values, "")}
                   FROM customers c FULL JOIN ${sql.ident(storedTable)} s ON s.customer_id = c.customer_id
                   LEFT JOIN (${touched}) w ON w.customer_id = c.customer_id
                   ${sql.join(computed.joins, " ")}) f
       ) x WHERE is_new OR gone OR computed_changed OR crossed OR touched`,
    ),
  );
}

export async function dropIncremental(engine: Engine): Promise<void> {
  const tables = [
    DELTA,
    MOVED,
    SCAN,
    RESCAN,
    STORED,
    FULL_ROWS,
    BUILT,
    REBUILT,
    ...SOURCES.map(recomputeTable),
  ];
  await engine.run(tables.map((t) => sql`DROP TABLE IF EXISTS ${temp(t)}`));
}
