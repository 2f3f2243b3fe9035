import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSession } from "../src/store/open-store.js";
import { type Sql, sql } from "../src/store/sql.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { count, ONLINE_RETAIL, ONLINE_RETAIL_MAP, SHARED_DATA, tesseraJson } from "./helpers.js";

const RETAIL = ONLINE_RETAIL;
const RETAIL_MAP = ONLINE_RETAIL_MAP.flatMap((m) => ["--map", m]);
const tessera = tesseraJson;

// chdb holds one database open at a time: each test closes its session before the next one opens another.
describe.each(TEST_ENGINES)("real data on $name", ({ location }) => {
  describe("Online Retail order lines (UCI), imported with the CLI", () => {
    let db: string;
    let engine: Session;
    let first: Record<string, unknown>;
    beforeAll(async () => {
      db = location();
      first = await tessera(db, "import", "order-lines", RETAIL, ...RETAIL_MAP);
      engine = await openSession(db);
    });
    afterAll(() => engine?.close());

    it("reads all 541,909 lines and rejects none", () => {
      expect(first).toMatchObject({ read: 541_909, accepted: 541_909, rejected: 0, alreadyPresent: 0 });
    });

    it("makes every customer id a customer: 4,372, of whom 4,339 bought something", async () => {
      expect(first.customersCreated).toBe(4_372);
      expect(await count(engine, "SELECT count(*) FROM customers")).toBe(4_372);
      expect(
        await count(engine, "SELECT count(DISTINCT customer_id) FROM order_items WHERE quantity > 0"),
      ).toBe(4_339);
    });

    it("counts revenue from positive quantities only: £8,911,407.90 for customers, guests in the store's total", async () => {
      const customerRevenue = await count(
        engine,
        "SELECT sum(total) FROM orders WHERE customer_id IS NOT NULL",
      );
      expect(customerRevenue).toBeCloseTo(8_911_407.904, 2);
      // Independent expectation for the store's revenue (guests included), straight from the raw file.
      const d = engine.dialect;
      const file = d.readFileAsText({ path: RETAIL, format: "csv" });
      const [quantity, price] = [d.cast(sql`Quantity`, "number"), d.cast(sql`UnitPrice`, "number")];
      const fromFile = (sign: Sql) =>
        count(
          engine,
          sql`SELECT ${sign}sum(${quantity} * ${price}) FROM ${file} r WHERE ${sign}${quantity} > 0`,
        );
      const raw = await fromFile(sql.empty);
      expect(await count(engine, "SELECT sum(total) FROM orders")).toBeCloseTo(raw, 2);
      expect(await count(engine, "SELECT count(*) FROM order_items WHERE customer_id IS NULL")).toBe(135_080);
      // Returns are kept, as returns: the negative lines' value is in `returned`, never in `total`.
      const returned = await fromFile(sql`-`);
      expect(await count(engine, "SELECT sum(returned) FROM orders")).toBeCloseTo(returned, 2);
      expect(await count(engine, "SELECT count(*) FROM orders")).toBe(25_900);
    });

    it("adds nothing when the same file is imported again", async () => {
      engine.close();
      const again = await tessera(db, "import", "order-lines", RETAIL, ...RETAIL_MAP);
      expect(again).toMatchObject({
        read: 541_909,
        accepted: 0,
        alreadyPresent: 541_909,
        customersCreated: 0,
      });
      const stats = await tessera(db, "stats");
      expect(stats).toEqual({
        customers: 4_372,
        identities: 4_372,
        events: 0,
        orders: 25_900,
        orderItems: 541_909,
        consents: 0,
        surveyResponses: 0,
      });
      engine = await openSession(db);
    });
  });

  describe("CDNOW transactions (whitespace separated, YYYYMMDD dates)", () => {
    it("imports the 1/10 sample without a header: 2,357 customers", async () => {
      const db = location();
      const s = await tessera(
        db,
        "import",
        "orders",
        join(SHARED_DATA, "cdnow", "CDNOW_sample.txt"),
        ...["customer_id=column1", "timestamp=column2:%Y%m%d", "total=column4"].flatMap((m) => ["--map", m]),
      );
      expect(s).toMatchObject({ read: 6_919, accepted: 6_919, rejected: 0, customersCreated: 2_357 });
      const engine = await openSession(db);
      try {
        // Column totals from the data set's README.
        expect(await count(engine, "SELECT sum(total) FROM orders")).toBeCloseTo(244_091.94, 2);
        const d = engine.dialect;
        const day = (e: Sql) => d.toText(d.cast(e, "date"));
        const span = await engine.query(
          sql`SELECT ${day(sql`min(ts)`)} AS lo, ${day(sql`max(ts)`)} AS hi FROM orders`,
        );
        expect(span.rows()).toEqual([{ lo: "1997-01-01", hi: "1998-06-30" }]);
      } finally {
        engine.close();
      }
    });

    it("imports the master file with its header: 23,570 customers", async () => {
      const db = location();
      const s = await tessera(
        db,
        "import",
        "orders",
        join(SHARED_DATA, "cdnow", "CDNOW_master.txt"),
        ...["timestamp=date:%Y%m%d", "total=dollar_value"].flatMap((m) => ["--map", m]),
      );
      expect(s).toMatchObject({ read: 69_659, accepted: 69_659, customersCreated: 23_570 });
      const engine = await openSession(db);
      try {
        expect(await count(engine, "SELECT sum(total) FROM orders")).toBeCloseTo(2_500_315.63, 2);
        const d = engine.dialect;
        const cds = d.cast(d.jsonText(sql`properties`, "number_of_cds"), "integer");
        expect(await count(engine, sql`SELECT sum(${cds}) FROM orders`)).toBe(167_881);
      } finally {
        engine.close();
      }
    });
  });

  describe("Mall Customers", () => {
    it("imports 200 customers with typed traits", async () => {
      const db = location();
      const s = await tessera(
        db,
        "import",
        "customers",
        join(SHARED_DATA, "mall-customers", "Mall_Customers.csv"),
        "--category",
        "demographic",
      );
      expect(s).toMatchObject({ read: 200, accepted: 200, customersCreated: 200 });
      expect(s.newTraits).toEqual([
        { name: "genre", type: "string" },
        { name: "age", type: "integer" },
        { name: "annual_income_k", type: "integer" },
        { name: "spending_score_1_100", type: "integer" },
      ]);
      const engine = await openSession(db);
      try {
        // Column statistics from the data set's README.
        expect(await count(engine, "SELECT count(*) FROM customers WHERE genre = 'Male'")).toBe(88);
        expect(await count(engine, "SELECT round(avg(annual_income_k), 2) FROM customers")).toBe(60.56);
        expect(await count(engine, "SELECT round(avg(spending_score_1_100), 2) FROM customers")).toBe(50.2);
      } finally {
        engine.close();
      }
    });
  });
});
