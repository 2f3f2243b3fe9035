/**
 * The lifetime-value benchmark, one step per process (so each reports its own peak memory):
 *   prepare  <customers> <dir> <db>   generate a synthetic base into dir (once) and import its orders into db
 *   fit      <db>                     `tessera clv fit` as a user runs it: summary SQL, then BG/NBD + Gamma-Gamma
 *                                     on distinct tuples; the summary and the fit are timed apart
 *   baseline <db>                     the same fits with a straightforward per-customer likelihood (every
 *                                     customer's gammaln/betaln/digamma evaluated at every step, no tuples)
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fitClv } from "../../src/analytics/clv.js";
import { minimizeBfgs } from "../../src/analytics/optimize.js";
import { betaln, digamma, gammaln, logAddExp } from "../../src/analytics/special.js";
import { buildSummary, purchaseSpan, SUMMARY } from "../../src/analytics/summaries.js";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { importFile } from "../../src/ingest/import.js";
import type { Engine } from "../../src/store/engine.js";
import { openSession } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { generate } from "../../src/synth/generate.js";
import { report } from "../measure.js";

const [mode, ...args] = process.argv.slice(2) as [string, ...string[]];

if (mode === "prepare") {
  const [customers, dir, db] = args as [string, string, string];
  let generateSeconds = 0;
  if (!existsSync(join(dir, "orders.csv"))) {
    const g = await generate({ customers: Number(customers), seed: 20240601, outDir: dir, dirt: 0 });
    generateSeconds = g.seconds;
  }
  rmSync(db, { force: true });
  const engine = await openSession(db);
  const t0 = performance.now();
  const s = await importFile(engine, { kind: "orders", path: join(dir, "orders.csv") });
  const importSeconds = (performance.now() - t0) / 1000;
  engine.close();
  report({ seconds: generateSeconds + importSeconds, generateSeconds, importSeconds, orders: s.accepted });
} else if (mode === "fit") {
  const [db] = args as [string];
  // The whole command, as a user runs it (open, summary, fits, model saved, JSON printed).
  const io = memoryIo();
  const t0 = performance.now();
  const code = await main(["clv", "fit", "--unit", "week", "--db", db, "--json"], io);
  const commandSeconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(io.stderr());
  const fit = JSON.parse(io.stdout());
  // Again in-process, to read the summary and fit times apart.
  const engine = await openSession(db);
  const again = await fitClv(engine, { unit: "week" });
  engine.close();
  report({
    seconds: commandSeconds,
    commandSeconds,
    summarySeconds: again.seconds.summary,
    fitSeconds: again.seconds.fit,
    customers: fit.customers,
    tuples: fit.tuples,
    bgnbd: fit.bgnbd,
    gammaGamma: fit.gammaGamma,
  });
} else if (mode === "baseline") {
  const [db] = args as [string];
  const engine = await openSession(db);
  const t0 = performance.now();
  const data = await perCustomerData(engine);
  const summarySeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const bg = fitNaiveBgNbd(data);
  const gg = fitNaiveGammaGamma(data);
  const fitSeconds = (performance.now() - t1) / 1000;
  engine.close();
  report({
    seconds: fitSeconds,
    summarySeconds,
    fitSeconds,
    customers: data.x.length,
    bgnbd: bg,
    gammaGamma: gg,
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}

interface PerCustomer {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  zbar: Float64Array;
}

/** One row per customer, as a straightforward implementation would read it. */
async function perCustomerData(engine: Engine): Promise<PerCustomer> {
  const span = await purchaseSpan(engine);
  await buildSummary(engine, span?.last ?? 0);
  const r = await engine.query(sql`SELECT x, tx_days, t_days, coalesce(zbar, 0) AS zbar FROM ${SUMMARY}`);
  const col = (name: string, scale = 1) => Float64Array.from(r.column(name), (v) => Number(v) / scale);
  return { x: col("x"), tx: col("tx_days", 7), T: col("t_days", 7), zbar: col("zbar") };
}

