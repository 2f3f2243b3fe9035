import type { Engine } from "../store/engine.js";
import { dropEvaluation, EVAL_TABLE, evaluateSegments } from "./evaluate.js";
import { loadSchemaContext } from "./schema-context.js";

export interface RefreshedSegment {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly entered: number;
  readonly exited: number;
}

export interface RefreshResult {
  readonly asOf: string;
  readonly segments: RefreshedSegment[];
  readonly seconds: number;
  /** False for a backtest before the latest stored refresh: evaluated, but history is not rewritten. */
  readonly stored: boolean;
  readonly features: number;
}

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

/** The as-of time of the latest stored refresh, if any. */
export async function lastRefresh(engine: Engine): Promise<Date | null> {
  const r = await engine.query("SELECT max(as_of) AS t FROM segment_refreshes");
  const t = r.column("t")[0];
  return t instanceof Date ? t : null;
}

/**
 * Evaluates every saved segment (latest versions) as of a time, in one scan of each raw table, and records
 * membership as stays: a customer who enters opens a stay (entered_at = as of), one who leaves closes it.
 * A refresh before the latest stored one is a backtest: its sizes are reported, the history is left alone.
 */
export async function refreshSegments(engine: Engine, opts: { asOf?: Date } = {}): Promise<RefreshResult> {
  const started = performance.now();
  const asOf = opts.asOf ?? new Date();
  const schema = await loadSchemaContext(engine);
  const defs = [...schema.segments.values()].sort((a, b) => a.id.localeCompare(b.id));
  const last = await lastRefresh(engine);
  const stored = last === null || asOf.getTime() >= last.getTime();
  if (defs.length === 0) {
    return { asOf: asOf.toISOString(), segments: [], seconds: 0, stored: false, features: 0 };
  }
  const evaluation = await evaluateSegments(engine, defs, schema, asOf);
  const q = engine.dialect.quoteIdent;
  const segments: RefreshedSegment[] = [];
  await engine.transaction(async () => {
    for (const def of defs) {
      const col = q(evaluation.columns.get(def.id) as string);
      const size = Number(
        (await engine.query(`SELECT count(*) AS n FROM ${EVAL_TABLE} WHERE ${col}`)).column("n")[0],
      );
      let entered = 0;
      let exited = 0;
      if (stored) {
        const open = `SELECT customer_id FROM segment_membership WHERE segment_id = $1 AND exited_at IS NULL`;
        const leaving = await engine.query(
          `SELECT count(*) AS n FROM (${open}) m WHERE m.customer_id NOT IN (SELECT customer_id FROM ${EVAL_TABLE} WHERE ${col})`,
          [def.id],
        );
        exited = Number(leaving.column("n")[0]);
        await engine.run(
          `UPDATE segment_membership SET exited_at = CAST($2 AS TIMESTAMP)
            WHERE segment_id = $1 AND exited_at IS NULL
              AND customer_id NOT IN (SELECT customer_id FROM ${EVAL_TABLE} WHERE ${col})`,
          [def.id, ts(asOf)],
        );
        const before = await engine.query(
          "SELECT count(*) AS n FROM segment_membership WHERE segment_id = $1",
          [def.id],
        );
        await engine.run(
          `INSERT INTO segment_membership (segment_id, customer_id, entered_at, exited_at)
           SELECT $1, e.customer_id, CAST($2 AS TIMESTAMP), NULL FROM ${EVAL_TABLE} e
            WHERE e.${col} AND e.customer_id NOT IN (${open})`,
          [def.id, ts(asOf)],
        );
        const after = await engine.query(
          "SELECT count(*) AS n FROM segment_membership WHERE segment_id = $1",
          [def.id],
        );
        entered = Number(after.column("n")[0]) - Number(before.column("n")[0]);
      }
      segments.push({ id: def.id, name: def.name, size, entered, exited });
    }
    const seconds = (performance.now() - started) / 1000;
    if (stored) {
      await engine.run(
        "INSERT INTO segment_refreshes (as_of, refreshed_at, segments, seconds, mode) VALUES (CAST($1 AS TIMESTAMP), now(), $2, $3, 'full')",
        [ts(asOf), defs.length, seconds],
      );
    }
  });
  await dropEvaluation(engine);
  return {
    asOf: asOf.toISOString(),
    segments,
    seconds: (performance.now() - started) / 1000,
    stored,
    features: evaluation.featureCount,
  };
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

/** Size over time and who entered or left at each stored refresh since the segment was created. */
export async function segmentHistory(engine: Engine, id: string, withIds = 0): Promise<HistoryPoint[]> {
  const r = await engine.query(
    `SELECT r.as_of,
            (SELECT count(*) FROM segment_membership m WHERE m.segment_id = $1 AND m.entered_at <= r.as_of
                AND (m.exited_at IS NULL OR m.exited_at > r.as_of)) AS size,
            (SELECT count(*) FROM segment_membership m WHERE m.segment_id = $1 AND m.entered_at = r.as_of) AS entered,
            (SELECT count(*) FROM segment_membership m WHERE m.segment_id = $1 AND m.exited_at = r.as_of) AS exited
       FROM segment_refreshes r, segments s
      WHERE s.segment_id = $1 AND r.refreshed_at >= s.created_at
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
