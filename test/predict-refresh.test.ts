/**
 * Predictions kept fresh by the refresh pipeline (issue 19, item 5): a fitted churn model is fitted again at every
 * stored refresh, as of the refresh's time, before the segments read `churn_risk`; so a one-time buyer who comes back
 * leaves a segment of risky customers at the next refresh, with no `tessera churn` run by hand. A model that
 * cannot be fitted at the refresh's time keeps its values, and the refresh says so.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "./engines.js";
import { storedRows, tempDir, tesseraJson } from "./helpers.js";

describe.each(TEST_ENGINES)("predictions at each refresh on $name", ({ location }) => {
  it("fits churn again at each refresh, and the segments read the new risk", async () => {
    const db = location();
    const dir = tempDir();
    // 60 customers over 2024: even ones buy every month, odd ones once in January.
    const rows = ["order_id,customer_id,timestamp,total"];
    for (let c = 0; c < 60; c++)
      for (let m = 0; m < (c % 2 === 0 ? 12 : 1); m++)
        rows.push(
          `o${c}-${m},c${c},2024-${String(m + 1).padStart(2, "0")}-${String(1 + (c % 27)).padStart(2, "0")},${10 + c}`,
        );
    const file = join(dir, "orders.csv");
    writeFileSync(file, `${rows.join("\n")}\n`);
    await tesseraJson(db, "import", "orders", file);
    await tesseraJson(db, "churn", "--as-of", "2025-01-01", "--horizon", "60d");
    const def = join(dir, "risky.json");
    writeFileSync(
      def,
      JSON.stringify({ id: "risky", name: "Risky", where: { computed: "churn_risk", gt: 0.5 } }),
    );
    await tesseraJson(db, "segment", "add", def);
    const first = await tesseraJson(db, "segment", "refresh", "--as-of", "2025-01-01");
    // Fitted again by the refresh: every customer scored, the 30 one-time buyers risky.
    expect(first.predictions).toMatchObject({ churn: 60, recommend: null, propensities: {}, kept: [] });
    expect((first.segments as { id: string; size: number }[]).find((s) => s.id === "risky")?.size).toBe(30);

    // In 2025 ten of the one-time buyers (c1, c3, … c19) come back and buy every month until June.
    const more = ["order_id,customer_id,timestamp,total"];
    for (let c = 1; c < 20; c += 2)
      for (let m = 0; m < 6; m++)
        more.push(`n${c}-${m},c${c},2025-${String(m + 1).padStart(2, "0")}-10,${20 + c}`);
    const next = join(dir, "more.csv");
    writeFileSync(next, `${more.join("\n")}\n`);
    await tesseraJson(db, "import", "orders", next);
    const second = await tesseraJson(db, "segment", "refresh", "--as-of", "2025-07-01");
    expect((second.predictions as { churn: number }).churn).toBe(60);
    const stored = await storedRows(
      db,
      "SELECT customer_id, churn_risk FROM customer_churn ORDER BY customer_id",
    );
    const risk = new Map(stored.map((r) => [r.customer_id as string, Number(r.churn_risk)]));
    // Those who came back are now less at risk than those who did not.
    const back = ["c1", "c3", "c5", "c7", "c9"].map((id) => risk.get(id) as number);
    const gone = ["c21", "c23", "c25", "c27", "c29"].map((id) => risk.get(id) as number);
    expect(Math.max(...back)).toBeLessThan(Math.min(...gone));
    const members = await storedRows(
      db,
      "SELECT customer_id FROM segment_membership WHERE segment_id = 'risky' AND exited_at IS NULL ORDER BY customer_id",
    );
    const ids = members.map((m) => m.customer_id as string);
    for (const id of ["c1", "c3", "c5"]) expect(ids).not.toContain(id);
    for (const id of ["c21", "c23", "c25"]) expect(ids).toContain(id);
  }, 90_000);
});
