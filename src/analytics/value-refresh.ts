/**
 * Keeping the stored customer values fresh: each producer remembers the options of its last run, and
 * `refreshValues` re-runs them as of a new moment (RFM re-scored, CLV re-predicted with the saved model's
 * parameters). The refresh pipeline (`operations/refresh-pipeline.ts`) calls it before the segments, so that {"computed": "rfm_segment", …} sees the same as-of.
 */
import type { Engine } from "../store/engine.js";
import { predictClv } from "./clv-predict.js";
import { type RfmOptions, rfm } from "./rfm.js";
import { loadSettings } from "./settings.js";

/** What a refresh rewrote: customers scored per producer (null when that producer never ran). */
export interface ValuesRefresh {
  readonly rfm: number | null;
  readonly clv: number | null;
}

/** Re-runs every producer that has run before, as of `asOf`, with its last options. */
export async function refreshValues(engine: Engine, asOf: Date): Promise<ValuesRefresh> {
  const rfmSettings = await loadSettings(engine, "rfm");
  const clvSettings = await loadSettings(engine, "clv");
  // The report itself is not shown, only how many were scored (which the refresh's operation passes through the
  // k-gate): counted exactly here (k 1).
  const r =
    rfmSettings === null ? null : await rfm(engine, { ...(rfmSettings as RfmOptions), asOf, minGroup: 1 });
  const c = clvSettings === null ? null : await predictClv(engine, { ...clvSettings, asOf });
  return { rfm: r?.customers ?? null, clv: c?.customers ?? null };
}
