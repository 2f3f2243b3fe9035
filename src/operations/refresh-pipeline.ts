import { recordSyncs } from "../activation/audience-sync.js";
import { refreshValues, type ValuesRefresh } from "../analytics/value-refresh.js";
import { assignAllClusterings } from "../clustering/saved-clusterings.js";
import { assignRunningExperiments } from "../experiments/assignment.js";
import { type PredictionsRefresh, refreshPredictions } from "../predict/prediction-refresh.js";
import { loadSchemaContext } from "../segments/schema-context.js";
import { type RefreshResult, refreshSegments } from "../segments/segment-refresh.js";
import { validateSaved } from "../segments/validate.js";
import type { Engine } from "../store/engine.js";

export interface PipelineRefresh extends RefreshResult {
  /**
   * Customers re-scored per value producer (null: that producer has never run, or the values were kept:
   * `rescored` false).
   */
  readonly values: ValuesRefresh & { readonly clusterings: number; readonly rescored: boolean };
  /** The predictions fitted again (churn, recommendations, propensities); null when the values were kept. */
  readonly predictions: PredictionsRefresh | null;
}

/** Who the audit log names for the syncs a refresh records. */
const SYNC_AFTER_REFRESH = "refresh:destination-sync";

/**
 * Brings everything segments read up to one as-of time, in dependency order: the values models produce
 * (RFM re-scored, CLV re-predicted with the saved model), the predictions fitted again (churn, recommendations,
 * propensities: src/predict/prediction-refresh.ts), every customer assigned to the nearest centre of
 * each saved clustering (new customers included), then the segments. Each producer runs only if it has run
 * before; what it writes, an incremental segment refresh notices. The whole pipeline is one transaction: a
 * refusal of the segment refresh (a saved definition that no longer fits the data) or any failure leaves the
 * values as they were too, and concurrent readers see the values and the segments of one as-of time together.
 */
export async function refreshAll(
  engine: Engine,
  opts: { asOf?: Date; mode?: "auto" | "full"; keepValues?: boolean } = {},
): Promise<PipelineRefresh> {
  const asOf = opts.asOf ?? new Date();
  // Without transactions a refusal could not be undone: the saved definitions are checked before any value is
  // written (with them, the transaction leaves everything as it was and the check is the segment refresh's own).
  if (!engine.dialect.can.transactions) {
    const schema = await loadSchemaContext(engine, { events: false });
    validateSaved(schema.segments.values(), schema);
  }
  return engine.transaction(async () => {
    // Kept (a live refresh within the day its values were scored): segments read the values as they are.
    if (opts.keepValues) {
      const segments = await refreshSegments(engine, { asOf, ...(opts.mode ? { mode: opts.mode } : {}) });
      if (segments.stored) {
        await recordSyncs(engine, { who: SYNC_AFTER_REFRESH });
        // Experiments running now assign their segments' and audiences' new people (issue 20); a backtest (not
        // stored) evaluated the past and assigns nobody.
        await assignRunningExperiments(engine);
      }
      return {
        ...segments,
        values: { rfm: null, clv: null, clusterings: 0, rescored: false },
        predictions: null,
      };
    }
    const values = await refreshValues(engine, asOf);
    // After the values (churn reads BG/NBD's, not CLV's; nothing here reads a prediction), before the segments.
    const predictions = await refreshPredictions(engine, asOf);
    const clusterings = await assignAllClusterings(engine, { asOf });
    const segments = await refreshSegments(engine, { asOf, ...(opts.mode ? { mode: opts.mode } : {}) });
    // Destinations are told who entered and left their audiences: recorded here, delivered after (activation).
    if (segments.stored) {
      await recordSyncs(engine, { who: SYNC_AFTER_REFRESH });
      await assignRunningExperiments(engine);
    }
    return {
      ...segments,
      values: { ...values, clusterings: clusterings.length, rescored: true },
      predictions,
    };
  });
}
