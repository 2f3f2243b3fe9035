import type { Dialect } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { PropertyCondition } from "./definition.js";
import type { Feature } from "./leaf-features.js";
import { comparisonSql } from "./predicate.js";
import { tsParam, windowStart, windowTests } from "./window.js";

export type EventFeature = Extract<Feature, { kind: "event" }>;

const E_TS = sql`e.ts`;

/** An event feature's cheap tests on a row of `events e` (event name, type), its window apart. */
export function eventScopeTests(f: EventFeature): Sql[] {
  return [
    ...(f.event !== "*" ? [sql`e.event = ${sql.param(f.event, "string")}`] : []),
    ...(f.type ? [sql`e.type = ${sql.param(f.type, "string")}`] : []),
  ];
}

/** An event feature's costly tests on a row of `events e`: hour, weekday and properties (JSON parsing). */
export function eventDetailTests(d: Dialect, f: EventFeature, asOf: Date): Sql[] {
  const property = (p: PropertyCondition): Sql => {
    if ("all" in p) return sql`(${sql.join(p.all.map(property), " AND ")})`;
    if ("any" in p) return sql`(${sql.join(p.any.map(property), " OR ")})`;
    if ("not" in p) return sql`(NOT ${property(p.not)})`;
    const value = d.jsonTextAtPath(sql`e.properties`, sql.param(d.jsonKeyPath(p.property), "string"));
    return comparisonSql({ d, asOf }, value, p, "property");
  };
  return [
    ...(f.hour ? [comparisonSql({ d, asOf }, d.hourOf(E_TS), f.hour, "integer")] : []),
    ...(f.weekday ? [comparisonSql({ d, asOf }, d.weekdayOf(E_TS), f.weekday, "integer")] : []),
    ...(f.where ? [property(f.where)] : []),
  ];
}

interface Term {
  readonly sign: 1 | -1;
  /** Tests the engine can push into the scan (event name, type, absolute window bounds). */
  readonly cheap: readonly Sql[];
  /** Hour, weekday and JSON property tests, evaluated on the rows the cheap ones keep. */
  readonly costly: readonly Sql[];
}

interface Slice {
  /** Exclusive lower bound on ts; null: from the beginning. */
  readonly lo: Date | null;
  /** Inclusive upper bound on ts. */
  readonly hi: Date;
  readonly terms: Map<string, Term>;
}

const and = (tests: readonly Sql[]) => sql.join(tests, " AND ");

function condition(t: Term): Sql {
  if (t.cheap.length && t.costly.length)
    // CASE evaluates its THEN branch only on the rows its WHEN selects, where AND would evaluate both everywhere.
    return sql`CASE WHEN ${and(t.cheap)} THEN ${and(t.costly)} ELSE false END`;
  const all = [...t.cheap, ...t.costly];
  return all.length ? and(all) : sql`true`;
}

/**
 * Event features (counts) as sums over time, one query and one pass: each feature counts the rows of a time
 * interval (its window), time is cut at every interval's ends, and each slice is one scan of `events` restricted
 * to it, emitting per row +1 or −1 (or NULL) for each feature whose interval covers the slice; one grouping by
 * customer adds them up. Every row is read at most once (DESIGN.md principle 2: one scan, many segments), and each
 * slice's time range (and, where its features all name events, the event names) is a plain conjunct the engine
 * pushes into the scan: events are stored in time order, so a slice reads only its own row groups and rows older
 * than the longest window are not read at all.
 *
 * With `from` null the sums are the features' values at `to` (each feature's interval is its window). With a
 * `from`, they are the change between the two times: a count at `to` is the count at `from`, plus the rows in
 * (max(from, window start at to), to], minus those in (window start at from, min(window start at to, from)].
 * Returns null when no interval is left (nothing can have changed).
 */
