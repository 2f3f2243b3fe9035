import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Measured, record, runCase, scratchDir } from "../measure.js";

/**
 * `npm run bench -- privacy` (issue 17, "Speed"): erasing one person, with verification, on the engine benchmark's
 * data set (TESSERA_BENCH_CUSTOMERS customers, default 1,000,000; seed TESSERA_BENCH_SEED, default 7: ≥ 20M
 * events), imported into DuckDB once (cached in the temp folder beside the generated files). Each run erases
 * TESSERA_BENCH_PEOPLE people (default 6: the one with the most events, those at the 99.9th and 99th percentiles
 * of events per person, then others at random by the seed), one after another on a copy of that database, each
 * as `tessera privacy erase` does: the rows deleted with their identifiers' text rewritten, the freed space
 * overwritten, then every table and every byte of the file checked (and, where bytes were still found, moved out
 * of and checked again). Target: ≤ 10 s per person, verification included; its phases are reported apart (erase,
 * scrub, verify).
 */
/**
 * The engine benchmark's data set imported into DuckDB (cached beside its files; the activation benchmark shares
 * it), and how to name a case's script.
 */
export async function privacyBase(): Promise<{
  base: string;
  customers: number;
  seed: number;
  script: (name: string) => string;
}> {
  const customers = Number(process.env.TESSERA_BENCH_CUSTOMERS ?? 1_000_000);
  const seed = Number(process.env.TESSERA_BENCH_SEED ?? 7);
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const script = (name: string) => join(import.meta.dirname, "..", "cases", `${name}${ext}`);
  // The engine benchmark's files (generated once per size and seed), and a database imported from them.
  const cache = join(tmpdir(), `tessera-bench-engines-c${customers}-s${seed}`);
  mkdirSync(cache, { recursive: true });
  const base = join(cache, "privacy-base.duckdb");
  const ready = join(cache, "privacy-base.ready");
  if (!existsSync(ready)) {
    for (const f of [base, `${base}.wal`]) rmSync(f, { force: true });
    console.error(`importing the data set of ${customers} customers (seed ${seed}) into ${base} …`);
    const data = await runCase(script("engines-data"), [String(customers), String(seed), cache]);
    await runCase(script("engines-import"), [base, JSON.stringify(data.files)]);
    // A marker written last: a set-up cut short is made anew.
    writeFileSync(ready, "");
  }
  return { base, customers, seed, script };
}

export async function privacyBenchmark(): Promise<void> {
  const { base, customers, seed, script } = await privacyBase();
  const people = Number(process.env.TESSERA_BENCH_PEOPLE ?? 6);
  const db = join(scratchDir("privacy"), "erase.duckdb");
  copyFileSync(base, db);
  if (existsSync(`${base}.wal`)) copyFileSync(`${base}.wal`, `${db}.wal`);
  const m: Measured = await runCase(script("privacy-erase"), [db, String(people), String(seed)]);
  const runs = m.runs as {
    seconds: number;
    phases: Record<string, number>;
    verified: Record<string, unknown>;
  }[];
  const worst = Math.max(...runs.map((r) => r.seconds));
  const line = {
    benchmark: "privacy-erase",
    customers,
    databaseMiB: m.databaseMiB,
    people: runs.length,
    worstSeconds: round(worst),
    runs: runs.map((r) => ({
      seconds: round(r.seconds),
      erase: round(r.phases.erase ?? 0),
      scrub: round(r.phases.scrub ?? 0),
      verify: round(r.phases.verify ?? 0),
      events: (r as { events?: number }).events,
      rowsRemoved: (r as { rowsRemoved?: number }).rowsRemoved,
      tables: r.verified.tables,
      bytes: r.verified.bytes,
      bytesReadMiB: Math.round(Number(r.verified.bytesRead ?? 0) / 1048576),
    })),
    peakMiB: m.peakMiB,
    target: "seconds per person (verification included) <= 10",
    met: worst <= 10 && runs.every((r) => r.verified.tables === true && r.verified.bytes === true),
  };
  console.log(JSON.stringify(line, null, 2));
  record("privacy", line);
}

const round = (x: number): number => Math.round(x * 100) / 100;
