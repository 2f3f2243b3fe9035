import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCase, scratchDir } from "../measure.js";
import { start, stop } from "./benchmark.js";
import { basic, bearer, call, percentile } from "./http.js";

/**
 * The live part of `npm run bench -- server` (issue 16, "Speed": freshness and reads): `tessera serve` on the
 * segment benchmark's data set (TESSERA_BENCH_CUSTOMERS, default 1,000,000; its 20 definitions, RFM scored),
 * generated to end yesterday so that live events are today's, as they would be. While a load generator sends
 * LIVE_RATE events a second (batches of 20 every 10 ms, an SDK's way, open loop: the rate holds whatever the
 * latency), it measures:
 *
 * - freshness: every 500 ms one probe event (`Bench Probe` for a person not yet probed) that puts its person in the
 *   probe segment (`{"event": "Bench Probe", "within": "1d"}`); the time from its acknowledgement to the segment's
 *   size counting it (`GET /api/segments/bench-probe`, polled every 100 ms; probes enter in the order they were
 *   acknowledged, as the log loads them in order). Target: p95 ≤ 5 s.
 * - reads: 50 concurrent readers (an analyst key, closed loop, no pause) alternating `GET /api/segments` and one
 *   segment (`GET /api/segments/{id}`, its size). Target: p99 ≤ 50 ms each. Peak memory ≤ 2 GiB.
 *
 * The data set and its database (imported, scored, segments saved and refreshed) are cached in the temp folder,
 * keyed by size, seed and end date; each run serves a copy.
 */
export const PROBE_SEGMENT = {
  id: "bench-probe",
  name: "Benchmark probe: people who sent a probe event today",
  where: { event: "Bench Probe", within: "1d" },
};
const LIVE_RATE = 2000;
const READERS = 50;
const EVENTS = ["Product Viewed", "Page Viewed", "Product Added", "Email Opened", "Checkout Started"];

