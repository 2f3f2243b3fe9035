/**
 * RFM as of a date: recency (whole days since the last purchase), frequency (orders, or distinct purchase
 * days) and monetary value (total or average spend per order), each scored 1–5, and the named segment.
 * One SQL statement builds one row per customer; the report is aggregated in SQL too.
 *
 * Quintile scores, deterministic with ties: score = 1 + ⌊5 · (customers with a strictly worse value) / n⌋.
 * Equal values always get the same score, and a score of 5 needs a value better than at least 80% of the
 * customers. ("Worse" is a longer recency, a lower frequency or monetary value.) With user thresholds
 * t1 < t2 < t3 < t4: F and M score 1 + (number of tᵢ ≤ value); R scores 1 + (number of tᵢ ≥ recency), so
 * recency ≤ t1 days scores 5.
 */

import { UserError } from "../errors.js";
import { isSmall, suppressPartition, suppressTable } from "../privacy/k-gate.js";
import { DEFAULT_MIN_GROUP, suppress } from "../privacy/small-groups.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { noPurchasesError } from "./data-span.js";
import { RFM_SEGMENT_NAMES, rfmSegmentSql } from "./rfm-segments.js";
import { saveSettings } from "./settings.js";
import { daySql, PURCHASE_SQL, purchaseSpan, SECONDS_PER_DAY } from "./summaries.js";

export type FrequencyMode = "orders" | "days";
export type MonetaryMode = "total" | "average";

export interface RfmOptions {
  /** The moment of evaluation: orders at or before it count (default: the end of the last purchase day). */
  readonly asOf?: Date;
  readonly frequency?: FrequencyMode;
  readonly monetary?: MonetaryMode;
  /** Four ascending cut points per dimension (days for R); a dimension without them is scored by quintiles. */
  readonly thresholds?: {
    readonly r?: readonly number[];
    readonly f?: readonly number[];
    readonly m?: readonly number[];
  };
  /** Groups smaller than this are suppressed in the report (default 10). */
  readonly minGroup?: number;
}

export interface RfmSegmentRow {
  readonly name: string;
  readonly customers: number | null;
  readonly revenue: number | null;
  /** Share of the scored customers' revenue. */
  readonly revenueShare: number | null;
  readonly customerShare: number | null;
  readonly meanRecencyDays: number | null;
  readonly meanFrequency: number | null;
  readonly meanMonetary: number | null;
  readonly suppressed: boolean;
}

export interface RfmReport {
  readonly asOf: string;
  readonly frequency: FrequencyMode;
  readonly monetary: MonetaryMode;
  readonly scoring: { readonly r: string; readonly f: string; readonly m: string };
  /** Customers with at least one purchase by asOf (the scored customers); null when fewer than k (`suppressed`). */
  readonly customers: number | null;
  readonly revenue: number | null;
  /** The whole report was suppressed: too few customers, or one too-small group that nothing else could hide. */
  readonly suppressed: boolean;
  /** The k of the k-gate this report went through. */
  readonly minGroup: number;
  readonly segments: readonly RfmSegmentRow[];
  /** The R × F grid: customers and revenue per (R score, F score) cell. */
  readonly grid: readonly {
    r: number;
    f: number;
    customers: number | null;
    revenue: number | null;
    suppressed: boolean;
  }[];
}

/** The per-customer RFM table that `tessera rfm` writes and registers. */
export const RFM_TABLE = "customer_rfm";

/** The default as-of: midnight after the last purchase day, so that day's purchases have recency 0. */
export async function defaultAsOf(engine: Engine): Promise<Date> {
  const span = await purchaseSpan(engine);
  if (span === null) throw await noPurchasesError(engine);
  return new Date((span.last + 1) * SECONDS_PER_DAY * 1000);
}

function checkThresholds(values: readonly number[] | undefined, option: string): void {
  if (values === undefined) return;
  const ok =
    values.length === 4 &&
    values.every((v, i) => Number.isFinite(v) && (i === 0 || v > (values[i - 1] as number)));
  if (!ok)
    throw new UserError(
      "bad-option",
      `expected 4 ascending numbers (t1 < t2 < t3 < t4), got ${values.join(",")}`,
      option,
    );
}

/**
 * Scores every customer with a purchase by asOf into `table` (a temporary table when `temporary`), one row
 * per customer: recency_days, frequency, monetary, revenue, r_score, f_score, m_score, rfm_segment.
 */
