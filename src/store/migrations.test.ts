import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrate } from "./migrations.js";
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
});