/** BG/NBD, every customer's terms at every evaluation (same optimiser and start as Tessera's fit). */
function fitNaiveBgNbd(d: PerCustomer): Record<string, number> {
  const n = d.x.length;
  const f = (v: Float64Array, g: Float64Array) => {
    const [r, alpha, a, b] = Array.from(v, Math.exp) as [number, number, number, number];
    let ll = 0;
    let dr = 0;
    let dal = 0;
    let da = 0;
    let db = 0;
    const lnBab = betaln(a, b);
    for (let i = 0; i < n; i++) {
      const x = d.x[i] as number;
      const lT = Math.log(alpha + (d.T[i] as number));
      const lTx = Math.log(alpha + (d.tx[i] as number));
      const A = betaln(a, b + x) - (r + x) * lT;
      const B = x > 0 ? betaln(a + 1, b + x - 1) - (r + x) * lTx : Number.NEGATIVE_INFINITY;
      ll += gammaln(r + x) - gammaln(r) + r * Math.log(alpha) - lnBab + logAddExp(A, B);
      const piA = x > 0 ? 1 / (1 + Math.exp(B - A)) : 1;
      const piB = 1 - piA;
      const psiABx = digamma(a + b + x);
      dr += digamma(r + x) - digamma(r) + Math.log(alpha) - piA * lT - piB * lTx;
      dal += r / alpha - (r + x) * (piA * Math.exp(-lT) + piB * Math.exp(-lTx));
      da += piA * (digamma(a) - psiABx) + piB * (digamma(a + 1) - psiABx) - digamma(a) + digamma(a + b);
      db +=
        piA * (digamma(b + x) - psiABx) +
        piB * (x > 0 ? digamma(b + x - 1) - psiABx : 0) -
        digamma(b) +
        digamma(a + b);
    }
    g[0] = (-r * dr) / n;
    g[1] = (-alpha * dal) / n;
    g[2] = (-a * da) / n;
    g[3] = (-b * db) / n;
    return -ll / n;
  };
  let meanT = 0;
  for (const t of d.T) meanT += t / n;
  const m = minimizeBfgs(f, [0, Math.log(Math.max(meanT / 10, 1e-3)), 0, 0], { maxIterations: 500 });
  const [r, alpha, a, b] = Array.from(m.x, Math.exp);
  return {
    r: r as number,
    alpha: alpha as number,
    a: a as number,
    b: b as number,
    iterations: m.iterations,
    evaluations: m.evaluations,
  };
}

/** Gamma-Gamma over every repeat customer's row at every evaluation. */
function fitNaiveGammaGamma(d: PerCustomer): Record<string, number> {
  const idx: number[] = [];
  let mean = 0;
  for (let i = 0; i < d.x.length; i++) {
    if ((d.x[i] as number) > 0 && (d.zbar[i] as number) > 0) {
      idx.push(i);
      mean += d.zbar[i] as number;
    }
  }
  mean /= idx.length;
  const n = idx.length;
  const f = (v: Float64Array, g: Float64Array) => {
    const [p, q, vv] = Array.from(v, Math.exp) as [number, number, number];
    let ll = 0;
    let dp = 0;
    let dq = 0;
    let dv = 0;
    for (const i of idx) {
      const x = d.x[i] as number;
      const z = d.zbar[i] as number;
      const den = vv + x * z;
      ll +=
        gammaln(p * x + q) -
        gammaln(p * x) -
        gammaln(q) +
        q * Math.log(vv) +
        (p * x - 1) * Math.log(z) +
        p * x * Math.log(x) -
        (p * x + q) * Math.log(den);
      const psi = digamma(p * x + q);
      dp += x * (psi - digamma(p * x) + Math.log(z) + Math.log(x) - Math.log(den));
      dq += psi - digamma(q) + Math.log(vv) - Math.log(den);
      dv += q / vv - (p * x + q) / den;
    }
    g[0] = (-p * dp) / n;
    g[1] = (-q * dq) / n;
    g[2] = (-vv * dv) / n;
    return -ll / n;
  };
  const m = minimizeBfgs(f, [0, Math.log(2), Math.log(mean)], { maxIterations: 500 });
  const [p, q, v] = Array.from(m.x, Math.exp);
  return { p: p as number, q: q as number, v: v as number, iterations: m.iterations };
}
