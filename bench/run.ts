/**
 * `npm run bench`: speed targets, measured side by side with their baselines in one run, each case in its
 * own process so its peak memory is its own. Results are appended as JSON lines under bench/results/.
 *
 *   npm run bench                 all benchmarks
 *   npm run bench -- import       only the Online Retail import
 *   npm run bench -- generate     only the generator (TESSERA_BENCH_CUSTOMERS, default 1,000,000)
 *   npm run bench -- clv          clv fit on generated customers vs a per-customer likelihood (same variable)
 *   npm run bench -- kmeans       k-means on 1M × 10 vs ml-kmeans and scikit-learn; k auto 2..10
 *   npm run bench -- segments     segment refresh vs hand-written SQL on DuckDB and PostgreSQL 15 (segments/)
 *   npm run bench -- engines      import, full and incremental refresh on DuckDB and chdb side by side (engines/)
 *   npm run bench -- server       tracking ingestion beside a bare node:http server; freshness and reads while
 *                                 ingesting on the 1M data set (server/; TESSERA_BENCH_PARTS=ingest|live)
 *   npm run bench -- privacy      erasing one person, verified, on the engines' data set (privacy/; ≤ 10 s)
 *   npm run bench -- activation   audience export (Google format), message rendering, webhook deltas (activation/)
 *   npm run bench -- predict      recommender fit + top 10 for all, propensity and churn fits on 1M customers (predict/)
 *   npm run bench -- experiments  the stats engine on summary inputs (analyses/s); analysing a 1M-customer experiment
 *   npm run bench -- dashboard    the overview drawn in Chromium, the builder's live size, the first view's JavaScript
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { activationBenchmark } from "./activation/benchmark.js";
import { dashboardBenchmark } from "./dashboard/benchmark.js";
import { enginesBenchmark } from "./engines/benchmark.js";
import { experimentsBenchmark } from "./experiments/benchmark.js";
import { kmeansBenchmark } from "./kmeans-bench.js";
import { type Measured, median, record, runCase, scratchDir } from "./measure.js";
import { predictBenchmark } from "./predict/benchmark.js";
import { privacyBenchmark } from "./privacy/benchmark.js";
import { segmentsBenchmark } from "./segments/benchmark.js";
import { serverBenchmark } from "./server/benchmark.js";

const here = import.meta.dirname;
const only = process.argv[2];
// This run's databases and files, removed when it ends (however it ends).
const scratch = scratchDir("run");

async function importBenchmark(): Promise<void> {
  const file = join(
    here,
    "..",
    "..",
    "..",
    "shared",
    "data",
    "online-retail",
    "online-retail-dataset.csv.gz",
  );
  const runs = 3;
  const times: Record<"plain" | "tessera", Measured[]> = { plain: [], tessera: [] };
  // Alternate the two so that neither gets a warmer machine.
  for (let i = 0; i < runs; i++) {
    for (const v of ["plain", "tessera"] as const) {
      times[v].push(
        await runCase(join(here, "cases", "import-retail.js"), [v, file, join(scratch, `${v}.duckdb`)]),
      );
    }
  }
  const plain = median(times.plain.map((m) => m.seconds));
  const ours = median(times.tessera.map((m) => m.seconds));
  const line = {
    benchmark: "import-online-retail",
    rows: times.tessera[0]?.read,
    plainReadCsvSeconds: round(plain),
    tesseraImportSeconds: round(ours),
    ratio: round(ours / plain),
    target: "ratio <= 2.5",
    met: ours / plain <= 2.5,
    plainPeakMiB: Math.max(...times.plain.map((m) => m.peakMiB)),
    tesseraPeakMiB: Math.max(...times.tessera.map((m) => m.peakMiB)),
    runs,
  };
  console.log(JSON.stringify(line));
  record("import", line);
}

async function generateBenchmark(): Promise<void> {
  const customers = Number(process.env.TESSERA_BENCH_CUSTOMERS ?? 1_000_000);
  const m = await runCase(join(here, "cases", "generate.js"), [String(customers), join(scratch, "gen")]);
  const line = {
    benchmark: "generate",
    customers,
    events: m.events,
    orders: m.orders,
    seconds: round(m.seconds),
    eventsPerSecond: m.eventsPerSecond,
    target: "1M customers with >= 20M events in < 180 s",
    met: customers < 1_000_000 ? null : m.seconds < 180 && Number(m.events) >= 20_000_000,
    peakMiB: m.peakMiB,
  };
  console.log(JSON.stringify(line));
  record("generate", line);
}

async function clvBenchmark(): Promise<void> {
  const customers = Number(process.env.TESSERA_BENCH_CUSTOMERS ?? 1_000_000);
  // The generated files are kept between runs (generating a million customers takes minutes).
  const data = join(tmpdir(), `tessera-bench-clv-${customers}`);
  const db = join(scratch, "clv.duckdb");
  const prep = await runCase(join(here, "cases", "clv.js"), ["prepare", String(customers), data, db]);
  const fit = await runCase(join(here, "cases", "clv.js"), ["fit", db]);
  const naive = await runCase(join(here, "cases", "clv.js"), ["baseline", db]);
  const line = {
    benchmark: "clv-fit",
    customers,
    orders: prep.orders,
    generateSeconds: round(Number(prep.generateSeconds)),
    importSeconds: round(Number(prep.importSeconds)),
    buyers: fit.customers,
    tuples: fit.tuples,
    summarySeconds: round(Number(fit.summarySeconds)),
    fitSeconds: round(Number(fit.fitSeconds)),
    clvFitCommandSeconds: round(Number(fit.commandSeconds)),
    baselineReadSeconds: round(Number(naive.summarySeconds)),
    baselineFitSeconds: round(Number(naive.fitSeconds)),
    speedup: round(Number(naive.fitSeconds) / Number(fit.fitSeconds)),
    target: "BG/NBD + Gamma-Gamma fit < 5 s; whole clv fit < 20 s",
    met: customers < 1_000_000 ? null : Number(fit.fitSeconds) < 5 && Number(fit.commandSeconds) < 20,
    fitPeakMiB: fit.peakMiB,
    baselinePeakMiB: naive.peakMiB,
    bgnbd: fit.bgnbd,
    baselineBgnbd: naive.bgnbd,
  };
  console.log(JSON.stringify(line));
  record("clv", line);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (!only || only === "import") await importBenchmark();
if (!only || only === "generate") await generateBenchmark();
if (!only || only === "clv") await clvBenchmark();
if (!only || only === "kmeans") await kmeansBenchmark(here, scratch);
if (!only || only === "segments") await segmentsBenchmark();
if (!only || only === "engines") await enginesBenchmark();
if (!only || only === "server") await serverBenchmark();
if (!only || only === "privacy") await privacyBenchmark();
if (!only || only === "activation") await activationBenchmark();
if (!only || only === "predict") await predictBenchmark();
if (!only || only === "experiments") await experimentsBenchmark();
if (!only || only === "dashboard") await dashboardBenchmark();