export async function scoreRfm(
  engine: Engine,
  opts: RfmOptions,
  table: string,
  temporary: boolean,
): Promise<Date> {
  const d = engine.dialect;
  const asOf = opts.asOf ?? (await defaultAsOf(engine));
  const t = opts.thresholds ?? {};
  checkThresholds(t.r, "--r-thresholds");
  checkThresholds(t.f, "--f-thresholds");
  checkThresholds(t.m, "--m-thresholds");
  const asOfSeconds = asOf.getTime() / 1000;
  const integer = (e: Sql) => d.cast(e, "integer");
  const quintile = (order: Sql) =>
    integer(sql`1 + floor(5.0 * (rank() OVER (ORDER BY ${order}) - 1) / count(*) OVER ())`);
  const cuts = (values: readonly number[], test: (v: number) => Sql) =>
    integer(
      sql`1 + ${sql.join(
        values.map((v) => sql`(CASE WHEN ${test(v)} THEN 1 ELSE 0 END)`),
        " + ",
      )}`,
    );
  const rScore = t.r ? cuts(t.r, (v) => sql`recency_days <= ${v}`) : quintile(sql`recency_days DESC`);
  const fScore = t.f ? cuts(t.f, (v) => sql`frequency >= ${v}`) : quintile(sql`frequency ASC`);
  const mScore = t.m ? cuts(t.m, (v) => sql`monetary >= ${v}`) : quintile(sql`monetary ASC`);
  const epoch = d.epochSeconds(sql`o.ts`);
  const frequency =
    opts.frequency === "days" ? sql`count(DISTINCT ${daySql(engine, sql`o.ts`)})` : sql`count(*)`;
  const monetary = opts.monetary === "average" ? sql`sum(o.total) / count(*)` : sql`sum(o.total)`;
  const query = sql`WITH v AS (
       SELECT o.customer_id,
              ${integer(sql`floor((${asOfSeconds} - max(${epoch})) / ${sql.raw(String(SECONDS_PER_DAY))})`)} AS recency_days,
              ${d.cast(frequency, "number")} AS frequency,
              ${monetary} AS monetary,
              sum(o.total) AS revenue
         FROM orders o
        WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL} AND ${epoch} <= ${asOfSeconds}
        GROUP BY o.customer_id
     ), s AS (
       SELECT v.*, ${rScore} AS r_score, ${fScore} AS f_score, ${mScore} AS m_score FROM v
     )
     SELECT s.*, ${rfmSegmentSql(sql`r_score`, sql`f_score`, sql`m_score`, d.literal)} AS rfm_segment FROM s`;
  await engine.run(temporary ? d.createTempAs(table, query) : d.createTableAs(table, query, ["customer_id"]));
  return asOf;
}

const REGISTERED = [
  ["rfm_recency_days", "integer", "recency_days", "days since the last purchase"],
  ["rfm_frequency", "number", "frequency", "orders (or purchase days) up to the as-of date"],
  ["rfm_monetary", "number", "monetary", "total (or average) spend up to the as-of date"],
  ["rfm_r", "integer", "r_score", "RFM recency score 1–5"],
  ["rfm_f", "integer", "f_score", "RFM frequency score 1–5"],
  ["rfm_m", "integer", "m_score", "RFM monetary score 1–5"],
  ["rfm_segment", "string", "rfm_segment", "named RFM segment (Champions … Lost)"],
] as const;

/** `tessera rfm`: scores into RFM_TABLE, registers the computed values, and reports segments and grid. */
export async function rfm(engine: Engine, opts: RfmOptions = {}): Promise<RfmReport> {
  const asOf = await engine.transaction(async () => {
    const at = await scoreRfm(engine, opts, RFM_TABLE, false);
    const { asOf: _asOf, ...settings } = opts;
    await saveSettings(engine, "rfm", settings);
    await registerComputed(
      engine,
      REGISTERED.map(([name, type, column, description]) => ({
        name,
        type,
        column,
        description,
        table: RFM_TABLE,
        producer: "rfm",
      })),
    );
    return at;
  });
  return rfmReport(engine, RFM_TABLE, asOf, opts);
}

