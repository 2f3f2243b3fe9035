import type { Engine, SqlValue } from "../store/engine.js";
import {
  buildFeatures,
  type CompiledSegments,
  compileSegments,
  dropEvaluation,
  EVAL_TABLE,
  evaluatePredicates,
  FEATURE_TABLE,
} from "./evaluate.js";
import { featureRowsSql } from "./feature-sql.js";
import { dropIncremental, REEVALUATE, refreshFeaturesIncrementally } from "./incremental.js";
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
  /** "full": every customer's features rebuilt; "incremental": only the customers something happened to. */
  readonly mode: "full" | "incremental";
  /** Customers whose features were rebuilt (all of them in a full refresh). */
  readonly recomputed: number;
  /**
   * Seconds spent building the features, evaluating the segments (and recording their stays), and committing:
   * where the time goes.
   */
  readonly phases: { readonly features: number; readonly segments: number; readonly commit: number };
}

/** The stored feature table an incremental refresh updates in place. */
export const STORED_FEATURES = "segment_features";

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

/** The as-of time of the latest stored refresh, if any. */
export async function lastRefresh(engine: Engine): Promise<Date | null> {
  const r = await engine.query("SELECT max(as_of) AS t FROM segment_refreshes");
  const t = r.column("t")[0];
  return t instanceof Date ? t : null;
}

async function count(engine: Engine, sql: string, params: SqlValue[] = []): Promise<number> {
  const r = await engine.query(sql, params);
  return Number(r.column(r.columns[0] as string)[0]);
}

/**
 * What a stored refresh was computed from: the feature table's shape, and each segment's fingerprint (its
 * predicate's makings). Kept as one JSON text in `segment_feature_state.signature`.
 */
function refreshState(compiled: CompiledSegments): string {
  return JSON.stringify({
    features: compiled.signature,
    segments: Object.fromEntries(compiled.fingerprints),
  });
}

/**
 * Whether the stored feature table can be brought forward incrementally: it was built for the same features,
 * at or before this as-of time. Also says which segments were evaluated from another definition then (or not at
 * all): those must be evaluated for everyone.
 */
async function incrementalBase(
  engine: Engine,
  compiled: CompiledSegments,
  asOf: Date,
): Promise<{ asOf: Date; changed: Set<string> } | null> {
  const state = await engine.query("SELECT signature, as_of, built_at FROM segment_feature_state");
  const row = state.rows<{ signature: string; as_of: Date; built_at: Date }>()[0];
  if (!row || row.as_of.getTime() > asOf.getTime()) return null;
  let stored: { features?: unknown; segments?: Record<string, string> };
  try {
    stored = JSON.parse(row.signature);
  } catch {
    return null; // written by an older version: rebuild
  }
  if (stored.features !== compiled.signature || !stored.segments || typeof stored.segments !== "object")
    return null;
  const exists = await count(engine, "SELECT count(*) FROM information_schema.tables WHERE table_name = $1", [
    STORED_FEATURES,
  ]);
  if (exists === 0) return null;
  const was = stored.segments;
  const changed = new Set([...compiled.fingerprints].filter(([id, f]) => was[id] !== f).map(([id]) => id));
  return { asOf: row.as_of, changed };
}

/**
 * Evaluates every saved segment (latest versions) as of a time and records membership as stays: a customer who
 * enters opens a stay (entered_at = as of), one who leaves closes it. Referenced segments are inlined, so the
 * order of evaluation does not matter.
 *
 * A full refresh builds the feature table in one pass over each raw table. An incremental one (the default
 * when possible) rebuilds features only for the customers something happened to since the last refresh, then
 * evaluates every predicate over the stored table: the result equals a full refresh. A refresh before the latest
 * stored one is a backtest: its sizes are reported, the history is left alone.
 */
