import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { record, runCase, scratchDir } from "../measure.js";
import { privacyBase } from "../privacy/benchmark.js";

/**
 * `npm run bench -- predict` (issue 19, "Speed"), on the engine benchmark's 1M-customer data set (shared with the
 * privacy and activation benchmarks), each step in its own process (its own peak memory), on one copy:
 * - the recommender: `recommend fit` (EASE^R on the order lines, every buyer's top 10 stored): ≤ 60 s;
 * - launch propensity for a category (TESSERA_BENCH_CATEGORY, default jewelry): ≤ 30 s, with its held-out AUC
 *   beside the baseline's (past spend);
 * - churn risk (90 days): ≤ 15 s, with its held-out AUC;
 * peak memory ≤ 4 GiB each. The recommender's quality is `recommend evaluate` on Online Retail (tests).
 */
export async function predictBenchmark(): Promise<void> {
  const { base, customers, script } = await privacyBase();
  const db = join(scratchDir("predict"), "predict.duckdb");
  copyFileSync(base, db);
  if (existsSync(`${base}.wal`)) copyFileSync(`${base}.wal`, `${db}.wal`);
  const category = process.env.TESSERA_BENCH_CATEGORY ?? "jewelry";
  const recommend = await runCase(script("predict-recommend"), [db]);
  const propensity = await runCase(script("predict-scores"), ["propensity", db, category]);
  const churn = await runCase(script("predict-scores"), ["churn", db]);
  const gib = (m: { peakMiB?: unknown }) => Number(m.peakMiB ?? 0) / 1024;
  const line = {
    benchmark: "predict",
    customers,
    recommend: {
      seconds: round(recommend.seconds),
      peakMiB: recommend.peakMiB,
      fit: recommend.fit,
      target: "<= 60 s, <= 4 GiB",
      met: recommend.seconds <= 60 && gib(recommend) <= 4,
    },
    propensity: {
      category,
      seconds: round(propensity.seconds),
      peakMiB: propensity.peakMiB,
      heldOutAuc: propensity.heldOutAuc,
      baselineAuc: propensity.baselineAuc,
      liftTopDecile: propensity.liftTopDecile,
      target: "<= 30 s, <= 4 GiB",
      met: propensity.seconds <= 30 && gib(propensity) <= 4,
    },
    churn: {
      seconds: round(churn.seconds),
      peakMiB: churn.peakMiB,
      customers: churn.customers,
      heldOutAuc: churn.heldOutAuc,
      target: "<= 15 s, <= 4 GiB",
      met: churn.seconds <= 15 && gib(churn) <= 4,
    },
  };
  console.log(JSON.stringify(line, null, 2));
  record("predict", line);
}

const round = (x: number): number => Math.round(x * 100) / 100;
