import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SegmentDefinition } from "../src/segments/definition.js";
import { refreshSegments } from "../src/segments/refresh.js";
import type { Engine } from "../src/store/engine.js";
import { openStore } from "../src/store/open-store.js";
import { condition } from "./segments-arbitraries.js";
import { AS_OF, arbData, load } from "./segments-data.js";
import type { RefData } from "./segments-reference.js";

const DAY = 86_400_000;

/** Saves definitions straight into the tables (the data may not hold every event name the definitions use). */
async function saveRaw(engine: Engine, defs: SegmentDefinition[]): Promise<void> {
  for (const d of defs) {
    await engine.run("INSERT INTO segments VALUES ($1, $2, NULL, 1, now(), now())", [d.id, d.name]);
    await engine.run("INSERT INTO segment_versions VALUES ($1, 1, $2, now())", [d.id, JSON.stringify(d)]);
  }
}

async function members(engine: Engine): Promise<string[]> {
  const r = await engine.query(
    "SELECT segment_id || ':' || customer_id AS m FROM segment_membership WHERE exited_at IS NULL ORDER BY 1",
  );
  return r.column("m") as string[];
}

/** Facts of a second batch for the customers of the first, as the importers would mark them. */
async function addBatch(engine: Engine, first: RefData, second: RefData): Promise<void> {
  // New facts touch only two customers, so the others' features must move forward with time alone.
  const n = Math.min(first.customers.length, 2);
  const remap = (c: string) => `c${Number(c.slice(1)) % n}`;
  const batch: RefData = {
    ...second,
    events: second.events.map((e) => ({ ...e, customer: remap(e.customer) })),
    lines: second.lines.map((l) => ({ ...l, customer: remap(l.customer) })),
    consents: second.consents.map((k) => ({ ...k, customer: remap(k.customer) })),
  };
  await load(engine, batch, { customers: false, prefix: "b2-" });
  const touched = new Set([...batch.events, ...batch.lines, ...batch.consents].map((x) => x.customer));
  // A trait changes too, as a customers import would do.
  await engine.run("UPDATE customers SET age = coalesce(age, 0) + 40 WHERE customer_id = 'c0'");
  touched.add("c0");
  // A producer rewrites a computed value without marking anyone: the refresh must notice on its own.
  await engine.run(
    `UPDATE test_scores SET score = coalesce(score, 0) + 5 WHERE customer_id = 'c${first.customers.length - 1}'`,
  );
  for (const c of touched) await engine.run("INSERT INTO segment_dirty VALUES ($1, now())", [c]);
}

describe("incremental segment refresh", () => {
  it("equals a full refresh after new events, orders, consents and traits, as time moves on", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbData,
        arbData,
        fc.array(condition, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 45 }),
        async (first, second, conditions, days) => {
          const defs: SegmentDefinition[] = conditions.map((where, i) => ({
            id: `s${i}`,
            name: `s${i}`,
            where: i === 2 ? { all: [where, { segment: "s0" }] } : where,
          }));
          const later = new Date(AS_OF + days * DAY);
          const a = await openStore(":memory:");
          const b = await openStore(":memory:");
          try {
            await load(a, first);
            await saveRaw(a, defs);
            expect((await refreshSegments(a, { asOf: new Date(AS_OF) })).mode).toBe("full");
            await addBatch(a, first, second);
            const inc = await refreshSegments(a, { asOf: later });
            expect(inc.mode).toBe("incremental");

            await load(b, first);
            await saveRaw(b, defs);
            await addBatch(b, first, second);
            expect((await refreshSegments(b, { asOf: later, mode: "full" })).mode).toBe("full");
            expect(await members(a)).toEqual(await members(b));
            const features = async (e: Engine) =>
              JSON.stringify((await e.query("SELECT * FROM segment_features ORDER BY customer_id")).rows());
            expect(await features(a)).toEqual(await features(b));
          } finally {
            a.close();
            b.close();
          }
        },
      ),
      { numRuns: Number(process.env.TESSERA_PROPERTY_RUNS ?? 60), seed: 4242 },
    );
  });

  it("falls back to a full refresh when the definitions change", async () => {
    const e = await openStore(":memory:");
    try {
      await e.run("INSERT INTO customers (customer_id) VALUES ('c1')");
      await saveRaw(e, [{ id: "a", name: "a", where: { orders: "count", gte: 0 } }]);
      expect((await refreshSegments(e, { asOf: new Date(AS_OF) })).mode).toBe("full");
      expect((await refreshSegments(e, { asOf: new Date(AS_OF + DAY) })).mode).toBe("incremental");
      await e.run("INSERT INTO segment_versions VALUES ('a', 2, $1, now())", [
        JSON.stringify({ id: "a", name: "a", where: { orders: "sum", gte: 0 } }),
      ]);
      await e.run("UPDATE segments SET latest_version = 2");
      expect((await refreshSegments(e, { asOf: new Date(AS_OF + 2 * DAY) })).mode).toBe("full");
    } finally {
      e.close();
    }
  });
});
