import { describe, expect, it } from "vitest";
import { defaultFeatures, resolveFeature, resolveFeatures } from "./feature-spec.js";

const schema = {
  traits: [
    { name: "age", type: "integer", category: "demographic", pii: false, sourceColumn: "age" },
    { name: "income", type: "number", category: "demographic", pii: false, sourceColumn: "income" },
    { name: "gender", type: "string", category: "demographic", pii: false, sourceColumn: "gender" },
    { name: "birthday", type: "date", category: "demographic", pii: true, sourceColumn: "birthday" },
  ],
  computed: [
    { name: "clv", type: "number", table: "customer_clv", column: "clv", producer: "clv", description: "" },
    { name: "rfm_r", type: "integer", table: "customer_rfm", column: "r", producer: "rfm", description: "" },
  ],
} as const;
const s = schema as unknown as Parameters<typeof resolveFeature>[1];

describe("the feature vocabulary", () => {
  it("resolves traits, computed values, order and event aggregates", () => {
    expect(resolveFeature("trait:age", s)).toMatchObject({
      kind: "trait",
      id: "trait:age",
      value: "numeric",
    });
    expect(resolveFeature("gender", s)).toMatchObject({
      kind: "trait",
      id: "trait:gender",
      value: "categorical",
    });
    expect(resolveFeature("birthday", s)).toMatchObject({ value: "date" });
    expect(resolveFeature("clv", s)).toMatchObject({
      kind: "computed",
      id: "computed:clv",
      table: "customer_clv",
    });
    expect(resolveFeature("orders.revenue:90d", s)).toMatchObject({
      kind: "orders",
      measure: "revenue",
      window: { n: 90, unit: "d" },
    });
    expect(resolveFeature("orders.category_share:books", s)).toMatchObject({
      kind: "order-category",
      category: "books",
    });
    expect(resolveFeature("events.count:Product Viewed:90d", s)).toMatchObject({
      kind: "events",
      event: "Product Viewed",
      window: { n: 90, unit: "d" },
    });
    expect(resolveFeature("events.count:12m", s)).toMatchObject({
      event: null,
      window: { n: 12, unit: "m" },
    });
    expect(resolveFeature("events.count", s)).toMatchObject({ event: null });
    expect(resolveFeature("events.mobile_share", s)).toMatchObject({
      kind: "share",
      property: "device",
      value: "mobile",
    });
    expect(resolveFeature("events.channel_mix", s)).toMatchObject({
      kind: "share",
      property: "channel",
      value: null,
    });
    expect(resolveFeature("events.favourite_hour", s)).toMatchObject({ kind: "hour" });
  });

  it("explains unknown names, with a suggestion", () => {
    expect(() => resolveFeature("trait:agee", s)).toThrow(
      'feature "trait:agee": no trait "agee" (did you mean "age"?)',
    );
    expect(() => resolveFeature("orders.revenu", s)).toThrow(/did you mean "orders.revenue"/);
    expect(() => resolveFeature("events.mobile", s)).toThrow(/unknown event feature/);
    expect(() => resolveFeature("orders.days_since_last:30d", s)).toThrow(/takes no window/);
    expect(() => resolveFeature("orders.count:30x", s)).toThrow(/not a duration/);
    expect(() => resolveFeature("incom", s)).toThrow(/did you mean "income"/);
    expect(() => resolveFeatures([], s)).toThrow(/no features/);
  });

  it("defaults to numeric non-PII traits, CLV and the behaviour set", () => {
    expect(defaultFeatures(s).map((f) => f.id)).toEqual([
      "trait:age",
      "trait:income",
      "computed:clv",
      "orders.count",
      "orders.revenue",
      "events.count",
      "events.mobile_share",
      "events.favourite_hour",
      "events.category_mix",
      "events.channel_mix",
    ]);
  });
});
