import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { CompiledSegments } from "./evaluate.js";
import { featureRowsSql } from "./feature-sql.js";
import { tsParam } from "./window.js";

/**
 * Membership as stays: a row of `segment_membership` per time a customer was in a segment (entered_at, and
 * exited_at once they left). A refresh records who entered and who left; the members and the history are read
 * back from the stays.
 */

/** Who entered or left a segment at this refresh (`entered` false: left), while the stays are recorded. */
const CHANGES = "_seg_changes";

/**
 * Closes the stays of customers who left and opens stays for those who entered, for all segments at once. With
 * `candidates` (an incremental refresh: the customers with new data and those whose time leaves changed) only
 * those customers can have changed, except in segments evaluated from another definition last time (`changed`),
 * which are evaluated for everyone.
 */
export async function recordStays(
  engine: Engine,
  compiled: CompiledSegments,
  ids: readonly string[],
  asOf: Date,
  featureTable: Sql,
  candidates?: {
    /** The candidates' ids (a query). */
    readonly ids: Sql;
    /** Their rows as the predicates read them (the feature columns and the traits). */
    readonly rows: Sql;
    readonly changed: ReadonlySet<string>;
  },
): Promise<Map<string, { size: number; entered: number; exited: number }>> {
  const d = engine.dialect;
  const changesTable = sql.temp(CHANGES);
  const everyone = (id: string) => !candidates || candidates.changed.has(id);
  const literal = (id: string) => sql.raw(d.literal(id));
  // Each segment's members, all segments in one scan of the feature rows (the candidates' rows alone where that
  // suffices): a row yields the ids of the segments whose predicate it passes.
  const scan = (segs: readonly string[], rows: Sql) =>
    sql`SELECT f.customer_id, ${d.unnestPresent(
      segs.map((id) => sql`CASE WHEN ${compiled.predicates.get(id) as Sql} THEN ${literal(id)} END`),
    )} AS segment_id FROM ${rows} f`;
  const forAll = ids.filter(everyone);
  const forCandidates = ids.filter((id) => !everyone(id));
  const members = sql.join(
    [
      ...(forAll.length ? [scan(forAll, featureRowsSql(compiled.features, featureTable))] : []),
      ...(candidates && forCandidates.length ? [scan(forCandidates, candidates.rows)] : []),
    ],
    " UNION ALL ",
  );
  const inList = (xs: readonly string[]) => sql.join(xs.map(literal));
  const open = sql`exited_at IS NULL AND segment_id IN (${inList(ids)})`;
  const scope = candidates
    ? sql` AND (customer_id IN (${candidates.ids})${forAll.length ? sql` OR segment_id IN (${inList(forAll)})` : sql.empty})`
    : sql.empty;
  /** Opens a stay for every (segment_id, customer_id) row of `source`. */
  const enter = (source: Sql) =>
    engine.run(
      sql`INSERT INTO segment_membership (segment_id, customer_id, entered_at, exited_at)
       SELECT segment_id, customer_id, ${tsParam(asOf)}, NULL FROM ${source}`,
    );
  // With no stay of these segments open at all (a first refresh, only new segments), every member enters: no
  // matching, and each segment's size is what entered.
  // Cast: EXISTS is a boolean on one engine, 0 or 1 on another.
  const anyOpen = await engine.query(
    sql`SELECT ${d.cast(sql`EXISTS (SELECT 1 FROM segment_membership WHERE ${open})`, "boolean")} AS any_open`,
  );
  const nothingOpen = anyOpen.column("any_open")[0] !== true;
  let changes: { segment_id: string; entered: number; exited: number }[] | null = null;
  if (nothingOpen) await enter(sql`(${members}) m`);
  else {
    // Who entered (a member without an open stay) and who left (an open stay without a member), in one join.
    await engine.run(
      d.createTempAs(
        CHANGES,
        sql`SELECT coalesce(m.segment_id, o.segment_id) AS segment_id, coalesce(m.customer_id, o.customer_id) AS customer_id,
              o.customer_id IS NULL AS entered
         FROM (${members}) m
         FULL JOIN (SELECT segment_id, customer_id FROM segment_membership WHERE ${open}${scope}) o
           ON o.segment_id = m.segment_id AND o.customer_id = m.customer_id
        WHERE m.customer_id IS NULL OR o.customer_id IS NULL`,
      ),
    );
    changes = (
      await engine.query(
        sql`SELECT segment_id, ${d.aggIf("count", [], sql`entered`)} AS entered, ${d.aggIf("count", [], sql`NOT entered`)} AS exited
           FROM ${changesTable} GROUP BY segment_id`,
      )
    ).rows();
    // The stays of those who left are closed (one open stay per segment and customer).
    await engine.run(
      d.updateWhere(
        "segment_membership",
        sql`exited_at = ${tsParam(asOf)}`,
        sql`exited_at IS NULL AND (segment_id, customer_id) IN (SELECT segment_id, customer_id FROM ${changesTable} WHERE NOT entered)`,
      ),
    );
    await enter(sql`${changesTable} WHERE entered`);
    await engine.run(sql`DROP TABLE IF EXISTS ${changesTable}`);
  }
  // Sizes from the stays now open: an incremental refresh evaluated only some customers.
  const sizes = await currentSizes(engine, ids);
  const out = new Map<string, { size: number; entered: number; exited: number }>();
  for (const id of ids) out.set(id, { size: sizes.get(id) ?? 0, entered: 0, exited: 0 });
  if (changes === null) for (const o of out.values()) o.entered = o.size;
  for (const r of changes ?? []) {
    const o = out.get(r.segment_id) as { entered: number; exited: number };
    o.entered = Number(r.entered);
    o.exited = Number(r.exited);
  }
  return out;
}

