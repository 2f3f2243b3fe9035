import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { COMPACT_MIN_ROWS } from "./clickhouse/clickhouse-session.js";
import type { Engine } from "./engine.js";
import { openSession, openStore } from "./open-store.js";

/** Rows stored in the table's data parts (deleted ones included) and the rows it holds. */
async function storedAndLive(engine: Engine, table: string): Promise<[number, number]> {
  const stored = await engine.query(
    `SELECT sum(rows) AS n FROM system.parts WHERE database = currentDatabase() AND table = '${table}' AND active AND NOT startsWith(name, 'patch-')`,
  );
  const live = await engine.query(`SELECT count() AS n FROM ${table}`);
  return [Number(stored.column("n")[0]), Number(live.column("n")[0])];
}

describe("compact", () => {
  it("on ClickHouse, rewrites after a write the tables storing more than twice their rows, and changes no row", async () => {
    const store = await openStore(`chdb:${tempDir("tessera-chdb-")}`);
    const rows = COMPACT_MIN_ROWS + 50_000;
    const digest = "SELECT count() AS n, sum(cityHash64(customer_id, email)) AS h FROM customers";
    try {
      const before = await store.write(async (s) => {
        await s.run(
          `INSERT INTO customers (customer_id, email) SELECT concat('C', toString(number)), concat(toString(number), '@x.org') FROM numbers(${rows})`,
        );
        // Orders: as many stored rows as it holds, so it stays as it is.
        await s.run(
          `INSERT INTO orders (order_id, customer_id, total) SELECT toString(number), 'C1', 1 FROM numbers(${rows})`,
        );
        // Two rows in three deleted: customers stores three times its rows.
        await s.run("DELETE FROM customers WHERE toUInt64(substring(customer_id, 2)) % 3 <> 0");
        expect(await storedAndLive(s, "customers")).toEqual([rows, Math.ceil(rows / 3)]);
        return (await s.query(digest)).rows();
      });
      // The write above was compacted when it finished.
      await store.read(async (s) => {
        expect(await storedAndLive(s, "customers")).toEqual([Math.ceil(rows / 3), Math.ceil(rows / 3)]);
        expect(await storedAndLive(s, "orders")).toEqual([rows, rows]);
        expect((await s.query(digest)).rows()).toEqual(before);
        // Nothing left to compact.
        expect(await s.compact()).toEqual([]);
      });
    } finally {
      await store.close();
    }
  });

  it("on DuckDB, does nothing (DuckDB reuses deleted rows' space itself)", async () => {
    const engine = await openSession(":memory:");
    try {
      expect(await engine.compact()).toEqual([]);
    } finally {
      engine.close();
    }
  });
});
