import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { sql } from "../store/sql.js";
import { generate } from "./generate.js";
import { FileReader } from "./test-helpers.js";

let root: string;

async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    out[name] = createHash("sha256")
      .update(await readFile(join(dir, name)))
      .digest("hex");
  }
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-synth-det-"));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("determinism", () => {
  it("gives byte-identical files for the same seed and different ones for another seed", async () => {
    const opts = { customers: 3_000, dirt: 0.05, days: 200, endDate: "2026-01-31" };
    const a = await generate({ ...opts, seed: 99, outDir: join(root, "a") });
    const b = await generate({ ...opts, seed: 99, outDir: join(root, "b") });
    const c = await generate({ ...opts, seed: 100, outDir: join(root, "c") });
    const [ha, hb, hc] = await Promise.all(["a", "b", "c"].map((d) => hashes(join(root, d))));
    expect(Object.keys(ha ?? {})).toHaveLength(8);
    expect(hb).toEqual(ha);
    expect(b.counts).toEqual(a.counts);
    for (const name of Object.keys(ha ?? {})) expect(hc?.[name], name).not.toBe(ha?.[name]);
    expect(c.counts).not.toEqual(a.counts);
  });

  it("keeps the same people when only the dirt rate changes", async () => {
    await generate({ customers: 1_000, seed: 5, dirt: 0, outDir: join(root, "d0") });
    await generate({ customers: 1_000, seed: 5, dirt: 0.1, outDir: join(root, "d1") });
    const [h0, h1] = await Promise.all([hashes(join(root, "d0")), hashes(join(root, "d1"))]);
    // Dirt only touches customers.csv (and the truth that records it).
    for (const name of [
      "events.parquet",
      "orders.csv",
      "order-lines.csv",
      "consents.csv",
      "survey-responses.csv",
      "truth-customers.csv",
    ]) {
      expect(h1?.[name], name).toBe(h0?.[name]);
    }
    expect(h1?.["customers.csv"]).not.toBe(h0?.["customers.csv"]);
  });
});

describe("clean data", () => {
  it("with dirt 0 has no invalid, duplicate or missing values", async () => {
    const dir = join(root, "clean");
    await generate({ customers: 5_000, seed: 3, dirt: 0, outDir: dir });
    const truth = JSON.parse(await readFile(join(dir, "truth.json"), "utf8")) as {
      dirt: { items: unknown[]; counts: Record<string, number> };
    };
    expect(truth.dirt.items).toEqual([]);
    expect(Object.values(truth.dirt.counts)).toEqual([0, 0, 0]);
    const db = await FileReader.open();
    try {
      const d = db.dialect;
      const email = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/.source;
      const missing = sql`phone IS NULL OR age IS NULL OR gender IS NULL OR income IS NULL
            OR education IS NULL OR occupation IS NULL OR country IS NULL OR region IS NULL OR city IS NULL
            OR climate IS NULL OR first_name IS NULL OR last_name IS NULL OR signup_date IS NULL`;
      const [row] = await db.rows(sql`
        SELECT count(*) AS n, count(DISTINCT lower(email)) AS emails, count(DISTINCT customer_id) AS ids,
          ${d.aggIf("count", [], sql`NOT ${d.regexMatches(sql`email`, sql`${email}`)}`)} AS invalid,
          ${d.aggIf("count", [], missing)} AS missing
        FROM ${db.csv(join(dir, "customers.csv"))} c`);
      expect(row).toEqual({ n: 5_000, emails: 5_000, ids: 5_000, invalid: 0, missing: 0 });
    } finally {
      db.close();
    }
  });
});

describe("options", () => {
  it("rejects impossible options before writing anything", async () => {
    const outDir = join(root, "bad");
    await expect(generate({ customers: 0, seed: 1, outDir })).rejects.toThrow(/customers/);
    await expect(generate({ customers: 10, seed: 1.5, outDir })).rejects.toThrow(/seed/);
    await expect(generate({ customers: 10, seed: 1, outDir, dirt: 2 })).rejects.toThrow(/dirt/);
    await expect(generate({ customers: 10, seed: 1, outDir, endDate: "2026-13-01" })).rejects.toThrow(
      /ISO date/,
    );
    await expect(generate({ customers: 10, seed: 1, outDir, days: 0 })).rejects.toBeInstanceOf(UserError);
    await expect(readdir(outDir)).rejects.toThrow();
  });

  it("handles short periods", async () => {
    const r = await generate({ customers: 300, seed: 8, days: 1, outDir: join(root, "one-day") });
    expect(r.counts.customers).toBeGreaterThanOrEqual(300);
    expect(r.counts.orders).toBeGreaterThan(0);
  });

  it("fails with the engine's error, and leaves no temporary files, when events.parquet cannot be written", async () => {
    const outDir = join(root, "unwritable");
    await mkdir(join(outDir, "events.parquet"), { recursive: true });
    await expect(generate({ customers: 500, seed: 1, outDir })).rejects.toThrow(/events\.parquet/);
    expect((await readdir(outDir)).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("stops cleanly when the caller's progress callback throws", async () => {
    const outDir = join(root, "interrupted");
    const stop = (): never => {
      throw new Error("stop here");
    };
    await expect(generate({ customers: 5_000, seed: 1, outDir, onProgress: stop })).rejects.toThrow(
      "stop here",
    );
    const left = await readdir(outDir);
    expect(left.filter((n) => n.startsWith(".") || n === "events.parquet")).toEqual([]);
  });

  it("reports progress up to the total", async () => {
    const seen: number[] = [];
    await generate({
      customers: 2_500,
      seed: 1,
      outDir: join(root, "progress"),
      onProgress: (d) => seen.push(d),
    });
    expect(seen.at(-1)).toBe(2_500);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
  });
});
