/**
 * Times the synthetic data generator by hand:
 *   npx tsx bench/synth-generate.ts [customers=1000000] [outDir=.tmp/synth-bench] [seed=42]
 * Prints the generator's result, events per customer and the peak RSS of this process.
 */
import { generate } from "../src/synth/generate.js";

const customers = Number(process.argv[2] ?? 1_000_000);
const outDir = process.argv[3] ?? ".tmp/synth-bench";
const seed = Number(process.argv[4] ?? 42);

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 100);
const step = Math.max(1, Math.floor(customers / 10));
const result = await generate({
  customers,
  seed,
  outDir,
  onProgress: (done, total) => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (done % step === 0 || done === total) {
      const rss = (process.memoryUsage().rss / 1e6).toFixed(0);
      console.error(`${done}/${total} customers, ${(performance.now() / 1000).toFixed(1)} s, rss ${rss} MB`);
    }
  },
});
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  JSON.stringify(
    {
      ...result,
      eventsPerCustomer: result.counts.events / customers,
      eventsPerSecond: Math.round(result.counts.events / result.seconds),
      peakRssMB: Math.round(peak / 1e6),
    },
    null,
    1,
  ),
);
