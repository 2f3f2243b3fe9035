import { describe, expect, it } from "vitest";
import { rfm } from "../src/analytics/rfm.js";
import { runClustering } from "../src/clustering/cluster.js";
import { removeClustering, saveClustering } from "../src/clustering/saved-clusterings.js";
import { isUserError } from "../src/errors.js";
import { importFile } from "../src/ingest/import.js";
import { refreshAll } from "../src/operations/refresh-pipeline.js";
import { saveSegment } from "../src/segments/segment-store.js";
import { currentMembersSql } from "../src/segments/stays.js";
import type { Engine } from "../src/store/engine.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { snapshot, tempDir, writeFile } from "./helpers.js";

/** A segment's current members, read from the stays (no use: the consent gate is not what this test is about). */
async function segmentMembers(engine: Engine, id: string): Promise<string[]> {
  const r = await engine.query(sql`${currentMembersSql(id)} ORDER BY customer_id`);
  return r.column("customer_id") as string[];
}

describe.each(TEST_ENGINES)("refreshAll on $name", ({ location }) => {
  it("re-scores computed values as of the refresh time before evaluating segments that use them", async () => {
    const dir = tempDir();
    const engine = await openSession(location());
    try {
      const orders = writeFile(
        dir,
        "o.csv",
        "order_id,customer_id,timestamp,total\no1,c1,2024-01-01,10\no2,c2,2024-03-01,10\no3,c3,2024-03-25,10\n",
      );
      await importFile(engine, { kind: "orders", path: orders });
      await rfm(engine, { asOf: new Date("2024-03-31T00:00:00Z") });
      await saveSegment(engine, {
        id: "recent",
        name: "Bought in the last 45 days",
        where: { computed: "rfm_recency_days", lte: 45 },
      });
      const first = await refreshAll(engine, { asOf: new Date("2024-03-31T00:00:00Z") });
      expect(first.values.rfm).toBe(3);
      expect(await segmentMembers(engine, "recent")).toEqual(["c2", "c3"]);
      // Three weeks later c2's last purchase is 51 days old: the RFM values move with the refresh.
      const later = await refreshAll(engine, { asOf: new Date("2024-04-21T00:00:00Z") });
      expect(later.mode).toBe("incremental");
      expect(await segmentMembers(engine, "recent")).toEqual(["c3"]);
      expect(later.segments).toEqual([
        { id: "recent", name: "Bought in the last 45 days", size: 1, entered: 0, exited: 1 },
      ]);
    } finally {
      engine.close();
    }
  });

  it("refuses, writing nothing, when a saved definition no longer fits the data", async () => {
    const dir = tempDir();
    const engine = await openSession(location());
    try {
      const ages = [21, 22, 23, 24, 25, 61, 62, 63, 64, 65];
      const customers = writeFile(
        dir,
        "c.csv",
        `customer_id,age\n${ages.map((a, i) => `c${i},${a}`).join("\n")}\n`,
      );
      const orders = writeFile(dir, "o.csv", "order_id,customer_id,timestamp,total\no1,c1,2024-01-01,10\n");
      await importFile(engine, { kind: "customers", path: customers });
      await importFile(engine, { kind: "orders", path: orders });
      await rfm(engine, { asOf: new Date("2024-03-31T00:00:00Z") });
      await saveClustering(engine, "ages", await runClustering(engine, { features: ["trait:age"], k: 2 }));
      await saveSegment(engine, {
        id: "cluster-zero",
        name: "Cluster 0",
        where: { computed: "cluster.ages", eq: 0 },
      });
      await refreshAll(engine, { asOf: new Date("2024-03-31T00:00:00Z") });
      // The clustering goes; the segment built on it stays saved and can no longer be evaluated.
      await removeClustering(engine, "ages");
      const before = await snapshot(engine);
      const err = await refreshAll(engine, { asOf: new Date("2024-04-30T00:00:00Z") }).catch(
        (e: unknown) => e,
      );
      expect(isUserError(err)).toBe(true);
      expect(String((err as Error).message)).toMatch(
        /^segment cluster-zero: where\.computed: unknown computed value "cluster\.ages"/,
      );
      // Nothing was re-scored either: RFM as of the earlier refresh, every table as it was.
      expect(await snapshot(engine)).toBe(before);
    } finally {
      engine.close();
    }
  });
});
