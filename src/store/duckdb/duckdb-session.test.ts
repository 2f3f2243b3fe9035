import { afterEach, describe, expect, it } from "vitest";
import { isUserError } from "../../errors.js";
import { DuckDBStore } from "./duckdb-store.js";

afterEach(() => {
  delete process.env.TESSERA_MEMORY_LIMIT;
});

describe("DuckDBStore", () => {
  it("takes a memory ceiling from TESSERA_MEMORY_LIMIT", async () => {
    process.env.TESSERA_MEMORY_LIMIT = "512MB";
    const store = await DuckDBStore.open(":memory:");
    try {
      const r = await store.read((e) => e.query("SELECT current_setting('memory_limit') AS m"));
      expect(String(r.column("m")[0])).toMatch(/^48[0-9](\.\d+)? MiB$|^512(\.\d+)? ?MB$/);
    } finally {
      await store.close();
    }
  });

  it("names the variable when its value is not a size", async () => {
    process.env.TESSERA_MEMORY_LIMIT = "lots; DROP TABLE x";
    const err = await DuckDBStore.open(":memory:").then(
      () => null,
      (x: unknown) => x,
    );
    expect(isUserError(err)).toBe(true);
    expect(String((err as Error).message)).toBe(
      'TESSERA_MEMORY_LIMIT: expected a size such as 8GB, got "lots; DROP TABLE x"',
    );
  });

  it("rolls a failed transaction back", async () => {
    const store = await DuckDBStore.open(":memory:");
    const e = await store.session();
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
      await store.close();
    }
  });
});
