import { serve } from "../../src/server/serve.js";

/**
 * argv: database. `tessera serve --dashboard` for `npm run bench -- dashboard`: reports its port and the key of the
 * dashboard's address, runs until SIGTERM, then reports its peak memory.
 */
const [db] = process.argv.slice(2) as [string];
const serving = await serve({
  db,
  port: 0,
  dashboardKey: true,
  liveRefreshMs: null,
  retentionEveryMs: null,
  deliveryPollMs: null,
  internalError: (e, where) => console.error(`  server: ${where.method} ${where.url} failed:`, e),
});
if (!serving.dashboardUrl) throw new Error("the dashboard is not built: npm run build");
process.send?.({
  port: Number(new URL(serving.url).port),
  key: new URL(serving.dashboardUrl).hash.replace("#key=", ""),
});
process.on("SIGTERM", async () => {
  await serving.close();
  process.send?.({ peakMiB: Math.round(process.resourceUsage().maxRSS / 1024) }, () => process.exit(0));
});
