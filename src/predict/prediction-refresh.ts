import { loadSettings, loadSettingsLike } from "../analytics/settings.js";
import { isUserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { scoreChurn } from "./churn.js";
import type { Target } from "./customer-features.js";
import { fitPropensity } from "./propensity.js";
import { fitRecommender, type RecommendFitOptions } from "./recommend.js";

/**
 * Keeping the predictions fresh (issue 19, item 5): each model that has been fitted remembers its options
 * (src/analytics/settings.ts: "churn", "recommend", "propensity.<target>"), and a refresh fits it again as of its own
 * time, before the segments read it — as RFM and CLV are re-scored (src/analytics/value-refresh.ts). A model that
 * cannot be fitted at that time (too little data after an erasure, a horizon past the data) keeps its last values,
 * and the refresh says why instead of failing the segments.
 */

export interface PredictionsRefresh {
  /** Customers scored per model (null: never fitted, or it could not be fitted now: see `kept`). */
  readonly churn: number | null;
  readonly recommend: number | null;
  /** Per propensity, customers scored. */
  readonly propensities: Readonly<Record<string, number | null>>;
  /** Models that kept their last values, and why. */
  readonly kept: readonly { readonly model: string; readonly reason: string }[];
}

/** Fits every model that has been fitted before again, as of `asOf`, with its last options. */
export async function refreshPredictions(engine: Engine, asOf: Date): Promise<PredictionsRefresh> {
  const kept: { model: string; reason: string }[] = [];
  // A user error (not enough data now) keeps the model's last values; anything else is a failure of the refresh.
  const attempt = async <T>(model: string, refit: () => Promise<T>): Promise<T | null> => {
    try {
      return await refit();
    } catch (e) {
      if (!isUserError(e)) throw e;
      kept.push({ model, reason: e.message });
      return null;
    }
  };
  const churnSettings = await loadSettings(engine, "churn");
  const churn = churnSettings
    ? await attempt("churn", () =>
        // Its report's counts are not shown (only how many were scored): k 1.
        scoreChurn(engine, { asOf, horizonDays: Number(churnSettings.horizonDays), minGroup: 1 }),
      )
    : null;
  const recommendSettings = await loadSettings(engine, "recommend");
  const recommend = recommendSettings
    ? await attempt("recommend", () =>
        fitRecommender(engine, { ...(recommendSettings as unknown as RecommendFitOptions), asOf }),
      )
    : null;
  const propensities: Record<string, number | null> = {};
  for (const [name, s] of await loadSettingsLike(engine, "propensity.")) {
    const fitted = await attempt(name, () =>
      fitPropensity(engine, {
        target: s.target as Target,
        asOf,
        horizonDays: Number(s.horizonDays),
        minGroup: 1,
      }),
    );
    propensities[name] = fitted?.scored ?? null;
  }
  return {
    churn: churn?.customers ?? null,
    recommend: recommend?.customers ?? null,
    propensities,
    kept,
  };
}
