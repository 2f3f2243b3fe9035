/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard's browser tests (issue 21): a fixed small shop (the demo's generator, 2,000 customers, seed 42,
 * its data ending 2026-06-30), served by `serve` in this process with the built dashboard, and Debian's Chromium
 * driven by playwright-core (its own browser download cannot work here: .ci/run installs the `chromium` package).
 * (bench/chromium.ts launches it.) Every page records its console errors and uncaught exceptions, which each test expects to be none.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { launchChromium } from "../../bench/chromium.js";
import { demoOperation } from "../../src/operations/demo-operation.js";
import { runOnDatabase } from "../../src/operations/operation.js";
import { builtDashboard } from "../../src/server/dashboard.js";
import { type Serving, serve } from "../../src/server/serve.js";
import { apiKey, storedRows, tempDir } from "../helpers.js";

export interface DashboardShop<T = void> {
  readonly db: string;
  readonly url: string;
  /** An API key per role (made as an admin makes them: `tessera keys create`). */
  readonly keys: { readonly admin: string; readonly analyst: string; readonly marketer: string };
  readonly serving: Serving;
  /** What `prepare` returned: the test's expectations, read from the database before the server held it. */
  readonly prepared: T;
  close(): Promise<void>;
}

/**
 * The fixed shop, with what a test file adds to it (`prepare`: through the command line or the operations,
 * before the server opens the database), served with the dashboard on a free port.
 */
export async function dashboardShop<T = void>(
  prepare?: (db: string) => Promise<T>,
): Promise<DashboardShop<T>> {
  expect(builtDashboard(), "the dashboard is built (npm run build)").not.toBeNull();
  const db = join(tempDir("tessera-dashboard-"), "shop.duckdb");
  await runOnDatabase(db, demoOperation, { db, customers: 2000, seed: 42 });
  const prepared = (await prepare?.(db)) as T;
  const keys = {
    admin: (await apiKey(db, "admin")).key,
    analyst: (await apiKey(db, "analyst")).key,
    marketer: (await apiKey(db, "marketer")).key,
  };
  const serving = await serve({
    db,
    port: 0,
    liveRefreshMs: null,
    retentionEveryMs: null,
    deliveryPollMs: null,
  });
  return { db, url: serving.url, keys, serving, prepared, close: () => serving.close() };
}

/**
 * The shop served and a browser, for one test file: made before its tests (handed to `use`), closed after them.
 */
export function servedShop<T>(
  prepare: (db: string) => Promise<T>,
  use: (shop: DashboardShop<T>, browser: Browser) => void,
): void {
  let held: [DashboardShop<T>, Browser] | undefined;
  beforeAll(async () => {
    held = await Promise.all([dashboardShop(prepare), launchChromium()]);
    use(...held);
  }, 240_000);
  afterAll(async () => {
    await held?.[1].close();
    await held?.[0].close();
  });
}

/** A page and what went wrong in it: console errors and uncaught exceptions. */
export interface ViewPage {
  readonly page: Page;
  readonly errors: string[];
}

/**
 * Opens a view as a user with `key` would (the key in the address's fragment, as `serve --dashboard` prints it),
 * and waits until nothing is loading.
 */
export async function openView(
  browser: Browser,
  shop: DashboardShop<unknown>,
  path: string,
  key: string,
): Promise<ViewPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  watchTraffic(page);
  await page.goto(`${shop.url}${path}#key=${key}`);
  await settled(page);
  return { page, errors };
}

/** Requests of a page under way, and when the last began or ended. */
const traffic = new WeakMap<Page, { inflight: number; changed: number }>();

function watchTraffic(page: Page): void {
  const t = { inflight: 0, changed: Date.now() };
  const ended = () => {
    t.inflight--;
    t.changed = Date.now();
  };
  page.on("request", () => {
    t.inflight++;
    t.changed = Date.now();
  });
  page.on("requestfinished", ended);
  page.on("requestfailed", ended);
  traffic.set(page, t);
}

/** How long nothing may be asked before a view counts as settled: a click's effects start their loads within it. */
const QUIET_MS = 300;

/**
 * Opens a view and loads it again with every API answer recorded (`answers`: for the check that an analyst's page
 * receives no customer id).
 */
export async function openRecorded(
  browser: Browser,
  shop: DashboardShop<unknown>,
  path: string,
  key: string,
): Promise<ViewPage & { answers: string[] }> {
  const view = await openView(browser, shop, path, key);
  const answers = recordAnswers(view.page);
  await view.page.reload();
  await settled(view.page);
  return { ...view, answers };
}

