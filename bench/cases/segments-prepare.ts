import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importFile } from "../../src/ingest/import.js";
import { canonicalFiles } from "../../src/ingest/import-directory.js";
import { openSession } from "../../src/store/open-store.js";
import { generate } from "../../src/synth/generate.js";
import { report } from "../measure.js";

/**
 * argv: customers, seed, cache folder. Generates the synthetic data set (kept in `<cache>/data` until imported)
 * and imports it into `<cache>/tessera.duckdb`, unless `<cache>/ready.json` says that was done already. Reports
 * what the cache holds.
 *
 * Imported like `importDirectory`, in its order, except that events go in slices of EVENTS_PER_SLICE rows: one
 * import of 35M events does not fit DuckDB's default memory limit on this machine (out of memory at 18.8 GiB).
 * The generator writes each person's events together, so slices by row number keep people whole but for the
 * boundaries, which identity resolution handles like any later import.
 */
const EVENTS_PER_SLICE = 4_000_000;
const [customers, seed, cache] = process.argv.slice(2) as [string, string, string];
const ready = join(cache, "ready.json");
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

if (existsSync(ready)) {
  report({ seconds: 0, cached: true, ...JSON.parse(readFileSync(ready, "utf8")) });
} else {
  const data = join(cache, "data");
  const generated = join(data, "generated.json");
  if (!existsSync(generated)) {
    rmSync(cache, { recursive: true, force: true });
    const t0 = performance.now();
    const g = await generate({ customers: Number(customers), seed: Number(seed), outDir: data });
    const seconds = (performance.now() - t0) / 1000;
    writeFileSync(generated, JSON.stringify({ counts: g.counts, seconds }));
    console.error(`  generated ${JSON.stringify(g.counts)} in ${seconds.toFixed(0)} s`);
  }
  const generateSeconds = (JSON.parse(readFileSync(generated, "utf8")) as { seconds: number }).seconds;
  const building = join(cache, "building.duckdb");
  rmSync(building, { force: true });
  rmSync(`${building}.wal`, { force: true });
  rmSync(`${building}.tmp`, { recursive: true, force: true });
  const engine = await openSession(building);
  // Bulk loading: row order inside a table does not matter, and the machine is shared.
  await engine.run("SET preserve_insertion_order = false; SET memory_limit = '10GB'");
  const t1 = performance.now();
  for (const f of canonicalFiles(data)) {
    let paths = [f.path];
    if (f.kind === "events") {
      const slices = join(data, "event-slices");
      mkdirSync(slices, { recursive: true });
      const n = Number(
        (await engine.query(`SELECT count(*) AS n FROM read_parquet(${lit(f.path)})`)).column("n")[0],
      );
      paths = [];
      for (let i = 0; i * EVENTS_PER_SLICE < n; i++) {
        const p = join(slices, `events-${String(i).padStart(3, "0")}.parquet`);
        await engine.run(
          `COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(${lit(f.path)}, file_row_number = true)
                  WHERE file_row_number >= ${i * EVENTS_PER_SLICE} AND file_row_number < ${(i + 1) * EVENTS_PER_SLICE}
                  ORDER BY file_row_number) TO ${lit(p)} (FORMAT parquet)`,
        );
        paths.push(p);
      }
    }
    for (const path of paths) {
      const s = await importFile(engine, { kind: f.kind, path });
      console.error(
        `  imported ${s.kind} ${path.split("/").pop()}: ${s.accepted} rows in ${s.seconds.toFixed(0)} s`,
      );
    }
  }
  // The data set is the starting point: nothing is dirty yet.
  await engine.run("DELETE FROM segment_dirty");
  const importSeconds = (performance.now() - t1) / 1000;
  const counts: Record<string, number> = {};
  for (const t of ["customers", "events", "orders", "order_items", "consents"]) {
    const r = await engine.query(`SELECT count(*) AS n FROM ${t}`);
    counts[t] = Number(r.column("n")[0]);
  }
  const period = await engine.query("SELECT max(ts) AS t FROM events");
  engine.close();
  renameSync(building, join(cache, "tessera.duckdb"));
  rmSync(data, { recursive: true, force: true });
  const info = {
    customers: Number(customers),
    seed: Number(seed),
    counts,
    lastEvent: (period.column("t")[0] as Date).toISOString(),
    generateSeconds: Math.round(generateSeconds),
    importSeconds: Math.round(importSeconds),
  };
  writeFileSync(ready, JSON.stringify(info, null, 1));
  report({ seconds: generateSeconds + importSeconds, cached: false, ...info });
}
