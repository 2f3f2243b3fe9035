import { describe, expect, it } from "vitest";
import type { FeatureColumn, FeatureTable } from "./feature-matrix.js";
import type { Role } from "./feature-spec.js";
import { applyPreprocessing, fitPreprocessing, type PreprocessOptions } from "./preprocess.js";

const col = (name: string, values: number[], role: Role = "value", levels?: string[]): FeatureColumn => ({
  feature: name.split(":")[0] === "events.category_share" ? "events.category_mix" : name,
  name,
  role,
  values: Float64Array.from(values),
  ...(levels ? { levels } : {}),
});
const tableOf = (...columns: FeatureColumn[]): FeatureTable => ({
  n: columns[0]?.values.length ?? 0,
  ids: Array.from({ length: columns[0]?.values.length ?? 0 }, (_, i) => `c${i}`),
  columns,
});
const opts = (o: Partial<PreprocessOptions> = {}): PreprocessOptions => ({
  scale: "standard",
  log: "auto",
  categorical: "onehot",
  required: new Set(),
  ...o,
});
const column = (x: { n: number; d: number; data: Float64Array }, t: number) =>
  Array.from({ length: x.n }, (_, i) => x.data[i * x.d + t]);

describe("preprocessing", () => {
  it("imputes the median, adds a 0/1 indicator, and standardises", () => {
    const t = tableOf(col("trait:age", [20, Number.NaN, 40, 60]));
    const p = fitPreprocessing(t, opts());
    expect(p.columns.map((c) => c.name)).toEqual(["trait:age", "trait:age:missing"]);
    expect(p.columns[0]?.impute).toBe(40);
    const { x } = applyPreprocessing(t, p);
    const age = column(x, 0) as number[];
    const mean = 40;
    const sd = Math.sqrt((400 + 0 + 400) / 3);
    expect(age[0]).toBeCloseTo((20 - mean) / sd, 12);
    expect(age[1]).toBeCloseTo(0, 12); // imputed with the median, which here is the mean
    expect(column(x, 1)).toEqual([0, 1, 0, 0]);
  });

  it("log-scales counts and money, not shares; scale none leaves values as they are", () => {
    const t = tableOf(
      col("orders.revenue", [0, 10, 100, 1000], "money"),
      col("events.mobile_share", [0, 0.5, 1, 0.25], "share"),
    );
    const p = fitPreprocessing(t, opts({ scale: "none" }));
    expect(p.columns.map((c) => c.log)).toEqual([true, false]);
    const { x } = applyPreprocessing(t, p);
    expect(column(x, 0)).toEqual([0, Math.log1p(10), Math.log1p(100), Math.log1p(1000)]);
    expect(column(x, 1)).toEqual([0, 0.5, 1, 0.25]);
    expect(fitPreprocessing(t, opts({ log: "none" })).columns.map((c) => c.log)).toEqual([false, false]);
  });

  it("robust scaling uses the median and interquartile range (the sd when the range is 0)", () => {
    const t = tableOf(col("trait:x", [1, 2, 3, 4, 100]), col("events.count", [0, 0, 0, 0, 5], "count"));
    const p = fitPreprocessing(t, opts({ scale: "robust", log: "none" }));
    expect(p.columns[0]).toMatchObject({ center: 3, scale: 2 });
    expect(p.columns[1]?.center).toBe(0);
    expect(p.columns[1]?.scale).toBeCloseTo(2, 12); // sd of [0,0,0,0,5]
  });

  it("one-hot encodes categories (0/1, never scaled) or keeps codes for k-prototypes", () => {
    const t = tableOf(col("trait:gender", [0, 1, Number.NaN, 0], "value", ["female", "male"]));
    const p = fitPreprocessing(t, opts());
    expect(p.columns.map((c) => c.name)).toEqual([
      "trait:gender=female",
      "trait:gender=male",
      "trait:gender:missing",
    ]);
    const { x } = applyPreprocessing(t, p);
    expect(column(x, 0)).toEqual([1, 0, 1, 1]); // the missing one gets the most frequent level
    const k = fitPreprocessing(t, opts({ categorical: "kprototypes" }));
    expect(k.categoricals).toHaveLength(1);
    expect(Array.from(applyPreprocessing(t, k).cat.codes)).toEqual([0, 1, 0, 0]);
  });

  it("refuses a named feature with no values or one value for everyone; skips such defaults", () => {
    const constant = tableOf(col("trait:x", [3, 3, 3]), col("trait:y", [1, 2, 3]));
    expect(() => fitPreprocessing(constant, opts({ required: new Set(["trait:x"]) }))).toThrow(
      'feature "trait:x" has the same value for every customer',
    );
    const missing = tableOf(col("orders.aov", [Number.NaN, Number.NaN], "money"), col("trait:y", [1, 2]));
    expect(() => fitPreprocessing(missing, opts({ required: new Set(["orders.aov"]) }))).toThrow(
      /has no values/,
    );
    const p = fitPreprocessing(missing, opts());
    expect(p.skipped).toEqual([{ feature: "orders.aov", reason: "has no values for any customer" }]);
    expect(() => fitPreprocessing(tableOf(col("trait:x", [3, 3])), opts())).toThrow(/none of the features/);
  });

  it("drops a constant column of a mix but keeps the mix", () => {
    const t = tableOf(
      col("events.category_share:a", [0.5, 0.2, 0.1], "share"),
      col("events.category_share:b", [0, 0, 0], "share"),
    );
    expect(fitPreprocessing(t, opts()).columns.map((c) => c.name)).toEqual(["events.category_share:a"]);
  });

  it("never produces NaN", () => {
    const t = tableOf(
      col("trait:a", [Number.NaN, 1, 2, Number.NaN]),
      col("orders.count", [0, 3, 0, 1], "count"),
    );
    const { x } = applyPreprocessing(t, fitPreprocessing(t, opts({ scale: "robust" })));
    expect(x.data.every((v) => Number.isFinite(v))).toBe(true);
  });
});
