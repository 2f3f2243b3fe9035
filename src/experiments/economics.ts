/**
 * An experiment's economics (issue 20, item 2): per variant, from the cost per person stored with the experiment,
 * the cost, the acquisition cost (cost / the first conversion metric's conversions), the ROI ((revenue − cost) /
 * cost, revenue from the first revenue metric) and, against the control, the incremental revenue and ROI. Arms the
 * k-gate hides give nothing.
 */
import { isSmall } from "../privacy/k-gate.js";
import type { MetricSpec } from "./metric-spec.js";
import type { ArmSums, MetricSums } from "./metrics.js";

export interface VariantEconomics {
  readonly variant: string;
  /** The variant's cost per person (stored with the experiment), and over its people. */
  readonly cost_per_person: number;
  readonly cost: number | null;
  /** The first conversion metric's conversions; cost per conversion (null: none, or suppressed). */
  readonly conversions: number | null;
  readonly acquisition_cost: number | null;
  /** The first revenue metric's revenue; (revenue − cost) / cost (null without a cost or revenue). */
  readonly revenue: number | null;
  readonly roi: number | null;
  /**
   * Against the control (variants only): the revenue above what the variant's people would have made at the
   * control's revenue per person, and (that − the extra cost) / the extra cost (null without an extra cost).
   */
  readonly incremental_revenue: number | null;
  readonly incremental_roi: number | null;
}

/** Per-variant economics from the stored costs (an amount per person). */
export function economics(
  costs: Readonly<Record<string, number>>,
  names: readonly string[],
  metrics: readonly MetricSpec[],
  arms: readonly ArmSums[],
  k: number,
  hidden: ReadonlySet<string>,
): VariantEconomics[] {
  if (Object.keys(costs).length === 0) return [];
  const conv = metrics.findIndex((m) => m.type === "conversion");
  const rev = metrics.findIndex((m) => m.type === "revenue");
  const control = arms.find((x) => x.variant === names[0]);
  const controlShown = control !== undefined && !hidden.has(control.variant) && !isSmall(control.people, k);
  const controlRevenue = controlShown && rev >= 0 ? (control.metrics[rev] as MetricSums) : null;
  return names.map((v, i) => {
    const a = arms.find((x) => x.variant === v);
    const perPerson = costs[v] ?? 0;
    const shown = a !== undefined && !hidden.has(v) && !isSmall(a.people, k);
    const cost = shown ? perPerson * a.people : null;
    const conversions = shown && conv >= 0 ? (a.metrics[conv]?.sum ?? 0) : null;
    const revenue = shown && rev >= 0 ? (a.metrics[rev]?.sum ?? 0) : null;
    const m = shown && rev >= 0 ? (a.metrics[rev] as MetricSums) : null;
    const incremental =
      i > 0 && m && controlRevenue && m.n > 0 && controlRevenue.n > 0
        ? m.sum - (controlRevenue.sum / controlRevenue.n) * m.n
        : null;
    const extraCost = shown ? (perPerson - (costs[names[0] as string] ?? 0)) * a.people : 0;
    return {
      variant: v,
      cost_per_person: perPerson,
      cost,
      conversions,
      acquisition_cost: cost !== null && conversions ? cost / conversions : null,
      revenue,
      roi: cost && revenue !== null ? (revenue - cost) / cost : null,
      incremental_revenue: incremental,
      incremental_roi: incremental !== null && extraCost > 0 ? (incremental - extraCost) / extraCost : null,
    };
  });
}
