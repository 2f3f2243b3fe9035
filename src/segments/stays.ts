import type { Engine, SqlValue } from "../store/engine.js";
import type { CompiledSegments } from "./evaluate.js";
import { featureRowsSql } from "./feature-sql.js";

/**
 * Membership as stays: a row of `segment_membership` per time a customer was in a segment (entered_at, and
 * exited_at once they left). A refresh records who entered and who left; the members and the history are read
 * back from the stays.
 */

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

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
  featureTable: string,
  candidates?: { readonly ids: string; readonly changed: ReadonlySet<string> },
): Promise<Map<string, { size: number; entered: number; exited: number }>> {
  const d = engine.dialect;
  const everyone = (id: string) => !candidates || candidates.changed.has(id);
  // Each segment's members, all segments in one scan of the feature rows (the candidates' rows alone where that
  // suffices): a row yields the ids of the segments whose predicate it passes.
  const scan = (segs: readonly string[], only?: string) =>
    `SELECT f.customer_id, ${d.unnestPresent(
      segs.map((id) => `CASE WHEN ${compiled.predicates.get(id) as string} THEN ${d.literal(id)} END`),
    )} AS segment_id FROM ${featureRowsSql(d, compiled.features, featureTable, only)} f`;
  const forAll = ids.filter(everyone);
  const forCandidates = ids.filter((id) => !everyone(id));
  const members = [
    ...(forAll.length ? [scan(forAll)] : []),
    ...(candidates && forCandidates.length ? [scan(forCandidates, candidates.ids)] : []),
  ].join(" UNION ALL ");
  const inList = (xs: readonly string[]) => xs.map((id) => d.literal(id)).join(", ");
  const open = `exited_at IS NULL AND segment_id IN (${inList(ids)})`;
  const scope = candidates
    ? ` AND (customer_id IN (${candidates.ids})${forAll.length ? ` OR segment_id IN (${inList(forAll)})` : ""})`
    : "";
  /** Opens a stay for every (segment_id, customer_id) row of `source`. */
  const enter = (source: string, params: readonly SqlValue[]) =>
    engine.run(
      `INSERT INTO segment_membership (segment_id, customer_id, entered_at, exited_at)
       SELECT segment_id, customer_id, ${d.param(params.length + 1, "timestamp")}, NULL FROM ${source}`,
      [...params, ts(asOf)],
    );
  // With no stay of these segments open at all (a first refresh, only new segments), every member enters: no
  // matching, and each segment's size is what entered.
  const anyOpen = await engine.query(
    `SELECT EXISTS (SELECT 1 FROM segment_membership WHERE ${open}) AS any_open`,
  );
  const nothingOpen = anyOpen.column("any_open")[0] !== true;
  let changes: { segment_id: string; entered: number; exited: number }[] | null = null;
  if (nothingOpen) await enter(`(${members}) m`, compiled.params);
  else {
    // Who entered (a member without an open stay) and who left (an open stay without a member), in one join.
    await engine.run(
      `CREATE OR REPLACE TEMP TABLE _seg_changes AS
       SELECT coalesce(m.segment_id, o.segment_id) AS segment_id, coalesce(m.customer_id, o.customer_id) AS customer_id,
              o.customer_id IS NULL AS entered
         FROM (${members}) m
         FULL JOIN (SELECT segment_id, customer_id FROM segment_membership WHERE ${open}${scope}) o
           ON o.segment_id = m.segment_id AND o.customer_id = m.customer_id
        WHERE m.customer_id IS NULL OR o.customer_id IS NULL`,
      compiled.params,
    );
    changes = (
      await engine.query(
        `SELECT segment_id, count(*) FILTER (WHERE entered) AS entered, count(*) FILTER (WHERE NOT entered) AS exited
           FROM _seg_changes GROUP BY segment_id`,
      )
    ).rows();
    await engine.run(
      `UPDATE segment_membership SET exited_at = CAST($1 AS TIMESTAMP)
         FROM (SELECT segment_id, customer_id FROM _seg_changes WHERE NOT entered) c
        WHERE segment_membership.exited_at IS NULL AND segment_membership.segment_id = c.segment_id
          AND segment_membership.customer_id = c.customer_id`,
      [ts(asOf)],
    );
    await enter("_seg_changes WHERE entered", []);
    await engine.run("DROP TABLE _seg_changes");
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
  const only = ids ? ` AND segment_id IN (${ids.map((id) => engine.dialect.literal(id)).join(", ")})` : "";
  const r = await engine.query(
    `SELECT segment_id, count(*) AS n FROM segment_membership WHERE exited_at IS NULL${only} GROUP BY segment_id`,
  );
  return new Map(r.rows<{ segment_id: string; n: number }>().map((x) => [x.segment_id, Number(x.n)]));
}

/** The customers currently in a segment (open stays), by id. */
export async function segmentMembers(engine: Engine, id: string, limit?: number): Promise<string[]> {
  const r = await engine.query(
    `SELECT customer_id FROM segment_membership WHERE segment_id = $1 AND exited_at IS NULL ORDER BY customer_id${limit ? ` LIMIT ${Math.floor(limit)}` : ""}`,
    [id],
  );
  return r.column("customer_id") as string[];
}

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
 * as-of time: a refresh repeated at the same time changes nothing).
 */
export async function segmentHistory(engine: Engine, id: string, withIds = 0): Promise<HistoryPoint[]> {
  const r = await engine.query(
    `SELECT r.as_of,
            (SELECT count(*) FROM segment_membership m WHERE m.segment_id = $1 AND m.entered_at <= r.as_of
                AND (m.exited_at IS NULL OR m.exited_at > r.as_of)) AS size,
            (SELECT count(*) FROM segment_membership m WHERE m.segment_id = $1 AND m.entered_at = r.as_of) AS entered,
            (SELECT count(*) FROM segment_membership m WHERE m.segment_id = $1 AND m.exited_at = r.as_of) AS exited
       FROM (SELECT DISTINCT r.as_of FROM segment_refreshes r, segments s
              WHERE s.segment_id = $1 AND r.refreshed_at >= s.created_at) r
      ORDER BY r.as_of`,
    [id],
  );
  const points: HistoryPoint[] = [];
  for (const row of r.rows<{ as_of: Date; size: number; entered: number; exited: number }>()) {
    const base = {
      asOf: row.as_of.toISOString(),
      size: Number(row.size),
      entered: Number(row.entered),
      exited: Number(row.exited),
    };
    if (withIds > 0) {
      const ids = async (col: string) =>
        (
          await engine.query(
            `SELECT customer_id FROM segment_membership WHERE segment_id = $1 AND ${col} = CAST($2 AS TIMESTAMP) ORDER BY 1 LIMIT ${Math.floor(withIds)}`,
            [id, ts(row.as_of)],
          )
        ).column("customer_id") as string[];
      points.push({ ...base, enteredIds: await ids("entered_at"), exitedIds: await ids("exited_at") });
    } else points.push(base);
  }
  return points;
}
