import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { tempDir, writeFile } from "../../test/helpers.js";
import { isUserError } from "../errors.js";
import { importFile } from "../ingest/import.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { clustersSegmentsOperation } from "./cluster-segment-operations.js";
import { clusterSaveOperation, personasOperation } from "./discovery-operations.js";
import { runOperation } from "./operation.js";
import { segmentListOperation, segmentShowOperation } from "./segment-operations.js";

/** Two groups far apart on income: 15 low earners (cluster 0, the larger) and 10 high earners (cluster 1). */
function customersCsv(): string {
  const rows = ["customer_id,income,score"];
  for (let i = 0; i < 15; i++) rows.push(`low-${i},${18 + (i % 5)},${15 + (i % 7)}`);
  for (let i = 0; i < 10; i++) rows.push(`high-${i},${85 + (i % 4)},${78 + (i % 6)}`);
  return `${rows.join("\n")}\n`;
}

describe.each(TEST_ENGINES)("clusters.segments on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    const path = writeFile(tempDir(), "customers.csv", customersCsv());
    await store.write((s) => importFile(s, { kind: "customers", path }));
    await runOperation(store, clusterSaveOperation, {
      features: ["income", "score"],
      k: 2,
      scale: "none",
      saveAs: "grp",
      segments: false,
    });
  });
  afterAll(() => store?.close());

  it("saves a segment per cluster of a clustering saved without them, named after its persona", async () => {
    expect((await runOperation(store, segmentListOperation, {})).segments).toEqual([]);
    const r = await runOperation(store, clustersSegmentsOperation, { name: "grp" });
    expect(r).toMatchObject({ clustering: "grp", segments: ["cluster-grp-0", "cluster-grp-1"] });
    const personas = await runOperation(store, personasOperation, { clustering: "grp" });
    for (const [j, size] of [
      [0, 15],
      [1, 10],
    ] as const) {
      const shown = await runOperation(store, segmentShowOperation, { id: `cluster-grp-${j}` });
      expect(shown.versions[0]?.definition).toMatchObject({
        name: `grp ${j}: ${personas.personas[j]?.name}`,
        description: `cluster ${j} of the saved clustering "grp" (${size} customers when found)`,
        where: { computed: "cluster.grp", eq: j },
      });
    }
    // Again: the same segments, replaced.
    const again = await runOperation(store, clustersSegmentsOperation, { name: "grp" });
    expect(again.segments).toEqual(r.segments);
    expect((await runOperation(store, segmentListOperation, {})).segments.map((s) => s.id)).toEqual([
      "cluster-grp-0",
      "cluster-grp-1",
    ]);
  });

  it("refuses a clustering that is not saved, naming it, and saves nothing", async () => {
    const e = await runOperation(store, clustersSegmentsOperation, { name: "grpp" }).catch((x: unknown) => x);
    expect(isUserError(e) && e.code).toBe("unknown-clustering");
    expect(String(e)).toContain('did you mean "grp"');
    expect((await runOperation(store, segmentListOperation, {})).segments).toHaveLength(2);
  });
});