export async function liveBenchmark(): Promise<Record<string, unknown>> {
  const customers = Number(process.env.TESSERA_BENCH_CUSTOMERS ?? 1_000_000);
  const seed = Number(process.env.TESSERA_BENCH_SEED ?? 7);
  const seconds = Number(process.env.TESSERA_BENCH_LIVE_SECONDS ?? 60);
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const cases = join(import.meta.dirname, "..", "cases");
  const script = (name: string) => join(cases, `${name}${ext}`);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const cache = join(tmpdir(), `tessera-bench-server-c${customers}-s${seed}-${yesterday}`);
  const base = join(cache, "base.duckdb");
  const idsFile = join(cache, "ids.json");
  if (!existsSync(idsFile)) {
    // A set-up cut short left a database half made: made anew.
    for (const f of [base, `${base}.wal`]) rmSync(f, { force: true });
    console.error(
      `  live: building the data set of ${customers} customers ending ${yesterday} in ${cache} …`,
    );
    const data = await runCase(script("engines-data"), [String(customers), String(seed), cache, yesterday]);
    await runCase(script("engines-import"), [base, JSON.stringify(data.files)]);
    await runCase(script("server-live-setup"), [base, idsFile]);
  }
  const ids = JSON.parse(readFileSync(idsFile, "utf8")) as string[];
  const db = join(scratchDir("server-live"), "live.duckdb");
  copyFileSync(base, db);
  if (existsSync(`${base}.wal`)) copyFileSync(`${base}.wal`, `${db}.wal`);

  const server = await start(script("server-tessera"), [db, "live"]);
  const keys = server as unknown as { key: string; admin: string; analyst: string; port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const ingest = basic(keys.key);
  const analyst = bearer(keys.analyst);
  const post = (path: string, body: object) =>
    call(agent, server.port, "POST", path, ingest, JSON.stringify(body));

  // The background: LIVE_RATE events a second in batches of 20, on schedule whatever the answers' latency.
  let sent = 0;
  let failedBatches = 0;
  const inFlight = new Set<Promise<unknown>>();
  const t0 = performance.now();
  const background = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * (LIVE_RATE / 20));
    for (; sent < due; sent++) {
      const n = sent;
      const p: Promise<unknown> = post("/v1/batch", {
        batch: Array.from({ length: 20 }, (_, i) => ({
          type: "track",
          userId: ids[(n * 20 + i) % ids.length],
          event: EVENTS[(n + i) % EVENTS.length],
          messageId: `live-${n}-${i}`,
          properties: { sku: `SKU-${(n * 7 + i) % 500}`, price: 9.99 + (i % 5) },
        })),
      }).then((r) => {
        if (r.status !== 200) failedBatches++;
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
  }, 10);

  // Freshness: a probe every 500 ms, each for a person not probed before (the last ids, apart from the background's).
  const acked: number[] = [];
  const seen: number[] = [];
  let probes = 0;
  const probing = setInterval(() => {
    const i = probes++;
    void post("/v1/track", {
      userId: ids[ids.length - 1 - i],
      event: "Bench Probe",
      messageId: `probe-${i}`,
    }).then((r) => {
      if (r.status === 200) acked[i] = performance.now();
    });
  }, 500);
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const r = await call(agent, server.port, "GET", "/api/segments/bench-probe", analyst);
      const size = r.status === 200 ? ((JSON.parse(r.body) as { size?: number }).size ?? 0) : 0;
      const now = performance.now();
      while (seen.length < size) seen.push(now);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(probing);
  // The last probes get up to 30 s to show; one that never does counts as 30 s.
  const deadline = performance.now() + 30_000;
  while (seen.length < probes && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  polling = false;
  await poll;
  const freshness = Array.from({ length: probes }, (_, i) =>
    acked[i] === undefined ? 30_000 : Math.max(0, (seen[i] ?? acked[i] + 30_000) - (acked[i] as number)),
  ).sort((a, b) => a - b);

  // Reads under load: 50 readers, the background still running.
  const readSeconds = Number(process.env.TESSERA_BENCH_READ_SECONDS ?? 20);
  const lists: number[] = [];
  const shows: number[] = [];
  let readFailures = 0;
  const segmentIds = ["eu-adults", "frequent-buyers", "vip-reachable", "cart-abandoners", "bench-probe"];
  const readEnd = performance.now() + readSeconds * 1000;
  await Promise.all(
    Array.from({ length: READERS }, async (_, reader) => {
      for (let n = 0; performance.now() < readEnd; n++) {
        const list = (n + reader) % 2 === 0;
        const path = list ? "/api/segments" : `/api/segments/${segmentIds[n % segmentIds.length]}`;
        const t = performance.now();
        const r = await call(agent, server.port, "GET", path, analyst);
        (list ? lists : shows).push(performance.now() - t);
        if (r.status !== 200) readFailures++;
      }
    }),
  );
  clearInterval(background);
  await Promise.all(inFlight);
  // The clients leave first (as they would), then the server stops.
  agent.destroy();
  const stopped = await stop(server);
  lists.sort((a, b) => a - b);
  shows.sort((a, b) => a - b);
  const result = {
    customers,
    seconds,
    eventsSent: sent * 20,
    failedBatches,
    probes,
    freshnessP50Ms: percentile(freshness, 0.5),
    freshnessP95Ms: percentile(freshness, 0.95),
    freshnessMaxMs: percentile(freshness, 1),
    reads: {
      readers: READERS,
      seconds: readSeconds,
      list: { requests: lists.length, p50Ms: percentile(lists, 0.5), p99Ms: percentile(lists, 0.99) },
      segment: { requests: shows.length, p50Ms: percentile(shows, 0.5), p99Ms: percentile(shows, 0.99) },
      failures: readFailures,
    },
    ...stopped,
    targets: {} as Record<string, boolean>,
  };
  result.targets = {
    "freshness p95 <= 5 s": result.freshnessP95Ms <= 5000,
    "list p99 <= 50 ms": result.reads.list.p99Ms <= 50,
    "segment p99 <= 50 ms": result.reads.segment.p99Ms <= 50,
    "peak <= 2 GiB": (stopped.peakMiB as number) <= 2048,
    "every batch acknowledged": failedBatches === 0 && readFailures === 0,
  };
  console.error(
    `  live: freshness p95 ${result.freshnessP95Ms} ms (p50 ${result.freshnessP50Ms}, ${probes} probes), reads p99 list ${result.reads.list.p99Ms} ms / segment ${result.reads.segment.p99Ms} ms under ${READERS} readers, peak ${stopped.peakMiB} MiB`,
  );
  return result;
}
