import { consentLeavesSql } from "../segments/consent-leaf.js";
import type { Engine } from "../store/engine.js";
import { sql, tsParam } from "../store/sql.js";
import { noisyCounts } from "./dp-release.js";
import { sizeHidden } from "./k-gate.js";

/**
 * Consent coverage: for each purpose and channel of the consent ledger, how many customers the consent gate would
 * pass — their latest consent for the purpose on the channel is a grant, as the segment language's consent leaf
 * says (src/segments/consent-leaf.ts: the one implementation, so a segment `consent("marketing", "email")` has the
 * size shown here) — and for each purpose on any channel (the leaf without a channel). The suppression list is not
 * subtracted: this is what people agreed to, not who may be sent to today.
 */

export interface CoverageCell {
  readonly purpose: string;
  /** null: the purpose on any channel (the latest record of the purpose, whatever its channel). */
  readonly channel: string | null;
  /** Customers whose latest consent is a grant; null when the k-gate hid it. */
  readonly granted: number | null;
  /** `granted` over every customer; null with it. */
  readonly share: number | null;
  readonly suppressed: boolean;
}

export interface ConsentCoverage {
  /** The time the latest consent is judged at (ISO 8601). */
  readonly asOf: string;
  /** Every customer: the base of each share. */
  readonly customers: number;
  /** The purposes and channels the ledger holds up to `asOf`, sorted. */
  readonly purposes: readonly string[];
  readonly channels: readonly string[];
  /** Purpose by purpose; within one, any channel first, then each channel. */
  readonly cells: readonly CoverageCell[];
  readonly minGroup: number;
  /** The differential-privacy noise the counts carry (an analyst while `dp` is on); null: exact. */
  readonly noise: { readonly epsilon: string } | null;
}

async function distinctNames(engine: Engine, column: "purpose" | "channel", asOf: Date): Promise<string[]> {
  const c = sql.ident(column);
  const r = await engine.query(
    sql`SELECT DISTINCT ${c} AS name FROM consents WHERE ${c} IS NOT NULL AND ts <= ${tsParam(asOf)} ORDER BY name`,
  );
  return r.column("name").map(String);
}

/**
 * Consent coverage as of `asOf`, every count through the k-gate as a segment's size is (`sizeHidden`: the count, or
 * the rest of the customers, small), so that a segment of one consent leaf and this report hide alike. With
 * `noise` (an analyst under differential privacy) each count gets discrete Laplace noise before the gate, ε shared
 * by the cells (a person may be in all of them).
 */
export async function consentCoverage(
  engine: Engine,
  asOf: Date,
  k: number,
  noise?: { readonly epsilon: string },
): Promise<ConsentCoverage> {
  const purposes = await distinctNames(engine, "purpose", asOf);
  const channels = await distinctNames(engine, "channel", asOf);
  const leaves = purposes.flatMap((purpose) => [null, ...channels].map((channel) => ({ purpose, channel })));
  const { rows, holds } = consentLeavesSql(
    engine.dialect,
    leaves,
    asOf,
    sql`SELECT customer_id FROM customers`,
  );
  const sums = holds.map((h, i) => sql`, sum(CASE WHEN ${h} THEN 1 ELSE 0 END) AS ${sql.raw(`n${i}`)}`);
  const r = await engine.query(sql`SELECT count(*) AS customers${sql.join(sums, "")} FROM (${rows}) f`);
  const row = r.rows<Record<string, unknown>>()[0] ?? {};
  const customers = Number(row.customers ?? 0);
  const exact = leaves.map((_, i) => Number(row[`n${i}`] ?? 0));
  // Noise may push a count past the customers: it is shown as all of them (post-processing costs nothing).
  const counts = noise
    ? noisyCounts(exact, Number(noise.epsilon), Math.max(1, exact.length)).map((n) => Math.min(n, customers))
    : exact;
  return {
    asOf: asOf.toISOString(),
    customers,
    purposes,
    channels,
    cells: leaves.map((leaf, i) => {
      const n = counts[i] as number;
      const hidden = sizeHidden(n, customers, k);
      return {
        ...leaf,
        granted: hidden ? null : n,
        share: hidden || customers === 0 ? null : n / customers,
        suppressed: hidden,
      };
    }),
    minGroup: k,
    noise: noise ? { epsilon: noise.epsilon } : null,
  };
}
