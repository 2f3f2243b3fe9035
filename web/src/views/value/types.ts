/**
 * The answers of the stored-value reads (src/operations/stored-value-operations.ts): `GET /api/rfm`,
 * `GET /api/clv/distribution`, `GET /api/clv/cohorts`. Null figures are suppressed ones (`suppressed: true`).
 */

/** A read of stored values: the report, or that nothing is stored yet. */
export type Stored<T> = ({ stored: true } & T) | { stored: false; minGroup: number };

export interface RfmSegmentRow {
  name: string;
  customers: number | null;
  revenue: number | null;
  revenueShare: number | null;
  customerShare: number | null;
  meanRecencyDays: number | null;
  meanFrequency: number | null;
  meanMonetary: number | null;
  suppressed: boolean;
}

export interface RfmCell {
  r: number;
  f: number;
  customers: number | null;
  revenue: number | null;
  suppressed: boolean;
}

export interface RfmReport {
  scoredAt: string;
  frequency: "orders" | "days";
  monetary: "total" | "average";
  scoring: { r: string; f: string; m: string };
  customers: number | null;
  revenue: number | null;
  suppressed: boolean;
  minGroup: number;
  segments: RfmSegmentRow[];
  grid: RfmCell[];
}

export interface ClvBin {
  from: number;
  to: number | null;
  customers: number | null;
  share: number | null;
  suppressed: boolean;
}

export interface ClvDistribution {
  scoredAt: string;
  horizon: { months: number; discount: number; margin: number };
  customers: number | null;
  totalClv: number | null;
  meanClv: number | null;
  width: number;
  bins: ClvBin[];
  suppressed: boolean;
  minGroup: number;
}

export type CohortPeriod = "month" | "quarter" | "year";

export interface Cohort {
  cohort: string;
  start: string;
  customers: number | null;
  meanPAlive: number | null;
  meanClv: number | null;
  meanExpectedPurchases: number | null;
  suppressed: boolean;
}

export interface CohortReport {
  scoredAt: string;
  period: CohortPeriod;
  customers: number | null;
  meanPAlive: number | null;
  cohorts: Cohort[];
  suppressed: boolean;
  minGroup: number;
}
