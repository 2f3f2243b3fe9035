import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { tempDir, writeFile } from "../../test/helpers.js";
import { isUserError } from "../errors.js";
import { importFile } from "../ingest/import.js";
import { registerComputed } from "../store/computed.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import {
  clusterOperation,
  clusterSaveOperation,
  clustersAssignOperation,
  clustersListOperation,
  clustersRemoveOperation,
  personasOperation,
} from "./discovery-operations.js";
import { runOperation } from "./operation.js";
import { segmentAddOperation, segmentRemoveOperation } from "./segment-operations.js";

/**
 * Two groups far apart on income and score, of different sizes so that their cluster numbers are known
 * (clusters are numbered by size, largest first): 15 low earners who spend little, 10 high earners who spend.
 */
function customersCsv(): string {
  const rows = ["customer_id,income,score"];
  for (let i = 0; i < 15; i++) rows.push(`low-${i},${18 + (i % 5)},${15 + (i % 7)}`);
  for (let i = 0; i < 10; i++) rows.push(`high-${i},${85 + (i % 4)},${78 + (i % 6)}`);
  return `${rows.join("\n")}\n`;
}

const FEATURES = ["income", "score"];

/** Expects `work` to fail with a user error whose message contains `where`. */
async function expectUserError(work: Promise<unknown>, where: string): Promise<void> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), String(e)).toBe(true);
  expect((e as Error).message).toContain(where);
}

