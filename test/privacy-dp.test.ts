import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  kpisOperation,
  segmentAddOperation,
  segmentListOperation,
  segmentOverlapOperation,
  segmentRefreshOperation,
  segmentShowOperation,
} from "../src/operations/index.js";
import { type Caller, runOperation } from "../src/operations/operation.js";
import { privacySettingsSetOperation } from "../src/operations/privacy-settings-operations.js";
import { PAID_AHEAD } from "../src/privacy/budget-ledger.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { runCli, tempDir, writeFile } from "./helpers.js";

/**
 * Issue 17, item 3 wired: with the `dp` setting on, the reports an analyst reads are released with noise, each
 * charged to their budget per period in the ledger, refused once it is spent (the budget shown); reports not yet
 * noised are refused to analysts rather than answered exactly; admins still read exact figures.
 */
const ADMIN: Caller = { who: "cli:test", role: "admin" };
const analyst = (id: string): Caller => ({ who: `key ${id} (dashboards)`, role: "analyst" });

let store: Store;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  const db = `${dir}/dp.duckdb`;
  // 400 customers: a = the first 200, b = 120 of them (by a trait).
  const rows = Array.from(
    { length: 400 },
    (_, i) => `c${i},${i < 200 ? "yes" : "no"},${i % 10 < 3 ? "b" : "x"}`,
  );
  const file = writeFile(dir, "c.csv", `customer_id,in_a,tag\n${rows.join("\n")}\n`);
  expect((await runCli("import", "customers", file, "--db", db)).code).toBe(0);
  store = await openStore(db);
  for (const [id, where] of [
    ["a", { trait: "in_a", eq: true }],
    ["b", { trait: "tag", eq: "b" }],
  ] as const)
    await runOperation(store, segmentAddOperation, { definition: { id, name: id, where } });
  await runOperation(store, segmentRefreshOperation, {});
  for (const [name, value] of [
    ["dp", "on"],
    ["dp_epsilon_per_query", "0.5"],
    ["dp_budget", "2"],
    ["dp_period", "day"],
  ] as const)
    await runOperation(store, privacySettingsSetOperation, { name, value });
});

afterAll(async () => {
  await store.close();
});

const sizes = async (caller: Caller) =>
  Object.fromEntries(
    (await runOperation(store, segmentListOperation, {}, undefined, caller)).segments.map((s) => [
      s.id,
      s.size,
    ]),
  );

