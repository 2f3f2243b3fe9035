import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { condition } from "../../../test/segments-arbitraries.js";
import type { Condition } from "../definition.js";
import { SegmentError } from "../validate.js";
import { parseCondition } from "./parse.js";
import { featureText, printCondition } from "./print.js";
import { parseSegmentText } from "./segment-document.js";

describe("text form", () => {
  it("parses the example of the issue", () => {
    const c = parseCondition(
      'country in ("DE", "FR") and orders.sum(total, 365d) >= 500 and count(event "Product Viewed", 30d, device = "mobile") >= 3 and not segment("recent-buyers")',
    );
    expect(c).toEqual({
      all: [
        { trait: "country", in: ["DE", "FR"] },
        { orders: "sum", of: "total", within: "365d", gte: 500 },
        {
          event: "Product Viewed",
          within: "30d",
          where: { property: "device", eq: "mobile" },
          count: { gte: 3 },
        },
        { not: { segment: "recent-buyers" } },
      ],
    });
  });

  it("reads every comparison and leaf", () => {
    const c = parseCondition(
      `age between 30 and 40 or email exists or phone not exists or city not in ("Oslo") or signup > ago(30d)
       or name starts with "An" or name contains "na" or vip = true or score != -1.5
       or trait("Annual Income (k$)") >= 50 or computed("cluster.mall") = 3 or consent("marketing", "email")
       or has(event "Home", type page, "2024-01-01".."2024-01-31", hour >= 18, weekday in (5, 6), not prop("type") = "x")
       or orders.days_since_last(category("shoes", "hats")) > 90 or orders.count(quantity, 6m, category("a",)) = 0`,
    );
    expect(c).toEqual({
      any: [
        { trait: "age", between: [30, 40] },
        { trait: "email", exists: true },
        { trait: "phone", exists: false },
        { trait: "city", not_in: ["Oslo"] },
        { trait: "signup", gt: { ago: "30d" } },
        { trait: "name", starts_with: "An" },
        { trait: "name", contains: "na" },
        { trait: "vip", eq: true },
        { trait: "score", neq: -1.5 },
        { trait: "Annual Income (k$)", gte: 50 },
        { computed: "cluster.mall", eq: 3 },
        { consent: "marketing", channel: "email" },
        {
          event: "Home",
          type: "page",
          within: { from: "2024-01-01", to: "2024-01-31" },
          hour: { gte: 18 },
          weekday: { in: [5, 6] },
          where: { not: { property: "type", eq: "x" } },
        },
        { orders: "days_since_last", category: ["shoes", "hats"], gt: 90 },
        { orders: "count", of: "quantity", within: "6m", category: ["a"], eq: 0 },
      ],
    });
  });

  it("round-trips: printing then parsing gives the same JSON", () => {
    fc.assert(
      fc.property(condition, (c) => {
        expect(parseCondition(printCondition(c))).toEqual(c);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("round-trips hostile names and values", () => {
    const evil = [
      "'); DROP TABLE customers; --",
      'quote " back \\ slash',
      "ünïcødé ✓",
      "and",
      "x".repeat(300),
      "not",
    ];
    for (const s of evil) {
      const c: Condition = {
        all: [
          { trait: s, eq: s },
          { event: s, where: { property: s, in: [s, 1] }, count: { gte: 2 } },
          { segment: s },
          { computed: s, starts_with: s },
        ],
      };
      expect(parseCondition(printCondition(c))).toEqual(c);
    }
  });

  it.each([
    ["country in (", "line 1, column 13: expected a value"],
    ['country = "DE" and\n  orders.total() > 1', 'line 2, column 10: expected an aggregate after "orders."'],
    ["country", "line 1, column 8: expected a comparison"],
    ['count(event "X") >= 1 extra', 'line 1, column 23: expected "and", "or" or the end'],
    ['country = "DE', "line 1, column 11: a string is not closed"],
    ["country = 3 $", 'line 1, column 13: unexpected character "$"'],
    [
      'age >= 30 and\n  count(event "Viewed", 30x) >= 2',
      'line 2, column 25: "30x" is not a duration: expected <n>d, <n>w, <n>m or <n>y',
    ],
    ["orders.count(1.5d) >= 1", 'line 1, column 14: "1.5d" is not a duration'],
  ])("says where %j goes wrong", (text, message) => {
    const e = (() => {
      try {
        parseCondition(text);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(SegmentError);
    expect((e as SegmentError).message).toContain(message);
  });

  it("reads a segment with header lines", () => {
    const s = parseSegmentText(
      '# lapsed\nid: lapsed\nname: Lapsed buyers\nwhere:\n  orders.days_since_last() > 90\n  and consent("marketing")',
    );
    expect(s).toEqual({
      id: "lapsed",
      name: "Lapsed buyers",
      where: { all: [{ orders: "days_since_last", gt: 90 }, { consent: "marketing" }] },
    });
    expect(() => parseSegmentText("id: x\nwhere: age >")).toThrow("line 2, column 13");
  });

  it("reads Windows line endings as line breaks, positions included", () => {
    const s = parseSegmentText('id: w\r\nname: Windows\r\nwhere: age >= 30 and\r\n  country = "DE"\r\n');
    expect(s).toEqual({
      id: "w",
      name: "Windows",
      where: {
        all: [
          { trait: "age", gte: 30 },
          { trait: "country", eq: "DE" },
        ],
      },
    });
    expect(() => parseSegmentText("id: x\r\nwhere: age >")).toThrow("line 2, column 13");
  });
});

describe("featureText", () => {
  it("names a stored feature by the leaf it counts for, in the language's words", () => {
    expect(
      featureText({
        kind: "event",
        event: "Page Viewed",
        type: "page",
        window: { kind: "relative", n: 90, unit: "d" },
        hour: { between: [0, 5] },
        where: { property: "device", eq: "mobile" },
      }),
    ).toBe('count(event "Page Viewed", type page, 90d, hour between 0 and 5, device = "mobile")');
    expect(
      featureText({
        kind: "orders",
        agg: "sum",
        of: "quantity",
        window: { kind: "absolute", from: "2026-01-01", to: "2026-03-31" },
        categories: ["fashion", "shoes"],
      }),
    ).toBe('orders.sum(quantity, "2026-01-01".."2026-03-31", category("fashion", "shoes"))');
    expect(
      featureText({
        kind: "orders",
        agg: "count",
        of: "total",
        window: { kind: "relative", n: 6, unit: "m" },
      }),
    ).toBe("orders.count(6m)");
    expect(featureText({ kind: "orders", agg: "days_since_first", of: "total" })).toBe(
      "time of the first order (for orders.days_since_first())",
    );
    expect(featureText({ kind: "consent", purpose: "marketing" })).toBe('consent("marketing")');
  });
});
