/**
 * Where the activity data end, for the default as-of policy (src/operations/as-of.ts): the last order or event
 * time not after a given "now", and how many rows lie after it (the audit's future-dated rows). One aggregate per
 * table, in the engine.
 */

import { IMPLAUSIBLE_AMOUNT } from "../common/plausible-values.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { PURCHASE_SQL } from "./summaries.js";

/** The last time not after now (null: no rows), and the rows after now. */
export interface DataSpan {
  readonly last: Date | null;
  readonly future: number;
}

/** A timestamp bound as a parameter (UTC text, as the engines read it). */
function timeParam(t: Date): Sql {
  return sql.param(t.toISOString().replace("T", " ").replace("Z", ""), "timestamp");
}

/** The last order or event time not after `now`, and how many are after it. */
async function dataSpan(
  engine: Engine,
  now: Date,
  tables: readonly { table: string; where?: Sql }[],
): Promise<DataSpan> {
  const d = engine.dialect;
  const at = timeParam(now);
  const parts = tables.map(({ table, where }) => {
    const t = sql.ident(table);
    const scope = where ?? sql`true`;
    return sql`SELECT ${d.aggIf("max", [sql`o.ts`], sql`${scope} AND o.ts <= ${at}`)} AS last,
                      ${d.cast(d.aggIf("count", [], sql`${scope} AND o.ts > ${at}`), "integer", "integer")} AS future
                 FROM ${t} o`;
  });
  const r = await engine.query(
    sql`SELECT max(last) AS last, sum(future) AS future FROM (${sql.join(parts, " UNION ALL ")}) s`,
  );
  const last = r.column("last")[0];
  return { last: last instanceof Date ? last : null, future: Number(r.column("future")[0] ?? 0) };
}

/** Orders and events: the data's end for every as-of default. */
export function activitySpan(engine: Engine, now: Date): Promise<DataSpan> {
  return dataSpan(engine, now, [{ table: "orders" }, { table: "events" }]);
}

/** Purchases (PURCHASE_SQL, customers' only): the lifetime-value models' default calibration end. */
export function purchaseActivitySpan(engine: Engine, now: Date): Promise<DataSpan> {
  return dataSpan(engine, now, [
    { table: "orders", where: sql`o.customer_id IS NOT NULL AND ${PURCHASE_SQL}` },
  ]);
}

/**
 * Customers' orders whose total no real order reaches (IMPLAUSIBLE_AMOUNT or more, or not finite): PURCHASE_SQL
 * leaves them out of every value report, which says how many.
 */
export async function implausibleOrders(engine: Engine): Promise<number> {
  const r = await engine.query(
    sql`SELECT count(*) AS n FROM orders o
          WHERE o.customer_id IS NOT NULL AND NOT (abs(o.total) < ${sql.raw(String(IMPLAUSIBLE_AMOUNT))})`,
  );
  return Number(r.column("n")[0]);
}

/**
 * The refusal of a value report when no customer has a purchase: when orders are there but every one was left out
 * as implausible, it says so (a bare "import orders first" would send the user to import what is there).
 */
export async function noPurchasesError(engine: Engine): Promise<UserError> {
  const left = await implausibleOrders(engine);
  return new UserError(
    "no-purchases",
    left > 0
      ? `no customer has a purchase that can be real: ${left.toLocaleString("en-US")} order(s) with a total of 1e12 or more (or not a finite number) are left out (see \`tessera audit\`, implausible-amounts)`
      : "no customer has a purchase yet: import orders first",
  );
}
