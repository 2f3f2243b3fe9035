import { type ChildProcess, fork } from "node:child_process";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { record, scratchDir } from "../measure.js";

/**
 * `npm run bench -- server` (issue 16, "Speed"): tracking ingestion on loopback, `tessera serve` beside a bare
 * node:http server that appends the same bodies to a file with one fdatasync per group of requests (the machine's
 * limit for a durable acknowledgement), side by side in one run: 16 keep-alive connections from a load generator
 * in this process, for TESSERA_BENCH_SECONDS (default 8) each, in batches of 100 events and then one event per
 * request. Reports events/s, p99 latency, the ratios to the bare server, Tessera's peak memory, and checks that
 * every acknowledged event is stored. Targets: batches ≥ 0.15 × bare with p99 ≤ 100 ms; single events ≥ 0.3 × bare.
 * (Freshness at 1M customers and reads under load are not measured yet.)
 */
const CONNECTIONS = 16;

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  readonly key?: string;
}

function start(script: string, args: string[]): Promise<Server> {
  const child = fork(script, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve({ child, ...(m as { port: number; key?: string }) }));
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

function stop(server: Server): Promise<Record<string, unknown>> {
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
  const auth = server.key ? `Basic ${Buffer.from(`${server.key}:`).toString("base64")}` : "";
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const post = (text: string) =>
    new Promise<number>((resolve) => {
      const req = request(
        {
          agent,
          host: "127.0.0.1",
          port: server.port,
          path,
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: auth,
            "content-length": Buffer.byteLength(text),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", () => resolve(0));
      req.end(text);
    });
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const status = await post(body(n++));
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
    p99Ms: Math.round((latencies[Math.floor(latencies.length * 0.99)] ?? 0) * 10) / 10,
    requests: latencies.length,
    failed,
    acknowledged: ok * eventsPerRequest,
  };
}

export async function serverBenchmark(): Promise<void> {
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
  const results: Record<string, Record<string, unknown>> = {};
  for (const [name, script, args] of [
    ["bare", `server-bare${ext}`, [join(scratch, "bare.log")]],
    ["tessera", `server-tessera${ext}`, [join(scratch, "tessera.duckdb")]],
  ] as const) {
    const server = await start(join(cases, script), [...args]);
    const batches = await load(server, name === "bare" ? "/" : "/v1/batch", batch, 100, seconds);
    const singles = await load(server, name === "bare" ? "/" : "/v1/track", single, 1, seconds);
    const stopped = await stop(server);
    results[name] = { batches, singles, ...stopped };
    console.error(
      `  ${name}: batches ${batches.eventsPerSecond} events/s (p99 ${batches.p99Ms} ms), single ${singles.eventsPerSecond} events/s (p99 ${singles.p99Ms} ms), peak ${stopped.peakMiB} MiB`,
    );
  }
  const b = results.bare as { batches: { eventsPerSecond: number }; singles: { eventsPerSecond: number } };
  const t = results.tessera as {
    batches: { eventsPerSecond: number; p99Ms: number; acknowledged: number };
    singles: { eventsPerSecond: number; acknowledged: number };
    stored: number;
    peakMiB: number;
  };
  const batchRatio = Math.round((t.batches.eventsPerSecond / b.batches.eventsPerSecond) * 1000) / 1000;
  const singleRatio = Math.round((t.singles.eventsPerSecond / b.singles.eventsPerSecond) * 1000) / 1000;
  const acknowledged = t.batches.acknowledged + t.singles.acknowledged;
  const line = {
    benchmark: "server",
    seconds,
    connections: CONNECTIONS,
    bare: results.bare,
    tessera: results.tessera,
    batchRatio,
    singleRatio,
    targets: {
      "batches >= 0.15 x bare": batchRatio >= 0.15,
      "batch p99 <= 100 ms": t.batches.p99Ms <= 100,
      "single >= 0.3 x bare": singleRatio >= 0.3,
      "peak <= 2 GiB": t.peakMiB <= 2048,
      "every acknowledged event stored": t.stored === acknowledged,
    },
  };
  console.log(JSON.stringify(line));
  if (ext === ".js") console.error(`  recorded in ${record("server", line)}`);
  if (t.stored !== acknowledged) throw new Error(`acknowledged ${acknowledged} events, stored ${t.stored}`);
}
