import { isSmall } from "../privacy/k-gate.js";
import type { RecordedAudit, RecordedFinding } from "./audit-runs.js";

/** A recorded finding as it leaves: its count null (`suppressed`) when it describes 1 to k−1 rows or people. */
export type GatedFinding = Omit<RecordedFinding, "count"> & {
  readonly count: number | null;
  readonly suppressed: boolean;
};

export type GatedAudit = Omit<RecordedAudit, "findings" | "totals"> & {
  readonly findings: readonly GatedFinding[];
  /** Rows per table; null where 1 to k−1. */
  readonly totals: Readonly<Record<string, number | null>>;
};

/**
 * A recorded audit through the k-gate: a finding's count or a table's total between 1 and k−1 is suppressed (a
 * finding may be about a handful of people: "3 customers with an invalid email"). Findings do not partition
 * anything the report shows (a row can be in several, or none), so no complementary suppression is needed; the
 * score is kept: it mixes every finding's share, and no one count can be read back from it.
 */
export function gateAudit(audit: RecordedAudit, k: number): GatedAudit {
  return {
    ...audit,
    findings: audit.findings.map((f) => {
      const suppressed = isSmall(f.count, k);
      return { ...f, count: suppressed ? null : f.count, suppressed };
    }),
    totals: Object.fromEntries(Object.entries(audit.totals).map(([t, n]) => [t, isSmall(n, k) ? null : n])),
  };
}
