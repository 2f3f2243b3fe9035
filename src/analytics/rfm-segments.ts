/**
 * The named RFM segments, from the R score and FM = (F + M) / 2. The first rule that matches names the
 * customer (Champions before Loyal, Lost before Hibernating), and every cell of the 5 × 9 grid of (R, FM)
 * values has a name (the test walks the whole grid). The same rules produce the SQL CASE; the README shows
 * this grid.
 *
 * | R \ FM | 1–1.5          | 2–2.5              | 3–3.5    | 4–5              |
 * | ------ | -------------- | ------------------ | -------- | ---------------- |
 * | 5      | New Customers  | Potential Loyalist | Loyal    | Champions        |
 * | 4      | Promising      | Potential Loyalist | Loyal    | Champions        |
 * | 3      | About to Sleep | Need Attention     | Loyal    | Loyal            |
 * | 2      | Hibernating    | Hibernating        | At Risk  | Cannot Lose Them |
 * | 1      | Lost           | Hibernating        | At Risk  | Cannot Lose Them |
 */

import { type Sql, sql } from "../store/sql.js";

export interface RfmSegmentRule {
  readonly name: string;
  /** Inclusive range of the R score. */
  readonly r: readonly [number, number];
  /** Inclusive range of FM = (F + M) / 2. */
  readonly fm: readonly [number, number];
  readonly description: string;
}

/** In order of precedence: the first match wins. */
export const RFM_SEGMENTS: readonly RfmSegmentRule[] = [
  { name: "Champions", r: [4, 5], fm: [4, 5], description: "bought recently, buy often and spend the most" },
  { name: "Loyal", r: [3, 5], fm: [3, 5], description: "buy regularly and spend well" },
  {
    name: "Potential Loyalist",
    r: [4, 5],
    fm: [2, 2.5],
    description: "recent customers with average frequency and spend",
  },
  {
    name: "New Customers",
    r: [5, 5],
    fm: [1, 1.5],
    description: "bought most recently, but rarely and little so far",
  },
  { name: "Promising", r: [4, 4], fm: [1, 1.5], description: "recent shoppers who have not spent much yet" },
  { name: "Need Attention", r: [3, 3], fm: [2, 2.5], description: "average recency, frequency and spend" },
  {
    name: "About to Sleep",
    r: [3, 3],
    fm: [1, 1.5],
    description: "below-average recency, low frequency and spend",
  },
  {
    name: "Cannot Lose Them",
    r: [1, 2],
    fm: [4, 5],
    description: "used to buy often and spend the most, long ago",
  },
  { name: "At Risk", r: [1, 2], fm: [3, 3.5], description: "bought often and spent well, but long ago" },
  { name: "Lost", r: [1, 1], fm: [1, 1.5], description: "lowest recency, frequency and spend" },
  {
    name: "Hibernating",
    r: [1, 2],
    fm: [1, 2.5],
    description: "last purchase long ago, low frequency and spend",
  },
];

/** The named segments in report order: from the best customers to the lost ones. */
export const RFM_SEGMENT_NAMES: readonly string[] = [
  "Champions",
  "Loyal",
  "Potential Loyalist",
  "New Customers",
  "Promising",
  "Need Attention",
  "About to Sleep",
  "At Risk",
  "Cannot Lose Them",
  "Hibernating",
  "Lost",
];

/** The segment of one (R, F, M) score triple. */
export function rfmSegment(r: number, f: number, m: number): string {
  const fm = (f + m) / 2;
  const rule = RFM_SEGMENTS.find((s) => r >= s.r[0] && r <= s.r[1] && fm >= s.fm[0] && fm <= s.fm[1]);
  if (rule === undefined) throw new Error(`no RFM segment for R=${r}, F=${f}, M=${m}`);
  return rule.name;
}

/**
 * SQL CASE naming the segment from integer score expressions. The bounds are constants of this module,
 * never user values. FM is compared doubled (F + M against 2·bound) to stay in integers.
 */
export function rfmSegmentSql(r: Sql, f: Sql, m: Sql, quote: (s: string) => string): Sql {
  const arms = RFM_SEGMENTS.map(
    (s) =>
      sql`WHEN ${r} BETWEEN ${sql.raw(String(s.r[0]))} AND ${sql.raw(String(s.r[1]))} AND (${f} + ${m}) BETWEEN ${sql.raw(String(2 * s.fm[0]))} AND ${sql.raw(String(2 * s.fm[1]))} THEN ${sql.raw(quote(s.name))}`,
  );
  return sql`CASE ${sql.join(arms, " ")} END`;
}