describe.each(TEST_ENGINES)("discovery operations on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    const path = writeFile(tempDir(), "customers.csv", customersCsv());
    await store.write((s) => importFile(s, { kind: "customers", path }));
  });
  afterAll(() => store?.close());

  it("cluster finds the two planted groups, largest first, without saving anything", async () => {
    const r = await runOperation(store, clusterOperation, { features: FEATURES, k: 2, scale: "none" });
    expect(r.saved).toBeNull();
    expect("fitted" in r).toBe(false);
    expect(r).toMatchObject({ k: 2, customers: 25, features: ["trait:income", "trait:score"] });
    expect(r.clusters.map((c) => c.size)).toEqual([15, 10]);
    const [low, high] = r.clusters;
    expect(low?.centroid?.["trait:income"]).toBeLessThan(30);
    expect(high?.centroid?.["trait:income"]).toBeGreaterThan(80);
    expect(await runOperation(store, clustersListOperation, {})).toEqual({ clusterings: [] });
    // The segments saved for its clusters go with it (they could no longer be refreshed).
    const left = await store.read(async (e) =>
      (await e.query("SELECT segment_id FROM segments")).column("segment_id"),
    );
    expect(left).toEqual([]);
  });

  it("cluster picks k = 2 by silhouette with k auto", async () => {
    const r = await runOperation(store, clusterOperation, { features: FEATURES, kMin: 2, kMax: 4 });
    expect(r.k).toBe(2);
    expect(r.scores?.map((s) => s.k)).toEqual([2, 3, 4]);
  });

  it("cluster with saveAs stores the clustering and a segment per cluster; personas explains it", async () => {
    const r = await runOperation(store, clusterSaveOperation, {
      features: FEATURES,
      k: 2,
      scale: "none",
      saveAs: "groups",
    });
    expect(r.saved).toEqual({
      name: "groups",
      computed: "cluster.groups",
      segments: ["cluster-groups-0", "cluster-groups-1"],
    });
    const { clusterings } = await runOperation(store, clustersListOperation, {});
    expect(clusterings.map((c) => [c.name, c.k, c.customers])).toEqual([["groups", 2, 25]]);
    expect(await runOperation(store, clustersAssignOperation, { name: "groups" })).toMatchObject({
      assigned: [{ name: "groups", customers: 25, changed: 0, added: 0 }],
      // Traits only, no orders or events: the default time is now.
      asOfChoice: { basis: "now", dataEnd: null },
    });

    const p = await runOperation(store, personasOperation, { clustering: "groups" });
    expect(p.source).toEqual({ kind: "clustering", name: "groups" });
    expect(p.customers).toBe(25);
    expect(p.personas.map((x) => [x.group, x.size, x.suppressed])).toEqual([
      ["0", 15, false],
      ["1", 10, false],
    ]);
    // The small group is described only from the minimum group up; and since the two clusters divide the 25
    // customers, the other one would give its size away (25 − 15): both are suppressed, sizes and all.
    const strict = await runOperation(store, personasOperation, { clustering: "groups", minGroup: 11 });
    expect(strict.personas.map((x) => [x.size, x.share, x.suppressed, x.traits])).toEqual([
      [null, null, true, []],
      [null, null, true, []],
    ]);
    // The cluster report goes through the same gate: at the default k of 10, both clusters are shown exactly.
    const gated = await runOperation(store, clusterOperation, { features: FEATURES, k: 2, scale: "none" });
    expect(gated.clusters.map((c) => [c.size, c.suppressed])).toEqual([
      [15, false],
      [10, false],
    ]);

    // A segment of the user's own on the clustering (its computed value, or one of its cluster segments) holds
    // the removal back, named, with nothing removed.
    for (const where of [{ computed: "cluster.groups", eq: 1 }, { segment: "cluster-groups-0" }]) {
      await runOperation(store, segmentAddOperation, { definition: { id: "mine", name: "Mine", where } });
      await expectUserError(
        runOperation(store, clustersRemoveOperation, { name: "groups" }),
        'clusters --remove: clustering "groups" is used by segment mine: change or remove it first',
      );
      expect((await runOperation(store, clustersListOperation, {})).clusterings).toHaveLength(1);
      await runOperation(store, segmentRemoveOperation, { id: "mine" });
    }
    expect(await runOperation(store, clustersRemoveOperation, { name: "groups" })).toEqual({
      removed: "groups",
    });
    expect(await runOperation(store, clustersListOperation, {})).toEqual({ clusterings: [] });
    // The segments saved for its clusters go with it (they could no longer be refreshed).
    const left = await store.read(async (e) =>
      (await e.query("SELECT segment_id FROM segments")).column("segment_id"),
    );
    expect(left).toEqual([]);
  });

  it("personas carry the predictions held per person (mean churn risk per group) and may be told apart by them", async () => {
    await runOperation(store, clusterSaveOperation, {
      features: FEATURES,
      k: 2,
      scale: "none",
      saveAs: "pred",
    });
    // A churn risk of 0.1 for the low earners and 0.2 + i/100 for the high ones: means 0.1 and 0.245.
    await store.write(async (e) => {
      await e.run(
        e.dialect.createTable(
          "churn_by_hand",
          [
            { name: "customer_id", type: "string" },
            { name: "churn_risk", type: "number" },
          ],
          ["customer_id"],
        ),
      );
      for (let i = 0; i < 15; i++) await e.run(sql`INSERT INTO churn_by_hand VALUES (${`low-${i}`}, 0.1)`);
      for (let i = 0; i < 10; i++)
        await e.run(sql`INSERT INTO churn_by_hand VALUES (${`high-${i}`}, ${0.2 + i / 100})`);
      await registerComputed(e, [
        {
          name: "churn_risk",
          type: "number",
          table: "churn_by_hand",
          column: "churn_risk",
          producer: "churn",
          description: "by hand",
        },
      ]);
    });
    const p = await runOperation(store, personasOperation, { clustering: "pred", top: 10 });
    const [low, high] = p.personas;
    expect(low?.value.predictions?.churn_risk).toBeCloseTo(0.1, 4);
    expect(high?.value.predictions?.churn_risk).toBeCloseTo(0.245, 4);
    expect(high?.distinguishing.map((d) => d.feature)).toContain("computed:churn_risk");
    await runOperation(store, clustersRemoveOperation, { name: "pred" });
    await store.write(async (e) => {
      await e.run(sql`DELETE FROM computed_registry WHERE name = 'churn_risk'`);
      await e.run(sql`DROP TABLE churn_by_hand`);
    });
  });

  it("rejects a bad input before running, naming the operation and the field", async () => {
    await expectUserError(runOperation(store, clusterOperation, { k: 0 }), "cluster: k");
    await expectUserError(
      runOperation(store, clusterSaveOperation, { features: FEATURES, k: 2, saveAs: "Bad Name" }),
      'cluster.save: saveAs: "Bad Name": lower-case letters',
    );
    await expectUserError(runOperation(store, clusterOperation, { kMin: 5, kMax: 3 }), "cluster: kMax");
    await expectUserError(
      runOperation(store, personasOperation, { clustering: "groups", segment: "s" }),
      "personas: clustering: give exactly one of clustering or segment",
    );
    await expectUserError(
      runOperation(store, personasOperation, { clustering: "x", top: 0 }),
      "personas: top",
    );
    // A well-formed name that names nothing is the domain's to report.
    await expectUserError(
      runOperation(store, personasOperation, { clustering: "nope" }),
      'no saved clustering "nope"',
    );
  });
});
