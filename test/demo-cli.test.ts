/**
 * `tessera demo` (what `npm start` runs), on a small base: the whole pipeline — generate, import, audit, RFM,
 * lifetime value, three example segments refreshed — and that it never replaces an existing database unasked.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import { tempDir, tesseraJson, writeFile } from "./helpers.js";

describe("tessera demo", () => {
  it("builds a scored, segmented base and reports it", async () => {
    const db = join(tempDir(), "demo.duckdb");
    const r = (await tesseraJson(db, "demo", "--customers", "1500", "--seed", "5")) as {
      db: string;
      stats: { customers: number; orders: number; events: number };
      imports: { kind: string; accepted: number }[];
      audit: { score: number };
      rfm: { segment: string; customers: number }[];
      clv: { bgnbd: { r: number; alpha: number; a: number; b: number } };
      segments: { id: string; size: number }[];
    };
    expect(r.db).toBe(db);
    // Dirt adds duplicate profiles on top of the 1,500 people; identity resolution merges some of them back.
    expect(r.stats.customers).toBeGreaterThanOrEqual(1500);
    expect(r.imports.map((i) => i.kind)).toEqual([
      "customers",
      "events",
      "orders",
      "order-lines",
      "consents",
      "survey-responses",
    ]);
    expect(r.audit.score).toBeGreaterThan(0);
    expect(r.audit.score).toBeLessThanOrEqual(100);
    // Every buyer lands in exactly one RFM segment.
    const scored = r.rfm.reduce((n, s) => n + s.customers, 0);
    expect(scored).toBeGreaterThan(0);
    expect(scored).toBeLessThanOrEqual(r.stats.customers);
    for (const p of ["r", "alpha", "a", "b"] as const) expect(r.clv.bgnbd[p]).toBeGreaterThan(0);
    expect(r.segments.map((s) => s.id).sort()).toEqual([
      "at-risk-reachable",
      "champions-mobile",
      "evening-browsers",
    ]);
    // The sizes are the segments' current members, as `segment list` reads them.
    const list = (await tesseraJson(db, "segment", "list")) as { segments: { id: string; size: number }[] };
    for (const s of r.segments) expect(list.segments.find((x) => x.id === s.id)?.size).toBe(s.size);
  }, 120_000);

  it("refuses to replace an existing database unless forced (--keep: test/hardening-databases.test.ts)", async () => {
    const dir = tempDir();
    const precious = writeFile(dir, "precious.duckdb", "not a demo");
    const io = memoryIo();
    expect(await main(["demo", "--customers", "200", "--db", precious], io)).toBe(1);
    expect(io.stderr()).toBe(
      `tessera: ${precious}: exists, and the demo builds a new database: name a new one with --db, give --force to replace it, or --keep to leave it and see what it holds\n`,
    );
    expect(statSync(precious).size).toBe("not a demo".length);
    const forced = await tesseraJson(precious, "demo", "--customers", "200", "--force");
    expect((forced.stats as { customers: number }).customers).toBeGreaterThanOrEqual(200);
    expect(existsSync(precious)).toBe(true);
  }, 120_000);
});
