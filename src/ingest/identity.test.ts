import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { count, tempDir, writeFile } from "../../test/helpers.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { importFile } from "./import.js";

let engine: Session;
let dir: string;

const ndjson = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n");

/** The visitor's story, in three files as a tracker and a shop would send them. */
function story() {
  const firstVisit = writeFile(
    dir,
    "visit.ndjson",
    ndjson([
      { type: "page", event: "Home", anonymous_id: "a-laptop", timestamp: "2024-05-01T09:00:00Z" },
      { event: "Product Viewed", anonymous_id: "a-laptop", timestamp: "2024-05-01T09:01:00Z" },
    ]),
  );
  const signUp = writeFile(
    dir,
    "signup.ndjson",
    ndjson([
      {
        type: "identify",
        anonymous_id: "a-laptop",
        user_id: "u-ann",
        properties: { email: " Ann.Lee@Example.COM " },
        timestamp: "2024-05-01T09:05:00Z",
      },
    ]),
  );
  const phoneVisit = writeFile(
    dir,
    "phone.ndjson",
    ndjson([
      { event: "Product Viewed", anonymous_id: "a-phone", timestamp: "2024-05-03T20:00:00Z" },
      {
        type: "identify",
        anonymous_id: "a-phone",
        properties: { email: "ann.lee@example.com" },
        timestamp: "2024-05-03T20:02:00Z",
      },
    ]),
  );
  const order = writeFile(
    dir,
    "orders.csv",
    "order_id,email,timestamp,total\nord-1,ANN.LEE@example.com,2024-05-03T20:05:00Z,59.90\n",
  );
  return { firstVisit, signUp, phoneVisit, order };
}

/** Each customer with how many events and orders they have and their identifiers (portable SQL, joined here). */
async function customersWithHistory(): Promise<Record<string, unknown>[]> {
  const counts = async (table: string) => {
    const r = await engine.query(
      sql`SELECT customer_id, count(*) AS n FROM ${sql.ident(table)} GROUP BY customer_id`,
    );
    return new Map(r.rows<{ customer_id: string; n: number }>().map((x) => [x.customer_id, Number(x.n)]));
  };
  const [events, orders] = [await counts("events"), await counts("orders")];
  const ids = (
    await engine.query("SELECT customer_id, kind, value FROM identities ORDER BY kind, value")
  ).rows<{ customer_id: string; kind: string; value: string }>();
  const customers = (await engine.query("SELECT customer_id FROM customers ORDER BY customer_id")).column(
    "customer_id",
  ) as string[];
  return customers.map((c) => ({
    customer_id: c,
    events: events.get(c) ?? 0,
    orders: orders.get(c) ?? 0,
    ids:
      ids
        .filter((i) => i.customer_id === c)
        .map((i) => `${i.kind}=${i.value}`)
        .join(" ") || null,
  }));
}

const ONE_ANN = [
  {
    customer_id: "u-ann",
    events: 5,
    orders: 1,
    ids: "anonymous_id=a-laptop anonymous_id=a-phone email=ann.lee@example.com user_id=u-ann",
  },
];

describe.each(TEST_ENGINES)("identity resolution on $name", ({ location }) => {
  beforeEach(async () => {
    engine = await openSession(location());
    dir = tempDir();
  });
  afterEach(() => engine.close());

  it("browses anonymously, signs up, buys from a second device with the same email: one customer, all history", async () => {
    const f = story();
    const first = await importFile(engine, { kind: "events", path: f.firstVisit });
    expect(first.customersCreated).toBe(1);
    expect(await customersWithHistory()).toEqual([
      { customer_id: "anon:a-laptop", events: 2, orders: 0, ids: "anonymous_id=a-laptop" },
    ]);

    // Signing up links the anonymous visitor to the account: the account id now names the person.
    const signUp = await importFile(engine, { kind: "events", path: f.signUp });
    expect(signUp.customersMerged).toBe(1);
    await importFile(engine, { kind: "events", path: f.phoneVisit });
    await importFile(engine, { kind: "orders", path: f.order });
    expect(await customersWithHistory()).toEqual(ONE_ANN);

    const merges = await engine.query(
      "SELECT merged_id, into_id FROM identity_merges ORDER BY merged_at, merged_id",
    );
    expect(merges.rows()).toEqual([{ merged_id: "anon:a-laptop", into_id: "u-ann" }]);
    // Both sides of the merge are dirty from the beginning of time: their whole history moved.
    const dirty = await engine.query(
      sql`SELECT DISTINCT customer_id FROM segment_dirty WHERE since = ${engine.dialect.timestampMin()} ORDER BY 1`,
    );
    expect(dirty.column("customer_id")).toEqual(["anon:a-laptop", "u-ann"]);
    // first_seen / last_seen span the whole story.
    const seen = await engine.query(
      sql`SELECT ${engine.dialect.toText(sql`first_seen`)} AS f, ${engine.dialect.toText(sql`last_seen`)} AS l FROM customers`,
    );
    expect(seen.rows()).toEqual([{ f: "2024-05-01 09:00:00", l: "2024-05-03 20:05:00" }]);
  });

  it("reaches the same customers whatever the import order", async () => {
    const f = story();
    for (const [kind, path] of [
      ["orders", f.order],
      ["events", f.phoneVisit],
      ["events", f.firstVisit],
      ["events", f.signUp],
    ] as const) {
      await importFile(engine, { kind, path });
    }
    expect(await customersWithHistory()).toEqual(ONE_ANN);
    // The phone visitor and the email-only buyer were separate people until the sign-up linked them all.
    expect(await count(engine, "SELECT count(*) FROM identity_merges")).toBeGreaterThanOrEqual(2);
  });

  it("merges profiles that share a normalised email or phone, keeping the survivor's values first", async () => {
    const a = writeFile(
      dir,
      "a.csv",
      "customer_id,email,phone,city,age\nc2,Bo@X.org,,Oslo,\nc9,,+44 (20) 7946-0000,,51\n",
    );
    await importFile(engine, { kind: "customers", path: a });
    const b = writeFile(dir, "b.csv", "customer_id,email,phone,city\nc1,bo@x.org,0044 20 7946 0000,Bergen\n");
    const s = await importFile(engine, { kind: "customers", path: b });
    expect(s.customersMerged).toBe(2);
    const r = await engine.query("SELECT customer_id, email, city, age FROM customers");
    // c1 (the smallest user id) survives; its own new values win, the merged fill the gaps.
    expect(r.rows()).toEqual([{ customer_id: "c1", email: "bo@x.org", city: "Bergen", age: 51 }]);
    expect(
      await count(engine, "SELECT count(*) FROM identities WHERE customer_id = 'c1' AND kind = 'user_id'"),
    ).toBe(3);
  });

  it("links an alias's previous id to the user", async () => {
    const path = writeFile(
      dir,
      "alias.ndjson",
      ndjson([
        { event: "Signed Up", anonymous_id: "v1", timestamp: "2024-01-01T00:00:00Z" },
        { type: "alias", previous_id: "v1", user_id: "u1", timestamp: "2024-01-01T00:01:00Z" },
      ]),
    );
    await importFile(engine, { kind: "events", path });
    expect(await customersWithHistory()).toEqual([
      { customer_id: "u1", events: 2, orders: 0, ids: "anonymous_id=v1 user_id=u1" },
    ]);
  });
});