/** Every control of the view at `path` is reached with Tab (an admin's view: the most controls), no error logged. */
export async function expectKeyboardReach(
  browser: Browser,
  shop: DashboardShop<unknown>,
  path: string,
): Promise<void> {
  const { page, errors } = await openView(browser, shop, path, shop.keys.admin);
  const { missed } = await keyboardReach(page);
  expect(missed).toEqual([]);
  expect(errors).toEqual([]);
}

/**
 * Narrows the page to a phone's width and checks that every chart is redrawn at a width its marks fit (no
 * `<rect>` of negative width, which Chromium logs as an error) and scrolls sideways instead when it is wider.
 */
export async function expectChartsFitNarrow(page: Page, errors: readonly string[]): Promise<void> {
  const before = errors.length;
  await page.setViewportSize({ width: 360, height: 900 });
  // ResizeObserver's redraw comes a frame or two after the resize.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const widths = await page.$$eval("figure.chart svg rect[width]", (rects) =>
    rects.map((r) => Number.parseFloat(r.getAttribute("width") ?? "")),
  );
  expect(widths.filter((w) => w > 0).length).toBeGreaterThan(0);
  expect(widths.filter((w) => w < 0)).toEqual([]);
  expect(errors.slice(before)).toEqual([]);
}

/**
 * Waits until the view has settled after what the test just did: no request under way and none begun for
 * QUIET_MS (counted from now too: the loads an action starts begin a frame or two later, and Playwright's
 * "networkidle" is a state of the page's load, reached once), and no "Loading …" shown.
 */
export async function settled(page: Page): Promise<void> {
  const t = traffic.get(page);
  const since = Date.now();
  const deadline = since + 30_000;
  for (;;) {
    const quiet = !t || (t.inflight === 0 && Date.now() - Math.max(t.changed, since) >= QUIET_MS);
    if (
      quiet &&
      (await page.evaluate(
        () => document.querySelectorAll(".loading").length === 0 && document.querySelector("main") !== null,
      ))
    )
      return;
    if (Date.now() > deadline) throw new Error("the view did not settle within 30 s");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Writes a screenshot of the whole page for review, `<name>.jpg` in test-results/screenshots or in
 * `TESSERA_SCREENSHOTS` (the README's are docs/screenshots: JPEG, small enough to commit).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.TESSERA_SCREENSHOTS ?? join(process.cwd(), "test-results", "screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.jpg`), fullPage: true, type: "jpeg", quality: 60 });
}

/** Every customer id the shop holds (an analyst's page and the answers it receives must name none). */
export async function customerIds(db: string): Promise<Set<string>> {
  const rows = await storedRows(db, "SELECT customer_id FROM customers");
  return new Set(rows.map((r) => String(r.customer_id)));
}

/**
 * Records the text of every API answer the page receives, to check that none names a person (an analyst's).
 */
export function recordAnswers(page: Page): string[] {
  const answers: string[] = [];
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/"))
      void r.text().then(
        (t) => answers.push(t),
        () => {},
      );
  });
  return answers;
}

/** The customer ids of `ids` that occur in `text` as whole words. */
export function idsIn(text: string, ids: Set<string>): string[] {
  return (text.match(/[A-Za-z0-9_-]+/g) ?? []).filter((w) => ids.has(w));
}

/** The text of every cell of a table (`data-table` name), row by row. */
export async function tableRows(page: Page, table: string): Promise<string[][]> {
  return page.$$eval(`table[data-table="${table}"] tbody tr`, (rows) =>
    rows.map((r) => [...r.querySelectorAll("th, td")].map((c) => (c.textContent ?? "").trim())),
  );
}

/**
 * Tabs through the page from its start and returns every element reached; each interactive element of `main`
 * (links, buttons, inputs, selects, text areas, summaries) must be among them.
 */
export async function keyboardReach(page: Page): Promise<{ reached: number; missed: string[] }> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const controls = await page.$$eval(
    "a[href], button, input, select, textarea, summary",
    (els) =>
      els.filter((e) => !(e as HTMLButtonElement).disabled && (e as HTMLElement).offsetParent !== null)
        .length,
  );
  const seen = new Set<string>();
  for (let i = 0; i < controls * 2 + 10; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const w = window as unknown as { reachCount?: number };
      if (!el.dataset.reach) {
        w.reachCount = (w.reachCount ?? 0) + 1;
        el.dataset.reach = String(w.reachCount);
      }
      return el.dataset.reach;
    });
    if (id === null) break;
    if (seen.has(id) && seen.size >= controls) break;
    seen.add(id);
  }
  const missed = await page.$$eval("a[href], button, input, select, textarea, summary", (els) =>
    els
      .filter((e) => !(e as HTMLButtonElement).disabled && (e as HTMLElement).offsetParent !== null)
      .filter((e) => !(e as HTMLElement).dataset.reach)
      .map((e) => e.outerHTML.slice(0, 120)),
  );
  return { reached: seen.size, missed };
}

export { launchChromium };
