import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers.js";
import type { StorageRegion } from "../engine.js";
import { DuckDBStore } from "./duckdb-store.js";

/** Whether a byte of `path` at `at` lies in one of the regions. */
const covered = (regions: readonly StorageRegion[], path: string, at: number) =>
  regions.some((r) => r.path === path && r.start <= at && at < r.end);

describe("what changed in a DuckDB file since a snapshot", () => {
  it("covers every byte that differs, and leaves out the blocks no write touched", async () => {
    const path = join(tempDir(), "blocks.duckdb");
    const store = await DuckDBStore.open(path);
    const e = await store.session();
    try {
      // Three tables in blocks of their own, then one of them rewritten and one grown: the third stays as it was.
      for (const t of ["a", "b", "c"])
        await e.run(`CREATE TABLE ${t} AS SELECT i, md5(i::VARCHAR || '${t}') AS s FROM range(200000) r(i)`);
      await e.run("CHECKPOINT");
      const copy = join(tempDir(), "before.duckdb");
      copyFileSync(path, copy);
      const snapshot = await e.storageSnapshot();
      expect(snapshot).not.toBeNull();
      await e.run("UPDATE a SET s = upper(s) WHERE i < 1000");
      await e.run("INSERT INTO b SELECT i, 'more' FROM range(200000) r(i)");
      await e.run("CHECKPOINT");
      const regions = (await snapshot?.changed()) ?? [];
      const before = readFileSync(copy);
      const after = readFileSync(path);
      let differing = 0;
      for (let at = 0; at < after.length; at++)
        if (at >= before.length || before[at] !== after[at]) {
          differing++;
          if (!covered(regions, path, at)) throw new Error(`byte ${at} changed outside every region`);
        }
      expect(differing).toBeGreaterThan(0);
      // Table c's blocks were not written: the regions are a part of the file.
      const inRegions = regions.filter((r) => r.path === path).reduce((n, r) => n + r.end - r.start, 0);
      expect(inRegions).toBeLessThan(after.length * 0.8);
    } finally {
      e.close();
      await store.close();
    }
  });

  it("includes the write-ahead log whole", async () => {
    const path = join(tempDir(), "wal.duckdb");
    const store = await DuckDBStore.open(path);
    const e = await store.session();
    try {
      await e.run("CREATE TABLE t AS SELECT range AS i FROM range(10)");
      await e.run("CHECKPOINT");
      const snapshot = await e.storageSnapshot();
      await e.run("INSERT INTO t VALUES (42)");
      const regions = (await snapshot?.changed()) ?? [];
      const wal = regions.find((r) => r.path === `${path}.wal`);
      expect(wal).toEqual({ path: `${path}.wal`, start: 0, end: readFileSync(`${path}.wal`).length });
      expect(wal?.end).toBeGreaterThan(0);
    } finally {
      e.close();
      await store.close();
    }
  });

  it("has nothing to tell of a database in memory", async () => {
    const store = await DuckDBStore.open(":memory:");
    const e = await store.session();
    try {
      expect(await e.storageSnapshot()).toBeNull();
    } finally {
      e.close();
      await store.close();
    }
  });
});
