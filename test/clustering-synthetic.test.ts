import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runClustering } from "../src/clustering/cluster.js";
import { adjustedRand } from "../src/clustering/metrics.js";
import { personas } from "../src/clustering/personas.js";
import { saveClustering } from "../src/clustering/saved-clusterings.js";
import { importDirectory } from "../src/ingest/import-directory.js";
import { openSession } from "../src/store/open-store.js";
import type { Session } from "../src/store/store.js";
import { generate } from "../src/synth/generate.js";
import { TEST_ENGINES } from "./engines.js";
import { tempDir } from "./helpers.js";

/** The generator's period ends 2026-06-30 (its default): behaviour is measured as of the next midnight. */
const AS_OF = new Date("2026-07-01T00:00:00Z");

/** The generated base (once for every engine) and its planted truth. */
let dir: string;
let truth: Map<string, number>;
let names: string[];
beforeAll(async () => {
  dir = tempDir();
  await generate({ customers: 10_000, seed: 2024, outDir: dir });
  const rows = readFileSync(join(dir, "truth-customers.csv"), "utf8").trim().split("\n").slice(1);
  truth = new Map(rows.map((l) => [l.split(",")[0] as string, Number(l.split(",")[1])]));
  const meta = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as { personas: { id: string }[] };
  names = meta.personas.map((p) => p.id);
}, 120_000);

describe.each(TEST_ENGINES)(
  "planted personas of a generated base (10,000 customers, 2% dirt) on $name",
  ({ location }) => {
    let engine: Session;
    beforeAll(async () => {
      engine = await openSession(location());
      await importDirectory(engine, dir);
    }, 120_000);
    afterAll(() => engine?.close());

    it("are recovered by k-means on the default features with an adjusted Rand index of at least 0.8", async () => {
      const r = await runClustering(engine, { k: names.length, seed: 1, asOf: AS_OF });
      expect(r.features).toEqual([
        "trait:age",
        "trait:income",
        "orders.count",
        "orders.revenue",
        "events.count",
        "events.mobile_share",
        "events.favourite_hour",
        "events.category_mix",
        "events.channel_mix",
      ]);
      const planted: number[] = [];
      const found: number[] = [];
      r.fitted.table.ids.forEach((id, i) => {
        const p = truth.get(id);
        if (p !== undefined) {
          planted.push(p);
          found.push(r.fitted.labels[i] as number);
        }
      });
      // Dirt duplicates merge into their person: every planted person is clustered once.
      expect(planted.length).toBe(10_000);
      const ari = adjustedRand(planted, found);
      expect(ari).toBeGreaterThanOrEqual(0.8);

      // Each cluster's personas read like the planted ones.
      await saveClustering(engine, "synth", r);
      const report = await personas(engine, { clustering: "synth" }, { asOf: AS_OF });
      const majority = report.personas.map((p) => {
        const counts = new Map<number, number>();
        r.fitted.table.ids.forEach((id, i) => {
          if (String(r.fitted.labels[i]) === p.group)
            counts.set(truth.get(id) as number, (counts.get(truth.get(id) as number) ?? 0) + 1);
        });
        return names[[...counts].sort((a, b) => b[1] - a[1])[0]?.[0] as number] as string;
      });
      expect(new Set(majority).size).toBe(names.length);
      const student = report.personas[majority.indexOf("student-bargain-hunter")];
      expect(student?.name).toMatch(/mostly mobile/);
      expect(student?.hours.daypart).toBe("night owls");
      expect(student?.traits.map((t) => t.value)).toContain("student");
      const outdoor = report.personas[majority.indexOf("outdoor-enthusiast")];
      expect(outdoor?.categories[0]?.value).toBe("outdoor");
      expect(outdoor?.hours.daypart).toBe("early birds");
    }, 120_000);
  },
);
