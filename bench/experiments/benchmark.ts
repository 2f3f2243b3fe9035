import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { record, runCase, scratchDir } from "../measure.js";
import { privacyBase } from "../privacy/benchmark.js";

/**
 * `npm run bench -- experiments` (issue 20, "Speed"), each case in its own process:
 * - the statistics engine on summary inputs (3 arms, frequentist and Bayesian, SRM on): ≥ 10,000 analyses per
 *   second (stats-case.ts; TESSERA_BENCH_STATS_SECONDS, default 4, split between the two engines);
 * - analysing an experiment with 1M assigned customers, 3 variants and 5 metrics (CUPED on) from the raw events
 *   and orders: ≤ 10 s (analyze-case.ts, helper C's).
 */
export async function experimentsBenchmark(): Promise<void> {
  const here = import.meta.dirname;
  const statsSeconds = process.env.TESSERA_BENCH_STATS_SECONDS ?? "4";
  const stats = await runCase(join(here, "stats-case.js"), [statsSeconds]);
  const rateOf = (x: unknown) => (x as { perSecond: number }).perSecond;
  const slowest = Math.min(rateOf(stats.frequentist), rateOf(stats.bayesian));
  const line: Record<string, unknown> = {
    benchmark: "experiments",
    stats: {
      frequentistPerSecond: rateOf(stats.frequentist),
      bayesianPerSecond: rateOf(stats.bayesian),
      arms: 3,
      peakMiB: stats.peakMiB,
      target: ">= 10,000 analyses/s (3 arms, frequentist and Bayesian)",
      met: slowest >= 10_000,
    },
  };
  // analyze case (helper C): 1M assigned customers (the shared data set), 3 variants, 5 metrics with CUPED: ≤ 10 s
  {
    const { base, customers } = await privacyBase();
    const db = join(scratchDir("experiments"), "analyze.duckdb");
    copyFileSync(base, db);
    if (existsSync(`${base}.wal`)) copyFileSync(`${base}.wal`, `${db}.wal`);
    const runs = process.env.TESSERA_BENCH_ANALYZE_RUNS ?? "3";
    const a = await runCase(join(here, "analyze-case.js"), [db, runs]);
    line.analyze = {
      customers,
      assigned: a.assigned,
      variants: 3,
      metrics: a.metrics,
      seconds: Math.round(a.seconds * 1000) / 1000,
      runs: a.runs,
      setupSeconds: a.setupSeconds,
      peakMiB: a.peakMiB,
      summary: a.summary,
      target:
        "<= 10 s (1M assigned customers, 3 variants, 5 metrics with CUPED, from the raw events and orders)",
      met: a.seconds <= 10,
    };
  }
  console.log(JSON.stringify(line, null, 2));
  record("experiments", line);
}
