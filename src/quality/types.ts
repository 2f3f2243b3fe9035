/** The shapes of a data-quality audit: what callers pass in and what the report holds. */

/** How to run an audit. */
export interface AuditOptions {
  /** The moment the audit judges against: later timestamps are "in the future". Default: now. */
  asOf?: Date;
  /** A customer with no event or order in this many days before `asOf` is stale. Default 365. */
  staleDays?: number;
  /** How many example ids each finding carries. Default 5. */
  examples?: number;
}

export type Severity = "info" | "low" | "medium" | "high";

/** One check's result. Every check is always reported, with count 0 when it found nothing. */
export interface Finding {
  /** Stable id, e.g. "duplicate-order-lines"; together with `table` it names one finding. */
  check: string;
  /** What was found, in words a marketer understands. */
  title: string;
  table: string;
  field?: string;
  /** Rows (or customers) affected. */
  count: number;
  /** Rows (or customers) examined; the share affected is count / total. */
  total: number;
  severity: Severity;
  /** A few ids to look at: customer ids, order ids, message ids or "order_id#line_no". */
  examples: string[];
  detail?: string;
  /** Further figures behind the finding (e.g. zero vs negative prices, the returned amount), for machines. */
  breakdown?: Record<string, number>;
}

/** How completely one field is filled: non-NULL and non-empty. */
export interface CompletenessRow {
  table: string;
  field: string;
  filled: number;
  total: number;
  /** filled / total; 0 when there are no rows. */
  share: number;
}

export interface AuditReport {
  /** 0–100, see `scoreRule`. */
  score: number;
  /** The rule the score follows, in words (the same for every report). */
  scoreRule: string;
  /** ISO 8601 time the audit judged against. */
  asOf: string;
  completeness: CompletenessRow[];
  findings: Finding[];
  /** Rows per table, plus `customers_with_profile`. */
  totals: Record<string, number>;
  /** Things the reader should know about the audit as a whole (e.g. an empty database). */
  notes: string[];
}
