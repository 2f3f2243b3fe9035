import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Measured, record, runCase } from "../measure.js";
import { SEGMENTS } from "./definitions.js";
import { pgServer, stopServer } from "./postgres.js";

/**
 * `npm run bench -- segments`: the segment refresh benchmark (issue 3, "Speed"). On the synthetic data set of
 * TESSERA_BENCH_CUSTOMERS customers (default 1,000,000; seed TESSERA_BENCH_SEED, default 7), with the 20
 * definitions of definitions.ts, side by side:
 *   (a) our full refresh of all 20 (refreshSegments, mode "full");
 *   (b) one hand-written SQL query per segment (queries.ts) on the same DuckDB file, one after another;
 *   (c) the same queries on PostgreSQL 15, loaded with the same data (COPY of CSV exported from DuckDB);
 *   and an incremental refresh after 1% more events.
 * Every case runs in its own process (peak memory is its own). Counts must match between (a), (b) and (c), or
 * the benchmark fails. The generated and imported database is cached in the temp folder, keyed by size and
 * seed, and so are the CSV export and the loaded PostgreSQL cluster (TESSERA_BENCH_PG_RELOAD=1 loads it again;
 * TESSERA_BENCH_SKIP_PG=1 leaves PostgreSQL out).
 */
const CACHE_VERSION = "v1";
const GiB = 1024;

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export async function segmentsBenchmark(): Promise<void> {
  const customers = Number(process.env.TESSERA_BENCH_CUSTOMERS ?? 1_000_000);
  const seed = Number(process.env.TESSERA_BENCH_SEED ?? 7);
  const skipPg = process.env.TESSERA_BENCH_SKIP_PG === "1";
  // Run from the build (dist/bench/…/*.js) or, while developing, from source under tsx (*.ts).
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const cases = join(import.meta.dirname, "..", "cases");
  const script = (name: string) => join(cases, `segments-${name}${ext}`);
  const cache = join(tmpdir(), `tessera-bench-segments-c${customers}-s${seed}-${CACHE_VERSION}`);
  mkdirSync(cache, { recursive: true });

  console.error(`segments: data set of ${customers} customers (seed ${seed}), cached in ${cache}`);
  const prepared = await runCase(script("prepare"), [String(customers), String(seed), cache]);
  console.error(
    prepared.cached
      ? `  reusing the cached database (generated in ${prepared.generateSeconds} s, imported in ${prepared.importSeconds} s when first built)`
      : `  generated in ${prepared.generateSeconds} s, imported in ${prepared.importSeconds} s (cached for later runs)`,
  );
  const counts = prepared.counts as Record<string, number>;
  const last = new Date(prepared.lastEvent as string);
  // As of the midnight after the last event: the whole generated period is in view.
  const asOf = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate() + 1));

  // Every run works on a fresh copy (a refresh writes membership history into the file).
  const scratch = join(tmpdir(), `tessera-bench-segments-run-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const db = join(scratch, "tessera.duckdb");
  const pgRoot = join(cache, "postgres");
  try {
    copyFileSync(join(cache, "tessera.duckdb"), db);
    const setup = await runCase(script("setup"), [db, asOf.toISOString()]);
    console.error(
      `  RFM scored and ${SEGMENTS.length} segments saved (${setup.computed} computed values registered)`,
    );

    console.error("  (b) hand-written queries on DuckDB …");
    const plain = await runCase(script("plain"), [db, asOf.toISOString()]);
    console.error(`      ${plain.seconds.toFixed(2)} s, peak ${plain.peakMiB} MiB`);
    console.error("  (a) our full refresh …");
    const ours = await runCase(script("ours"), [db, asOf.toISOString()]);
    console.error(`      ${ours.seconds.toFixed(2)} s, peak ${ours.peakMiB} MiB`);
    console.error("  incremental refresh after 1% more events …");
    const inc = await runCase(script("incremental"), [db, asOf.toISOString()]);
    console.error(
      `      ${inc.seconds.toFixed(2)} s (${inc.mode}, ${inc.recomputed} customers recomputed), peak ${inc.peakMiB} MiB`,
    );
    rmSync(scratch, { recursive: true, force: true });

    let postgres: Measured | null = null;
    let pgError: string | null = null;
    if (!skipPg) {
      console.error("  (c) hand-written queries on PostgreSQL 15 …");
      // The CSV export reads a database with the RFM table: a copy set up as above.
      const csvDir = join(cache, "pg-csv");
      const reload = process.env.TESSERA_BENCH_PG_RELOAD === "1" ? "reload" : "reuse";
      try {
        if (!existsSync(join(csvDir, "schema.json"))) {
          mkdirSync(scratch, { recursive: true });
          copyFileSync(join(cache, "tessera.duckdb"), db);
          await runCase(script("setup"), [db, asOf.toISOString()]);
        }
        postgres = await runCase(script("postgres"), [db, asOf.toISOString(), pgRoot, csvDir, reload]);
        console.error(`      ${postgres.seconds.toFixed(2)} s`);
      } catch (e) {
        pgError = (e as Error).message;
      }
    }

    // Every engine must find the same customers.
    const ourSizes = ours.sizes as Record<string, number>;
    const mismatches: string[] = [];
    for (const { id } of SEGMENTS) {
      const a = ourSizes[id];
      const b = (plain.sizes as Record<string, number>)[id];
      const c = postgres ? (postgres.sizes as Record<string, number>)[id] : a;
      if (a !== b || a !== c)
        mismatches.push(`${id}: ours ${a}, duckdb sql ${b}, postgres ${postgres ? c : "-"}`);
    }
    for (const id of inc.mismatches as string[])
      mismatches.push(`${id}: incremental differs from full at ${inc.later}`);

    const a = ours.seconds;
    const b = plain.seconds;
    const c = postgres?.seconds ?? null;
    const incShare = inc.seconds / a;
    const peakMiB = Math.max(ours.peakMiB, inc.peakMiB);
    const line = {
      benchmark: "segments",
      customers,
      seed,
      rows: counts,
      segments: SEGMENTS.length,
      features: ours.features,
      asOf: asOf.toISOString(),
      oursFullSeconds: round(a),
      duckdbSqlSeconds: round(b),
      postgresSqlSeconds: c === null ? null : round(c),
      oursOverDuckdbSql: round(a / b),
      postgresOverOurs: c === null ? null : round(c / a),
      incrementalSeconds: round(inc.seconds),
      incrementalShareOfFull: round(incShare),
      incrementalMode: inc.mode,
      incrementalAddedEvents: inc.addedEvents,
      incrementalTouchedCustomers: inc.touchedCustomers,
      incrementalRecomputed: inc.recomputed,
      fullAtLaterSeconds: round(inc.fullAtLaterSeconds as number),
      oursPeakMiB: ours.peakMiB,
      incrementalPeakMiB: inc.peakMiB,
      duckdbSqlPeakMiB: plain.peakMiB,
      sizes: ourSizes,
      duckdbSqlPerQuery: plain.perQuery,
      postgresPerQuery: postgres?.perQuery ?? null,
      postgres: postgres
        ? {
            version: postgres.version,
            csvExportSeconds: round(postgres.csvExportSeconds as number),
            loadSeconds: round(postgres.loadSeconds as number),
            indexSeconds: round(postgres.indexSeconds as number),
            loadCached: postgres.loadCached,
          }
        : { skipped: skipPg, error: pgError },
      dataCached: prepared.cached,
      countsMatch: mismatches.length === 0,
      mismatches,
      targets: {
        "full <= 0.5 x duckdb sql": a <= 0.5 * b,
        "full >= 10x faster than postgres": c === null ? null : c >= 10 * a,
        "incremental <= 15% of full": incShare <= 0.15 && inc.mode === "incremental",
        "peak memory < 4 GiB": peakMiB < 4 * GiB,
      },
    };
    console.log(JSON.stringify(line));
    if (ext === ".js") console.error(`  recorded in ${record("segments", line)}`);
    if (mismatches.length) throw new Error(`segment counts differ:\n  ${mismatches.join("\n  ")}`);
    if (pgError) throw new Error(`the PostgreSQL baseline failed: ${pgError}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    stopServer(pgServer(pgRoot));
  }
}
