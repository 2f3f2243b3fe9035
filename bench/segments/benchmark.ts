import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  freshMemorySecondsPerGiB,
  type Measured,
  median,
  record,
  runCase,
  scratchDir,
  transparentHugePages,
} from "../measure.js";
import { SEGMENTS } from "./definitions.js";
import { pgServer, stopServer } from "./postgres.js";

/**
 * `npm run bench -- segments`: the segment refresh benchmark (issue 3, "Speed"). On the synthetic data set of
 * TESSERA_BENCH_CUSTOMERS customers (default 1,000,000; seed TESSERA_BENCH_SEED, default 7), with the 20
 * definitions of definitions.ts, side by side:
 *   (a) our full refresh of all 20 (refreshSegments, mode "full");
 *   (a0) our evaluation alone: the same features and members in temporary tables, nothing stored (a backtest),
 *        beside (b), which stores nothing either: what the refresh's persisting costs shows as (a) − (a0);
 *   (b) one hand-written SQL query per segment (queries.ts) on the same DuckDB file, one after another;
 *   (c) the same queries on PostgreSQL 15, loaded with the same data (COPY of CSV exported from DuckDB);
 *   and an incremental refresh after 1% more events (TESSERA_BENCH_INC_SCENARIO: "day", the default, replays them
 *   within the day after as-of and refreshes a day later; "span" keeps their pace, see cases/segments-incremental).
 * (a), (a0) and (b) run TESSERA_BENCH_RUNS times (default 3), alternating, and their medians are compared; so does the
 * incremental refresh (each run on a fresh copy of the last full refresh's file); (c) runs once. Every case runs
 * in its own process (peak memory is its own), and reports the CPU seconds of its measured part beside the wall
 * clock. Counts must match between (a), (b) and (c), and the last incremental refresh must equal a full one, or
 * the benchmark fails. The generated and imported database is cached in the temp folder, keyed by size and
 * seed, and so are the CSV export and the loaded PostgreSQL cluster (TESSERA_BENCH_PG_RELOAD=1 loads it again;
 * TESSERA_BENCH_SKIP_PG=1 leaves PostgreSQL out).
 */
// v2: events stored in time order within each import (src/ingest/load-facts.ts).
const CACHE_VERSION = "v2";
const GiB = 1024;

