/**
 * The SQL that turns orders into one row per customer: purchase days, calibration summaries (x, t_x, T, z̄)
 * and holdout counts. Everything that touches order rows runs here, in the engine; TypeScript receives
 * distinct tuples with counts. Times are whole UTC days (day number = seconds since 1970 / 86,400, floored).
 */
import { IMPLAUSIBLE_AMOUNT } from "../common/plausible-values.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { PurchaseTuples, SpendTuples } from "./purchase-tuples.js";

export const SECONDS_PER_DAY = 86_400;

/** The model's time unit: `--unit day` or `--unit week` (7 days). */
export type TimeUnit = "day" | "week";
export const UNIT_DAYS: Readonly<Record<TimeUnit, number>> = { day: 1, week: 7 };

/** Parses a `--unit` value. */
export function parseUnit(value: string | undefined, option = "--unit"): TimeUnit {
  if (value === undefined) return "week";
  const v = value.toLowerCase().replace(/s$/, "");
  if (v === "day" || v === "week") return v;
  throw new UserError("bad-option", `unknown time unit "${value}": use day or week`, option);
}

/**
 * An order counts as a purchase unless it holds nothing but returns (total 0 with returned lines): a
 * cancellation invoice is not a visit to the shop. A zero-value order without returns (a free item) is one.
 * An order whose total no real order reaches (IMPLAUSIBLE_AMOUNT or more, or not finite: the audit's
 * implausible-amounts) is none: one `1e308` would make every revenue figure infinite and the spend model
 * unfittable. Reports say how many they left out (`implausibleOrders`).
 */
export const PURCHASE_SQL = sql.raw(
  `(abs(o.total) < ${IMPLAUSIBLE_AMOUNT} AND (o.total > 0 OR (o.total = 0 AND coalesce(o.returned, 0) = 0)))`,
);

/** Day number of a Date (UTC). */
export function dayOf(date: Date): number {
  return Math.floor(date.getTime() / 1000 / SECONDS_PER_DAY);
}

/** ISO date of a day number. */
export function isoDay(day: number): string {
  return new Date(day * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10);
}

/** SQL expression: the UTC day number of a timestamp column. */
export function daySql(engine: Engine, ts: Sql): Sql {
  const d = engine.dialect;
  return d.cast(sql`floor(${d.epochSeconds(ts)} / ${sql.raw(String(SECONDS_PER_DAY))})`, "integer");
}

/** First and last purchase day of the store's customers (null when nobody bought). */
export async function purchaseSpan(engine: Engine): Promise<{ first: number; last: number } | null> {
  const day = daySql(engine, sql`o.ts`);
  const r = await engine.query(
    sql`SELECT min(${day}) AS lo, max(${day}) AS hi
          FROM orders o WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL}`,
  );
  const lo = r.column("lo")[0];
  const hi = r.column("hi")[0];
  return lo === null || lo === undefined ? null : { first: Number(lo), last: Number(hi) };
}

/** Where the calibration summary is kept for the rest of a command: a session temporary table (`SUMMARY`). */
export const SUMMARY_TABLE = "_clv_summary";
export const SUMMARY = sql.temp(SUMMARY_TABLE);

/**
 * Builds SUMMARY_TABLE: one row per customer whose first purchase is on or before `endDay`, with
 *   x        distinct purchase days after the first, up to endDay (repeat purchases)
 *   tx_days  last of those days − first day (0 when x = 0)
 *   t_days   endDay − first day
 *   zbar     mean spend per repeat purchase day (same-day orders summed, the first day excluded); NULL if x = 0
 *   holdout  distinct purchase days in (endDay, holdoutEndDay] (0 without a holdout)
 */
export async function buildSummary(engine: Engine, endDay: number, holdoutEndDay = endDay): Promise<number> {
  const d = engine.dialect;
  const day = daySql(engine, sql`o.ts`);
  const end = sql`${endDay}`;
  const holdoutEnd = sql`${holdoutEndDay}`;
  const integer = (e: Sql) => d.cast(e, "integer");
  await engine.run(
    d.createTempAs(
      SUMMARY_TABLE,
      sql`WITH days AS (
            SELECT o.customer_id, ${day} AS day, sum(o.total) AS spend
              FROM orders o
             WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL} AND ${day} <= ${holdoutEnd}
             GROUP BY o.customer_id, ${day}
          ), firsts AS (
            SELECT customer_id, min(day) AS first_day FROM days GROUP BY customer_id HAVING min(day) <= ${end}
          )
          SELECT d.customer_id,
                 f.first_day,
                 ${integer(sql`sum(CASE WHEN d.day > f.first_day AND d.day <= ${end} THEN 1 ELSE 0 END)`)} AS x,
                 ${integer(sql`max(CASE WHEN d.day <= ${end} THEN d.day END) - f.first_day`)} AS tx_days,
                 ${integer(sql`${end} - f.first_day`)} AS t_days,
                 sum(CASE WHEN d.day > f.first_day AND d.day <= ${end} THEN d.spend END)
                   / nullif(sum(CASE WHEN d.day > f.first_day AND d.day <= ${end} THEN 1 ELSE 0 END), 0) AS zbar,
                 ${integer(sql`sum(CASE WHEN d.day > ${end} THEN 1 ELSE 0 END)`)} AS holdout
            FROM days d JOIN firsts f ON f.customer_id = d.customer_id
           GROUP BY d.customer_id, f.first_day`,
    ),
  );
  const r = await engine.query(sql`SELECT count(*) AS n FROM ${SUMMARY}`);
  return Number(r.column("n")[0]);
}

function floats(values: readonly unknown[], scale = 1): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]) / scale;
  return out;
}

/** The BG/NBD input from SUMMARY_TABLE: distinct (x, t_x, T) with counts, times in `unit`. */
export async function purchaseTuples(
  engine: Engine,
  unit: TimeUnit,
): Promise<PurchaseTuples & { days: { tx: Float64Array; T: Float64Array } }> {
  const r = await engine.query(
    sql`SELECT x, tx_days, t_days, count(*) AS n FROM ${SUMMARY}
         GROUP BY x, tx_days, t_days ORDER BY x, tx_days, t_days`,
  );
  const scale = UNIT_DAYS[unit];
  return {
    x: floats(r.column("x")),
    tx: floats(r.column("tx_days"), scale),
    T: floats(r.column("t_days"), scale),
    count: floats(r.column("n")),
    days: { tx: floats(r.column("tx_days")), T: floats(r.column("t_days")) },
  };
}

/** The Gamma-Gamma input: distinct (x, z̄) of customers with a repeat purchase of positive mean value. */
export async function spendTuples(engine: Engine): Promise<SpendTuples> {
  const r = await engine.query(
    sql`SELECT x, zbar, count(*) AS n FROM ${SUMMARY} WHERE x > 0 AND zbar > 0
         GROUP BY x, zbar ORDER BY x, zbar`,
  );
  return { x: floats(r.column("x")), mean: floats(r.column("zbar")), count: floats(r.column("n")) };
}

/** Pearson correlation of repeat frequency and mean repeat spend: Gamma-Gamma assumes it is near 0. */
export async function frequencySpendCorrelation(engine: Engine): Promise<number | null> {
  const r = await engine.query(sql`SELECT corr(x, zbar) AS c FROM ${SUMMARY} WHERE x > 0 AND zbar > 0`);
  const c = r.column("c")[0];
  return c === null || c === undefined || Number.isNaN(Number(c)) ? null : Number(c);
}
