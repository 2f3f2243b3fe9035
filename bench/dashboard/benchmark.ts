/// <reference lib="dom" />
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "../chromium.js";
import { median, record, runCase } from "../measure.js";
import { privacyBase } from "../privacy/benchmark.js";
import { SEGMENTS } from "../segments/definitions.js";
import { start, stop } from "../server/benchmark.js";
import { call } from "../server/http.js";

/**
 * `npm run bench -- dashboard` (issue 21, "Speed"), on the engine benchmark's data set (TESSERA_BENCH_CUSTOMERS,
 * default 1,000,000), brought once to what a dashboard user has (dashboard-setup: RFM, the segment benchmark's
 * segments with four refreshes of history, a recorded audit; cached beside the data set):
 * - the overview: from the page's request to every chart drawn and every figure shown, in a new browser context
 *   each time (nothing cached in the browser), the server warm (one load before); beside it, the same API
 *   answers fetched directly (what the page waits for at least): the page's own cost is the difference. The first
 *   load on a cold server is reported too;
 * - the builder's live size: `POST /api/segments/preview` of each of the segment benchmark's definitions, timed
 *   from the client, as the builder sends it;
 * - the JavaScript shipped for the first view, as the browser received it (compressed), and the whole bundle's.
 * Targets: overview ≤ 2 s, live size ≤ 1 s for a typical definition (the median of the 20; the slowest is
 * reported beside it), first view's JavaScript ≤ 250 KB compressed.
 */
const RUNS = Number(process.env.TESSERA_BENCH_RUNS ?? 5);

/**
 * The overview is complete: its figures shown, its charts drawn, nothing loading. A function, run in the page (the
 * page's content security policy refuses code given as a string).
 */
function complete(): boolean {
  const q = (s: string) => document.querySelector(s);
  return !!(
    q('[data-figure="customers"]') &&
    q('[data-figure="quality-score"]') &&
    q('[data-chart="lorenz"] svg') &&
    q('table[data-table="segments"] tbody tr') &&
    document.querySelectorAll(".loading").length === 0
  );
}

/** The dashboard's data set: the engine benchmark's imported one, set up once (minutes: the audit of 1M). */
async function dashboardBase(): Promise<{ db: string; customers: number; script: (name: string) => string }> {
  const { base, customers, seed, script } = await privacyBase();
  const cache = join(tmpdir(), `tessera-bench-dashboard-c${customers}-s${seed}`);
  mkdirSync(cache, { recursive: true });
  const db = join(cache, "dashboard.duckdb");
  const ready = join(cache, "dashboard.ready");
  if (!existsSync(ready)) {
    for (const f of [db, `${db}.wal`]) rmSync(f, { force: true });
    copyFileSync(base, db);
    console.error(`setting up ${db} (RFM, segments with history, an audit) …`);
    const setup = await runCase(script("dashboard-setup"), [db]);
    console.error(`  set up in ${setup.seconds.toFixed(0)} s`);
    writeFileSync(ready, "");
  }
  return { db, customers, script };
}

/** One load of the overview in a fresh browser context: seconds to complete, and the JavaScript it received. */
async function loadOverview(
  browser: Browser,
  url: string,
): Promise<{ seconds: number; jsBytes: number; requests: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const js: Promise<number>[] = [];
  let requests = 0;
  page.on("requestfinished", (req) => {
    requests++;
    if (req.url().endsWith(".js")) js.push(req.sizes().then((s) => s.responseBodySize));
  });
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForFunction(complete, undefined, { polling: "raf", timeout: 600_000 });
  const seconds = (performance.now() - t0) / 1000;
  if (errors.length > 0) throw new Error(`the overview logged errors: ${errors.join("; ")}`);
  const jsBytes = (await Promise.all(js)).reduce((a, b) => a + b, 0);
  await context.close();
  return { seconds, jsBytes, requests };
}