/**
 * Each segment's current size (of those in `ids`, or of all): its open stays, as the last stored refresh left them.
 * A segment with no open stay is absent (size 0, or never evaluated: the caller tells those apart).
 */
export async function currentSizes(engine: Engine, ids?: readonly string[]): Promise<Map<string, number>> {
  if (ids?.length === 0) return new Map();
  const only = ids
    ? sql` AND segment_id IN (${sql.join(ids.map((id) => sql.raw(engine.dialect.literal(id))))})`
    : sql.empty;
  const r = await engine.query(
    sql`SELECT segment_id, count(*) AS n FROM segment_membership WHERE exited_at IS NULL${only} GROUP BY segment_id`,
  );
  return new Map(r.rows<{ segment_id: string; n: number }>().map((x) => [x.segment_id, Number(x.n)]));
}

/**
 * The customers currently in a segment (open stays): a query selecting their ids. Not a list of ids: people are
 * reached for a use only through the consent gate (src/privacy/consent-gate.ts), which takes this query.
 */
export function currentMembersSql(id: string): Sql {
  return sql`SELECT customer_id FROM segment_membership WHERE segment_id = ${id} AND exited_at IS NULL`;
}

/** Who of some candidates (a query selecting ids) may be listed: the consent gate, for a use the caller names. */
export type ListPeople = (candidates: Sql) => Promise<string[]>;

export interface HistoryPoint {
  readonly asOf: string;
  readonly size: number;
  readonly entered: number;
  readonly exited: number;
  readonly enteredIds?: string[];
  readonly exitedIds?: string[];
}

/**
 * Size over time and who entered or left at each stored refresh since the segment was created (one point per
 * as-of time: a refresh repeated at the same time changes nothing). With `listIds`, the ids of those who entered
 * and left that it lets through (the consent gate, at most the number it was asked for) are listed too.
 */
export async function segmentHistory(
  engine: Engine,
  id: string,
  listIds?: ListPeople,
): Promise<HistoryPoint[]> {
  const times = await engine.query(
    sql`SELECT DISTINCT r.as_of FROM segment_refreshes r, segments s
         WHERE s.segment_id = ${id} AND r.refreshed_at >= s.created_at
         ORDER BY r.as_of`,
  );
  // The stays' entries and exits by time, in one grouped pass (no subquery per point: not every engine runs
  // correlated ones). A stay closes no earlier than it opened (only a refresh at or after the last one records),
  // so the size at a time is the stays entered by then less those exited by then.
  const moves = await engine.query(
    sql`SELECT t, sum(e) AS entered, sum(x) AS exited FROM (
          SELECT entered_at AS t, 1 AS e, 0 AS x FROM segment_membership WHERE segment_id = ${id}
          UNION ALL
          SELECT exited_at AS t, 0 AS e, 1 AS x FROM segment_membership WHERE segment_id = ${id} AND exited_at IS NOT NULL
        ) m GROUP BY t ORDER BY t`,
  );
  const steps = moves.rows<{ t: Date; entered: unknown; exited: unknown }>();
  const points: HistoryPoint[] = [];
  let [next, size] = [0, 0];
  for (const asOf of times.column("as_of") as Date[]) {
    const point = { asOf: asOf.toISOString(), size: 0, entered: 0, exited: 0 };
    for (; next < steps.length && (steps[next] as { t: Date }).t.getTime() <= asOf.getTime(); next++) {
      const step = steps[next] as { t: Date; entered: unknown; exited: unknown };
      size += Number(step.entered) - Number(step.exited);
      if (step.t.getTime() === asOf.getTime()) {
        point.entered = Number(step.entered);
        point.exited = Number(step.exited);
      }
    }
    point.size = size;
    if (listIds) {
      const ids = (col: string) =>
        listIds(
          sql`SELECT customer_id FROM segment_membership WHERE segment_id = ${id} AND ${sql.ident(col)} = ${tsParam(asOf)}`,
        );
      points.push({ ...point, enteredIds: await ids("entered_at"), exitedIds: await ids("exited_at") });
    } else points.push(point);
  }
  return points;
}
