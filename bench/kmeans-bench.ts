import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type Measured, record, runCase } from "./measure.js";

/** A Python with scikit-learn, if any (Debian's python3-sklearn lives in /usr/bin/python3). */
function sklearnPython(): string | null {
  for (const python of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(python, ["-c", "import sklearn"], { stdio: "ignore" });
    if (r.status === 0) return python;
  }
  return null;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * k-means on Gaussian blobs (TESSERA_BENCH_KMEANS_N customers, default 1,000,000, × 10 features, k = 8), side by
 * side with ml-kmeans and scikit-learn (when installed) at the same k, initialisations and iteration limit; then
 * `--k auto` over 2..10 on the same data. Each run in its own process. `scratch`: a folder for this run's files,
 * removed by the caller.
 */
export async function kmeansBenchmark(here: string, scratch: string): Promise<void> {
  const n = Number(process.env.TESSERA_BENCH_KMEANS_N ?? 1_000_000);
  const [d, k, nInit, maxIter, seed] = [10, 8, 3, 100, 7];
  const args = [String(n), String(d), String(k), String(nInit), String(maxIter), String(seed)];
  const script = join(here, "cases", "kmeans.js");
  const ours = await runCase(script, ["tessera", ...args]);
  const ml = process.env.TESSERA_BENCH_SKIP_ML === "1" ? null : await runCase(script, ["ml-kmeans", ...args]);
  let sk: {
    seconds: number;
    inertia: number;
    iterations: number;
    threads: number | null;
    version: string;
  } | null = null;
  const python = sklearnPython();
  if (python) {
    const file = join(scratch, "blobs.f64");
    await runCase(script, ["write", ...args, file]);
    const r = spawnSync(python, [join(here, "..", "..", "bench", "kmeans_sklearn.py"), file, ...args], {
      encoding: "utf8",
    });
    rmSync(file, { force: true });
    if (r.status !== 0) throw new Error(`scikit-learn run failed: ${r.stderr}`);
    sk = JSON.parse(r.stdout.trim().split("\n").at(-1) as string);
  }
  const auto: Measured = await runCase(script, ["auto", ...args]);
  const ratio = (other: number | undefined) => (other === undefined ? null : round(other / ours.seconds));
  const line = {
    benchmark: "kmeans",
    customers: n,
    features: d,
    k,
    nInit,
    maxIter,
    tesseraSeconds: round(ours.seconds),
    tesseraInertia: ours.inertia,
    tesseraIterations: ours.iterations,
    mlKmeansSeconds: ml ? round(ml.seconds) : null,
    mlKmeansInertia: ml?.inertia ?? null,
    sklearnSeconds: sk ? round(sk.seconds) : null,
    sklearnInertia: sk?.inertia ?? null,
    sklearnThreads: sk?.threads ?? null,
    sklearnVersion: sk?.version ?? null,
    speedupOverMlKmeans: ratio(ml?.seconds),
    speedupOverSklearn: ratio(sk?.seconds),
    inertiaVsSklearn: sk ? round((ours.inertia as number) / sk.inertia - 1) : null,
    kAutoSeconds: round(auto.seconds),
    kAutoBest: auto.best,
    target:
      "≥ 10× ml-kmeans, ≤ scikit-learn's time, inertia within 1% of scikit-learn's; k auto 2..10 on 1M < 60 s",
    met:
      n < 1_000_000
        ? null
        : (!ml || ml.seconds / ours.seconds >= 10) &&
          (!sk ||
            (ours.seconds <= sk.seconds && Math.abs((ours.inertia as number) / sk.inertia - 1) <= 0.01)) &&
          auto.seconds < 60,
    tesseraPeakMiB: ours.peakMiB,
    loadAverage: (await import("node:os")).loadavg().map((x) => round(x)),
  };
  console.log(JSON.stringify(line));
  record("kmeans", line);
}
