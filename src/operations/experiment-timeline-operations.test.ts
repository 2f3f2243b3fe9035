import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { runCli, tempDir, writeFile } from "../../test/helpers.js";
import { isUserError } from "../errors.js";
import { openStore } from "../store/open-store.js";
import { experimentAnalyzeOperation } from "./experiment-analysis-operations.js";
import { experimentTimelineOperation } from "./experiment-timeline-operations.js";
import { runOperation } from "./operation.js";

const DAY = 86_400_000;
/** Exposures one a day from March 1 (a person each, alternately control and green) for 40 days. */
const FIRST = Date.UTC(2024, 2, 1, 12);
const PEOPLE = 400;

/**
 * A website's test, exposed over 40 days: person i (of 400) first sees a variant on day i/10 at noon; every third
 * green person and every fifth control person orders two days later. Data end on the last order.
 */
function files(dir: string): { events: string; orders: string } {
  const events: string[] = [];
  const orders = ["order_id,customer_id,timestamp,total"];
  for (let i = 0; i < PEOPLE; i++) {
    const id = `p${i}`;
    const variant = i % 2 === 0 ? "control" : "green";
    const seen = FIRST + Math.floor(i / 10) * DAY;
    events.push(
      JSON.stringify({
        type: "track",
        event: "Experiment Viewed",
        user_id: id,
        timestamp: new Date(seen).toISOString(),
        properties: { experiment_id: "cta", variation_id: variant },
      }),
    );
    if ((variant === "green" && i % 3 === 0) || (variant === "control" && i % 5 === 0))
      orders.push(`o${i},${id},${new Date(seen + 2 * DAY).toISOString()},20`);
  }
  return {
    events: writeFile(dir, "events.ndjson", `${events.join("\n")}\n`),
    orders: writeFile(dir, "orders.csv", `${orders.join("\n")}\n`),
  };
}

async function cli(...args: string[]): Promise<void> {
  const r = await runCli(...args);
  expect(r.code, r.stderr).toBe(0);
}

describe.each(TEST_ENGINES)("experiment.timeline on $name", ({ location }) => {
  it("reads the metric sequentially at evenly spaced looks, each the analysis at that time, ending at the data's end", async () => {
    const db = location();
    const f = files(tempDir());
    await cli("import", "events", f.events, "--db", db);
    await cli("import", "orders", f.orders, "--db", db);
    await cli(
      ...["experiment", "create", "cta", "--exposures", "--variants", "control:50,green:50"],
      ...["--metric", "conversion:7d", "--metric", "revenue", "--start", "2024-03-01", "--db", db],
    );
    await cli("experiment", "assign", "cta", "--at", "2024-05-01", "--db", db);
    const store = await openStore(db);
    try {
      const t = await runOperation(store, experimentTimelineOperation, { id: "cta", points: 5 });
      // The first exposure is March 1 noon; the first look a 7-day window later; the last the data's end, the
      // midnight after the last order (day 39 + 2 days), not now.
      const dataEnd = new Date(Date.UTC(2024, 3, 12)).toISOString();
      expect(t).toMatchObject({
        experiment: "cta",
        metric: "conversion:1w",
        statistic: "proportion",
        first_exposure: new Date(FIRST).toISOString(),
        as_of: dataEnd,
        ended_at_data_end: true,
      });
      const start = FIRST + 7 * DAY;
      const step = (Date.parse(dataEnd) - start) / 4;
      expect(t.looks.map((l) => l.as_of)).toEqual(
        [0, 1, 2, 3, 4].map((i) => new Date(Math.round(start + i * step)).toISOString()),
      );
      // Each look is experiment.analyze at its time, sequential, on this metric alone.
      for (const l of t.looks) {
        const a = await runOperation(store, experimentAnalyzeOperation, {
          id: "cta",
          sequential: true,
          metrics: ["conversion:7d"],
          asOf: l.as_of,
        });
        expect(l.comparisons).toEqual(a.metrics[0]?.comparisons);
        expect(l.arms).toEqual(a.metrics[0]?.arms);
      }
      // More people's windows end at each look: n grows and the confidence sequence narrows.
      const n = t.looks.map((l) => l.arms.reduce((s, a) => s + (a.n ?? 0), 0));
      expect(n).toEqual([...n].sort((a, b) => a - b));
      expect(n[0]).toBeLessThan(n[4] as number);
      const width = t.looks.map((l) => {
        const c = l.comparisons[0];
        return c?.computable ? (c.ci[1] as number) - (c.ci[0] as number) : Number.POSITIVE_INFINITY;
      });
      expect(width[4]).toBeLessThan(width[1] as number);
      // Another metric, a look given, fewer points.
      const r = await runOperation(store, experimentTimelineOperation, {
        id: "cta",
        metric: "revenue",
        asOf: "2024-03-20",
        points: 2,
      });
      expect(r.looks.map((l) => l.as_of)).toEqual([
        new Date(FIRST).toISOString(),
        "2024-03-20T00:00:00.000Z",
      ]);
      expect(r.ended_at_data_end).toBe(false);
      // Before anyone's window ended: the one look at the time given.
      const early = await runOperation(store, experimentTimelineOperation, { id: "cta", asOf: "2024-03-03" });
      expect(early.looks.map((l) => l.as_of)).toEqual(["2024-03-03T00:00:00.000Z"]);
      // A metric that is no metric is refused at its field.
      const bad = await runOperation(store, experimentTimelineOperation, {
        id: "cta",
        metric: "convresion",
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isUserError(bad) && bad.where).toBe("metric");
    } finally {
      await store.close();
    }
  });
});
