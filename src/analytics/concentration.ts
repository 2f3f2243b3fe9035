/**
 * Revenue concentration ("80/20"): the share of revenue from the top share of customers, Lorenz curve
 * points and the Gini coefficient, overall or per group. Customers are those with a purchase by the as-of
 * date; their revenue is the sum of their purchases' totals. All of it is window SQL over one row per
 * customer.
 *
 * Definitions (n customers, revenues x₁ ≤ … ≤ xₙ, total S):
 * - top share p: the revenue of the ⌈p·n⌉ customers who spent most, over S (ties broken by customer id);
 * - Lorenz point at f: the revenue of the ⌊f·n⌋ customers who spent least, over S;
 * - Gini = 2 Σ i·xᵢ / (n S) − (n + 1) / n (0: everyone spends the same; (n−1)/n: one customer spends all).
 */
import { UserError } from "../errors.js";
import { isSmall, suppressPartition } from "../privacy/k-gate.js";
import { DEFAULT_MIN_GROUP, suppress } from "../privacy/small-groups.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type GroupBy, groupingRelation } from "./grouping.js";
import { defaultAsOf } from "./rfm.js";
import { PURCHASE_SQL } from "./summaries.js";

export interface ConcentrationOptions {
  readonly asOf?: Date;
  /** The top share of customers (default 0.2). */
  readonly top?: number;
  /** Lorenz points at 0, 1/k, …, 1 (default k = 10). */
  readonly lorenzSteps?: number;
  readonly by?: GroupBy;
  readonly minGroup?: number;
}

export interface Concentration {
  readonly customers: number | null;
  readonly revenue: number | null;
  /** Revenue share of the top `top` share of customers. */
  readonly topShare: number | null;
  readonly topCustomers: number | null;
  readonly gini: number | null;
  /** A point's revenue share is null where it would describe fewer than k customers (`shownCuts`). */
  readonly lorenz: readonly { readonly customerShare: number; readonly revenueShare: number | null }[] | null;
  readonly suppressed: boolean;
}

export interface ConcentrationReport extends Concentration {
  /** The k of the k-gate this report went through. */
  readonly minGroup: number;
  readonly asOf: string;
  readonly top: number;
  readonly by: string;
  readonly groups: readonly (Concentration & { readonly group: string })[];
}

const RANKED_TABLE = "_concentration_ranked";
const RANKED = sql.temp(RANKED_TABLE);
const LORENZ_POINTS_TABLE = "_lorenz_points";

/** Ranks buyers' revenue within each group into RANKED. */
async function rank(engine: Engine, asOf: Date, grouping: Sql): Promise<void> {
  const d = engine.dialect;
  const epoch = d.epochSeconds(sql`o.ts`);
  // asc_rank is a signed integer: the Lorenz points join a whole number of customers to it (some engines rank
  // with unsigned integers, which do not join with signed ones).
  await engine.run(
    d.createTempAs(
      RANKED_TABLE,
      sql`WITH rev AS (
            SELECT o.customer_id, sum(o.total) AS revenue FROM orders o
             WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL} AND ${epoch} <= ${asOf.getTime() / 1000}
             GROUP BY o.customer_id
          ), g AS (
            SELECT grp, rev.customer_id, rev.revenue FROM rev JOIN (${grouping}) gr ON gr.customer_id = rev.customer_id
          )
          SELECT grp, customer_id, revenue,
                 row_number() OVER (PARTITION BY grp ORDER BY revenue DESC, customer_id) AS desc_rank,
                 ${d.cast(sql`row_number() OVER (PARTITION BY grp ORDER BY revenue ASC, customer_id DESC)`, "integer")} AS asc_rank,
                 count(*) OVER (PARTITION BY grp) AS n,
                 sum(revenue) OVER (PARTITION BY grp) AS total,
                 sum(revenue) OVER (PARTITION BY grp ORDER BY revenue ASC, customer_id DESC
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
            FROM g`,
    ),
  );
}

