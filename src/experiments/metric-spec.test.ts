import { describe, expect, it } from "vitest";
import { isUserError } from "../errors.js";
import { eventNames, parseMetric, parseMetrics } from "./metric-spec.js";

const DAY = 86_400_000;

function errorOf(texts: string[]): string {
  try {
    parseMetrics(texts, "--metric");
  } catch (e) {
    if (isUserError(e)) return e.message;
    throw e;
  }
  throw new Error("no error");
}

describe("parseMetric", () => {
  it("reads conversion on orders, on a named event with spaces, with a window", () => {
    const a = parseMetric("conversion", "m");
    expect(a).toMatchObject({
      type: "conversion",
      statistic: "proportion",
      numerator: { kind: "orders" },
      window: { startMs: 0, lengthMs: null },
      cuped: null,
      name: "conversion",
    });
    expect(parseMetric("conversion:7d", "m").window.lengthMs).toBe(7 * DAY);
    const b = parseMetric("conversion:event=Signed Up:7d", "m");
    expect(b.numerator).toEqual({ kind: "events", event: "Signed Up" });
    expect(b.window.lengthMs).toBe(7 * DAY);
    expect(b.name).toBe("conversion:event=Signed Up:1w");
    // Any order of the options; a quoted name may hold the separators.
    expect(parseMetric("conversion:7d:event=Signed Up", "m").name).toBe(b.name);
    const q = parseMetric('conversion:event="Checkout: Done + ""paid""":12h', "m");
    expect(q.numerator).toEqual({ kind: "events", event: 'Checkout: Done + "paid"' });
    expect(q.window.lengthMs).toBe(12 * 3_600_000);
  });

  it("reads revenue, orders and events per person, with CUPED", () => {
    const r = parseMetric("revenue:30d+cuped", "m");
    expect(r).toMatchObject({
      statistic: "mean",
      numerator: { kind: "revenue" },
      cuped: { lengthMs: 30 * DAY },
    });
    expect(parseMetric("orders+cuped", "m").cuped).toEqual({ lengthMs: 30 * DAY });
    expect(parseMetric("orders:14d+cuped=60d", "m").cuped).toEqual({ lengthMs: 60 * DAY });
    expect(parseMetric("orders:14d+cuped=60d", "m").name).toBe("orders:2w+cuped=60d");
    expect(parseMetric("events:event=Product Viewed:7d", "m").numerator).toEqual({
      kind: "events",
      event: "Product Viewed",
    });
  });

  it("reads click-through as clicks over sends of a campaign, and ratios", () => {
    const c = parseMetric("ctr:campaign=spring-sale:3d", "m");
    expect(c).toMatchObject({
      type: "click-through",
      statistic: "ratio",
      numerator: { kind: "clicks", campaign: "spring-sale" },
      denominator: { kind: "sends", campaign: "spring-sale" },
      name: "click-through:campaign=spring-sale:3d",
    });
    const r = parseMetric("ratio:revenue/orders:30d", "m");
    expect(r).toMatchObject({ numerator: { kind: "revenue" }, denominator: { kind: "orders" } });
    const e = parseMetric("ratio:event=Product Added/event=Product Viewed", "m");
    expect(e.denominator).toEqual({ kind: "events", event: "Product Viewed" });
  });

  it("reads retention as activity in a window starting N days after exposure", () => {
    const r = parseMetric("retention:28d", "m");
    expect(r).toMatchObject({ statistic: "proportion", numerator: { kind: "activity" } });
    expect(r.window).toEqual({ startMs: 28 * DAY, lengthMs: 7 * DAY });
    expect(parseMetric("retention:4w:for=14d+cuped", "m")).toMatchObject({
      window: { startMs: 28 * DAY, lengthMs: 14 * DAY },
      cuped: { lengthMs: 14 * DAY },
      name: "retention:4w:for=2w+cuped",
    });
  });

  it("gives back the same metric from its canonical name", () => {
    for (const t of [
      "conversion",
      "conversion:event=Signed Up:7d+cuped",
      'conversion:event="a:b"',
      "revenue:12h+cuped=3d",
      "ratio:revenue/orders:30d",
      "ratio:clicks=x/sends=x",
      "retention:28d:for=3d",
      "ctr:campaign=c1",
    ]) {
      const a = parseMetric(t, "m");
      const b = parseMetric(a.name, "m");
      expect({ ...b, text: "" }).toEqual({ ...a, text: "" });
    }
  });

  it("lists the event names to check against the data", () => {
    const ms = parseMetrics(["conversion:event=Signed Up", "events:event=*", "ratio:event=A/event=B"], "m");
    expect(eventNames(ms).sort()).toEqual(["A", "B", "Signed Up"]);
  });
});

describe("bad metric texts name the text and what is wrong", () => {
  it.each([
    ["", "empty"],
    ["signups", 'unknown kind "signups"'],
    ["conversion:7x", '"7x" is not a duration'],
    ["conversion:0d", "longer than 0"],
    ["conversion:7d:3d", "the window given twice"],
    ["conversion:campaign=x", "campaign= is not an option of conversion"],
    ["revenue:event=x", "event= is not an option of revenue"],
    ["events", "events needs event=NAME"],
    ["ctr", "click-through needs campaign=ID"],
    ["retention", "retention needs when the active window starts"],
    ["ratio:30d", "ratio needs numerator/denominator"],
    ["ratio:revenue/revenue", "a ratio of a measure to itself"],
    ["ratio:revenue/visits", '"visits" is not a measure'],
    ["ratio:revenue/orders+cuped", "+cuped is not available for ratio metrics"],
    ["revenue+fast", '"+fast" is not a flag'],
    ['conversion:event="open', "a quote is not closed"],
    ["conversion::7d", "an empty option"],
    ["conversion:event=", "event= needs a value"],
  ])("%s", (text, message) => {
    const m = errorOf([text]);
    expect(m).toContain(`--metric: metric "${text}"`);
    expect(m).toContain(message);
  });

  it("refuses the same metric twice, naming both", () => {
    expect(errorOf(["conversion:7d", "revenue", "conversion:1w"])).toBe(
      '--metric[2]: metric "conversion:1w" is the same metric as "conversion:7d" (conversion:1w)',
    );
  });
});
