/**
 * The distribution of the stored lifetime values (`customer_clv.clv`, as the last `clv predict` or refresh left
 * them): a histogram aggregated in the engine, each bin a count of people through the k-gate.
 *
 * The bins are of one round width (1, 2, 2.5 or 5 × 10ⁿ) chosen so that about `bins` of them span the values up
 * to the 95th percentile; the last bin is open ("that much and more"), so no edge follows the largest values, which
 * are a few people's. CLV is never negative (expected spend and purchases are not), so the first bin starts at 0;
 * anything below its upper edge is counted in it.
 */

import { isSmall, suppressPartition } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { CLV_TABLE } from "./clv-predict.js";
import { loadSettings } from "./settings.js";
import { storedValueTime } from "./stored-values.js";

export interface ClvBin {
  /** Lower edge, included. */
  readonly from: number;
  /** Upper edge, excluded; null for the last bin (open above). */
  readonly to: number | null;
  /** Customers in the bin; null when suppressed. */
  readonly customers: number | null;
  readonly share: number | null;
  readonly suppressed: boolean;
}

export interface ClvDistribution {
  /** When the predictions were written. */
  readonly scoredAt: string;
  /** The horizon, monthly discount rate and margin the stored CLV was predicted with. */
  readonly horizon: { readonly months: number; readonly discount: number; readonly margin: number };
  /** Customers with a prediction; null when the whole report is suppressed. */
  readonly customers: number | null;
  readonly totalClv: number | null;
  readonly meanClv: number | null;
  readonly width: number;
  readonly bins: readonly ClvBin[];
  readonly suppressed: boolean;
  readonly minGroup: number;
}

/** The round width (1, 2, 2.5 or 5 × 10ⁿ) at least `raw`. */
export function roundWidth(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5]) if (m * power >= raw * (1 - 1e-12)) return tidy(m * power);
  return tidy(10 * power);
}

/** A multiple of a width without the binary noise of the product (0.1 × 3 is 0.30000000000000004). */
const tidy = (x: number) => Number(x.toPrecision(12));

/** The histogram of stored CLV in about `bins` bins, counts under `minGroup` suppressed; null when none stored. */
export async function clvDistribution(
  engine: Engine,
  opts: { readonly bins: number; readonly minGroup: number },
): Promise<ClvDistribution | null> {
  const scoredAt = await storedValueTime(engine, "clv", CLV_TABLE);
  if (scoredAt === null) return null;
  const table = sql.ident(CLV_TABLE);
  const clv = sql`clv`;
  const totals = (
    await engine.query(
      sql`SELECT count(*) AS n, coalesce(sum(clv), 0) AS total, ${engine.dialect.quantile(clv, 0.95)} AS p95
            FROM ${table}`,
    )
  ).rows<{ n: number; total: number; p95: number | null }>()[0];
  const customers = Number(totals?.n ?? 0);
  const total = Number(totals?.total ?? 0);
  const p95 = Number(totals?.p95 ?? 0);
  const width = roundWidth(p95 / opts.bins);
  // Regular bins up to the one holding the 95th percentile, then the open one.
  const regular = Math.max(1, Math.ceil(p95 / width - 1e-9));
  const edges = Array.from({ length: regular + 1 }, (_, i) => tidy(i * width));
  // Compared with the same edges the report gives, so that a reader counting values against them agrees.
  const arms: Sql[] = [];
  for (let i = regular; i >= 1; i--)
    arms.push(sql`WHEN clv >= ${edges[i] as number} THEN ${sql.raw(String(i))}`);
  const bin = engine.dialect.cast(sql`CASE ${sql.join(arms, " ")} ELSE 0 END`, "integer");
  const counted = new Map(
    (await engine.query(sql`SELECT b, count(*) AS n FROM (SELECT ${bin} AS b FROM ${table}) x GROUP BY b`))
      .rows<{ b: number; n: number }>()
      .map((r) => [Number(r.b), Number(r.n)]),
  );
  const counts = edges.map((_, i) => counted.get(i) ?? 0);
  // The bins divide the customers, whose number is shown: complementary suppression.
  const gate = suppressPartition(counts, opts.minGroup);
  const hideAll = gate.totalHidden || isSmall(customers, opts.minGroup);
  const bins = edges.map((from, i): ClvBin => {
    const hidden = hideAll ? (counts[i] ?? 0) > 0 : gate.hidden[i] === true;
    const n = counts[i] ?? 0;
    return {
      from,
      to: i < regular ? (edges[i + 1] as number) : null,
      customers: hidden ? null : n,
      share: hidden || customers === 0 ? null : n / customers,
      suppressed: hidden,
    };
  });
  const settings = (await loadSettings(engine, "clv")) ?? {};
  const figure = (key: string, fallback: number) =>
    typeof settings[key] === "number" ? (settings[key] as number) : fallback;
  return {
    scoredAt: scoredAt.toISOString(),
    // clv-predict.ts's defaults when the settings do not say.
    horizon: {
      months: figure("months", 12),
      discount: figure("discount", 0.01),
      margin: figure("margin", 1),
    },
    customers: hideAll ? null : customers,
    totalClv: hideAll ? null : total,
    meanClv: hideAll || customers === 0 ? null : total / customers,
    width,
    bins,
    suppressed: hideAll,
    minGroup: opts.minGroup,
  };
}
