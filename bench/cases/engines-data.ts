import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalFiles } from "../../src/ingest/import-directory.js";
import { openSession } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { generate } from "../../src/synth/generate.js";
import { report } from "../measure.js";

/**
 * argv: customers, seed, cache folder, and the period's last day (ISO date; default the generator's). Generates the synthetic data set into `<cache>/data` once (kept: every
 * engine imports the same files) and cuts its events into slices of EVENTS_PER_SLICE rows, in file order (an
 * import of 35M events at once does not fit DuckDB's default memory on this machine; the generator writes each
 * person's events together, so slices keep people whole but for the boundaries). Reports the files, in import
 * order, and the counts.
 */
const EVENTS_PER_SLICE = 4_000_000;
const [customers, seed, cache, endDate] = process.argv.slice(2) as [string, string, string, string?];
const data = join(cache, "data");
const manifest = join(cache, "files.json");

if (!existsSync(manifest)) {
  mkdirSync(cache, { recursive: true });
  const t0 = performance.now();
  const g = await generate({
    customers: Number(customers),
    seed: Number(seed),
    outDir: data,
    ...(endDate ? { endDate } : {}),
  });
  const generateSeconds = (performance.now() - t0) / 1000;
  console.error(`  generated ${JSON.stringify(g.counts)} in ${generateSeconds.toFixed(0)} s`);
  const files: { kind: string; path: string }[] = [];
  // Slicing reads Parquet with the engine's own reader, through the engine interface.
  const engine = await openSession(":memory:");
  const d = engine.dialect;
  for (const f of canonicalFiles(data)) {
    if (f.kind !== "events") {
      files.push({ kind: f.kind, path: f.path });
      continue;
    }
    const slices = join(data, "event-slices");
    mkdirSync(slices, { recursive: true });
    await engine.run(
      d.createTempAs(
        "_events",
        sql`SELECT *, ${d.fileRowNumber()} AS _n FROM ${d.readFileAsText({ path: f.path, format: "parquet" })} r`,
      ),
    );
    const n = Number(
      (await engine.query(sql`SELECT count(*) AS n FROM ${sql.temp("_events")}`)).column("n")[0],
    );
    const columns = (await engine.tableColumns("_events")).filter((c) => c !== "_n");
    for (let i = 0; i * EVENTS_PER_SLICE < n; i++) {
      const path = join(slices, `events-${String(i).padStart(3, "0")}.parquet`);
      await engine.run(
        d.copyToParquet(
          sql`SELECT ${sql.join(columns.map((c) => sql.ident(c)))} FROM ${sql.temp("_events")}
               WHERE _n > ${i * EVENTS_PER_SLICE} AND _n <= ${(i + 1) * EVENTS_PER_SLICE} ORDER BY _n`,
          path,
        ),
      );
      files.push({ kind: "events", path });
    }
  }
  engine.close();
  writeFileSync(manifest, JSON.stringify({ counts: g.counts, generateSeconds, files }));
}
report({ seconds: 0, ...JSON.parse(readFileSync(manifest, "utf8")) });
