/** Set-up for the analytics unit tests: a fresh store (on each test engine) and hand-made orders, customers and events. */
import type { Engine } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";

/** A hand-made order: customer, ISO timestamp, total (returned defaults to 0). */
export type OrderRow = readonly [customer: string | null, ts: string, total: number, returned?: number];

/**
 * A new store at `location` (a test engine's, test/engines.ts) holding the given orders, and a customers row for
 * every customer named. chdb holds one database per process: close the session before the next one is opened.
 */
export async function storeWithOrders(
  location: string,
  orders: readonly OrderRow[],
  extraCustomers: readonly string[] = [],
): Promise<Session> {
  const engine = await openSession(location);
  const ids = [
    ...new Set([...orders.map((o) => o[0]).filter((c): c is string => c !== null), ...extraCustomers]),
  ];
  for (const id of ids) await engine.run(sql`INSERT INTO customers (customer_id) VALUES (${id})`);
  let n = 0;
  for (const [customer, ts, total, returned] of orders) {
    n++;
    await engine.run(
      sql`INSERT INTO orders (order_id, customer_id, ts, total, returned, currency)
          VALUES (${`o${n}`}, ${sql.param(customer, "string")}, ${sql.param(ts, "timestamp")}, ${total}, ${returned ?? 0}, 'EUR')`,
    );
  }
  return engine;
}

/** Adds events (customer, type, ISO timestamp). */
export async function addEvents(
  engine: Engine,
  events: readonly (readonly [string, string, string])[],
): Promise<void> {
  let n = 0;
  for (const [customer, type, ts] of events) {
    n++;
    await engine.run(
      sql`INSERT INTO events (message_id, customer_id, user_id, type, event, ts)
          VALUES (${`m${n}`}, ${customer}, ${customer}, ${type}, 'x', ${sql.param(ts, "timestamp")})`,
    );
  }
}
