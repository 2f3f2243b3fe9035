import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { registerTrait } from "../store/trait-registry.js";
import { extractFeatures, type FeatureTable, featureSchema } from "./feature-matrix.js";
import { resolveFeatures } from "./feature-spec.js";

const AS_OF = new Date("2026-07-01T00:00:00Z");

/** c1 and c2 are identified customers; anon:x is a visitor known only by an anonymous id. */
async function fixture(location: string): Promise<Session> {
  const e = await openSession(location);
  await registerTrait(e, {
    name: "age",
    type: "integer",
    category: "demographic",
    pii: false,
    sourceColumn: "age",
  });
  await registerTrait(e, {
    name: "gender",
    type: "string",
    category: "demographic",
    pii: false,
    sourceColumn: "gender",
  });
  await e.run(
    "INSERT INTO customers (customer_id, age, gender) VALUES ('c1', 30, 'f'), ('c2', 50, 'm'), ('anon:x', NULL, NULL)",
  );
  await e.run(
    "INSERT INTO identities (kind, value, customer_id) VALUES ('user_id', 'c1', 'c1'), ('user_id', 'c2', 'c2'), ('anonymous_id', 'x', 'anon:x')",
  );
  await e.run(`INSERT INTO orders (order_id, customer_id, ts, total) VALUES
    ('o1', 'c1', TIMESTAMP '2026-01-10 12:00:00', 10), ('o2', 'c1', TIMESTAMP '2026-06-01 00:00:00', 30),
    ('o3', 'c1', TIMESTAMP '2026-08-01 00:00:00', 999)`); // after the as-of time: never seen
  await e.run(`INSERT INTO order_items (order_id, line_no, customer_id, ts, category, quantity, unit_price) VALUES
    ('o1', 1, 'c1', TIMESTAMP '2026-01-10 12:00:00', 'books', 2, 5), ('o2', 1, 'c1', TIMESTAMP '2026-06-01 00:00:00', 'garden', 1, 30),
    ('o2', 2, 'c1', TIMESTAMP '2026-06-01 00:00:00', 'garden', -1, 30)`);
  const ev = (id: string, c: string, event: string, ts: string, props: object) =>
    e.run(
      sql`INSERT INTO events (message_id, customer_id, type, event, ts, properties)
          VALUES (${id}, ${c}, 'track', ${event}, ${sql.param(ts, "timestamp")}, ${JSON.stringify(props)})`,
    );
  await ev("m1", "c1", "Product Viewed", "2026-06-30 10:00:00", {
    device: "mobile",
    channel: "social",
    category: "books",
  });
  await ev("m2", "c1", "Product Viewed", "2026-06-30 11:00:00", {
    device: "mobile",
    channel: "social",
    category: "books",
  });
  await ev("m3", "c1", "Page Viewed", "2026-01-02 10:30:00", { device: "desktop", channel: "email" });
  await ev("m4", "c1", "Email Sent", "2026-06-29 03:00:00", { channel: "email", category: "garden" }); // no device: not activity
  await ev("m5", "c2", "Page Viewed", "2026-06-30 22:00:00", {
    device: "desktop",
    channel: "search",
    category: "garden",
  });
  await ev("m6", "anon:x", "Page Viewed", "2026-06-30 22:00:00", { device: "mobile", channel: "search" });
  return e;
}

const value = (t: FeatureTable, column: string, id: string) => {
  const c = t.columns.find((x) => x.name === column);
  if (!c) throw new Error(`no column ${column} in ${t.columns.map((x) => x.name).join(", ")}`);
  return c.values[t.ids.indexOf(id)];
};

describe.each(TEST_ENGINES)("feature extraction (one query) on $name", ({ location }) => {
  let e: Session;
  beforeAll(async () => {
    e = await fixture(location());
  });
  afterAll(() => e.close());

  const extract = async (names: string[], includeAnonymous = false) =>
    extractFeatures(e, resolveFeatures(names, await featureSchema(e)), { asOf: AS_OF, includeAnonymous });

  it("aggregates orders as of a time, with windows", async () => {
    const t = await extract([
      "orders.count",
      "orders.revenue",
      "orders.aov",
      "orders.count:90d",
      "orders.days_since_last",
      "orders.category_share:books",
    ]);
    expect(t.ids).toEqual(["c1", "c2"]);
    expect(value(t, "orders.count", "c1")).toBe(2);
    expect(value(t, "orders.revenue", "c1")).toBe(40);
    expect(value(t, "orders.aov", "c1")).toBe(20);
    expect(value(t, "orders.count:90d", "c1")).toBe(1);
    expect(value(t, "orders.days_since_last", "c1")).toBe(30);
    expect(value(t, "orders.category_share:books", "c1")).toBeCloseTo(0.25, 12); // returns are not spend
    // No orders: count and revenue 0, the rest missing.
    expect(value(t, "orders.count", "c2")).toBe(0);
    expect(value(t, "orders.revenue", "c2")).toBe(0);
    expect(value(t, "orders.aov", "c2")).toBeNaN();
    expect(value(t, "orders.days_since_last", "c2")).toBeNaN();
  });

  it("counts events and measures activity (events with a device) by device, channel, category and hour", async () => {
    const t = await extract([
      "events.count",
      "events.count:Product Viewed:30d",
      "events.mobile_share",
      "events.category_mix",
      "events.channel_share:social",
      "events.favourite_hour",
      "gender",
      "age",
    ]);
    expect(value(t, "events.count", "c1")).toBe(4);
    expect(value(t, "events.count:Product Viewed:30d", "c1")).toBe(2);
    expect(value(t, "events.mobile_share", "c1")).toBeCloseTo(2 / 3, 12);
    expect(value(t, "events.mobile_share", "c2")).toBe(0);
    expect(value(t, "events.channel_share:social", "c1")).toBeCloseTo(2 / 3, 12);
    // The Email Sent's category is not the customer's interest.
    expect(value(t, "events.category_share:books", "c1")).toBe(1);
    expect(value(t, "events.category_share:garden", "c2")).toBe(1);
    const hour =
      (Math.atan2(
        value(t, "events.favourite_hour:sin", "c1") as number,
        value(t, "events.favourite_hour:cos", "c1") as number,
      ) *
        24) /
      (2 * Math.PI);
    expect(hour).toBeCloseTo(10.5, 6);
    const gender = t.columns.find((c) => c.name === "trait:gender");
    expect(gender?.levels).toEqual(["f", "m"]);
    expect(value(t, "trait:age", "c2")).toBe(50);
  });

  it("leaves visitors known only by an anonymous id out unless asked", async () => {
    expect((await extract(["events.count"], true)).ids).toEqual(["anon:x", "c1", "c2"]);
  });
});
