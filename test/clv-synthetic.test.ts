/**
 * Parameter recovery: 200,000 generated customers whose purchases follow BG/NBD and whose spend follows
 * Gamma-Gamma with known parameters (truth.json); the fit must find them within 10%. Only orders.csv is
 * imported: the models read nothing else, and it keeps the file under a minute.
 *
 * The generator simulates continuous time; the summary's convention (x = distinct purchase days) merges the
 * ~2% of repeat purchases that fall on one day, which biases the rate slightly (α comes out ~8% high with
 * this seed, r ~4%): the 10% tolerance holds, with that known bias inside it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClvFit, fitClv } from "../src/analytics/clv.js";
import { importFile } from "../src/ingest/import.js";
import { openSession } from "../src/store/open-store.js";
import type { Session } from "../src/store/store.js";
import { generate } from "../src/synth/generate.js";
import { TEST_ENGINES } from "./engines.js";
import { tempDir } from "./helpers.js";

const CUSTOMERS = 200_000;

/** The generated orders (once for every engine) and the generator's parameters. */
let dir: string;
let truth: { bgnbd: Record<string, number>; gammaGamma: Record<string, number>; cohort: { size: number } };
beforeAll(async () => {
  dir = tempDir("tessera-clv-synth-");
  await generate({ customers: CUSTOMERS, seed: 20240601, outDir: dir, dirt: 0 });
  truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8"));
}, 300_000);

describe.each(TEST_ENGINES)(
  `BG/NBD and Gamma-Gamma recover the generator's parameters (${CUSTOMERS.toLocaleString("en-US")} customers) on $name`,
  ({ location }) => {
    let engine: Session;
    let fit: ClvFit;
    beforeAll(async () => {
      engine = await openSession(location());
      await importFile(engine, { kind: "orders", path: join(dir, "orders.csv") });
      fit = await fitClv(engine, { unit: "week" });
    }, 300_000);
    afterAll(() => engine?.close());

    it("fits every buyer of the cohort", () => {
      expect(fit.customers).toBe(truth.cohort.size);
      expect(fit.warnings).toEqual([]);
    });

    it.each(["r", "alpha", "a", "b"])("BG/NBD %s within 10% of the truth", (k) => {
      const got = (fit.bgnbd as unknown as Record<string, number>)[k] as number;
      const want = truth.bgnbd[k] as number;
      expect(Math.abs(got / want - 1), `${k}: ${got} vs ${want}`).toBeLessThan(0.1);
    });

    it.each(["p", "q", "v"])("Gamma-Gamma %s within 10% of the truth", (k) => {
      const got = (fit.gammaGamma as unknown as Record<string, number>)[k] as number;
      const want = truth.gammaGamma[k] as number;
      expect(Math.abs(got / want - 1), `${k}: ${got} vs ${want}`).toBeLessThan(0.1);
    });
  },
);
