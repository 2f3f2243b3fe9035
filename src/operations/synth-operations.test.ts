import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { openStore } from "../store/open-store.js";
import { runOperation } from "./operation.js";
import { type GenerateEvent, generateOperation } from "./synth-operations.js";

describe("generate", () => {
  it("writes the files, imports them into the database named, and tells how it goes", async () => {
    const dir = tempDir();
    const db = join(dir, "g.duckdb");
    const events: GenerateEvent["type"][] = [];
    const r = await runOperation(
      null,
      generateOperation,
      { customers: 50, seed: 3, days: 60, out: join(dir, "out"), into: db },
      (e) => events.push(e.type),
    );
    expect(r.counts.customers).toBeGreaterThanOrEqual(50);
    expect(r.imports.map((s) => s.kind)).toEqual([
      "customers",
      "events",
      "orders",
      "order-lines",
      "consents",
      "survey-responses",
    ]);
    expect(events.filter((t) => t !== "progress")).toEqual(["generated", ...r.imports.map(() => "imported")]);
    expect(events[0]).toBe("progress");
    const written = await openStore(db);
    try {
      const n = await written.read((s) => s.query("SELECT count(*) AS n FROM customers"));
      expect(Number(n.column("n")[0])).toBeGreaterThan(0);
    } finally {
      await written.close();
    }
  });
});
