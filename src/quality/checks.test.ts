import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { audit } from "./audit.js";
import {
  AS_OF,
  CUSTOMER_COLS,
  db,
  EVENT_COLS,
  find,
  ITEM_COLS,
  insert,
  ORDER_COLS,
  useFreshStore,
} from "./test-fixtures.js";

describe.each(TEST_ENGINES)("audit checks on $name", ({ location }) => {
  useFreshStore(location);

  describe("audit: invalid values", () => {
    it("flags email and phone syntax, ignoring blanks", async () => {
      await insert("customers", CUSTOMER_COLS, [
        "'c1', 'ann@example.com', '+44 (20) 7946-0958', NULL, NULL, '2024-01-01'",
        "'c2', ' bob@mail.example.co.uk ', '555.123.4567', NULL, NULL, '2024-01-01'",
        "'c3', 'no-at-sign.com', '12345', NULL, NULL, '2024-01-01'", // bad email, bad phone (5 digits)
        "'c4', 'two@@example.com', '++4412345678', NULL, NULL, '2024-01-01'", // bad, bad
        "'c5', '@example.com', 'call me', NULL, NULL, '2024-01-01'", // bad, bad
        "'c6', 'ann smith@example.com', '1234567890123456', NULL, NULL, '2024-01-01'", // bad, bad (16 digits)
        "'c7', 'ann@localhost', '', NULL, NULL, '2024-01-01'", // bad (no dot), blank phone ignored
        "'c8', 'ann@example.', NULL, NULL, NULL, '2024-01-01'", // bad (empty label)
        "'c9', '', '1234567', NULL, NULL, '2024-01-01'", // blank email ignored, 7 digits ok
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      const email = find(report, "invalid-email");
      expect([email.count, email.total]).toEqual([6, 8]);
      expect(email.examples).toEqual(["c3", "c4", "c5", "c6", "c7"]);
      const phone = find(report, "invalid-phone");
      expect([phone.count, phone.total]).toEqual([4, 7]);
      expect(phone.examples).toEqual(["c3", "c4", "c5", "c6"]);
    });

    it("counts timestamps strictly later than asOf as future, in every fact table", async () => {
      await insert("events", EVENT_COLS, [
        "'m1', 'c1', 'c1', 'track', 'X', '2024-06-01 00:00:00', NULL", // exactly asOf: not future
        "'m2', 'c1', 'c1', 'track', 'X', '2024-06-01 00:00:01', NULL", // one second later: future
        "'m3', 'c1', 'c1', 'track', 'X', '2024-05-31 23:59:59', NULL",
      ]);
      await insert("orders", ORDER_COLS, [
        "'o1', 'c1', '2024-06-01 00:00:00', 5, 0, 'GBP'",
        "'o2', 'c1', '2030-01-01', 5, 0, 'GBP'",
      ]);
      await insert("order_items", ITEM_COLS, [
        "'o1', 1, 'c1', '2024-06-01 00:00:00', 'A', 1, 5, NULL",
        "'o2', 1, 'c1', '2030-01-01', 'A', 1, 5, NULL",
        "'o2', 2, 'c1', '2030-01-01', 'B', 1, 5, NULL",
      ]);
      await insert("consents", "customer_id, purpose, status, ts", [
        "'c1', 'marketing', 'granted', '2024-06-02'",
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(find(report, "future-timestamps", "events")).toMatchObject({
        count: 1,
        total: 3,
        examples: ["m2"],
      });
      expect(find(report, "future-timestamps", "orders")).toMatchObject({ count: 1, examples: ["o2"] });
      expect(find(report, "future-timestamps", "order_items")).toMatchObject({
        count: 2,
        examples: ["o2#1", "o2#2"],
      });
      expect(find(report, "future-timestamps", "consents").count).toBe(1);
      expect(find(report, "future-timestamps", "survey_responses").count).toBe(0);
      // Moving asOf forward a second puts m2 exactly on the boundary: no longer future.
      const later = await audit(db.engine, { asOf: new Date("2024-06-01T00:00:01Z") });
      expect(find(later, "future-timestamps", "events").count).toBe(0);
    });

    it("splits non-positive prices into zero and negative, and flags negative totals", async () => {
      await insert("order_items", ITEM_COLS, [
        "'o1', 1, NULL, '2024-01-01', 'A', 1, 0, NULL",
        "'o1', 2, NULL, '2024-01-01', 'B', 1, 0, NULL",
        "'o2', 1, NULL, '2024-01-01', 'C', 1, -11062.06, NULL",
        "'o2', 2, NULL, '2024-01-01', 'D', 1, 0.01, NULL",
      ]);
      await insert("orders", ORDER_COLS, [
        "'o1', NULL, '2024-01-01', 0, 0, 'GBP'",
        "'o2', NULL, '2024-01-01', -5.5, 0, 'GBP'",
        "'o3', NULL, '2024-01-01', -1, 0, 'GBP'",
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      const prices = find(report, "non-positive-prices");
      expect(prices).toMatchObject({ count: 3, total: 4, breakdown: { zero: 2, negative: 1 } });
      expect(prices.examples[0]).toBe("o2#1");
      expect(prices.detail).toBe("2 at zero, 1 negative");
      expect(find(report, "negative-order-totals")).toMatchObject({
        count: 2,
        total: 3,
        examples: ["o2", "o3"],
        breakdown: { amount: -6.5 },
      });
    });
  });

  describe("audit: exact duplicates", () => {
    it("counts extra copies of order lines, events, consents and survey answers", async () => {
      await insert("order_items", ITEM_COLS, [
        "'o1', 1, 'c1', '2024-01-01', 'A', 1, 5, '{\"Country\": \"UK\"}'",
        "'o1', 2, 'c1', '2024-01-01', 'A', 1, 5, '{\"Country\": \"UK\"}'", // copy
        "'o1', 3, 'c1', '2024-01-01', 'A', 1, 5, '{\"Country\": \"UK\"}'", // copy
        "'o1', 4, 'c1', '2024-01-01', 'A', 1, 5, '{\"Country\": \"FR\"}'", // differs in properties
        "'o2', 1, NULL, '2024-01-01', 'B', 2, 3, NULL",
        "'o2', 2, NULL, '2024-01-01', 'B', 2, 3, NULL", // copy (NULLs compare equal here)
        "'o2', 3, NULL, '2024-01-01', 'B', 3, 3, NULL", // differs in quantity
      ]);
      await insert("events", EVENT_COLS, [
        "'m1', 'c1', 'c1', 'track', 'Viewed', '2024-01-01', '{\"a\": 1}'",
        "'m2', 'c1', 'c1', 'track', 'Viewed', '2024-01-01', '{\"a\": 1}'", // copy
        "'m3', 'c1', 'c1', 'track', 'Viewed', '2024-01-01', '{\"a\": 2}'",
      ]);
      await insert("consents", "customer_id, purpose, channel, status, source, ts", [
        "'c1', 'marketing', 'email', 'granted', 'form', '2024-01-01'",
        "'c1', 'marketing', 'email', 'granted', 'form', '2024-01-01'",
        "'c1', 'marketing', 'email', 'granted', 'form', '2024-01-01'",
        "'c1', 'marketing', 'email', 'withdrawn', 'form', '2024-01-01'",
      ]);
      await insert("survey_responses", "customer_id, survey, question, answer, ts", [
        "'c1', 's', 'q1', 'yes', '2024-01-01'",
        "'c1', 's', 'q2', 'yes', '2024-01-01'",
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(find(report, "duplicate-order-lines")).toMatchObject({
        count: 3,
        total: 7,
        examples: ["o1#2", "o1#3", "o2#2"],
        breakdown: { extraCopies: 3, repeatedRows: 2 },
      });
      expect(find(report, "duplicate-events")).toMatchObject({ count: 1, examples: ["m2"] });
      expect(find(report, "duplicate-consents")).toMatchObject({ count: 2, total: 4, examples: ["c1"] });
      expect(find(report, "duplicate-survey-responses").count).toBe(0);
    });
  });

  describe("audit: customers", () => {
    it("reports merged source records and customers still sharing a contact", async () => {
      await insert("identities", "kind, value, customer_id", [
        "'user_id', 'u1', 'c1'",
        "'user_id', 'u2', 'c1'",
        "'user_id', 'u3', 'c1'", // c1 was built from 3 records: 2 extra
        "'user_id', 'u4', 'c2'",
        "'user_id', 'u5', 'c2'", // c2 from 2: 1 extra
        "'user_id', 'u6', 'c3'",
        "'anonymous_id', 'a1', 'c3'",
        "'anonymous_id', 'a2', 'c3'", // anonymous ids are not source records
      ]);
      await insert("customers", CUSTOMER_COLS, [
        "'c1', 'Ann@Example.com ', NULL, NULL, NULL, '2024-01-01'",
        "'c2', 'ann@example.com', '+44 20 7946 0958', NULL, NULL, '2024-01-01'", // same email as c1
        "'c3', 'carl@example.com', '+44-20-7946-0958', NULL, NULL, '2024-01-01'", // same phone as c2
        "'c4', 'dan@example.com', '4420 7946 0958', NULL, NULL, '2024-01-01'", // no +: a different number
        "'c5', '', '', NULL, NULL, '2024-01-01'",
        "'c6', '', '', NULL, NULL, '2024-01-01'", // blanks are not shared contacts
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(find(report, "likely-duplicate-customers")).toMatchObject({
        count: 3,
        total: 6,
        examples: ["c1", "c2"],
        breakdown: { mergedCustomers: 2, extraRecords: 3 },
      });
      expect(find(report, "customers-sharing-contact")).toMatchObject({
        count: 2,
        total: 6,
        examples: ["c2", "c3"],
      });
    });

    it("finds stale customers from events and orders within (asOf − staleDays, asOf]", async () => {
      await insert("customers", CUSTOMER_COLS, [
        "'fresh-order', NULL, NULL, NULL, NULL, NULL",
        "'fresh-event', NULL, NULL, NULL, NULL, NULL",
        "'old', NULL, NULL, NULL, NULL, NULL",
        "'edge', NULL, NULL, NULL, NULL, NULL",
        "'never', NULL, NULL, NULL, NULL, NULL",
        "'future-only', NULL, NULL, NULL, NULL, NULL",
      ]);
      await insert("orders", ORDER_COLS, [
        "'o1', 'fresh-order', '2024-05-20', 5, 0, 'GBP'",
        "'o2', 'old', '2024-04-01', 5, 0, 'GBP'",
        "'o3', 'future-only', '2024-07-01', 5, 0, 'GBP'",
      ]);
      await insert("events", EVENT_COLS, [
        "'m1', 'fresh-event', NULL, 'track', 'X', '2024-05-31', NULL",
        "'m2', 'old', NULL, 'track', 'X', '2024-03-01', NULL",
        "'m3', 'edge', NULL, 'track', 'X', '2024-05-02 00:00:00', NULL", // exactly asOf − 30 days: stale
      ]);
      const report = await audit(db.engine, { asOf: AS_OF, staleDays: 30 });
      expect(find(report, "stale-customers")).toMatchObject({
        count: 4,
        total: 6,
        examples: ["edge", "future-only", "never", "old"],
        breakdown: { inactive: 2, neverActive: 2 },
      });
      const lenient = await audit(db.engine, { asOf: AS_OF, staleDays: 90 });
      expect(find(lenient, "stale-customers").count).toBe(2);
    });

    it("counts customers with an email and a hard bounce (soft bounces excepted)", async () => {
      await insert("customers", CUSTOMER_COLS, [
        "'c1', 'a@x.io', NULL, NULL, NULL, NULL",
        "'c2', 'b@x.io', NULL, NULL, NULL, NULL",
        "'c3', 'c@x.io', NULL, NULL, NULL, NULL",
        "'c4', NULL, NULL, NULL, NULL, NULL",
        "'c5', 'e@x.io', NULL, NULL, NULL, NULL",
      ]);
      await insert("events", EVENT_COLS, [
        "'m1', 'c1', NULL, 'track', 'Email Bounced', '2024-05-01', '{\"bounce_type\": \"hard\"}'",
        "'m2', 'c1', NULL, 'track', 'Email Bounced', '2024-05-02', NULL", // c1 counted once
        "'m3', 'c2', NULL, 'track', 'Email Bounced', '2024-05-01', '{\"bounce_type\": \"Soft\"}'",
        "'m4', 'c3', NULL, 'track', 'Email Bounced', '2024-05-01', '{}'", // no type: hard
        "'m5', 'c4', NULL, 'track', 'Email Bounced', '2024-05-01', NULL", // no email on file
        "'m6', 'c5', NULL, 'track', 'Email Bounced', '2024-07-01', NULL", // after asOf
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(find(report, "hard-bounced-emails")).toMatchObject({
        count: 2,
        total: 4,
        examples: ["c1", "c3"],
        breakdown: { bounceEvents: 4 },
      });
    });
  });

  describe("audit: orphans and guests", () => {
    it("separates records whose customer has no profile from lines with no customer", async () => {
      await insert("customers", CUSTOMER_COLS, [
        "'p1', NULL, NULL, NULL, NULL, '2024-01-01'",
        "'x1', NULL, NULL, NULL, NULL, NULL", // known only from facts
      ]);
      await insert("order_items", ITEM_COLS, [
        "'o1', 1, 'p1', '2024-01-01', 'A', 1, 5, NULL",
        "'o2', 1, 'x1', '2024-01-01', 'A', 1, 5, NULL",
        "'o2', 2, 'x1', '2024-01-01', 'B', 1, 5, NULL",
        "'o3', 1, 'ghost', '2024-01-01', 'A', 1, 5, NULL", // no customers row at all
        "'o4', 1, NULL, '2024-01-01', 'A', 2, 5, NULL",
        "'o4', 2, NULL, '2024-01-01', 'B', 1, 7, NULL",
      ]);
      await insert("orders", ORDER_COLS, [
        "'o1', 'p1', '2024-01-01', 5, 0, 'GBP'",
        "'o2', 'x1', '2024-01-01', 10, 0, 'GBP'",
        "'o3', 'ghost', '2024-01-01', 5, 0, 'GBP'",
        "'o4', NULL, '2024-01-01', 17, 0, 'GBP'",
      ]);
      await insert("consents", "customer_id, purpose, status, ts", [
        "'ghost', 'marketing', 'granted', '2024-01-01'",
      ]);
      await insert("survey_responses", "customer_id, question, answer", ["'p1', 'q', 'a'"]);
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(find(report, "records-without-profile", "order_items")).toMatchObject({
        count: 3,
        total: 6,
        examples: ["ghost", "x1"],
        breakdown: { customers: 2, noCustomerRow: 1 },
      });
      expect(find(report, "records-without-profile", "orders")).toMatchObject({ count: 2, total: 4 });
      expect(find(report, "records-without-profile", "consents")).toMatchObject({
        count: 1,
        examples: ["ghost"],
      });
      expect(find(report, "records-without-profile", "survey_responses").count).toBe(0);
      expect(find(report, "lines-without-customer")).toMatchObject({
        count: 2,
        total: 6,
        examples: ["o4#1", "o4#2"],
        breakdown: { orders: 1, amount: 17 },
      });
    });
  });

  describe("audit: order totals and returns", () => {
    async function orders(totals: readonly number[]): Promise<void> {
      await insert(
        "orders",
        ORDER_COLS,
        totals.map((t, i) => `'o${i}', NULL, '2024-01-01', ${t}, 0, 'GBP'`),
      );
    }

    it("flags robust z-score outliers on both sides", async () => {
      // Sorted 0, 10…15, 1000: median 12.5, MAD 2; z(0) = 0.6745·12.5/2 ≈ 4.2, z(10) ≈ 0.84.
      await orders([10, 11, 12, 13, 14, 15, 1000, 0]);
      const f = find(await audit(db.engine, { asOf: AS_OF }), "order-total-outliers");
      expect(f).toMatchObject({ count: 2, total: 8, examples: ["o6", "o7"] });
      expect(f.breakdown).toMatchObject({ high: 1, low: 1, median: 12.5, mad: 2 });
    });

    it("falls back to the mean absolute deviation when MAD is 0", async () => {
      // Six orders of 10 and one of 1000: MAD 0, mean AD 990/7, z(1000) = 990 / (1.2533 · 141.4) ≈ 5.6.
      await orders([10, 10, 10, 10, 10, 10, 1000]);
      const f = find(await audit(db.engine, { asOf: AS_OF }), "order-total-outliers");
      expect(f).toMatchObject({ count: 1, examples: ["o6"], breakdown: { high: 1, low: 0, mad: 0 } });
      expect(f.detail).toMatch(/MAD 0/);
    });

    it("finds no outliers, and no NaN, when every total is equal", async () => {
      await orders([25, 25, 25]);
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(find(report, "order-total-outliers")).toMatchObject({ count: 0, total: 3, examples: [] });
      expect(Number.isFinite(report.score)).toBe(true);
    });

    it("reports negative-quantity lines with the amount returned, and orders with returns", async () => {
      await insert("order_items", ITEM_COLS, [
        "'o1', 1, NULL, '2024-01-01', 'A', 3, 2.5, NULL",
        "'C1', 1, NULL, '2024-01-02', 'A', -2, 2.5, NULL",
        "'C1', 2, NULL, '2024-01-02', 'B', -1, 4, NULL",
        "'o2', 1, NULL, '2024-01-02', 'B', -1, 1, NULL",
      ]);
      await insert("orders", ORDER_COLS, [
        "'o1', NULL, '2024-01-01', 7.5, 0, 'GBP'",
        "'C1', NULL, '2024-01-02', 0, 9, 'GBP'",
        "'o2', NULL, '2024-01-02', 0, 1, 'GBP'",
      ]);
      const report = await audit(db.engine, { asOf: AS_OF });
      expect(find(report, "returned-lines")).toMatchObject({
        count: 3,
        total: 4,
        severity: "info",
        examples: ["C1#1", "C1#2", "o2#1"],
        breakdown: { orders: 2, amount: 10 },
      });
      expect(find(report, "orders-with-returns")).toMatchObject({
        count: 2,
        total: 3,
        breakdown: { amount: 10 },
      });
    });
  });
});
