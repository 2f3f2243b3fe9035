import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { isUserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import { parseMetrics } from "./metric-spec.js";
import { metricSums } from "./metrics.js";

/**
 * A tiny shop whose per-arm sums are worked out by hand (the comments give each person's values). Experiment e1,
 * as of 2024-02-01: control a1, a2 (exposed Jan 1), a3 (Jan 10); offer b1 (Jan 1), b2 (Jan 2), late (Jan 30: its
 * 7-day windows have not ended); holdout h1. a1's second assignment and `future` (after the as-of) do not count.
 */
const ASSIGNMENTS: [string, string, string, string][] = [
  ["e1", "a1", "control", "2024-01-01 00:00:00"],
  ["e1", "a1", "offer", "2024-01-05 00:00:00"],
  ["e1", "a2", "control", "2024-01-01 00:00:00"],
  ["e1", "a3", "control", "2024-01-10 00:00:00"],
  ["e1", "b1", "offer", "2024-01-01 00:00:00"],
  ["e1", "b2", "offer", "2024-01-02 00:00:00"],
  ["e1", "late", "offer", "2024-01-30 00:00:00"],
  ["e1", "future", "offer", "2024-03-01 00:00:00"],
  ["e1", "h1", "holdout", "2024-01-01 00:00:00"],
  ["e2", "x1", "control", "2024-01-01 00:00:00"],
];

const ORDERS: [string, string, number, number][] = [
  ["a1", "2023-12-20 12:00:00", 50, 0],
  ["a1", "2024-01-03 12:00:00", 20, 0],
  ["a1", "2024-01-20 12:00:00", 30, 0],
  ["a1", "2024-02-10 12:00:00", 999, 0],
  ["a3", "2024-01-12 12:00:00", 10, 0],
  ["b1", "2023-12-25 12:00:00", 5, 0],
  ["b1", "2024-01-02 12:00:00", 40, 0],
  ["b1", "2024-01-04 12:00:00", 60, 0],
  ["b2", "2024-01-03 12:00:00", 0, 5],
  ["b2", "2024-01-15 12:00:00", 100, 0],
  ["h1", "2024-01-02 12:00:00", 7, 0],
  ["late", "2024-01-31 12:00:00", 8, 0],
  ["x1", "2024-01-02 12:00:00", 1000, 0],
];

const EVENTS: [string, string, string, string?][] = [
  ["a1", "Signed Up", "2024-01-02 12:00:00"],
  ["b1", "Signed Up", "2023-12-31 12:00:00"],
  ["b1", "Signed Up", "2024-01-03 12:00:00"],
  ["b2", "Product Viewed", "2024-01-03 12:00:00"],
  // Clicks of the campaign `spring` (its id in `campaign` or `campaign_id`), and one of another campaign.
  ["a1", "Email Clicked", "2024-01-05 12:00:00", '{"campaign":"spring"}'],
  ["b1", "Email Clicked", "2024-01-05 12:00:00", '{"campaign_id":"spring"}'],
  ["b1", "Email Clicked", "2024-01-06 12:00:00", '{"campaign":"other"}'],
];

/** The sends of `spring`: a1, a2, b1 sent; b2 held out. */
const SENDS: [string, string][] = [
  ["a1", "sent"],
  ["a2", "sent"],
  ["b1", "sent"],
  ["b2", "held-out"],
];

const MEMBERSHIP: [string, string, string, string | null][] = [
  ["vip", "a1", "2023-12-01 00:00:00", null],
  ["vip", "b1", "2024-01-05 00:00:00", null],
  ["vip", "b2", "2023-12-01 00:00:00", "2023-12-15 00:00:00"],
  ["vip", "a3", "2024-01-01 00:00:00", null],
];

async function load(engine: Engine): Promise<void> {
  const ts = (t: string) => sql.param(t, "timestamp");
  await engine.run(
    sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source) VALUES ${sql.join(
      ASSIGNMENTS.map(([e, c, v, t]) => sql`(${e}, ${c}, ${v}, ${ts(t)}, 'hash')`),
    )}`,
  );
  await engine.run(
    sql`INSERT INTO orders (order_id, customer_id, ts, total, returned, currency) VALUES ${sql.join(
      ORDERS.map(([c, t, total, ret], i) => sql`(${`o${i}`}, ${c}, ${ts(t)}, ${total}, ${ret}, 'EUR')`),
    )}`,
  );
  await engine.run(
    sql`INSERT INTO events (message_id, customer_id, type, event, ts, properties) VALUES ${sql.join(
      EVENTS.map(([c, name, t, p], i) => sql`(${`m${i}`}, ${c}, 'track', ${name}, ${ts(t)}, ${p ?? "{}"})`),
    )}`,
  );
  await engine.run(
    sql`INSERT INTO campaign_sends (send_id, campaign_id, customer_id, status, scheduled_at, sent_at) VALUES ${sql.join(
      SENDS.map(
        ([c, status]) =>
          sql`('s1', 'spring', ${c}, ${status}, ${ts("2024-01-04 09:00:00")}, ${ts("2024-01-04 09:00:00")})`,
      ),
    )}`,
  );
  await engine.run(
    sql`INSERT INTO segment_membership (segment_id, customer_id, entered_at, exited_at) VALUES ${sql.join(
      MEMBERSHIP.map(([s, c, a, b]) => sql`(${s}, ${c}, ${ts(a)}, ${sql.param(b, "timestamp")})`),
    )}`,
  );
}

const METRICS = [
  "conversion:7d+cuped",
  "revenue+cuped=30d",
  "orders",
  "conversion:event=Signed Up:7d",
  "ratio:revenue/orders",
  "retention:7d:for=14d",
  "ctr:campaign=spring",
];

describe.each(TEST_ENGINES)("per-arm sums on $name", (te) => {
  it("match the hand-computed sums", async () => {
    const engine = await openSession(te.location());
    try {
      await load(engine);
      const r = await metricSums(engine, {
        experimentId: "e1",
        metrics: parseMetrics(METRICS, "metrics"),
        asOf: new Date("2024-02-01T00:00:00Z"),
        segments: ["vip"],
      });
      expect(r.firstExposure?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
      expect(r.lastExposure?.toISOString()).toBe("2024-01-30T00:00:00.000Z");
      const arm = (v: string) => r.arms.find((a) => a.variant === v);
      expect(r.arms.map((a) => a.variant)).toEqual(["control", "holdout", "offer"]);
      // control: a1 (orders Jan 3: 20, Jan 20: 30; before: Dec 20: 50; Signed Up Jan 2), a2 (nothing), a3 (Jan 12: 10).
      expect(arm("control")).toEqual({
        variant: "control",
        segment: null,
        people: 3,
        metrics: [
          // a1 and a3 ordered within 7 days; nobody in the 7 days before.
          { n: 3, sum: 2, sum_squares: 2, covariate: { sum: 0, sum_squares: 0, sum_products: 0 } },
          // revenue 50, 0, 10; in the 30 days before: 50, 0, 0.
          { n: 3, sum: 60, sum_squares: 2600, covariate: { sum: 50, sum_squares: 2500, sum_products: 2500 } },
          { n: 3, sum: 3, sum_squares: 5 },
          { n: 3, sum: 1, sum_squares: 1 },
          { n: 3, sum: 60, sum_squares: 2600, denominator: { sum: 3, sum_squares: 5, sum_products: 110 } },
          // active in days 7–21: a1 (Jan 20).
          { n: 3, sum: 1, sum_squares: 1 },
          // clicks 1, 0, 0 over sends 1, 1, 0.
          { n: 3, sum: 1, sum_squares: 1, denominator: { sum: 2, sum_squares: 2, sum_products: 1 } },
        ],
      });
      // offer: b1 (Jan 2: 40, Jan 4: 60; before: Dec 25: 5; Signed Up Dec 31 and Jan 3), b2 (a cancellation on
      // Jan 3, not a purchase; Jan 15: 100), late (Jan 31: 8; its 7-day and 21-day windows have not ended).
      expect(arm("offer")?.metrics).toEqual([
        { n: 2, sum: 1, sum_squares: 1, covariate: { sum: 1, sum_squares: 1, sum_products: 1 } },
        { n: 3, sum: 208, sum_squares: 20064, covariate: { sum: 5, sum_squares: 25, sum_products: 500 } },
        { n: 3, sum: 4, sum_squares: 6 },
        { n: 2, sum: 1, sum_squares: 1 },
        { n: 3, sum: 208, sum_squares: 20064, denominator: { sum: 4, sum_squares: 6, sum_products: 308 } },
        { n: 2, sum: 1, sum_squares: 1 },
        // b1: one click of spring over one send; b2 held out (no send).
        { n: 3, sum: 1, sum_squares: 1, denominator: { sum: 1, sum_squares: 1, sum_products: 1 } },
      ]);
      expect(arm("holdout")?.people).toBe(1);
      expect(arm("holdout")?.metrics[1]).toMatchObject({ n: 1, sum: 7 });
      // vip at exposure: a1 and a3 (b1 joined after, b2 had left before).
      expect(r.segments.map((s) => [s.segment, s.variant, s.people])).toEqual([["vip", "control", 2]]);
      expect(r.segments[0]?.metrics[1]).toMatchObject({ n: 2, sum: 60, sum_squares: 2600 });
    } finally {
      await engine.close();
    }
  });

  it("names an event or campaign the data does not hold", async () => {
    const engine = await openSession(te.location());
    try {
      await load(engine);
      const run = (texts: string[]) =>
        metricSums(engine, {
          experimentId: "e1",
          metrics: parseMetrics(texts, "metrics"),
          asOf: new Date("2024-02-01T00:00:00Z"),
        }).then(
          () => "no error",
          (e: unknown) => (isUserError(e) ? e.message : String(e)),
        );
      expect(await run(["orders", "conversion:event=signed up"])).toBe(
        'metrics: metric "conversion:event=signed up": no event named "signed up" in the data (names are matched exactly, case included)',
      );
      expect(await run(["ctr:campaign=autumn"])).toBe(
        'metrics: metric "ctr:campaign=autumn": campaign "autumn" has no sends',
      );
      // An experiment nobody is assigned to: no arms.
      const none = await metricSums(engine, {
        experimentId: "nobody",
        metrics: parseMetrics(["orders"], "m"),
        asOf: new Date("2024-02-01T00:00:00Z"),
      });
      expect(none.arms).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