describe("differential privacy on the reports analysts read", () => {
  it("gives admins the exact sizes, analysts noisy ones until their budget is spent", async () => {
    expect(await sizes(ADMIN)).toEqual({ a: 200, b: 120 });
    const k1 = analyst("k1");
    const seen: Record<string, number | null>[] = [];
    // ε = 0.5 a report, a budget of 2 a day: four reports.
    for (let i = 0; i < 4; i++) seen.push(await sizes(k1));
    for (const s of seen) {
      // Laplace noise of scale 4 (ε 0.5 shared by two sizes): 100 away has probability e^-25.
      expect(Math.abs((s.a as number) - 200)).toBeLessThan(100);
      expect(Math.abs((s.b as number) - 120)).toBeLessThan(100);
    }
    // Eight draws all 0 has probability 0.124^8 ≈ 5e-8: the sizes were noised.
    expect(seen.some((s) => s.a !== 200 || s.b !== 120)).toBe(true);
    // The fifth is refused, with the budget shown; the same for `segment show`; nothing of the store changes.
    await expect(runOperation(store, segmentListOperation, {}, undefined, k1)).rejects.toThrow(
      expect.objectContaining({ code: "privacy-budget-spent", message: expect.stringMatching(/2/) }),
    );
    await expect(runOperation(store, segmentShowOperation, { id: "a" }, undefined, k1)).rejects.toThrow(
      expect.objectContaining({ code: "privacy-budget-spent" }),
    );
    // Another key has a budget of its own.
    expect(Object.keys(await sizes(analyst("k2")))).toEqual(["a", "b"]);
    // The ledger holds what was charged: four reports of k1, exactly 1/2 each.
    const ledger = await store.read(async (s) =>
      (await s.query('SELECT budget_key, amount, operation FROM privacy_budget_ledger ORDER BY "at"')).rows(),
    );
    expect(ledger.filter((r) => r.budget_key === "key k1 (dashboards)")).toEqual(
      Array.from({ length: 4 }, () => ({
        budget_key: "key k1 (dashboards)",
        amount: "1/2",
        operation: "segment.list",
      })),
    );
  });

  it("refuses analysts the reports that are not noised yet, rather than answering them exactly", async () => {
    await expect(
      runOperation(store, kpisOperation, { by: { kind: "segment" } }, undefined, analyst("k3")),
    ).rejects.toThrow(
      expect.objectContaining({ code: "not-under-dp", message: expect.stringMatching(/^kpis/) }),
    );
    // Nothing was charged for a refused report.
    const charged = await store.read(
      async (s) =>
        (
          await s.query(
            "SELECT count(*) AS n FROM privacy_budget_ledger WHERE budget_key = 'key k3 (dashboards)'",
          )
        ).column("n")[0],
    );
    expect(Number(charged)).toBe(0);
    await expect(runOperation(store, segmentOverlapOperation, {}, undefined, analyst("k3"))).rejects.toThrow(
      expect.objectContaining({ code: "not-under-dp" }),
    );
    // An admin reads it exactly: a ∩ b = the 60 of the first 200 tagged b.
    const o = await runOperation(store, segmentOverlapOperation, {});
    expect(o.counts[0]?.[1]).toBe(60);
  });

  it("adds noise centred on the truth: the mean error over many releases is near 0", async () => {
    await runOperation(store, privacySettingsSetOperation, { name: "dp_budget", value: "1000" });
    const k4 = analyst("k4");
    const errors: number[] = [];
    for (let i = 0; i < 200; i++) errors.push(((await sizes(k4)).a as number) - 200);
    const mean = errors.reduce((x, y) => x + y, 0) / errors.length;
    // Discrete Laplace of scale 4: variance ≈ 2·4² = 32; six standard errors of the mean: 6·√(32/200) ≈ 2.4.
    expect(Math.abs(mean)).toBeLessThan(2.4);
    const variance = errors.reduce((x, y) => x + (y - mean) ** 2, 0) / (errors.length - 1);
    // Its variance is 2e^(-1/4)/(1 - e^(-1/4))² ≈ 31.8; the sample's, from 200 draws, within about four of its
    // standard errors (≈ 6.4).
    expect(variance).toBeGreaterThan(5);
    expect(variance).toBeLessThan(100);
  });

  it("takes a change of the setting at the next request, though a server keeps the settings in memory", async () => {
    // Reports charged: the ledger's rows but the one recorded ahead for the next report (once the writes a release
    // leaves behind are done: a write queued after them).
    const charged = async (id: string) => {
      await store.write(async () => {});
      return Number(
        await store.read(
          async (s) =>
            (
              await s.query(
                `SELECT count(*) AS n FROM privacy_budget_ledger WHERE budget_key = 'key ${id} (dashboards)' AND operation <> '${PAID_AHEAD}'`,
              )
            ).column("n")[0],
        ),
      );
    };
    await runOperation(store, privacySettingsSetOperation, { name: "dp", value: "off" });
    // Off: exact, and nothing charged, at every request (the second from memory).
    expect(await sizes(analyst("k5"))).toEqual({ a: 200, b: 120 });
    expect(await sizes(analyst("k5"))).toEqual({ a: 200, b: 120 });
    expect(await charged("k5")).toBe(0);
    await runOperation(store, privacySettingsSetOperation, { name: "dp", value: "on" });
    await sizes(analyst("k5"));
    expect(await charged("k5")).toBe(1);
  });

  it("records each report's ε before it leaves: the first when it is made, the next ones ahead, after the one before", async () => {
    const ledger = async () => {
      await store.write(async () => {});
      return store.read(async (s) =>
        (
          await s.query(
            `SELECT operation, amount FROM privacy_budget_ledger WHERE budget_key = 'key k6 (dashboards)' ORDER BY "at"`,
          )
        ).rows<{ operation: string; amount: string }>(),
      );
    };
    const k6 = analyst("k6");
    await runOperation(store, segmentListOperation, {}, undefined, k6);
    expect(await ledger()).toEqual([
      { operation: "segment.list", amount: "1/2" },
      { operation: PAID_AHEAD, amount: "1/2" },
    ]);
    await runOperation(store, segmentShowOperation, { id: "a" }, undefined, k6);
    expect(await ledger()).toEqual([
      { operation: "segment.list", amount: "1/2" },
      { operation: "segment.show", amount: "1/2" },
      { operation: PAID_AHEAD, amount: "1/2" },
    ]);
  });
});
