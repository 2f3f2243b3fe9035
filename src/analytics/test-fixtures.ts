/** Set-up for the analytics unit tests: an in-memory store and hand-made orders, customers and events. */
import type { Engine } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import type { Session } from "../store/store.js";

/** A hand-made order: customer, ISO timestamp, total (returned defaults to 0). */
export type OrderRow = readonly [customer: string | null, ts: string, total: number, returned?: number];

/** An in-memory store holding the given orders, and a customers row for every customer named. */
export async function storeWithOrders(
  orders: readonly OrderRow[],
  extraCustomers: readonly string[] = [],
): Promise<Session> {
  const engine = await openSession(":memory:");
  const ids = [
    ...new Set([...orders.map((o) => o[0]).filter((c): c is string => c !== null), ...extraCustomers]),
  ];
  for (const id of ids) await engine.run("INSERT INTO customers (customer_id) VALUES ($1)", [id]);
  let n = 0;
  for (const [customer, ts, total, returned] of orders) {
    n++;
    await engine.run(
      "INSERT INTO orders (order_id, customer_id, ts, total, returned, currency) VALUES ($1, $2, CAST($3 AS TIMESTAMP), $4, $5, 'EUR')",
      [`o${n}`, customer, ts, total, returned ?? 0],
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
      "INSERT INTO events (message_id, customer_id, user_id, type, event, ts) VALUES ($1, $2, $2, $3, 'x', CAST($4 AS TIMESTAMP))",
      [`m${n}`, customer, type, ts],
    );
  }
}
