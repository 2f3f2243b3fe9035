import type { Finding, Severity } from "./types.js";

/**
 * How much a finding that affects every examined row costs, by severity. Info findings (returns, for example)
 * describe the business rather than a defect, so they cost nothing.
 */
export const SEVERITY_WEIGHTS: Readonly<Record<Severity, number>> = {
  high: 1,
  medium: 0.5,
  low: 0.1,
  info: 0,
};

/** The score rule in words; it is copied into every report so that a reader of the JSON can follow the number. */
export const SCORE_RULE =
  "Start at 100. Each finding costs weight × (affected ÷ examined) × 100 points, with weights high 1, medium 0.5, " +
  "low 0.1, info 0; a finding that examined nothing costs nothing. The score is 100 minus the costs, floored at 0 " +
  "and rounded to one decimal. Completeness is reported but does not count: a missing field is not an error.";

/**
 * The points a finding takes off the score. The share is capped at 1 so a finding can never cost more than its
 * weight, and an empty table (total 0) costs nothing rather than NaN.
 */
export function findingCost(f: Finding): number {
  if (f.total <= 0 || f.count <= 0) return 0;
  const share = Math.min(1, f.count / f.total);
  return SEVERITY_WEIGHTS[f.severity] * share * 100;
}

/**
 * The quality score, 0–100 (see SCORE_RULE). Why this rule: it is linear in the share of affected rows, so
 * fixing half of a problem wins back half of its points; it weighs defects that corrupt results (duplicated
 * revenue, negative totals) far above gaps that only limit what can be done (guest orders, no profile); and it
 * depends only on the findings, so the same data always gets the same score.
 */
export function qualityScore(findings: readonly Finding[]): number {
  const cost = findings.reduce((sum, f) => sum + findingCost(f), 0);
  return Math.round(Math.max(0, 100 - cost) * 10) / 10;
}
