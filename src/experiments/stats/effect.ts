/**
 * The effect of a variant (b) against the control (a) from their moments, in both units, with the Welch–Satterthwaite
 * degrees of freedom (from the per-arm variances, also for a relative effect: GrowthBook's convention):
 *   absolute  Δ = m_b − m_a,             Var = v_b/n_b + v_a/n_a;
 *   relative  Δ/m_a = (m_b − m_a)/m_a,   Var = v_b/(n_b·m_a²) + v_a·m_b²/(n_a·m_a⁴)   (delta method);
 *   dof = (v_b/n_b + v_a/n_a)² / (v_b²/(n_b²(n_b − 1)) + v_a²/(n_a²(n_a − 1))).
 */
import type { ArmMoments } from "./arms.js";
import type { EffectKind } from "./types.js";

export interface EffectEstimate {
  /** In the unit asked for. */
  readonly estimate: number;
  readonly se: number;
  readonly dof: number;
  readonly absolute: number;
  /** Null when the control's value is 0. */
  readonly relative: number | null;
}

/** The estimate, or why there is none. */
export function estimateEffect(a: ArmMoments, b: ArmMoments, kind: EffectKind): EffectEstimate | string {
  if (a.variance === 0 && b.variance === 0)
    return `both ${a.name} and ${b.name} have zero variance: every person has the same value, nothing to test`;
  const qa = a.variance / a.n;
  const qb = b.variance / b.n;
  const absolute = b.mean - a.mean;
  const relative = a.mean === 0 ? null : absolute / a.mean;
  const dof = (qa + qb) ** 2 / ((qb * qb) / (b.n - 1) + (qa * qa) / (a.n - 1));
  if (kind === "absolute") {
    const se = Math.sqrt(qa + qb);
    return { estimate: absolute, se, dof, absolute, relative };
  }
  if (relative === null) return `the control ${a.name}'s value is 0: a relative effect is not defined`;
  const variance = qb / a.mean ** 2 + (qa * b.mean ** 2) / a.mean ** 4;
  if (!(variance > 0))
    return `the relative effect's standard error is 0 (${b.name}'s value is 0 with zero variance)`;
  return { estimate: relative, se: Math.sqrt(variance), dof, absolute, relative };
}
