import { afterEach, describe, expect, it } from "vitest";
import { isUserError } from "../../errors.js";
import { DuckDBEngine } from "./duckdb-engine.js";

afterEach(() => {
  delete process.env.TESSERA_MEMORY_LIMIT;
});

describe("DuckDBEngine", () => {
  it("takes a memory ceiling from TESSERA_MEMORY_LIMIT", async () => {
    process.env.TESSERA_MEMORY_LIMIT = "512MB";
    const e = await DuckDBEngine.open(":memory:");
    try {
      const r = await e.query("SELECT current_setting('memory_limit') AS m");
      expect(String(r.column("m")[0])).toMatch(/^48[0-9](\.\d+)? MiB$|^512(\.\d+)? ?MB$/);
    } finally {
      e.close();
    }
  });

  it("names the variable when its value is not a size", async () => {
    process.env.TESSERA_MEMORY_LIMIT = "lots; DROP TABLE x";
    const err = await DuckDBEngine.open(":memory:").then(
      () => null,
      (x: unknown) => x,
    );
    expect(isUserError(err)).toBe(true);
    expect(String((err as Error).message)).toBe(
      'TESSERA_MEMORY_LIMIT: expected a size such as 8GB, got "lots; DROP TABLE x"',
    );
  });

  it("rolls a failed transaction back", async () => {
    const e = await DuckDBEngine.open(":memory:");
    try {
      await e.run("CREATE TABLE t (x INTEGER)");
      await expect(
        e.transaction(async () => {
          await e.run("INSERT INTO t VALUES (1)");
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect((await e.query("SELECT count(*) AS n FROM t")).column("n")[0]).toBe(0);
    } finally {
      e.close();
    }
  });
});
