import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Condition, SegmentDefinition } from "../src/segments/definition.js";
import { EVAL, evaluateSegments } from "../src/segments/evaluate.js";
import { loadSchemaContext } from "../src/segments/schema-context.js";
import { validateSegment } from "../src/segments/validate.js";
import { openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { propertyRuns } from "./helpers.js";
import { condition, EVENTS } from "./segments-arbitraries.js";
import { AS_OF, arbData, load } from "./segments-data.js";
import { referenceEvaluate } from "./segments-reference.js";

/** Runs per engine: 120 on DuckDB, 40 on chdb (each run there is slower); see `propertyRuns`. */
const runs = (engine: string) => propertyRuns(engine, 120, 40);

describe.each(TEST_ENGINES)(
  "segment compiler against the reference evaluator on $name",
  ({ name, location }) => {
    it("selects exactly the customers the reference selects, for random definitions and data", async () => {
      await fc.assert(
        fc.asyncProperty(
          arbData,
          fc.array(condition, { minLength: 1, maxLength: 3 }),
          async (data, conditions) => {
            // A database of its own per run, closed (on chdb: its directory released) before the next opens.
            const store = await openStore(location());
            const engine = await store.session();
            try {
              await load(engine, data);
              const schema = await loadSchemaContext(engine);
              // The first definitions may be referenced by later ones.
              const defs: SegmentDefinition[] = conditions.map((where, i) => ({
                id: `s${i}`,
                name: `s${i}`,
                where: i > 0 && i % 2 === 0 ? { any: [where, { not: { segment: "s0" } }] } : where,
              }));
              const events = new Set([...schema.events, ...EVENTS]);
              const saved = new Map([["s0", defs[0] as SegmentDefinition]]);
              const ctx = { ...schema, events, segments: saved };
              for (const def of defs) validateSegment(def, ctx);
              const evaluation = await evaluateSegments(engine, defs, ctx, new Date(AS_OF));
              for (const def of defs) {
                const col = evaluation.columns.get(def.id) as string;
                const r = await engine.query(
                  sql`SELECT customer_id FROM ${EVAL} WHERE ${sql.ident(col)} ORDER BY customer_id`,
                );
                const expected = [
                  ...referenceEvaluate(data, def.where, AS_OF, { s0: defs[0]?.where as Condition }),
                ].sort();
                expect(r.column("customer_id"), JSON.stringify(def.where)).toEqual(expected);
              }
            } finally {
              engine.close();
              await store.close();
            }
          },
        ),
        { numRuns: runs(name), seed: 20261123 },
      );
    });
  },
);
