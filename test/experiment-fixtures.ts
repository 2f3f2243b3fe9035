/**
 * What the experiment tests share: the reference draw and variant computed here from SHA-256 (independently of the
 * code under test), a base of buyers with the segment `buyers`, and the stored assignments.
 */
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

/** The reference draw: SHA-256 of seed, NUL, id; the first 13 hex digits (52 bits) over 2^52. */
export function draw(seed: string, id: string): number {
  const hex = createHash("sha256").update(`${seed}\u0000${id}`).digest("hex");
  return Number.parseInt(hex.slice(0, 13), 16) / 2 ** 52;
}

/** The reference variant: holdout below `h`, then the rest cut by cumulative weights (percent). */
export function variantRef(seed: string, id: string, weights: [string, number][], h: number): string {
  const u = draw(seed, id);
  if (u < h) return "holdout";
  let cum = 0;
  for (const [i, [name, w]] of weights.entries()) {
    cum += w / 100;
    if (i === weights.length - 1 || u < h + (1 - h) * cum) return name;
  }
  throw new Error("unreachable");
}

export const ids = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => `u${String(i + from).padStart(5, "0")}`);

/** Imports `people` as buyers (one order each on 2024-03-01) and refreshes the segment `buyers`. */
export async function loadBuyers(db: string, people: string[], first: boolean): Promise<void> {
  const dir = tempDir();
  const orders = `order_id,customer_id,timestamp,total\n${people.map((id) => `o-${id},${id},2024-03-01,10`).join("\n")}\n`;
  const r = await runCli("import", "orders", writeFile(dir, "orders.csv", orders), "--db", db);
  expect(r.code, r.stderr).toBe(0);
  if (first)
    await tesseraJson(
      db,
      "segment",
      "add",
      "--id",
      "buyers",
      "--name",
      "Buyers",
      "--where",
      "orders.count() >= 1",
    );
  await tesseraJson(db, "segment", "refresh", "--as-of", "2024-04-01");
}

export async function assignments(
  db: string,
  experiment: string,
): Promise<Map<string, { variant: string; at: string; source: string }>> {
  const rows = await storedRows(
    db,
    `SELECT customer_id, variant, assigned_at, source FROM experiment_assignments WHERE experiment_id = '${experiment}'`,
  );
  return new Map(
    rows.map((r) => [
      r.customer_id as string,
      {
        variant: r.variant as string,
        at: new Date(r.assigned_at instanceof Date ? r.assigned_at : String(r.assigned_at)).toISOString(),
        source: r.source as string,
      },
    ]),
  );
}
