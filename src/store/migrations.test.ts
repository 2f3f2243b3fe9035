import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { migrate, migratedTables } from "./migrate.js";
import { MIGRATIONS } from "./migrations.js";
import { SEGMENTATION_MIGRATIONS } from "./migrations-segmentation.js";
import { openSession } from "./open-store.js";
import { sql } from "./sql.js";

describe("migrations", () => {
  it("bring a version-5 database forward: events put in time order, the dirty marks gain `since`", async () => {
    const engine = await openSession(":memory:");
    try {
      // Back to version 5 as it was: no `since`, events in arrival order.
      await engine.run("DELETE FROM schema_migrations WHERE version >= 6");
      await engine.run("ALTER TABLE segment_dirty DROP COLUMN since");
      for (const [id, day] of [
        ["m1", "03"],
        ["m2", "01"],
        ["m3", "02"],
      ] as const)
        await engine.run(
          sql`INSERT INTO events (message_id, customer_id, type, event, ts) VALUES (${id}, 'c1', 'track', 'A', ${sql.param(`2024-01-${day}`, "timestamp")})`,
        );
      await engine.run("INSERT INTO segment_dirty VALUES ('c1', now())");

      expect(await migrate(engine)).toBe(MIGRATIONS.at(-1)?.version);
      expect((await engine.query("SELECT message_id FROM events")).column("message_id")).toEqual([
        "m2",
        "m3",
        "m1",
      ]);
      const dirty = await engine.query("SELECT customer_id, since FROM segment_dirty");
      expect(dirty.rows()).toEqual([{ customer_id: "c1", since: null }]);
      // Applied once: a second run changes nothing.
      await migrate(engine);
      const versions = await engine.query("SELECT count(*) AS n FROM schema_migrations WHERE version = 6");
      expect(versions.column("n")).toEqual([1]);
    } finally {
      engine.close();
    }
  });

  it("bring a ClickHouse store's events from person-first to time-first storage, every row kept", async () => {
    const engine = await openSession(`chdb:${tempDir("tessera-chdb-")}`);
    try {
      const d = engine.dialect;
      const columns = (migratedTables(6).get("events") ?? []).map(([name, type]) => ({ name, type }));
      // Back to version 6 as it was: events sorted by person, then time.
      await engine.run(d.rekeyTable("events", columns, ["customer_id", "ts"]));
      await engine.run("DELETE FROM schema_migrations WHERE version >= 7");
      const key = async () =>
        (
          await engine.query(
            "SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
          )
        ).column("sorting_key")[0];
      expect(await key()).toBe("customer_id, ts");
      for (const [id, customer, day] of [
        ["m1", "c1", "03"],
        ["m2", "c2", "01"],
        ["m3", "c1", "02"],
      ] as const)
        await engine.run(
          sql`INSERT INTO events (message_id, customer_id, type, event, ts, properties) VALUES (${id}, ${customer}, 'track', 'A', ${sql.param(`2024-01-${day}`, "timestamp")}, '{"a":1}')`,
        );
      const all =
        "SELECT message_id, customer_id, type, event, ts, properties FROM events ORDER BY message_id";
      const before = (await engine.query(all)).rows();

      expect(await migrate(engine)).toBe(MIGRATIONS.at(-1)?.version);
      expect(await key()).toBe("toStartOfDay(ts), event, customer_id");
      expect((await engine.query(all)).rows()).toEqual(before);
      // Stored in the new order, and nothing left behind.
      expect((await engine.query("SELECT message_id FROM events")).column("message_id")).toEqual([
        "m2",
        "m3",
        "m1",
      ]);
      expect(await engine.tables()).not.toContain("events__rekeyed");
    } finally {
      engine.close();
    }
  });

  it("are numbered 1, 2, 3 … in the order they run, across the two lists they are written in", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SEGMENTATION_MIGRATIONS.at(-1)?.version).toBe(7);
  });
});
