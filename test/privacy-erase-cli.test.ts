import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dbSnapshot, runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

describe("tessera privacy erase / retention / apply-retention", () => {
  it("erases a person named by email, verified, refuses the unknown and the malformed, and sets retention", async () => {
    const dir = tempDir();
    const db = join(dir, "shop.duckdb");
    const customers = writeFile(
      dir,
      "customers.csv",
      "customer_id,email\ncust-zebra-0001,zebra.person@example.org\ncust-other-0002,other.two@example.org\n",
    );
    expect((await runCli("import", "customers", customers, "--db", db)).code).toBe(0);

    const before = await dbSnapshot(db);
    for (const [who, reason] of [
      ["nobody@example.org", /no person is known by the email address "nobody@example.org"/],
      ["not@an@email", /not a well-formed email address/],
    ] as const) {
      const r = await runCli("privacy", "erase", who, "--db", db);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(reason);
    }
    expect(await dbSnapshot(db)).toBe(before);

    const erased = (await tesseraJson(db, "privacy", "erase", "zebra.person@example.org")) as {
      tables: Record<string, number>;
      verified: { tables: boolean; bytes: boolean };
      tombstones: number;
    };
    expect(erased.tables.customers).toBe(1);
    expect(erased.tables.identities).toBe(2);
    expect(erased.tombstones).toBe(2);
    expect(erased.verified).toMatchObject({ tables: true, bytes: true });
    expect(await storedRows(db, "SELECT customer_id FROM customers")).toEqual([
      { customer_id: "cust-other-0002" },
    ]);

    // Erased once: the person is unknown now.
    const again = await runCli("privacy", "erase", "cust-zebra-0001", "--db", db);
    expect(again.code).toBe(1);

    // The table a person reads.
    const text = await runCli("privacy", "retention", "set", "events", "400d", "--db", db);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe("events kept for 400d (was forever)\n");
    const bad = await runCli("privacy", "retention", "set", "identities", "400d", "--db", db);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/kind: "identities" is not a kind of data that expires/);
    const listed = (await tesseraJson(db, "privacy", "retention")) as {
      periods: { kind: string; period: string | null }[];
    };
    expect(listed.periods.map((p) => [p.kind, p.period])).toEqual([
      ["events", "400d"],
      ["orders", null],
      ["survey-responses", null],
      ["consents", null],
    ]);
    const applied = (await tesseraJson(db, "privacy", "apply-retention")) as { rowsRemoved: number };
    expect(applied.rowsRemoved).toBe(0);
  });
});
