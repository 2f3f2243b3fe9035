import { expect } from "vitest";
import { runCli, tempDir, tesseraJson, writeFile } from "./helpers.js";

/**
 * The small shop the activation tests share: customers c01..c40 (their file as the test writes it); c01..c30 bought
 * on 2024-03-01 (the segment `buyers`, refreshed as of 2024-04-01); everyone granted marketing by email on
 * 2024-01-01 but c05 (never asked) and c06 (withdrew on 2024-02-01). The audience `mail-buyers`: buyers for
 * marketing by email — `SHOP_MEMBERS`.
 */
export const SHOP_IDS = Array.from({ length: 40 }, (_, i) => `c${String(i + 1).padStart(2, "0")}`);

/** The consented buyers: c01..c30 less c05 and c06. */
export const SHOP_MEMBERS = SHOP_IDS.slice(0, 30).filter((id) => id !== "c05" && id !== "c06");

/** Loads the shop into `db`, its customers file being `customersCsv` (one row per id of `SHOP_IDS`). */
export async function mailShop(db: string, customersCsv: string): Promise<void> {
  const dir = tempDir();
  const files = {
    customers: customersCsv,
    orders: `order_id,customer_id,timestamp,total\n${SHOP_IDS.slice(0, 30)
      .map((id, i) => `o${i},${id},2024-03-01,10`)
      .join("\n")}\n`,
    consents: `${[
      "customer_id,purpose,channel,status,timestamp",
      ...SHOP_IDS.filter((id) => id !== "c05").map((id) => `${id},marketing,email,granted,2024-01-01`),
      "c06,marketing,email,withdrawn,2024-02-01",
    ].join("\n")}\n`,
  };
  for (const [kind, text] of Object.entries(files)) {
    const r = await runCli("import", kind, writeFile(dir, `${kind}.csv`, text), "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }
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
  await tesseraJson(
    db,
    ...[
      "audience",
      "create",
      "mail-buyers",
      "--segment",
      "buyers",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    ],
  );
}
