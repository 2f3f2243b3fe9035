import { type ChildProcess, fork } from "node:child_process";
import { Agent } from "node:http";
import { join } from "node:path";
import { record, scratchDir } from "../measure.js";
import { basic, call, percentile } from "./http.js";
import { liveBenchmark } from "./live.js";

/**
 * `npm run bench -- server` (issue 16, "Speed"): tracking ingestion on loopback, `tessera serve` beside a bare
 * node:http server that appends the same bodies to a file with one fdatasync per group of requests (the machine's
 * limit for a durable acknowledgement), side by side in one run: 16 keep-alive connections from a load generator
 * in this process, for TESSERA_BENCH_SECONDS (default 8) each, in batches of 100 events and then one event per
 * request, the servers alternating TESSERA_BENCH_ROUNDS times (default 3; medians reported). Reports events/s, p99 latency, the ratios to the bare server, Tessera's peak memory, and checks that
 * every acknowledged event is stored. Targets: batches ≥ 0.15 × bare with p99 ≤ 100 ms; single events ≥ 0.3 × bare.
 * Then the live part (live.ts): freshness and reads under load on the 1M-customer data set.
 */
const CONNECTIONS = 16;

export interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  readonly key?: string;
}

export function start(script: string, args: string[]): Promise<Server> {
  // TESSERA_BENCH_PROFILE=DIR: each server writes a V8 CPU profile there (where its time goes).
  const profile = process.env.TESSERA_BENCH_PROFILE;
  const child = fork(script, args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    ...(profile ? { execArgv: [...process.execArgv, "--cpu-prof", `--cpu-prof-dir=${profile}`] } : {}),
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve({ child, ...(m as { port: number; key?: string }) }));
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

export function stop(server: Server): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    server.child.once("message", (m) => resolve(m as Record<string, unknown>));
    server.child.kill("SIGTERM");
  });
}

/** One load: CONNECTIONS loops posting bodies for `seconds`; events acknowledged and each request's latency. */
async function load(
  server: Server,
  path: string,
  body: (n: number) => string,
  eventsPerRequest: number,
  seconds: number,
): Promise<{
  eventsPerSecond: number;
  p99Ms: number;
  requests: number;
  failed: number;
  acknowledged: number;
}> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const auth = server.key ? basic(server.key) : "";
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const { status } = await call(agent, server.port, "POST", path, auth, body(n++));
      latencies.push(performance.now() - t);
      if (status !== 200) failed++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ok = latencies.length - failed;
  return {
    eventsPerSecond: Math.round((ok * eventsPerRequest) / elapsed),
    p99Ms: percentile(latencies, 0.99),
    requests: latencies.length,
    failed,
    acknowledged: ok * eventsPerRequest,
  };
}

export async function serverBenchmark(): Promise<void> {
  // TESSERA_BENCH_PARTS: "ingest", "live" or both (default).
  const parts = (process.env.TESSERA_BENCH_PARTS ?? "ingest,live").split(",");
  const ingest = parts.includes("ingest") ? await ingestBenchmark() : null;
  const live = parts.includes("live") ? await liveBenchmark() : null;
  const line = { benchmark: "server", ...(ingest ?? {}), ...(live ? { live } : {}) };
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  console.log(JSON.stringify(line));
  if (ext === ".js") console.error(`  recorded in ${record("server", line)}`);
}