/** Concentration per group of RANKED. */
async function measure(
  engine: Engine,
  top: number,
  steps: number,
  minGroup: number,
): Promise<Map<string, Concentration>> {
  // A tiny epsilon keeps ⌈0.3·10⌉ at 3 despite 0.3·10 = 3.0000000000000004 in floating point.
  const d = engine.dialect;
  const r = await engine.query(
    sql`SELECT grp, max(n) AS n, max(total) AS total,
               max(${d.cast(sql`ceil(${top} * n - 1e-9)`, "integer")}) AS top_n,
               sum(CASE WHEN desc_rank <= ceil(${top} * n - 1e-9) THEN revenue ELSE 0 END) AS top_revenue,
               2 * sum(asc_rank * revenue) / (max(n) * max(total)) - (max(n) + 1.0) / max(n) AS gini
          FROM ${RANKED} GROUP BY grp ORDER BY grp`,
  );
  const fractions = Array.from({ length: steps + 1 }, (_, i) => i / steps);
  await engine.appendTemp(LORENZ_POINTS_TABLE, [
    { name: "f", type: "number", values: Float64Array.from(fractions) },
  ]);
  const lz = await engine.query(
    sql`WITH gs AS (SELECT grp, max(n) AS n, max(total) AS total FROM ${RANKED} GROUP BY grp),
             pts AS (SELECT gs.grp, p.f, ${d.cast(sql`floor(p.f * gs.n + 1e-9)`, "integer")} AS k, gs.total
                       FROM gs CROSS JOIN ${sql.temp(LORENZ_POINTS_TABLE)} p)
        SELECT pts.grp, pts.f, coalesce(r.cum, 0) / nullif(pts.total, 0) AS share
          FROM pts LEFT JOIN ${RANKED} r ON r.grp = pts.grp AND r.asc_rank = pts.k
         ORDER BY pts.grp, pts.f`,
  );
  const curves = new Map<string, { customerShare: number; revenueShare: number }[]>();
  for (const row of lz.rows<{ grp: string; f: number; share: number | null }>()) {
    const list = curves.get(row.grp) ?? [];
    list.push({
      customerShare: Number(row.f),
      revenueShare: row.share === null ? Number.NaN : Number(row.share),
    });
    curves.set(row.grp, list);
  }
  const out = new Map<string, Concentration>();
  for (const g of r.rows<{
    grp: string;
    n: number;
    total: number;
    top_n: number;
    top_revenue: number;
    gini: number | null;
  }>()) {
    const n = Number(g.n);
    const total = Number(g.total);
    // All revenue zero: shares and Gini are undefined, not NaN.
    const defined = total > 0;
    // Each figure is the revenue of the customers below a cut (the top share: above it): a cut within k
    // customers of another, of none or of all would let two figures describe fewer than k people.
    const curve = curves.get(g.grp) ?? [];
    const topN = Number(g.top_n);
    const shown = shownCuts(
      [n - topN, ...curve.map((p) => Math.floor(p.customerShare * n + 1e-9))],
      n,
      minGroup,
    );
    const lorenz = curve.map((p, i) => (shown[i + 1] ? p : { ...p, revenueShare: null }));
    out.set(
      g.grp,
      suppress(
        {
          customers: n,
          revenue: total,
          topShare: defined && shown[0] ? Number(g.top_revenue) / total : null,
          topCustomers: Number(g.top_n),
          gini: defined && g.gini !== null ? Number(g.gini) : null,
          lorenz: defined ? lorenz : null,
        },
        n,
        minGroup,
        ["customers", "revenue", "topShare", "topCustomers", "gini", "lorenz"],
      ),
    );
  }
  return out;
}

/**
 * Which cuts of a ranked list of n customers may be shown (the first given is kept first when it can be): a cut
 * at 0 or n describes nobody or everyone; any other must lie at least k from 0, from n and from every cut kept,
 * so that no difference of two shown figures covers 1 to k−1 customers.
 */
