import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Measured, record, runCase, scratchDir } from "../measure.js";
import { SEGMENTS } from "../segments/definitions.js";

/**
 * `npm run bench -- engines` (issue 14, "Speed"): the segment benchmark's data set (TESSERA_BENCH_CUSTOMERS
 * customers, default 1,000,000, seed TESSERA_BENCH_SEED, default 7: ≥ 20M events) and its 20 definitions, on
 * DuckDB and on ClickHouse in process (chdb), side by side in one run: the import of every file, a full refresh,
 * and an incremental refresh after 1% more events, each case in a process of its own (its peak memory is its
 * own). The segment sizes must be the same on both engines, after the full and after the incremental refresh,
 * or the benchmark fails. Targets: chdb's full refresh ≤ 1.5 × DuckDB's; chdb's incremental refresh ≤ 25% of
 * its full refresh. The generated files are cached in the temp folder (keyed by size and seed); the databases
 * are made anew each run.
 */
const ENGINES = ["duckdb", "chdb"] as const;
type EngineName = (typeof ENGINES)[number];

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export async function enginesBenchmark(): Promise<void> {
  const customers = Number(process.env.TESSERA_BENCH_CUSTOMERS ?? 1_000_000);
  const seed = Number(process.env.TESSERA_BENCH_SEED ?? 7);
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const cases = join(import.meta.dirname, "..", "cases");
  const script = (name: string) => join(cases, `${name}${ext}`);
  const cache = join(tmpdir(), `tessera-bench-engines-c${customers}-s${seed}`);
  mkdirSync(cache, { recursive: true });
  console.error(`engines: data set of ${customers} customers (seed ${seed}), files cached in ${cache}`);
  const data = await runCase(script("engines-data"), [String(customers), String(seed), cache]);
  const files = data.files as { kind: string; path: string }[];
  const scratch = scratchDir("engines-run");
  const location = (e: EngineName) =>
    e === "duckdb" ? join(scratch, "tessera.duckdb") : `chdb:${join(scratch, "chdb")}`;
  const results = {} as Record<EngineName, { import: Measured; full: Measured; incremental: Measured }>;
  try {
    for (const e of ENGINES) {
      const db = location(e);
      console.error(`  ${e}: importing ${files.length} files …`);
      const imported = await runCase(script("engines-import"), [db, JSON.stringify(files)]);
      console.error(`  ${e}: imported in ${imported.seconds.toFixed(1)} s, peak ${imported.peakMiB} MiB`);
      const last = new Date(imported.lastEvent as string);
      const asOf = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate() + 1));
      await runCase(script("segments-setup"), [db, asOf.toISOString()]);
      const full = await runCase(script("segments-ours"), [db, asOf.toISOString()]);
      console.error(`  ${e}: full refresh ${full.seconds.toFixed(2)} s, peak ${full.peakMiB} MiB`);
      const incremental = await runCase(script("segments-incremental"), [db, asOf.toISOString(), "day"]);
      console.error(
        `  ${e}: incremental refresh ${incremental.seconds.toFixed(2)} s (${incremental.mode}, ${incremental.recomputed} recomputed), peak ${incremental.peakMiB} MiB`,
      );
      results[e] = { import: imported, full, incremental };
      rmSync(db.replace(/^chdb:/, ""), { recursive: true, force: true });
    }
    const mismatches: string[] = [];
    for (const phase of ["full", "incremental"] as const) {
      const a = results.duckdb[phase].sizes as Record<string, number>;
      const b = results.chdb[phase].sizes as Record<string, number>;
      for (const { id } of SEGMENTS)
        if (a[id] !== b[id]) mismatches.push(`${phase} ${id}: duckdb ${a[id]}, chdb ${b[id]}`);
    }
    const per = (e: EngineName) => ({
      importSeconds: round(results[e].import.seconds),
      fullSeconds: round(results[e].full.seconds),
      incrementalSeconds: round(results[e].incremental.seconds),
      incrementalMode: results[e].incremental.mode,
      incrementalShareOfFull: round(results[e].incremental.seconds / results[e].full.seconds),
      importPeakMiB: results[e].import.peakMiB,
      fullPeakMiB: results[e].full.peakMiB,
      incrementalPeakMiB: results[e].incremental.peakMiB,
      fullCpuUserSeconds: results[e].full.cpuUserSeconds,
      // Where each refresh's time went: features built or brought forward, stays recorded, commit.
      fullPhases: results[e].full.phases,
      incrementalPhases: results[e].incremental.phases,
    });
    const chdbOverDuckdb = results.chdb.full.seconds / results.duckdb.full.seconds;
    const chdbIncShare = results.chdb.incremental.seconds / results.chdb.full.seconds;
    const line = {
      benchmark: "engines",
      customers,
      seed,
      counts: results.duckdb.import.counts,
      duckdb: per("duckdb"),
      chdb: per("chdb"),
      chdbFullOverDuckdbFull: round(chdbOverDuckdb),
      chdbImportOverDuckdbImport: round(results.chdb.import.seconds / results.duckdb.import.seconds),
      sizes: results.duckdb.full.sizes,
      sizesMatch: mismatches.length === 0,
      mismatches,
      targets: {
        "chdb full <= 1.5 x duckdb full": chdbOverDuckdb <= 1.5,
        "chdb incremental <= 25% of its full":
          chdbIncShare <= 0.25 && results.chdb.incremental.mode === "incremental",
      },
    };
    console.log(JSON.stringify(line));
    if (ext === ".js") console.error(`  recorded in ${record("engines", line)}`);
    if (mismatches.length)
      throw new Error(`segment sizes differ between engines:\n  ${mismatches.join("\n  ")}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