async function ingestBenchmark(): Promise<Record<string, unknown>> {
  const seconds = Number(process.env.TESSERA_BENCH_SECONDS ?? 8);
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const cases = join(import.meta.dirname, "..", "cases");
  const scratch = scratchDir("server");
  const batch = (n: number) =>
    JSON.stringify({
      batch: Array.from({ length: 100 }, (_, i) => ({
        type: "track",
        anonymousId: `v${(n * 100 + i) % 50_000}`,
        event: "Product Viewed",
        messageId: `b-${n}-${i}`,
        properties: { sku: `SKU-${i}`, price: 19.99 },
      })),
    });
  const single = (n: number) =>
    JSON.stringify({
      anonymousId: `v${n % 50_000}`,
      event: "Product Viewed",
      messageId: `s-${n}`,
      properties: { sku: "SKU-1" },
    });
  // Each run on a fresh server and store (the single events are not measured while the store is still loading the
  // batches' backlog; the stop reports how long loading what was left took: `drainSeconds`). The two servers
  // alternate, TESSERA_BENCH_ROUNDS times (default 3), and each reports its median run: a durable acknowledgement
  // waits on the disk's fdatasync, whose latency varies from run to run by a third.
  const rounds = Number(process.env.TESSERA_BENCH_ROUNDS ?? 3);
  const servers = [
    ["bare", `server-bare${ext}`, "bare.log"],
    ["tessera", `server-tessera${ext}`, "tessera.duckdb"],
  ] as const;
  const modes = [
    ["batches", "/v1/batch", batch, 100],
    ["singles", "/v1/track", single, 1],
  ] as const;
  const runs: Record<string, Record<string, Record<string, unknown>[]>> = { bare: {}, tessera: {} };
  for (let round = 0; round < rounds; round++)
    for (const [mode, path, body, per] of modes)
      for (const [name, script, file] of servers) {
        const server = await start(join(cases, script), [join(scratch, `${round}-${mode}-${file}`)]);
        const measured = await load(server, name === "bare" ? "/" : path, body, per, seconds);
        const stopped = await stop(server);
        const byMode = runs[name] as Record<string, Record<string, unknown>[]>;
        byMode[mode] = [...(byMode[mode] ?? [])];
        (byMode[mode] as Record<string, unknown>[]).push({
          ...measured,
          ...stopped,
        });
      }
  const results: Record<string, Record<string, unknown>> = {};
  for (const [name] of servers) {
    const byMode: Record<string, unknown> = {};
    for (const [mode] of modes) {
      const all = (runs[name]?.[mode] ?? []) as { eventsPerSecond: number }[];
      const sorted = [...all].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
      byMode[mode] = { ...sorted[Math.floor(sorted.length / 2)], runs: all.map((r) => r.eventsPerSecond) };
    }
    results[name] = byMode;
    const m = byMode as Record<string, { eventsPerSecond: number; p99Ms: number; peakMiB: number }>;
    console.error(
      `  ${name} (median of ${rounds}): batches ${m.batches?.eventsPerSecond} events/s (p99 ${m.batches?.p99Ms} ms), single ${m.singles?.eventsPerSecond} events/s (p99 ${m.singles?.p99Ms} ms), peak ${Math.max(m.batches?.peakMiB ?? 0, m.singles?.peakMiB ?? 0)} MiB`,
    );
  }
  type Mode = {
    eventsPerSecond: number;
    p99Ms: number;
    acknowledged: number;
    stored: number;
    peakMiB: number;
  };
  const b = results.bare as { batches: Mode; singles: Mode };
  const t = results.tessera as { batches: Mode; singles: Mode };
  const batchRatio = Math.round((t.batches.eventsPerSecond / b.batches.eventsPerSecond) * 1000) / 1000;
  const singleRatio = Math.round((t.singles.eventsPerSecond / b.singles.eventsPerSecond) * 1000) / 1000;
  const everyRun = modes.flatMap(([mode]) => (runs.tessera?.[mode] ?? []) as unknown as Mode[]);
  const allStored = everyRun.every((r) => r.stored === r.acknowledged);
  const peakMiB = Math.max(t.batches.peakMiB, t.singles.peakMiB);
  const line = {
    seconds,
    rounds,
    connections: CONNECTIONS,
    bare: results.bare,
    tessera: results.tessera,
    batchRatio,
    singleRatio,
    targets: {
      "batches >= 0.15 x bare": batchRatio >= 0.15,
      "batch p99 <= 100 ms": t.batches.p99Ms <= 100,
      "single >= 0.3 x bare": singleRatio >= 0.3,
      "peak <= 2 GiB": peakMiB <= 2048,
      "every acknowledged event stored": allStored,
    },
  };
  for (const r of everyRun)
    if (r.stored !== r.acknowledged)
      throw new Error(`acknowledged ${r.acknowledged} events, stored ${r.stored}`);
  return line;
}
