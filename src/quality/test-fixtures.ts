/** Shared set-up for the audit tests: a fresh in-memory store per test and plain INSERTs of hand-made rows. */
import { afterEach, beforeEach } from "vitest";
import { openSession } from "../store/open-store.js";
import type { Session } from "../store/store.js";
import type { AuditReport, Finding } from "./types.js";

export const AS_OF = new Date("2024-06-01T00:00:00Z");

/** The store of the running test (set by `useFreshStore`). */
export const db = { engine: undefined as unknown as Session };

/**
 * Gives every test of the calling suite its own empty store at `location()` (a test engine's, test/engines.ts),
 * closed after the test (chdb holds one database per process at a time).
 */
export function useFreshStore(location: () => string): void {
  beforeEach(async () => {
    db.engine = await openSession(location());
  });
  afterEach(() => db.engine.close());
}

export function find(report: AuditReport, check: string, table?: string): Finding {
  const f = report.findings.find((x) => x.check === check && (table === undefined || x.table === table));
  if (!f) throw new Error(`no finding ${check} ${table ?? ""}`);
  return f;
}

/** Plain INSERTs of hand-made rows; every test states exactly what it plants. */
export async function insert(table: string, columns: string, rows: readonly string[]): Promise<void> {
  await db.engine.run(`INSERT INTO ${table} (${columns}) VALUES ${rows.map((r) => `(${r})`).join(", ")}`);
}

export const CUSTOMER_COLS = "customer_id, email, phone, first_name, last_name, profile_at";
export const ORDER_COLS = "order_id, customer_id, ts, total, returned, currency";
export const ITEM_COLS = "order_id, line_no, customer_id, ts, sku, quantity, unit_price, properties";
export const EVENT_COLS = "message_id, customer_id, user_id, type, event, ts, properties";

/** A small database with nothing wrong in it: profiled customers, recent orders, events, consents, answers. */
export async function seedClean(): Promise<void> {
  await insert("customers", CUSTOMER_COLS, [
    "'c1', 'ann@example.com', '+44 20 7946 0958', 'Ann', 'Lee', '2024-01-01'",
    "'c2', 'bob@example.org', '(555) 123-4567', 'Bob', 'Ray', '2024-01-01'",
  ]);
  await insert("identities", "kind, value, customer_id", [
    "'user_id', 'c1', 'c1'",
    "'user_id', 'c2', 'c2'",
    "'email', 'ann@example.com', 'c1'",
  ]);
  await insert("orders", ORDER_COLS, [
    "'o1', 'c1', '2024-05-01', 30, 0, 'GBP'",
    "'o2', 'c2', '2024-05-02', 40, 0, 'GBP'",
  ]);
  await insert("order_items", ITEM_COLS, [
    "'o1', 1, 'c1', '2024-05-01', 'A', 2, 10, NULL",
    "'o1', 2, 'c1', '2024-05-01', 'B', 1, 10, NULL",
    "'o2', 1, 'c2', '2024-05-02', 'A', 4, 10, NULL",
  ]);
  await insert("events", EVENT_COLS, [
    "'m1', 'c1', 'c1', 'track', 'Product Viewed', '2024-05-01 10:00', '{\"sku\": \"A\"}'",
    "'m2', 'c1', 'c1', 'track', 'Product Viewed', '2024-05-01 10:01', '{\"sku\": \"B\"}'",
  ]);
  await insert("consents", "customer_id, purpose, channel, status, source, ts", [
    "'c1', 'marketing', 'email', 'granted', 'signup', '2024-01-01'",
  ]);
  await insert("survey_responses", "customer_id, survey, question, answer, ts", [
    "'c2', 'nps', 'score', '9', '2024-02-01'",
  ]);
}
