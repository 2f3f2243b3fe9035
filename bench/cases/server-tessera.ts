import { createKey } from "../../src/access/keys.js";
import { serve } from "../../src/server/serve.js";
import { openSession, openStore } from "../../src/store/open-store.js";

/**
 * argv: database path, mode. `tessera serve` for `npm run bench -- server`, with the rate limit out of the way (the
 * load generator is one key per role). Mode "fresh" (the ingestion part): a new database, an ingest key, no live
 * segments. Mode "live": a database with data and segments, live segments on as `tessera serve` has them, and an
 * admin and an analyst key besides. Reports its port and keys, runs until SIGTERM (a clean stop: everything
 * acknowledged loaded), then reports its peak memory, the events stored and how long loading the rest took.
 */
const [db, mode = "fresh"] = process.argv.slice(2) as [string, string?];
const store = await openStore(db);
const keys = await store.write(async (s) => ({
  key: (await createKey(s, "ingest", "bench")).key,
  admin: (await createKey(s, "admin", "bench")).key,
  analyst: (await createKey(s, "analyst", "bench")).key,
}));
await store.close();
const serving = await serve({
  db,
  port: 0,
  rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  ...(mode === "live" ? {} : { liveRefreshMs: null }),
  // A failed load or refresh must show: the benchmark would otherwise measure a server that does nothing.
  internalError: (e, where) => console.error(`  server: ${where.method} ${where.url} failed:`, e),
});
process.send?.({ port: Number(new URL(serving.url).port), ...keys });
process.on("SIGTERM", async () => {
  const t = performance.now();
  await serving.close();
  // How long the stop took to load what the store had not yet: the backlog the load left.
  const drainSeconds = Math.round(performance.now() - t) / 1000;
  const check = await openSession(db);
  const n = Number((await check.query("SELECT count(*) AS n FROM events")).column("n")[0]);
  check.close();
  process.send?.(
    { peakMiB: Math.round(process.resourceUsage().maxRSS / 1024), stored: n, drainSeconds },
    () => process.exit(0),
  );
});
