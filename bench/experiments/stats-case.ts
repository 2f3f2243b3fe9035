import { analyzeSummaries } from "../../src/experiments/stats/analyze.js";
import type { StatsInput } from "../../src/experiments/stats/types.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: seconds to measure (default 3). Analyses of summary inputs (3 arms: a control and two variants) one after
 * another for that long, alternating frequentist (Welch t, Holm over the variants, SRM) and Bayesian (flat prior,
 * chance to win, risk, SRM), each input different (the sums drift), and reports analyses per second of each.
 */
const seconds = Number(process.argv[2] ?? 3);

function input(i: number, engine: StatsInput["engine"]): StatsInput {
  const d = (i % 1000) / 1000;
  const arm = (name: string, n: number, mean: number) => ({
    name,
    n,
    sum: n * mean,
    sum_squares: n * mean * mean + (n - 1) * (4 + d),
  });
  return {
    metric: "mean",
    arms: [
      arm("control", 33_000 + (i % 97), 10),
      arm("offer-a", 33_100, 10.05 + d / 10),
      arm("offer-b", 32_900, 9.98),
    ],
    weights: [1, 1, 1],
    effect: "relative",
    engine,
    alternative: "two-sided",
    sequential: false,
    alpha: 0.05,
  };
}

function rate(engine: StatsInput["engine"]): { perSecond: number; analyses: number; seconds: number } {
  // Warm up the JIT, then measure.
  for (let i = 0; i < 2000; i++) analyzeSummaries(input(i, engine));
  const stop = startTimer();
  let analyses = 0;
  let sink = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < (seconds * 1000) / 2) {
    for (let k = 0; k < 500; k++) {
      const r = analyzeSummaries(input(analyses, engine));
      sink += r.comparisons.length;
      analyses++;
    }
  }
  const s = stop().seconds;
  if (sink !== 2 * analyses) throw new Error("an analysis lost a comparison");
  return { perSecond: Math.round(analyses / s), analyses, seconds: Math.round(s * 100) / 100 };
}

const frequentist = rate("frequentist");
const bayesian = rate("bayesian");
report({ seconds: frequentist.seconds + bayesian.seconds, frequentist, bayesian });
