import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSession } from "../store/open-store.js";
import type { Session } from "../store/store.js";
import { registerTrait } from "../store/trait-registry.js";
import { EVAL_TABLE, evaluateSegments } from "./evaluate.js";
import { loadSchemaContext } from "./schema-context.js";
import { validateSegment } from "./validate.js";

const EVIL = ["'); DROP TABLE customers; --", 'we"ird \\ name', "ünïcødé ✓", "x".repeat(2000)];

let engine: Session;
beforeEach(async () => {
  engine = await openSession(":memory:");
});
afterEach(() => engine.close());

async function select(where: unknown): Promise<string[]> {
  const schema = await loadSchemaContext(engine);
  const def = validateSegment({ id: "t", name: "t", where }, schema);
  const ev = await evaluateSegments(engine, [def], schema, new Date("2024-06-01T00:00:00Z"));
  const r = await engine.query(
    `SELECT customer_id FROM ${EVAL_TABLE} WHERE ${ev.columns.get("t")} ORDER BY 1`,
  );
  return r.column("customer_id") as string[];
}

describe("hostile names and values", () => {
  it("are identifiers and parameters, never SQL", async () => {
    const trait = EVIL[1] as string;
    await registerTrait(engine, {
      name: trait,
      type: "string",
      category: "custom",
      pii: false,
      sourceColumn: trait,
    });
    for (const [i, v] of EVIL.entries()) {
      await engine.run(`INSERT INTO customers (customer_id, "we""ird \\ name") VALUES ($1, $2)`, [
        `c${i}`,
        v,
      ]);
      await engine.run(
        "INSERT INTO events (message_id, customer_id, event, type, ts, properties) VALUES ($1, $2, $3, 'track', '2024-05-01', $4)",
        [`m${i}`, `c${i}`, v, JSON.stringify({ [v]: v })],
      );
    }
    for (const [i, v] of EVIL.entries()) {
      expect(await select({ trait, eq: v })).toEqual([`c${i}`]);
      expect(await select({ event: v, where: { property: v, eq: v } })).toEqual([`c${i}`]);
      expect(await select({ event: "*", where: { property: v, starts_with: v.slice(0, 3) } })).toEqual([
        `c${i}`,
      ]);
    }
    expect(await select({ trait, contains: "%" })).toEqual([]);
    expect(await select({ trait, starts_with: "_" })).toEqual([]);
    expect(Number((await engine.query("SELECT count(*) AS n FROM customers")).column("n")[0])).toBe(4);
  });
});
