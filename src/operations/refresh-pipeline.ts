import { refreshValues, type ValuesRefresh } from "../analytics/value-refresh.js";
import { assignAllClusterings } from "../clustering/saved-clusterings.js";
import { loadSchemaContext } from "../segments/schema-context.js";
import { type RefreshResult, refreshSegments } from "../segments/segment-refresh.js";
import { validateSaved } from "../segments/validate.js";
import type { Engine } from "../store/engine.js";

export interface PipelineRefresh extends RefreshResult {
  /** Customers re-scored per value producer (null: that producer has never run). */
  readonly values: ValuesRefresh & { readonly clusterings: number };
}

/**
 * Brings everything segments read up to one as-of time, in dependency order: the values models produce
 * (RFM re-scored, CLV re-predicted with the saved model), every customer assigned to the nearest centre of
 * each saved clustering (new customers included), then the segments. Each producer runs only if it has run
 * before; what it writes, an incremental segment refresh notices.
 */
export async function refreshAll(
  engine: Engine,
  opts: { asOf?: Date; mode?: "auto" | "full" } = {},
): Promise<PipelineRefresh> {
  const asOf = opts.asOf ?? new Date();
  // Saved definitions are checked before anything is written: one that no longer fits the data refuses the
  // whole refresh, values included, and the database is left as it was.
  const schema = await loadSchemaContext(engine, { events: false });
  validateSaved(schema.segments.values(), schema);
  const values = await refreshValues(engine, asOf);
  const clusterings = await assignAllClusterings(engine, { asOf });
  const segments = await refreshSegments(engine, { asOf, ...(opts.mode ? { mode: opts.mode } : {}) });
  return { ...segments, values: { ...values, clusterings: clusterings.length } };
}