/** Flushes a file to disk (what a fresh copy still holds in dirty pages would slow the next case down). */
function settle(path: string): void {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

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

  // The cached database, set up once per benchmark run (RFM scored, segments saved); each full refresh then works
  // on a fresh copy of it, since a refresh writes membership history into the file.
  // Removed at the end (below), and when the process ends otherwise (an error, Ctrl-C).
  const scratch = scratchDir("segments-run");
  const setupDb = join(scratch, "setup.duckdb");
  const db = join(scratch, "tessera.duckdb");
  const pgRoot = join(cache, "postgres");
  const runs = Number(process.env.TESSERA_BENCH_RUNS ?? 3);
  const freshMemory = freshMemorySecondsPerGiB();
  console.error(`  this machine: ${freshMemory} s per GiB of memory touched for the first time`);
  try {
    copyFileSync(join(cache, "tessera.duckdb"), setupDb);
    settle(setupDb);
    const setup = await runCase(script("setup"), [setupDb, asOf.toISOString()]);
    console.error(
      `  RFM scored and ${SEGMENTS.length} segments saved (${setup.computed} computed values registered)`,
    );

    // (b) and (a) alternate, so that neither gets a quieter machine; medians are reported.
    const plainRuns: Measured[] = [];
    const oursRuns: Measured[] = [];
    const evalRuns: Measured[] = [];
    for (let i = 0; i < runs; i++) {
      const p = await runCase(script("plain"), [setupDb, asOf.toISOString()]);
      plainRuns.push(p);
      console.error(
        `  (b) hand-written queries on DuckDB: ${p.seconds.toFixed(2)} s, peak ${p.peakMiB} MiB, ${p.minorFaults} page faults`,
      );
      copyFileSync(setupDb, db);
      // The copy's pages must reach the disk before the timing starts, or writing them back competes with (a).
      settle(db);
      const o = await runCase(script("ours"), [db, asOf.toISOString()]);
      oursRuns.push(o);
      console.error(
        `  (a) our full refresh: ${o.seconds.toFixed(2)} s, peak ${o.peakMiB} MiB, ${o.minorFaults} page faults`,
      );
      // Temporary tables only: the set-up file is left as it was.
      const e = await runCase(script("evaluate"), [setupDb, asOf.toISOString()]);
      evalRuns.push(e);
      console.error(
        `  (a0) our evaluation, nothing stored: ${e.seconds.toFixed(2)} s, peak ${e.peakMiB} MiB, ${e.minorFaults} page faults`,
      );
    }
    const plain = plainRuns[0] as Measured;
    const ours = oursRuns[0] as Measured;
    // After the last full refresh, each run on a fresh copy of its file (a run replays events into it).
    const scenario = process.env.TESSERA_BENCH_INC_SCENARIO ?? "day";
    const incDb = join(scratch, "incremental.duckdb");
    const incRuns: Measured[] = [];
    for (let i = 0; i < runs; i++) {
      copyFileSync(db, incDb);
      settle(incDb);
      const r = await runCase(script("incremental"), [incDb, asOf.toISOString(), scenario]);
      incRuns.push(r);
      console.error(
        `  incremental refresh after 1% more events: ${r.seconds.toFixed(2)} s (${r.mode}, ${r.recomputed} customers recomputed), peak ${r.peakMiB} MiB`,
      );
    }
    const incSeconds = median(incRuns.map((r) => r.seconds));
    const inc = incRuns.find((r) => r.seconds === incSeconds) ?? (incRuns[0] as Measured);
    rmSync(db, { force: true });
    // The check: a full refresh at the same time as the last incremental run, on its file, finds the same members
    // and changes no stay.
    const check = await runCase(script("ours"), [incDb, (incRuns.at(-1) as Measured).later as string]);
    rmSync(incDb, { force: true });

    let postgres: Measured | null = null;
    let pgError: string | null = null;
    if (!skipPg) {
      console.error("  (c) hand-written queries on PostgreSQL 15 …");
      // A load exports CSV from the set-up copy (it holds the RFM table the queries read).
      const csvDir = join(cache, "pg-csv");
      const reload = process.env.TESSERA_BENCH_PG_RELOAD === "1" ? "reload" : "reuse";
      try {
        postgres = await runCase(script("postgres"), [setupDb, asOf.toISOString(), pgRoot, csvDir, reload]);
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
    const lastInc = incRuns.at(-1) as Measured;
    for (const { id } of SEGMENTS) {
      if ((lastInc.sizes as Record<string, number>)[id] !== (check.sizes as Record<string, number>)[id])
        mismatches.push(`${id}: incremental differs from full at ${lastInc.later}`);
    }
    if (check.changes !== 0)
      mismatches.push(`a full refresh after the incremental one changed ${check.changes} stays`);

    for (const r of [...plainRuns.slice(1), ...oursRuns.slice(1), ...evalRuns]) {
      for (const { id } of SEGMENTS) {
        const other = (r.sizes as Record<string, number>)[id];
        if (other !== (ours.sizes as Record<string, number>)[id])
          mismatches.push(
            `${id}: ${other} in one run, ${(ours.sizes as Record<string, number>)[id]} in the first full refresh`,
          );
      }
    }
    const a = median(oursRuns.map((r) => r.seconds));
    const b = median(plainRuns.map((r) => r.seconds));
    const c = postgres?.seconds ?? null;
    const incShare = incSeconds / a;
    // CPU seconds of the measured part (medians): the work, steadier than wall time on a shared machine.
    const cpu = (xs: readonly Measured[]) => ({
      user: round(median(xs.map((r) => r.cpuUserSeconds as number))),
      system: round(median(xs.map((r) => r.cpuSystemSeconds as number))),
    });
    const [oursCpu, plainCpu, incCpu, evalCpu] = [cpu(oursRuns), cpu(plainRuns), cpu(incRuns), cpu(evalRuns)];
    const a0 = median(evalRuns.map((r) => r.seconds));
    const oursPeakMiB = Math.max(...oursRuns.map((r) => r.peakMiB));
    const peakMiB = Math.max(oursPeakMiB, ...incRuns.map((r) => r.peakMiB));
    const line = {
      benchmark: "segments",
      customers,
      seed,
      rows: counts,
      segments: SEGMENTS.length,
      features: ours.features,
      asOf: asOf.toISOString(),
      runs,
      oursFullSeconds: round(a),
      duckdbSqlSeconds: round(b),
      oursFullRuns: oursRuns.map((r) => round(r.seconds)),
      duckdbSqlRuns: plainRuns.map((r) => round(r.seconds)),
      postgresSqlSeconds: c === null ? null : round(c),
      oursOverDuckdbSql: round(a / b),
      evaluateOnlySeconds: round(a0),
      evaluateOnlyRuns: evalRuns.map((r) => round(r.seconds)),
      evaluateOnlyOverDuckdbSql: round(a0 / b),
      evaluateOnlyOverDuckdbSqlCpuUser: round(evalCpu.user / plainCpu.user),
      postgresOverOurs: c === null ? null : round(c / a),
      // Where the time goes in the median full run and in the incremental one: features, segments (stays), commit.
      oursPhases: oursRuns.find((r) => r.seconds === a)?.phases ?? null,
      incrementalPhases: inc.phases,
      incrementalSeconds: round(incSeconds),
      incrementalRuns: incRuns.map((r) => round(r.seconds)),
      cpuSeconds: { ours: oursCpu, duckdbSql: plainCpu, incremental: incCpu, evaluateOnly: evalCpu },
      oursOverDuckdbSqlCpuUser: round(oursCpu.user / plainCpu.user),
      incrementalShareOfFullCpuUser: round(incCpu.user / oursCpu.user),
      incrementalShareOfFull: round(incShare),
      incrementalMode: inc.mode,
      incrementalScenario:
        inc.scenario === "span"
          ? `the latest 1% of events (${inc.replaySpanHours} h) replayed at their pace, refresh that much later`
          : `the latest 1% of events (${inc.replaySpanHours} h of traffic) replayed within the next day, refresh a day later`,
      incrementalAddedEvents: inc.addedEvents,
      incrementalTouchedCustomers: inc.touchedCustomers,
      incrementalRecomputed: inc.recomputed,
      fullAtLaterSeconds: round(check.seconds),
      oursPeakMiB,
      incrementalPeakMiB: Math.max(...incRuns.map((r) => r.peakMiB)),
      duckdbSqlPeakMiB: Math.max(...plainRuns.map((r) => r.peakMiB)),
      evaluateOnlyPeakMiB: Math.max(...evalRuns.map((r) => r.peakMiB)),
      // Pages first touched (medians), and what this machine charges for them: both cases pay it.
      oursMinorFaults: median(oursRuns.map((r) => r.minorFaults)),
      duckdbSqlMinorFaults: median(plainRuns.map((r) => r.minorFaults)),
      freshMemorySecondsPerGiB: freshMemory,
      transparentHugePages: transparentHugePages(),
      sizes: ourSizes,
      // Each query's median over the runs.
      duckdbSqlPerQuery: Object.fromEntries(
        SEGMENTS.map(({ id }) => [
          id,
          round(median(plainRuns.map((r) => (r.perQuery as Record<string, number>)[id] as number))),
        ]),
      ),
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
        "incremental <= 15% of full": incShare <= 0.15 && incRuns.every((r) => r.mode === "incremental"),
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
