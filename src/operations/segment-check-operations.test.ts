import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFile } from "../../test/helpers.js";
import { importFile } from "../ingest/import.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { runOperation } from "./operation.js";
import { segmentCheckOperation } from "./segment-check-operations.js";
import {
  segmentAddOperation,
  segmentDiffOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
} from "./segment-operations.js";

describe("segment.check and the ids of what-if answers", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(`${tempDir()}/check.duckdb`);
    const rows = ["customer_id,age", ...Array.from({ length: 40 }, (_, i) => `c${i},${20 + i}`)];
    const path = writeFile(tempDir(), "customers.csv", `${rows.join("\n")}\n`);
    await store.write((s) => importFile(s, { kind: "customers", path }));
  });
  afterAll(() => store?.close());

  it("answers a definition with problems (not a refusal), each where it is", async () => {
    const r = await runOperation(store, segmentCheckOperation, {
      definition: "id: a\nname: A\nwhere: agge > 3",
    });
    expect(r.valid).toBe(false);
    expect(r.issues[0]).toMatchObject({
      path: "where.trait",
      at: { line: 3, column: 8, endLine: 3, endColumn: 12 },
      suggestion: { value: "age", replacement: "age" },
    });
    await expect(runOperation(store, segmentCheckOperation, {} as never)).rejects.toThrow("definition");
  });

  it("gives example ids only to a role that may see people", async () => {
    const definition = { id: "old", name: "Old", where: { trait: "age", gte: 30 } };
    const as = (role: "admin" | "analyst" | "marketer") => ({ who: `test:${role}`, role });
    const admin = await runOperation(store, segmentPreviewOperation, { definition }, undefined, as("admin"));
    expect(admin).toMatchObject({
      size: 30,
      sample: ["c10", "c11", "c12", "c13", "c14", "c15", "c16", "c17", "c18", "c19"],
    });
    for (const role of ["analyst", "marketer"] as const) {
      const p = await runOperation(store, segmentPreviewOperation, { definition }, undefined, as(role));
      expect(p).toMatchObject({ size: 30, sample: [] });
    }
    await runOperation(store, segmentAddOperation, { definition });
    await runOperation(store, segmentRefreshOperation, {});
    const changed = { ...definition, where: { trait: "age", gte: 20 } };
    const diff = (role: "admin" | "analyst") =>
      runOperation(store, segmentDiffOperation, { definition: changed }, undefined, as(role));
    expect(await diff("admin")).toMatchObject({
      entering: 10,
      enteringSample: ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"],
    });
    expect(await diff("analyst")).toMatchObject({ entering: 10, enteringSample: [], leavingSample: [] });
  });
});
