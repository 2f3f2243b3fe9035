import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { isUserError } from "../errors.js";
import { sql } from "../store/sql.js";
import { audit } from "./audit.js";
import { formatAuditReport } from "./format.js";
import {
  AS_OF,
  CUSTOMER_COLS,
  db,
  find,
  ITEM_COLS,
  insert,
  ORDER_COLS,
  seedClean,
  useFreshStore,
} from "./test-fixtures.js";

describe.each(TEST_ENGINES)("audit on $name", ({ location }) => {
  useFreshStore(location);

  describe("audit: empty and clean databases", () => {
    it("scores an empty database 100 with zero totals, a note and no NaN", async () => {
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(report.score).toBe(100);
      expect(Object.values(report.totals).every((v) => v === 0)).toBe(true);
      expect(report.notes[0]).toMatch(/empty/);
      expect(report.findings.every((f) => f.count === 0 && f.total === 0)).toBe(true);
      for (const c of report.completeness) expect(c.share).toBe(0);
      // JSON turns NaN into null: a report with none round-trips to the same numbers.
      expect(JSON.stringify(report)).not.toMatch(/null|NaN/);
      expect(formatAuditReport(report)).toMatch(/score: 100\.0/);
    });

    it("scores clean data 100 with every check at zero", async () => {
      await seedClean();
      const report = await audit(db.engine, { asOf: AS_OF });
      const dirty = report.findings.filter((f) => f.count > 0 && f.severity !== "info");
      expect(dirty).toEqual([]);
      expect(report.score).toBe(100);
      expect(report.totals).toMatchObject({
        customers: 2,
        orders: 2,
        order_items: 3,
        customers_with_profile: 2,
      });
      expect(report.notes).toEqual([]);
    });

    it("rejects bad options as user errors", async () => {
      await expect(audit(db.engine, { staleDays: 0 })).rejects.toSatisfy(isUserError);
      await expect(audit(db.engine, { examples: 1.5 })).rejects.toSatisfy(isUserError);
      await expect(audit(db.engine, { asOf: new Date("nope") })).rejects.toSatisfy(isUserError);
    });
  });

  describe("audit: completeness", () => {
    it("measures contact fields and registered traits (blank counts as missing)", async () => {
      const d = db.engine.dialect;
      await db.engine.run(d.addColumn("customers", { name: "country", type: "string" }));
      await db.engine.run(d.addColumn("customers", { name: "age", type: "integer" }));
      await insert("trait_registry", "name, type, category, pii", [
        "'country', 'string', 'geographic', false",
        "'age', 'integer', 'demographic', false",
      ]);
      await insert("customers", `${CUSTOMER_COLS}, country, age`, [
        "'c1', 'a@x.io', NULL, 'A', NULL, '2024-01-01', 'DE', 30",
        "'c2', '  ', NULL, 'B', NULL, '2024-01-01', '', NULL",
        "'c3', NULL, '+4915112345678', NULL, NULL, '2024-01-01', 'FR', 41",
        "'c4', 'd@x.io', NULL, NULL, NULL, NULL, NULL, 0",
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      const share = Object.fromEntries(report.completeness.map((c) => [c.field, [c.filled, c.total]]));
      expect(share).toEqual({
        email: [2, 4],
        phone: [1, 4],
        first_name: [2, 4],
        last_name: [0, 4],
        age: [3, 4],
        country: [2, 4],
      });
      expect(report.completeness.find((c) => c.field === "email")?.share).toBe(0.5);
    });
  });

  describe("audit: score and examples", () => {
    it("drops as problems are added, by the documented weights", async () => {
      await seedClean();
      const clean = await audit(db.engine, { asOf: AS_OF });
      expect(clean.score).toBe(100);

      // One duplicated line (high): 1 of 4 lines costs 1 × 1/4 × 100 = 25 points.
      await insert("order_items", ITEM_COLS, ["'o2', 2, 'c2', '2024-05-02', 'A', 4, 10, NULL"]);
      const one = await audit(db.engine, { asOf: AS_OF });
      expect(one.score).toBe(75);

      // Plus an invalid email (medium): 1 of 2 emails costs 0.5 × 1/2 × 100 = 25 more.
      await db.engine.run(
        db.engine.dialect.updateWhere(
          "customers",
          sql`email = 'bob at example.org'`,
          sql`customer_id = 'c2'`,
        ),
      );
      const two = await audit(db.engine, { asOf: AS_OF });
      expect(two.score).toBe(50);
      expect(two.scoreRule).toMatch(/weight/);
      expect(formatAuditReport(two)).toMatch(/Order lines recorded more than once/);
    });

    it("never goes below 0", async () => {
      await insert("orders", ORDER_COLS, [
        "'o1', 'ghost', '2031-01-01', -5, 0, 'GBP'",
        "'o2', 'ghost', '2031-01-01', -5, 0, 'GBP'",
      ]);
      await insert("order_items", ITEM_COLS, [
        "'o1', 1, 'ghost', '2031-01-01', 'A', 1, -5, NULL",
        "'o1', 2, 'ghost', '2031-01-01', 'A', 1, -5, NULL",
      ]);
      await insert("customers", CUSTOMER_COLS, ["'c1', 'bad', 'bad', NULL, NULL, NULL"]);
      expect((await audit(db.engine, { asOf: AS_OF })).score).toBe(0);
    });

    it("returns at most `examples` ids, and none when asked for 0", async () => {
      await insert(
        "order_items",
        ITEM_COLS,
        Array.from({ length: 8 }, (_, i) => `'o1', ${i + 1}, NULL, '2024-01-01', 'A', 1, 0, NULL`),
      );
      const two = await audit(db.engine, { asOf: AS_OF, examples: 2 });
      expect(find(two, "non-positive-prices").examples).toHaveLength(2);
      const none = await audit(db.engine, { asOf: AS_OF, examples: 0 });
      expect(find(none, "non-positive-prices")).toMatchObject({ count: 8, examples: [] });
    });
  });
});
