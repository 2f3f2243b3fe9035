/**
 * What one scan per table computes for an experiment's metrics (src/experiments/metrics.ts): per table, one
 * per-person aggregate column per distinct measure part and window, and for each metric which columns its y, its
 * CUPED covariate x and its ratio denominator d sum.
 */
import type { Sql } from "../store/sql.js";
import { sql } from "../store/sql.js";
import { type Measure, type MetricSpec, measureName } from "./metric-spec.js";

export type Table = "orders" | "events" | "sends";

/** A per-person aggregate column of one table: a measure's part over a window (seconds from exposure). */
export interface Column {
  readonly alias: string;
  readonly table: Table;
  readonly agg: (inWindow: Sql) => Sql;
}

/** A measure over a window: the columns (of one or two tables) whose sum it is. */
export interface Quantity {
  readonly columns: readonly Column[];
}

export interface Plan {
  readonly columns: Column[];
  /** Per metric: y's, x's (CUPED) and d's (ratio) quantities. */
  readonly metrics: { y: Quantity; x: Quantity | null; d: Quantity | null }[];
  /** Which tables are read, and whether every event is needed (else only those named). */
  readonly tables: Set<Table>;
  readonly allEvents: boolean;
  readonly eventNames: string[];
  readonly campaigns: string[];
  /** Whether a click's campaign (an event property) is read. */
  readonly readsCampaign: boolean;
  /** The earliest time relative to exposure any window reaches (≤ 0). */
  readonly earliestMs: number;
}

/** Which per-person columns each table gives: one per distinct measure part and window. */
export function planColumns(metrics: readonly MetricSpec[], clickNames: readonly string[]): Plan {
  const columns: Column[] = [];
  const byKey = new Map<string, Column>();
  const tables = new Set<Table>();
  let allEvents = false;
  const names = new Set<string>();
  const campaigns = new Set<string>();
  let earliestMs = 0;
  let readsCampaign = false;

  const column = (key: string, table: Table, agg: (w: Sql) => Sql): Column => {
    const found = byKey.get(key);
    if (found) return found;
    const c = { alias: `c${columns.length}`, table, agg };
    columns.push(c);
    byKey.set(key, c);
    tables.add(table);
    return c;
  };
  const quantity = (m: Measure, startMs: number, lengthMs: number | null): Quantity => {
    earliestMs = Math.min(earliestMs, startMs);
    const key = `${measureName(m)}@${startMs}+${lengthMs}`;
    const win = (w: Sql) => windowSql(w, startMs, lengthMs);
    switch (m.kind) {
      case "revenue":
        return {
          columns: [column(key, "orders", (w) => sql`sum(CASE WHEN ${win(w)} THEN r.total ELSE 0 END)`)],
        };
      case "orders":
        return { columns: [column(key, "orders", (w) => sql`sum(CASE WHEN ${win(w)} THEN 1 ELSE 0 END)`)] };
      case "activity":
        allEvents = true;
        return {
          columns: [
            column(
              `orders@${startMs}+${lengthMs}`,
              "orders",
              (w) => sql`sum(CASE WHEN ${win(w)} THEN 1 ELSE 0 END)`,
            ),
            column(key, "events", (w) => sql`sum(CASE WHEN ${win(w)} THEN 1 ELSE 0 END)`),
          ],
        };
      case "events": {
        if (m.event === "*") allEvents = true;
        else names.add(m.event);
        const is = m.event === "*" ? sql`true` : sql`r.event = ${m.event}`;
        return {
          columns: [column(key, "events", (w) => sql`sum(CASE WHEN ${win(w)} AND ${is} THEN 1 ELSE 0 END)`)],
        };
      }
      case "clicks": {
        for (const n of clickNames) names.add(n);
        readsCampaign = true;
        const is = sql`r.event IN (${clickNames.length ? sql.join(clickNames) : sql`NULL`}) AND r.campaign = ${m.campaign}`;
        return {
          columns: [column(key, "events", (w) => sql`sum(CASE WHEN ${win(w)} AND ${is} THEN 1 ELSE 0 END)`)],
        };
      }
      case "sends":
        campaigns.add(m.campaign);
        return {
          columns: [
            column(
              key,
              "sends",
              (w) => sql`sum(CASE WHEN ${win(w)} AND r.campaign_id = ${m.campaign} THEN 1 ELSE 0 END)`,
            ),
          ],
        };
    }
  };

  const plan = metrics.map((m) => {
    const { startMs, lengthMs } = m.window;
    return {
      y: quantity(m.numerator, startMs, lengthMs),
      x: m.cuped ? quantity(m.numerator, -m.cuped.lengthMs, m.cuped.lengthMs) : null,
      d: m.denominator ? quantity(m.denominator, startMs, lengthMs) : null,
    };
  });
  return {
    columns,
    metrics: plan,
    tables,
    allEvents,
    eventNames: [...names],
    campaigns: [...campaigns],
    readsCampaign,
    earliestMs,
  };
}

/** SQL: the row's time `w` (seconds from exposure) lies in [start, start + length) (no end: any time after). */
function windowSql(w: Sql, startMs: number, lengthMs: number | null): Sql {
  const start = sql.raw(String(startMs / 1000));
  if (lengthMs === null) return sql`${w} >= ${start}`;
  return sql`${w} >= ${start} AND ${w} < ${sql.raw(String((startMs + lengthMs) / 1000))}`;
}
