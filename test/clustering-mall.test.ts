import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import { runClustering } from "../src/clustering/cluster.js";
import { assignToClusters, saveClustering } from "../src/clustering/saved-clusterings.js";
import { importFile } from "../src/ingest/import.js";
import { openSession } from "../src/store/open-store.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { count, SHARED_DATA, tempDir, writeFile } from "./helpers.js";

const MALL = join(SHARED_DATA, "mall-customers", "Mall_Customers.csv");
const FEATURES = ["annual_income_k", "spending_score_1_100"];
/** The published k = 5 centres (income k$, score) and WCSS (../shared/data/mall-customers/README.md). */
const PUBLISHED = [
  [55.2962963, 49.51851852],
  [86.53846154, 82.12820513],
  [25.72727273, 79.36363636],
  [88.2, 17.11428571],
  [26.30434783, 20.91304348],
];
const INERTIA = 44_448.46;

async function tessera(
  db: string,
  ...args: string[]
): Promise<{ code: number; out: Record<string, unknown>; err: string }> {
  const io = memoryIo();
  const code = await main([...args, "--db", db, "--json"], io);
  return { code, out: code === 0 ? JSON.parse(io.stdout()) : {}, err: io.stderr() };
}

describe.each(TEST_ENGINES)(
  "Mall Customers: k-means on income and spending score, k = 5, unscaled, on $name",
  ({ location }) => {
    let engine: Session;
    beforeAll(async () => {
      engine = await openSession(location());
      await importFile(engine, { kind: "customers", path: MALL });
    });
    afterAll(() => engine?.close());

    it("reproduces the published inertia (within 0.1%) and centres (within 0.1)", async () => {
      const r = await runClustering(engine, { features: FEATURES, k: 5, scale: "none", seed: 1 });
      expect(Math.abs(r.inertia - INERTIA) / INERTIA).toBeLessThan(0.001);
      const centres = r.clusters.map(
        (c) => [c.centroid["trait:annual_income_k"], c.centroid["trait:spending_score_1_100"]] as number[],
      );
      for (const [income, score] of PUBLISHED) {
        const match = centres.find(
          ([i, s]) =>
            Math.abs((i as number) - (income as number)) < 0.1 &&
            Math.abs((s as number) - (score as number)) < 0.1,
        );
        expect(match, `centre (${income}, ${score}) in ${JSON.stringify(centres)}`).toBeDefined();
      }
      expect(r.clusters.map((c) => c.size)).toEqual([81, 39, 35, 23, 22]);
      expect(r.silhouette).toBeCloseTo(0.55393, 4);
    });

    it("picks k = 5 by silhouette with k auto, and reports every k's scores", async () => {
      const r = await runClustering(engine, { features: FEATURES, k: "auto", scale: "none", seed: 1 });
      expect(r.k).toBe(5);
      expect(r.scores?.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(r.scores?.find((s) => s.k === 4)?.inertia).toBeCloseTo(73_679.789, 2);
    });

    it("assigns every customer again to the nearest stored centre, changing nobody", async () => {
      const r = await runClustering(engine, { features: FEATURES, k: 5, scale: "none", seed: 1 });
      await saveClustering(engine, "mall", r);
      expect(await assignToClusters(engine, "mall")).toEqual({
        name: "mall",
        customers: 200,
        changed: 0,
        added: 0,
      });
      // The computed value reads like any other: the biggest cluster is 0.
      expect(await count(engine, "SELECT count(*) FROM cluster_mall WHERE cluster = 0")).toBe(81);
      // A new customer (high income, low score) joins the nearest stored centre at the next assignment.
      const file = writeFile(
        tempDir(),
        "new.csv",
        "customer_id,annual_income_k,spending_score_1_100\nnew-1,90,15\n",
      );
      await importFile(engine, { kind: "customers", path: file });
      expect(await assignToClusters(engine, "mall")).toEqual({
        name: "mall",
        customers: 201,
        changed: 0,
        added: 1,
      });
      const high = r.clusters.find(
        (c) =>
          (c.centroid["trait:annual_income_k"] as number) > 80 &&
          (c.centroid["trait:spending_score_1_100"] as number) < 30,
      );
      expect(await count(engine, "SELECT cluster FROM cluster_mall WHERE customer_id = 'new-1'")).toBe(
        high?.id,
      );
    });
  },
);

describe.each(TEST_ENGINES)("tessera cluster and personas (the command line) on $name", ({ location }) => {
  let db: string;
  beforeAll(async () => {
    db = location();
    expect((await tessera(db, "import", "customers", MALL)).code).toBe(0);
  });

  it("prints k, inertia, silhouette and clusters with centroids in original units, and saves them", async () => {
    const { code, out, err } = await tessera(
      db,
      "cluster",
      "--features",
      FEATURES.join(","),
      "--k",
      "5",
      "--scale",
      "none",
      "--seed",
      "3",
      "--save-as",
      "mall",
    );
    expect(code, err).toBe(0);
    expect(out).toMatchObject({
      k: 5,
      silhouette: expect.closeTo(0.554, 3),
      saved: { name: "mall", computed: "cluster.mall" },
    });
    expect(out.inertia).toBeCloseTo(44_448.455, 2);
    const clusters = out.clusters as { id: number; size: number; centroid: Record<string, number> }[];
    expect(clusters[0]).toMatchObject({
      id: 0,
      size: 81,
      centroid: { "trait:annual_income_k": expect.closeTo(55.296, 3) },
    });
    // A segment per cluster, on the computed value.
    const list = await tessera(db, "segment", "list");
    expect(JSON.stringify(list.out)).toContain("cluster-mall-4");
  });

  it("describes each saved cluster as a persona with a readable name", async () => {
    const { code, out, err } = await tessera(db, "personas", "--clustering", "mall");
    expect(code, err).toBe(0);
    const personas = out.personas as {
      group: string;
      name: string;
      size: number;
      distinguishing: { feature: string }[];
    }[];
    expect(personas.map((p) => p.size)).toEqual([81, 39, 35, 23, 22]);
    expect(personas[1]?.name).toMatch(/^High spending score, high annual income/);
    expect(personas[3]?.name).toMatch(/^Low annual income, low spending score/);
    expect(personas[1]?.distinguishing[0]?.feature).toBe("trait:spending_score_1_100");
  });

  it("describes a segment's members once a refresh has evaluated it", async () => {
    const early = await tessera(db, "personas", "--segment", "cluster-mall-1");
    expect(early.code).toBe(1);
    expect(early.err).toContain("--segment: cluster-mall-1: saved since the last refresh, not evaluated yet");
    const r = await tessera(db, "segment", "refresh");
    expect(r.code, r.err).toBe(0);
    const { code, out, err } = await tessera(db, "personas", "--segment", "cluster-mall-1");
    expect(code, err).toBe(0);
    // The segment is cluster 1 of the saved clustering: the same 39 customers.
    expect((out.personas as { size: number }[]).map((p) => p.size)).toEqual([39]);
  });

  it("gives clear errors, never NaN: too few customers, a constant or empty feature, unknown names", async () => {
    const small = location();
    const dir = tempDir();
    const file = writeFile(dir, "c.csv", "customer_id,score,plan\na,1,x\nb,2,x\nc,3,x\n");
    expect((await tessera(small, "import", "customers", file)).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [["--features", "score", "--k", "5"], /cannot make 5 clusters from 3 customers/],
      [
        ["--features", "score,plan", "--k", "2"],
        /feature "trait:plan" has the same value for every customer/,
      ],
      [["--features", "score,orders.aov", "--k", "2"], /feature "orders.aov" has no values/],
      [["--features", "scor", "--k", "2"], /did you mean "score"/],
      [["--features", "score", "--k", "two"], /--k: expected a whole number/],
      [["--features", "score", "--scale", "max"], /--scale: expected one of standard, robust, none/],
      [["--features", "score", "--save-as", "Bad Name"], /--save-as/],
    ];
    for (const [args, message] of cases) {
      const r = await tessera(small, "cluster", ...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.err).toMatch(message);
    }
    const p = await tessera(small, "personas", "--clustering", "nope");
    expect(p.code).toBe(1);
    expect(p.err).toMatch(/no saved clustering "nope"/);
  });
});