export function shownCuts(cuts: readonly number[], n: number, k: number): boolean[] {
  const kept: number[] = [0, n];
  return cuts.map((c) => {
    if (c <= 0 || c >= n) return true;
    if (kept.some((x) => isSmall(Math.abs(c - x), k))) return false;
    kept.push(c);
    return true;
  });
}

/**
 * The groups of a report by a grouping that divides the customers (their sizes add up to the overall count):
 * the overall figures minus the other groups' would give a suppressed one back, so more are hidden
 * (suppressPartition). Returns which groups to hide, and whether even the overall figures must be.
 */
function complementary(
  groups: readonly (Concentration & { group: string })[],
  raw: ReadonlyMap<string, number>,
  overall: number,
  k: number,
): { hidden: boolean[]; totalHidden: boolean } {
  const counts = groups.map((g) => raw.get(g.group) ?? 0);
  if (counts.reduce((a, b) => a + b, 0) !== overall)
    return { hidden: groups.map((g) => g.suppressed), totalHidden: false };
  return suppressPartition(
    counts,
    k,
    groups.map((g) => g.suppressed),
  );
}

const EMPTY: Concentration = {
  customers: 0,
  revenue: 0,
  topShare: null,
  topCustomers: 0,
  gini: null,
  lorenz: null,
  suppressed: false,
};

/** A concentration whose figures the k-gate hides (its name and group kept). */
function withoutFigures<T extends Concentration>(c: T, suppressed: boolean): T {
  return {
    ...c,
    customers: null,
    revenue: null,
    topShare: null,
    topCustomers: null,
    gini: null,
    lorenz: null,
    suppressed,
  };
}

/** `tessera pareto`: concentration overall and, with `by`, per group. */
export async function concentration(
  engine: Engine,
  opts: ConcentrationOptions = {},
): Promise<ConcentrationReport> {
  const top = opts.top ?? 0.2;
  if (!(top > 0 && top <= 1))
    throw new UserError("bad-option", `expected a share in (0, 1], got ${top}`, "--top");
  const steps = opts.lorenzSteps ?? 10;
  const minGroup = opts.minGroup ?? DEFAULT_MIN_GROUP;
  const asOf = opts.asOf ?? (await defaultAsOf(engine));
  const all = await groupingRelation(engine, { kind: "all" }, asOf);
  await rank(engine, asOf, all.sql);
  const overallCustomers = Number(
    (await engine.query(sql`SELECT coalesce(max(n), 0) AS n FROM ${RANKED}`)).column("n")[0],
  );
  let overall = (await measure(engine, top, steps, minGroup)).values().next().value ?? EMPTY;
  if (overallCustomers === 0)
    throw new UserError(
      "no-purchases",
      `no customer has a purchase at or before ${asOf.toISOString()}`,
      opts.asOf ? "--as-of" : undefined,
    );
  const by = opts.by ?? { kind: "all" };
  let groups: (Concentration & { group: string })[] = [];
  if (by.kind !== "all") {
    const g = await groupingRelation(engine, by, asOf);
    await rank(engine, asOf, g.sql);
    const measured = await measure(engine, top, steps, minGroup);
    groups = [...measured].map(([group, c]) => ({ group, ...c }));
    const sizes = new Map(
      (await engine.query(sql`SELECT grp, max(n) AS n FROM ${RANKED} GROUP BY grp`))
        .rows<{ grp: string; n: number }>()
        .map((r) => [String(r.grp), Number(r.n)]),
    );
    const gate = complementary(groups, sizes, overallCustomers, minGroup);
    groups = groups.map((g, i) =>
      gate.hidden[i] || gate.totalHidden ? withoutFigures(g, g.customers !== 0 || g.suppressed) : g,
    );
    if (gate.totalHidden) overall = withoutFigures(overall, true);
  }
  return {
    asOf: asOf.toISOString(),
    top,
    by: by.kind === "all" ? "all" : by.kind,
    minGroup,
    ...overall,
    groups,
  };
}
