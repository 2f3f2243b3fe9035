/**
 * The stored RFM scores' report (`customer_rfm`, as the last `tessera rfm` or refresh left it), without scoring
 * again: the same segments and R × F grid as `rfm` reports, through the same k-gate, for a reader who may not
 * write values (the dashboard's value view).
 */
import { isUserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { RFM_TABLE, type RfmOptions, type RfmReport, rfmReport } from "./rfm.js";
import { loadSettings } from "./settings.js";
import { storedValueTime } from "./stored-values.js";

/**
 * The report of the stored scores. Its as-of time is not stored (a refresh supplies its own and keeps no note of
 * it), so the report says when the scores were written instead.
 */
export type StoredRfmReport = Omit<RfmReport, "asOf"> & { readonly scoredAt: string };

/** The stored scores' report with groups under `minGroup` suppressed; null when no scores are stored. */
export async function storedRfmReport(engine: Engine, minGroup: number): Promise<StoredRfmReport | null> {
  const scoredAt = await storedValueTime(engine, "rfm_segment", RFM_TABLE);
  if (scoredAt === null) return null;
  // How they were scored (orders or days, total or average, quintiles or thresholds), as the report says it.
  const settings = ((await loadSettings(engine, "rfm")) ?? {}) as RfmOptions;
  try {
    // The as-of given only fills the report's head, which is replaced by the time of scoring.
    const { asOf: _unknown, ...report } = await rfmReport(engine, RFM_TABLE, scoredAt, {
      ...settings,
      minGroup,
    });
    return { ...report, scoredAt: scoredAt.toISOString() };
  } catch (e) {
    // Scores stored when nobody had bought: no report, as with none stored.
    if (isUserError(e) && e.code === "no-purchases") return null;
    throw e;
  }
}