/** The report of the scores stored in `table`, through the k-gate (also the stored scores' read: stored-rfm.ts). */
export async function rfmReport(
  engine: Engine,
  table: string,
  asOf: Date,
  opts: RfmOptions,
): Promise<RfmReport> {
  const q = sql.ident(table);
  const minGroup = opts.minGroup ?? DEFAULT_MIN_GROUP;
  const totals = (
    await engine.query(sql`SELECT count(*) AS n, coalesce(sum(revenue), 0) AS revenue FROM ${q}`)
  ).rows<{ n: number; revenue: number }>()[0];
  const customers = Number(totals?.n ?? 0);
  const revenue = Number(totals?.revenue ?? 0);
  if (customers === 0) {
    const before = opts.asOf === undefined ? "" : ` at or before ${asOf.toISOString()}`;
    throw new UserError(
      "no-purchases",
      `no customer has a purchase${before}`,
      opts.asOf === undefined ? undefined : "--as-of",
    );
  }
  const bySegment = new Map(
    (
      await engine.query(
        sql`SELECT rfm_segment AS name, count(*) AS customers, sum(revenue) AS revenue, avg(recency_days) AS r,
                   avg(frequency) AS f, avg(monetary) AS m
              FROM ${q} GROUP BY rfm_segment`,
      )
    )
      .rows<{ name: string; customers: number; revenue: number; r: number; f: number; m: number }>()
      .map((row) => [row.name, row]),
  );
  // The segments divide the scored customers (total shown): complementary suppression, so that the total minus
  // the other segments does not give a suppressed one back.
  const segmentCounts = RFM_SEGMENT_NAMES.map((name) => Number(bySegment.get(name)?.customers ?? 0));
  const segmentGate = suppressPartition(segmentCounts, minGroup);
  const segments = RFM_SEGMENT_NAMES.map((name, i) => {
    const s = bySegment.get(name);
    const n = Number(s?.customers ?? 0);
    const rev = Number(s?.revenue ?? 0);
    return suppress(
      {
        name,
        customers: n,
        revenue: rev,
        revenueShare: revenue > 0 ? rev / revenue : null,
        customerShare: n / customers,
        meanRecencyDays: s ? Number(s.r) : null,
        meanFrequency: s ? Number(s.f) : null,
        meanMonetary: s ? Number(s.m) : null,
      },
      n,
      minGroup,
      [
        "customers",
        "revenue",
        "revenueShare",
        "customerShare",
        "meanRecencyDays",
        "meanFrequency",
        "meanMonetary",
      ],
      segmentGate.hidden[i] === true,
    );
  });
  const cells = new Map(
    (
      await engine.query(
        sql`SELECT r_score AS r, f_score AS f, count(*) AS n, sum(revenue) AS revenue FROM ${q}
             GROUP BY r_score, f_score`,
      )
    )
      .rows<{ r: number; f: number; n: number; revenue: number }>()
      .map((c) => [`${c.r},${c.f}`, c]),
  );
  // The grid's rows, columns and total add up (R and F quintiles, the scored customers): complementary suppression
  // along each.
  const counts = [5, 4, 3, 2, 1].map((r) =>
    [1, 2, 3, 4, 5].map((f) => Number(cells.get(`${r},${f}`)?.n ?? 0)),
  );
  const gridGate = suppressTable(counts, minGroup);
  const grid = [];
  for (let r = 5; r >= 1; r--) {
    for (let f = 1; f <= 5; f++) {
      const c = cells.get(`${r},${f}`);
      const n = Number(c?.n ?? 0);
      grid.push(
        suppress(
          { r, f, customers: n, revenue: Number(c?.revenue ?? 0) },
          n,
          minGroup,
          ["customers", "revenue"],
          gridGate.hidden[5 - r]?.[f - 1] === true,
        ),
      );
    }
  }
  // Too few customers, or a small group nothing else could hide: nothing leaves but the report's shape.
  if (isSmall(customers, minGroup) || segmentGate.totalHidden || gridGate.totalHidden) {
    const hide = <T extends { suppressed: boolean }>(row: T, figures: (keyof T)[]): T =>
      ({ ...row, ...Object.fromEntries(figures.map((f) => [f, null])), suppressed: true }) as T;
    return {
      ...head(asOf, opts),
      customers: null,
      revenue: null,
      suppressed: true,
      minGroup,
      segments: segments.map((s) =>
        hide(s, [
          "customers",
          "revenue",
          "revenueShare",
          "customerShare",
          "meanRecencyDays",
          "meanFrequency",
          "meanMonetary",
        ]),
      ),
      grid: grid.map((g) => hide(g, ["customers", "revenue"])),
    };
  }
  return { ...head(asOf, opts), customers, revenue, suppressed: false, minGroup, segments, grid };
}

/** What an RFM report says of how it scored. */
function head(asOf: Date, opts: RfmOptions) {
  const t = opts.thresholds ?? {};
  return {
    asOf: asOf.toISOString(),
    frequency: opts.frequency ?? "orders",
    monetary: opts.monetary ?? "total",
    scoring: {
      r: t.r ? "thresholds" : "quintiles",
      f: t.f ? "thresholds" : "quintiles",
      m: t.m ? "thresholds" : "quintiles",
    },
  };
}