export async function refreshSegments(
  engine: Engine,
  opts: { asOf?: Date; mode?: "auto" | "full" } = {},
): Promise<RefreshResult> {
  const started = performance.now();
  const startedAt = new Date();
  const asOf = opts.asOf ?? new Date();
  // Values the segments compare (RFM, CLV, clusters) are brought to this as-of by the caller first:
  // src/pipeline/refresh.ts.
  const schema = await loadSchemaContext(engine, { events: false });
  const defs = [...schema.segments.values()].sort((a, b) => a.id.localeCompare(b.id));
  const last = await lastRefresh(engine);
  const stored = last === null || asOf.getTime() >= last.getTime();
  if (defs.length === 0) {
    return {
      asOf: asOf.toISOString(),
      segments: [],
      seconds: 0,
      stored: false,
      features: 0,
      mode: "full",
      recomputed: 0,
      phases: { features: 0, segments: 0, commit: 0 },
    };
  }
  const compiled = compileSegments(engine, defs, schema, asOf);
  const base = stored && opts.mode !== "full" ? await incrementalBase(engine, compiled, asOf) : null;
  const q = engine.dialect.quoteIdent;
  let incremental = false;
  const clock = { start: performance.now(), features: 0, body: 0 };
  const result = await engine.transaction(async () => {
    let recomputed: number;
    let featureTable = STORED_FEATURES;
    if (!stored) {
      featureTable = FEATURE_TABLE;
      await buildFeatures(engine, compiled, schema, asOf, FEATURE_TABLE);
      recomputed = await count(engine, `SELECT count(*) FROM ${FEATURE_TABLE}`);
    } else {
      const brought = base
        ? await refreshFeaturesIncrementally(engine, compiled, schema, STORED_FEATURES, base.asOf, asOf)
        : null;
      incremental = brought !== null;
      if (brought !== null) recomputed = brought;
      else {
        await buildFeatures(engine, compiled, schema, asOf, STORED_FEATURES, { temporary: false });
        recomputed = await count(engine, `SELECT count(*) FROM ${STORED_FEATURES}`);
      }
    }
    clock.features = performance.now();
    const segments: RefreshedSegment[] = [];
    if (stored) {
      const changes = await recordStays(
        engine,
        compiled,
        defs.map((d) => d.id),
        asOf,
        featureTable,
        incremental && base ? { ids: REEVALUATE, changed: base.changed } : undefined,
      );
      for (const def of defs) {
        const c = changes.get(def.id) ?? { size: 0, entered: 0, exited: 0 };
        segments.push({ id: def.id, name: def.name, ...c });
      }
      await engine.run("DELETE FROM segment_dirty WHERE marked_at <= $1", [startedAt]);
      await engine.run("DELETE FROM segment_feature_state");
      await engine.run("INSERT INTO segment_feature_state VALUES ($1, CAST($2 AS TIMESTAMP), now())", [
        refreshState(compiled),
        ts(asOf),
      ]);
      await engine.run(
        "INSERT INTO segment_refreshes (as_of, refreshed_at, segments, seconds, mode) VALUES (CAST($1 AS TIMESTAMP), now(), $2, $3, $4)",
        [ts(asOf), defs.length, (performance.now() - started) / 1000, incremental ? "incremental" : "full"],
      );
    } else {
      await evaluatePredicates(engine, compiled, featureTable);
      // Every segment's size in one scan of the evaluation.
      const col = (id: string) => q(compiled.columns.get(id) as string);
      const sizes = await engine.query(
        `SELECT ${defs.map((def, i) => `count(*) FILTER (WHERE ${col(def.id)}) AS n${i}`).join(", ")} FROM ${EVAL_TABLE}`,
      );
      defs.forEach((def, i) => {
        const size = Number(sizes.column(`n${i}`)[0]);
        segments.push({ id: def.id, name: def.name, size, entered: 0, exited: 0 });
      });
    }
    clock.body = performance.now();
    return { segments, recomputed };
  });
  const committed = performance.now();
  await dropEvaluation(engine);
  await dropIncremental(engine);
  return {
    asOf: asOf.toISOString(),
    segments: result.segments,
    seconds: (performance.now() - started) / 1000,
    stored,
    features: compiled.features.features().length,
    mode: incremental ? "incremental" : "full",
    recomputed: result.recomputed,
    phases: {
      features: (clock.features - clock.start) / 1000,
      segments: (clock.body - clock.features) / 1000,
      commit: (committed - clock.body) / 1000,
    },
  };
}

/**
 * Closes the stays of customers who left and opens stays for those who entered, for all segments at once. With
 * `candidates` (an incremental refresh: the customers with new data and those whose time leaves changed) only
 * those customers can have changed, except in segments evaluated from another definition last time (`changed`)
 * and those that read the time other than through a leaf the compiler reports, which are evaluated for everyone.
 */
async function recordStays(
  engine: Engine,
  compiled: CompiledSegments,
  ids: readonly string[],
  asOf: Date,
  featureTable: string,
  candidates?: { readonly ids: string; readonly changed: ReadonlySet<string> },
): Promise<Map<string, { size: number; entered: number; exited: number }>> {
  const d = engine.dialect;
  const everyone = (id: string) =>
    !candidates || candidates.changed.has(id) || compiled.timeLeaves.get(id) === null;
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
  const nothingOpen =
    (await count(
      engine,
      `SELECT count(*) FROM (SELECT 1 FROM segment_membership WHERE ${open} LIMIT 1) x`,
    )) === 0;
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
  const sizes = await engine.query(
    `SELECT segment_id, count(*) AS size FROM segment_membership WHERE ${open} GROUP BY segment_id`,
  );
  const out = new Map<string, { size: number; entered: number; exited: number }>();
  for (const id of ids) out.set(id, { size: 0, entered: 0, exited: 0 });
  for (const r of sizes.rows<{ segment_id: string; size: number }>()) {
    (out.get(r.segment_id) as { size: number }).size = Number(r.size);
  }
  if (changes === null) for (const o of out.values()) o.entered = o.size;
  for (const r of changes ?? []) {
    const o = out.get(r.segment_id) as { entered: number; exited: number };
    o.entered = Number(r.entered);
    o.exited = Number(r.exited);
  }
  return out;
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
