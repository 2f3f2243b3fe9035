/**
 * Recorded audits (`tessera audit --record`, `audit.runs`): what the dashboard's overview shows. On both engines:
 * the record keeps the audit's score and counts (no example id), the latest comes first through the k-gate (a
 * finding of 1 to k−1 cases is suppressed), the scores of earlier records follow in order.
 */
import { describe, expect, it } from "vitest";
import { runOnDatabase } from "../src/operations/operation.js";
import { auditRunsOperation } from "../src/operations/quality-operations.js";
import { TEST_ENGINES } from "./engines.js";
import { runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

describe.each(TEST_ENGINES)("recorded audits on $name", (engine) => {
  it("records score and counts without examples; the latest is given through the k-gate with earlier scores", async () => {
    const db = engine.location();
    const dir = tempDir();
    // 30 customers, 3 of them with an email that is not valid: a finding under k = 10, suppressed when recorded.
    const rows = Array.from({ length: 30 }, (_, i) => {
      const email = i < 3 ? `broken${i}.example.com` : `person${i}@example.com`;
      return `c${i},${email}`;
    });
    writeFile(dir, "customers.csv", `customer_id,email\n${rows.join("\n")}\n`);
    expect((await runCli("import", "customers", `${dir}/customers.csv`, "--db", db)).code).toBe(0);
    const full = (await tesseraJson(db, "audit", "--as-of", "2024-06-01")) as {
      score: number;
      findings: { check: string; count: number; examples: string[] }[];
    };
    const invalid = full.findings.find((f) => f.check === "invalid-email");
    expect(invalid?.count).toBe(3);
    expect(invalid?.examples).toEqual(["c0", "c1", "c2"]);

    const recorded = (await tesseraJson(db, "audit", "--record", "--as-of", "2024-06-01")) as {
      score: number;
      asOf: string;
      findings: { check: string; count: number | null; suppressed: boolean }[];
    };
    expect(recorded.score).toBe(full.score);
    expect(recorded.asOf).toBe("2024-06-01T00:00:00.000Z");
    expect(recorded.findings.find((f) => f.check === "invalid-email")).toMatchObject({
      count: null,
      suppressed: true,
    });
    // Findings of no case are counts of 0: nobody to protect.
    expect(recorded.findings.filter((f) => f.count === 0).length).toBeGreaterThan(0);
    // The record holds no example: no customer id anywhere in it.
    const stored = await storedRows(db, "SELECT summary FROM audit_runs");
    expect(stored).toHaveLength(1);
    expect(String(stored[0]?.summary)).not.toMatch(/\bc\d+\b/);

    // A second audit later: the latest first, the scores oldest first.
    await tesseraJson(db, "audit", "--record", "--as-of", "2025-06-01");
    const runs = await runCli("audit", "--record", "--db", db);
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toContain("Email addresses that are not valid");
    expect(runs.stdout).toMatch(/<10/);
    const read = await runOnDatabase(db, auditRunsOperation, {});
    expect(read.scores.map((s) => s.asOf.slice(0, 10))).toEqual([
      "2024-06-01",
      "2025-06-01",
      read.latest?.asOf.slice(0, 10),
    ]);
    expect(read.minGroup).toBe(10);
  });
});