/** The overview's API answers fetched directly, at once, as the page asks them: seconds until the last. */
async function overviewApi(agent: Agent, port: number, key: string): Promise<number> {
  const auth = `Bearer ${key}`;
  const t0 = performance.now();
  const answers = await Promise.all([
    call(agent, port, "GET", "/api/me", auth),
    call(agent, port, "GET", "/api/overview", auth),
    call(agent, port, "GET", "/api/audit/runs", auth),
    call(agent, port, "POST", "/api/pareto", auth, "{}"),
  ]);
  const failed = answers.find((a) => a.status !== 200);
  if (failed) throw new Error(`an overview request failed: ${failed.status} ${failed.body.slice(0, 200)}`);
  return (performance.now() - t0) / 1000;
}

/** Bytes of the built bundle's JavaScript, Brotli-compressed as served (dist/web/assets/*.js.br). */
function bundleBytes(): number {
  const dir = join(import.meta.dirname, "..", "..", "web", "assets");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".js.br"))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function dashboardBenchmark(): Promise<void> {
  const { db, customers, script } = await dashboardBase();
  const server = await start(script("dashboard-serve"), [db]);
  const { port, key } = server as unknown as { port: number; key: string };
  const url = `http://127.0.0.1:${port}/#key=${key}`;
  const browser = await launchChromium();
  const agent = new Agent({ keepAlive: true });
  try {
    const cold = await loadOverview(browser, url);
    const loads = [];
    const api = [];
    for (let i = 0; i < RUNS; i++) {
      loads.push(await loadOverview(browser, url));
      api.push(await overviewApi(agent, port, key));
    }
    // The builder's live size, as it asks for it once the typing pauses: the definition checked, then previewed;
    // each definition twice (a user types on; the second asks the same again).
    const previews: number[] = [];
    let slowest = { id: "", seconds: 0 };
    const auth = `Bearer ${key}`;
    for (const def of SEGMENTS)
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        const body = JSON.stringify({ definition: def });
        for (const path of ["/api/segments/check", "/api/segments/preview"]) {
          const r = await call(agent, port, "POST", path, auth, body);
          if (r.status !== 200) throw new Error(`${path} of ${def.id}: ${r.status} ${r.body.slice(0, 200)}`);
        }
        const seconds = (performance.now() - t0) / 1000;
        previews.push(seconds);
        if (seconds > slowest.seconds) slowest = { id: def.id, seconds };
      }
    const overview = median(loads.map((l) => l.seconds));
    const apiSeconds = median(api);
    const preview = median(previews);
    const previewMax = Math.max(...previews);
    const firstViewKB = round(median(loads.map((l) => l.jsBytes)) / 1024, 1);
    const { peakMiB } = (await stop(server)) as { peakMiB: number };
    const line = {
      benchmark: "dashboard",
      customers,
      overviewSeconds: round(overview),
      overviewMaxSeconds: round(Math.max(...loads.map((l) => l.seconds))),
      overviewApiSeconds: round(apiSeconds),
      pageOverApi: round(overview / apiSeconds, 2),
      coldServerOverviewSeconds: round(cold.seconds),
      requests: loads[0]?.requests,
      previewSeconds: round(preview),
      previewMaxSeconds: round(previewMax),
      previewSlowest: slowest.id,
      previews: previews.length,
      firstViewJsKB: firstViewKB,
      bundleJsKB: round(bundleBytes() / 1024, 1),
      serverPeakMiB: peakMiB,
      // "A typical definition": the median over the segment benchmark's 20 (the slowest beside it).
      target: "overview <= 2 s; live size (median definition) <= 1 s; first view's JS <= 250 KB compressed",
      met: overview <= 2 && preview <= 1 && firstViewKB <= 250,
      runs: RUNS,
    };
    console.log(JSON.stringify(line));
    record("dashboard", line);
  } finally {
    agent.destroy();
    await browser.close();
    if (server.child.exitCode === null) server.child.kill("SIGTERM");
  }
}
