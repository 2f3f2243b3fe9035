import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import {
  buildFeatures,
  type CompiledSegments,
  compileSegments,
  dropEvaluation,
  evaluatedSizes,
  FEATURE_TABLE,
  FEATURES,
} from "./evaluate.js";
import { dropIncremental, REEVALUATE, reevaluateRows, refreshFeaturesIncrementally } from "./incremental.js";
import { loadSchemaContext } from "./schema-context.js";
import { recordStays } from "./stays.js";
import { featureText } from "./text/print.js";
import { validateSaved } from "./validate.js";
import { tsParam } from "./window.js";

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

/** The as-of time of the latest stored refresh, if any. */
export async function lastRefresh(engine: Engine): Promise<Date | null> {
  const r = await engine.query("SELECT max(as_of) AS t FROM segment_refreshes");
  const t = r.column("t")[0];
  return t instanceof Date ? t : null;
}

/** The latest stored refresh: the as-of time it evaluated, and when it ran; null before the first. */
export async function latestRefresh(engine: Engine): Promise<{ asOf: string; refreshedAt: string } | null> {
  const r = await engine.query(
    "SELECT as_of, refreshed_at FROM segment_refreshes ORDER BY as_of DESC, refreshed_at DESC LIMIT 1",
  );
  const row = r.rows<{ as_of: Date; refreshed_at: Date }>()[0];
  return row ? { asOf: row.as_of.toISOString(), refreshedAt: row.refreshed_at.toISOString() } : null;
}

async function count(engine: Engine, query: Sql): Promise<number> {
  const r = await engine.query(query);
  return Number(r.column(r.columns[0] as string)[0]);
}

/**
 * What a stored refresh was computed from: the feature table's shape, and each segment's fingerprint (its
 * predicate's makings); and what each of the table's columns holds, in words (for access requests: read by
 * `storedFeatureLabels`, never compared). Kept as one JSON text in `segment_feature_state.signature`.
 */
function refreshState(compiled: CompiledSegments): string {
  return JSON.stringify({
    features: compiled.signature,
    segments: Object.fromEntries(compiled.fingerprints),
    columns: featureColumnLabels(compiled),
  });
}

/** What each column of the stored feature table holds, in the segment language's words (`f3`: `orders.sum(…)`). */
function featureColumnLabels(compiled: CompiledSegments): Record<string, string> {
  return Object.fromEntries([
    ...compiled.features.features().map(({ feature, column }) => [column, featureText(feature)]),
    ...[...compiled.features.computed].map(([name, column]) => [column, `computed(${JSON.stringify(name)})`]),
  ]);
}

/**
 * The labels of the stored feature table's columns, as the refresh that built it wrote them (none before a first
 * refresh, or from a version that did not write them).
 */
export async function storedFeatureLabels(engine: Engine): Promise<Record<string, string>> {
  const state = await engine.query("SELECT signature FROM segment_feature_state");
  const text = state.column("signature")[0];
  try {
    const columns = typeof text === "string" ? (JSON.parse(text) as { columns?: unknown }).columns : null;
    if (!columns || typeof columns !== "object") return {};
    return Object.fromEntries(
      Object.entries(columns).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
  } catch {
    return {};
  }
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
  if (!(await engine.tables()).includes(STORED_FEATURES)) return null;
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
 * stored one is a backtest: its sizes are reported, the history is left alone. Saved definitions that no longer
 * fit the database (something they name has gone) are refused, all named, with nothing written.
 */
export async function refreshSegments(
  engine: Engine,
  opts: {
    asOf?: Date;
    mode?: "auto" | "full";
    /** False: evaluate and report sizes only, as a backtest does, whatever the time (a trial before recording). */
    record?: boolean;
  } = {},
): Promise<RefreshResult> {
  const started = performance.now();
  const startedAt = new Date();
  const asOf = opts.asOf ?? new Date();
  // Values the segments compare (RFM, CLV, clusters) are brought to this as-of by the caller first:
  // src/operations/refresh-pipeline.ts.
  const schema = await loadSchemaContext(engine, { events: false });
  // Checked again before anything is written: a trait dropped or a computed value removed since a definition was
  // saved is a refusal naming the segment (SavedSegmentError), not a failure inside the engine.
  const defs = validateSaved(schema.segments.values(), schema).sort((a, b) => a.id.localeCompare(b.id));
  const last = await lastRefresh(engine);
  const stored = opts.record !== false && (last === null || asOf.getTime() >= last.getTime());
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
  let incremental = false;
  const clock = { start: performance.now(), features: 0, body: 0 };
  const result = await engine.transaction(async () => {
    let recomputed: number;
    let featureTable = sql.ident(STORED_FEATURES);
    if (!stored) {
      featureTable = FEATURES;
      await buildFeatures(engine, compiled, schema, asOf, FEATURE_TABLE);
      recomputed = await count(engine, sql`SELECT count(*) FROM ${FEATURES}`);
    } else {
      const brought = base
        ? await refreshFeaturesIncrementally(engine, compiled, schema, STORED_FEATURES, base.asOf, asOf)
        : null;
      incremental = brought !== null;
      if (brought !== null) recomputed = brought;
      else {
        await buildFeatures(engine, compiled, schema, asOf, STORED_FEATURES, { temporary: false });
        recomputed = await count(engine, sql`SELECT count(*) FROM ${featureTable}`);
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
        incremental && base
          ? { ids: REEVALUATE, rows: reevaluateRows(engine.dialect, compiled), changed: base.changed }
          : undefined,
      );
      for (const def of defs) {
        const c = changes.get(def.id) ?? { size: 0, entered: 0, exited: 0 };
        segments.push({ id: def.id, name: def.name, ...c });
      }
      const d = engine.dialect;
      await engine.run(d.deleteWhere("segment_dirty", sql`marked_at <= ${startedAt}`));
      await engine.run(d.deleteWhere("segment_feature_state", sql`true`));
      await engine.run(
        sql`INSERT INTO segment_feature_state (signature, as_of, built_at)
            VALUES (${refreshState(compiled)}, ${tsParam(asOf)}, ${d.now()})`,
      );
      const seconds = (performance.now() - started) / 1000;
      await engine.run(
        sql`INSERT INTO segment_refreshes (as_of, refreshed_at, segments, seconds, mode)
            VALUES (${tsParam(asOf)}, ${d.now()}, ${defs.length}, ${seconds}, ${incremental ? "incremental" : "full"})`,
      );
    } else {
      const sizes = await evaluatedSizes(
        engine,
        compiled,
        defs.map((def) => def.id),
        featureTable,
      );
      for (const def of defs)
        segments.push({ id: def.id, name: def.name, size: sizes.get(def.id) ?? 0, entered: 0, exited: 0 });
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
