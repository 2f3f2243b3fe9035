import { createKey } from "../../src/access/keys.js";
import { serve } from "../../src/server/serve.js";
import { openSession, openStore } from "../../src/store/open-store.js";

/**
 * argv: database path. `tessera serve` for `npm run bench -- server`: a fresh database, an ingest key, the rate
 * limit out of the way (the load generator is one key). Reports its port and key, runs until SIGTERM (a clean
 * stop: everything acknowledged loaded), then reports its peak memory and the events stored.
 */
const [db] = process.argv.slice(2) as [string];
const store = await openStore(db);
const { key } = await store.write((s) => createKey(s, "ingest", "bench"));
await store.close();
const serving = await serve({
  db,
  port: 0,
  rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  liveRefreshMs: null,
});
process.send?.({ port: Number(new URL(serving.url).port), key });
process.on("SIGTERM", async () => {
  await serving.close();
  const check = await openSession(db);
  const n = Number((await check.query("SELECT count(*) AS n FROM events")).column("n")[0]);
  check.close();
  process.send?.({ peakMiB: Math.round(process.resourceUsage().maxRSS / 1024), stored: n }, () =>
    process.exit(0),
  );
});