export function eventSlicesSql(
  d: Dialect,
  features: readonly { feature: EventFeature; column: string }[],
  from: Date | null,
  to: Date,
  customerFilter?: Sql,
): Sql | null {
  const intervals: {
    lo: Date | null;
    hi: Date;
    column: string;
    sign: 1 | -1;
    term: () => Omit<Term, "sign">;
  }[] = [];
  const add = (lo: Date | null, hi: Date, column: string, sign: 1 | -1, term: () => Omit<Term, "sign">) => {
    if (!lo || lo.getTime() < hi.getTime()) intervals.push({ lo, hi, column, sign, term });
  };
  for (const { feature: f, column } of features) {
    const w = f.window;
    // Tests are built once, when a slice first uses them.
    let tests: Omit<Term, "sign"> | undefined;
    const term =
      (extra: () => Sql[] = () => []) =>
      () => {
        tests ??= { cheap: [...eventScopeTests(f), ...extra()], costly: eventDetailTests(d, f, to) };
        return tests;
      };
    if (!w || w.kind === "absolute") {
      // A fixed window (or none) only gains the rows that arrive in it.
      add(
        from,
        to,
        column,
        1,
        term(() => windowTests(w, E_TS, to)),
      );
      continue;
    }
    const startTo = windowStart(w, to);
    if (!from) {
      add(startTo, to, column, 1, term());
      continue;
    }
    const startFrom = windowStart(w, from);
    add(new Date(Math.max(from.getTime(), startTo.getTime())), to, column, 1, term());
    add(startFrom, new Date(Math.min(startTo.getTime(), from.getTime())), column, -1, term());
  }
  if (intervals.length === 0) return null;

  // The slices: (−∞, first point] when some interval is unbounded below, then between consecutive points.
  const points = [...new Set(intervals.flatMap((i) => [i.lo?.getTime(), i.hi.getTime()]))]
    .filter((t): t is number => t !== undefined)
    .sort((x, y) => x - y);
  const cuts: { lo: number | null; hi: number }[] = [];
  if (intervals.some((i) => i.lo === null)) cuts.push({ lo: null, hi: points[0] as number });
  for (let k = 0; k + 1 < points.length; k++)
    cuts.push({ lo: points[k] as number, hi: points[k + 1] as number });
  const slices: Slice[] = [];
  for (const cut of cuts) {
    const terms = new Map<string, Term>();
    for (const i of intervals) {
      const covers =
        (i.lo === null || (cut.lo !== null && i.lo.getTime() <= cut.lo)) && i.hi.getTime() >= cut.hi;
      if (covers) terms.set(i.column, { sign: i.sign, ...i.term() });
    }
    if (terms.size)
      slices.push({ lo: cut.lo === null ? null : new Date(cut.lo), hi: new Date(cut.hi), terms });
  }

  const columns = features.map((f) => f.column);
  const scope = customerFilter ? sql` AND e.customer_id IN (${customerFilter})` : sql.empty;
  const scans = slices.map((slice) => {
    const terms = [...slice.terms.values()];
    const single = terms.length === 1 ? (terms[0] as Term) : null;
    const where = [
      sql`e.customer_id IS NOT NULL`,
      ...(slice.lo ? [sql`e.ts > ${tsParam(slice.lo)}`] : []),
      sql`e.ts <= ${tsParam(slice.hi)}`,
    ];
    if (single) where.push(...single.cheap, ...single.costly);
    else {
      // A superset the scan can filter on before the per-term tests: the event names, when every term has one.
      const named = [...slice.terms.keys()].map((c) => features.find((f) => f.column === c)?.feature.event);
      if (named.every((n) => n !== undefined && n !== "*")) {
        const names = [...new Set(named as string[])];
        where.push(sql`e.event IN (${sql.join(names.map((n) => sql.param(n, "string")))})`);
      }
      where.push(
        sql`(${sql.join(
          terms.map((t) => sql`(${condition(t)})`),
          " OR ",
        )})`,
      );
    }
    // A row that does not count is NULL, not 0: values are count(c) (an integer count, cheaper to aggregate than
    // sum), deltas sum(c) over +1 and −1.
    const cols = columns.map((c) => {
      const t = slice.terms.get(c);
      if (!t) return sql`${sql.param(null, "integer")} AS ${sql.ident(c)}`;
      const sign = sql.raw(String(t.sign));
      return single
        ? sql`${sign} AS ${sql.ident(c)}`
        : sql`CASE WHEN ${condition(t)} THEN ${sign} END AS ${sql.ident(c)}`;
    });
    return sql`SELECT e.customer_id, ${sql.join(cols)} FROM events e WHERE ${and(where)}${scope}`;
  });
  const total = sql.raw(from ? "sum" : "count");
  // Signed 64-bit integers on every engine (ClickHouse counts unsigned; a delta may be negative).
  const sums = sql.join(
    columns.map(
      (c) => sql`${d.cast(sql`${total}(${sql.ident(c)})`, "integer", "integer")} AS ${sql.ident(c)}`,
    ),
  );
  return sql`SELECT customer_id, ${sums} FROM (${sql.join(scans, "\nUNION ALL ")}) x GROUP BY customer_id`;
}
