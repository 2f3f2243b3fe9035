import type { Browser } from "playwright-core";
import { describe, expect, it } from "vitest";
import { suppressPartition } from "../../src/privacy/k-gate.js";
import { storedRows } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  expectKeyboardReach,
  idsIn,
  openRecorded,
  openView,
  screenshot,
  servedShop,
  settled,
  tableRows,
} from "./harness.js";

const K = 10;
const count = (n: number) => n.toLocaleString("en-US");
const share = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const money = (x: number) =>
  x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A purchase as the analytics count one (src/analytics/summaries.ts, PURCHASE_SQL), in the test's own SQL. */
const PURCHASE = "abs(total) < 1e12 AND (total > 0 OR (total = 0 AND coalesce(returned, 0) = 0))";

/**
 * What the value view must show, read from the stored values by SQL before the server holds the database (the
 * demo stores RFM scores and CLV predictions): the R × F counts, the segments, every stored CLV, and each
 * first-purchase cohort's count and mean P(alive).
 */
async function expectations(db: string) {
  const num = (rows: Record<string, unknown>[]) =>
    rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])),
    );
  const grid = num(
    await storedRows(db, "SELECT r_score AS r, f_score AS f, count(*) AS n FROM customer_rfm GROUP BY ALL"),
  ) as { r: number; f: number; n: number }[];
  const segments = num(
    await storedRows(
      db,
      `SELECT rfm_segment AS name, count(*) AS n, sum(revenue) AS revenue,
              sum(revenue) / (SELECT sum(revenue) FROM customer_rfm) AS revenue_share
         FROM customer_rfm GROUP BY ALL`,
    ),
  ) as { name: string; n: number; revenue: number; revenue_share: number }[];
  const clv = (await storedRows(db, "SELECT clv FROM customer_clv")).map((r) => Number(r.clv));
  const cohorts = async (unit: string) =>
    num(
      await storedRows(
        db,
        `SELECT strftime(date_trunc('${unit}', f.first), '${unit === "month" ? "%Y-%m" : "%Y-%m-%d"}') AS cohort,
                count(*) AS n, avg(c.p_alive) AS p_alive
           FROM customer_clv c
           JOIN (SELECT customer_id, min(ts) AS first FROM orders WHERE customer_id IS NOT NULL AND ${PURCHASE}
                  GROUP BY customer_id) f USING (customer_id)
          GROUP BY ALL ORDER BY cohort`,
      ),
    ) as { cohort: string; n: number; p_alive: number }[];
  return {
    grid,
    segments,
    clv,
    quarters: await cohorts("quarter"),
    months: await cohorts("month"),
    ids: await customerIds(db),
  };
}

type Expected = Awaited<ReturnType<typeof expectations>>;

/** `2025-07-01` → `2025-Q3`, as the cohort table names a quarter. */
const quarterName = (start: string) =>
  `${start.slice(0, 4)}-Q${Math.floor(Number(start.slice(5, 7)) / 3) + 1}`;

/** A number as the page prints it (`1,234.5`), back. */
const parse = (text: string) => Number(text.replace(/,/g, ""));

describe("the dashboard's value view", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  servedShop(expectations, (s, b) => {
    [shop, browser] = [s, b];
  });

  it("shows the stored RFM grid and segments as SQL counts them, every cell a mark", async () => {
    const { page, errors } = await openView(browser, shop, "/value", shop.keys.admin);
    const want = shop.prepared;
    const cell = (r: number, f: number) => want.grid.find((c) => c.r === r && c.f === f)?.n ?? 0;
    // The demo's cells are all empty or at least k: none suppressed (suppression is the unit tests').
    expect(want.grid.every((c) => c.n >= K)).toBe(true);
    expect(await tableRows(page, "rfm-grid")).toEqual(
      [5, 4, 3, 2, 1].map((r) => [`R ${r}`, ...[1, 2, 3, 4, 5].map((f) => count(cell(r, f)))]),
    );
    expect(await page.locator('[data-chart="rfm-grid"] g[aria-label="cell"] rect').count()).toBe(25);
    // Each non-empty cell carries its count in the picture too.
    const labels = await page.locator('[data-chart="rfm-grid"] g[aria-label="text"] text').allTextContents();
    expect(labels.sort()).toEqual(
      [...Array(25)].map((_, i) => count(cell(5 - Math.floor(i / 5), (i % 5) + 1))).sort(),
    );
    // Segments: customers, shares and revenue per named segment.
    const total = want.segments.reduce((a, s) => a + s.n, 0);
    const rows = await tableRows(page, "rfm-segments");
    expect(rows).toHaveLength(11);
    for (const s of want.segments) {
      const row = rows.find((r) => r[0] === s.name);
      expect(row?.slice(1, 5), s.name).toEqual([
        count(s.n),
        share(s.n / total),
        money(s.revenue),
        share(s.revenue_share),
      ]);
    }
    // Two bars (customers, revenue) per segment with customers (every segment of the demo is k or more).
    expect(want.segments.every((s) => s.n >= K)).toBe(true);
    expect(await page.locator('[data-chart="rfm-segments"] g[aria-label="bar"] rect').count()).toBe(
      2 * want.segments.length,
    );
    expect(errors).toEqual([]);
  });

  it("shows the CLV histogram in round bins, each count as the stored predictions give it, small bins as <k", async () => {
    const { page, errors } = await openView(browser, shop, "/value", shop.keys.admin);
    const values = shop.prepared.clv;
    const rows = await tableRows(page, "clv-bins");
    // The bins, from the table: `from–to` and the open `from and more`.
    const bins = rows.map((r) => {
      const open = /^([\d,.]+) and more$/.exec(r[0] as string);
      const [from, to] = open
        ? [parse(open[1] as string), Number.POSITIVE_INFINITY]
        : (r[0] as string).split("–").map(parse);
      return { from: from as number, to: to as number, shown: r[1] as string };
    });
    expect(bins[0]?.from).toBe(0);
    const width = (bins[0]?.to as number) - 0;
    expect(String(width / 10 ** Math.floor(Math.log10(width)))).toMatch(/^(1|2|2\.5|5)$/);
    bins.forEach((b, i) => {
      if (i > 0) expect(b.from).toBeCloseTo((bins[i - 1]?.to as number) ?? 0, 9);
    });
    expect(bins.at(-1)?.to).toBe(Number.POSITIVE_INFINITY);
    // About 20 regular bins span the values up to the 95th percentile (type 7), the open one starts past it.
    const sorted = [...values].sort((a, b) => a - b);
    const h = 0.95 * (sorted.length - 1);
    const p95 =
      (sorted[Math.floor(h)] as number) +
      (h % 1) * ((sorted[Math.ceil(h)] as number) - (sorted[Math.floor(h)] as number));
    const open = bins.at(-1)?.from as number;
    expect(open).toBeGreaterThanOrEqual(p95);
    expect(open - width).toBeLessThan(p95);
    expect(bins.length).toBeGreaterThanOrEqual(15);
    expect(bins.length).toBeLessThanOrEqual(41);
    // Each bin's count, recounted from the stored values; suppressed where the k-gate's rule hides it.
    const counts = bins.map((b) => values.filter((v) => v >= b.from && v < b.to).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    const hidden = suppressPartition(counts, K).hidden;
    expect(hidden.some(Boolean)).toBe(true);
    expect(bins.map((b) => b.shown)).toEqual(counts.map((n, i) => (hidden[i] ? `<${K}` : count(n))));
    expect(await page.locator('[data-chart="clv-histogram"] g[aria-label="rect"] rect').count()).toBe(
      hidden.filter((x) => !x).length,
    );
    expect(await page.textContent('[data-figure="clv-customers"]')).toBe(count(values.length));
    expect(await page.textContent('[data-figure="clv-mean"]')).toBe(
      money(values.reduce((a, b) => a + b, 0) / values.length),
    );
    await screenshot(page, "value");
    expect(errors).toEqual([]);
  });

  it("shows mean P(alive) by first-purchase quarter, and by month when asked", async () => {
    const { page, errors } = await openView(browser, shop, "/value", shop.keys.admin);
    const { quarters, months } = shop.prepared;
    const rows = (await tableRows(page, "cohorts")).map((r) => r.slice(0, 3));
    expect(rows).toEqual(quarters.map((q) => [quarterName(q.cohort), count(q.n), share(q.p_alive)]));
    expect(quarters.every((q) => q.n >= K)).toBe(true);
    expect(await page.locator('[data-chart="cohorts"] g[aria-label="bar"] rect').count()).toBe(
      quarters.length,
    );
    await page.selectOption("#cohort-period", "month");
    await settled(page);
    await page.waitForFunction(
      (n) => document.querySelectorAll('table[data-table="cohorts"] tbody tr').length === n,
      months.length,
    );
    const byMonth = (await tableRows(page, "cohorts")).map((r) => r.slice(0, 3));
    const hidden = suppressPartition(
      months.map((m) => m.n),
      K,
    ).hidden;
    expect(byMonth).toEqual(
      months.map((m, i) => [
        m.cohort,
        hidden[i] ? `<${K}` : count(m.n),
        hidden[i] ? `<${K}` : share(m.p_alive),
      ]),
    );
    expect(await page.locator('[data-chart="cohorts"] g[aria-label="bar"] rect').count()).toBe(
      hidden.filter((x) => !x).length,
    );
    expect(errors).toEqual([]);
  });

  it("reaches every control from the keyboard", async () => {
    await expectKeyboardReach(browser, shop, "/value");
  });

  it("shows an analyst the same aggregates and no customer id", async () => {
    const { page, errors, answers } = await openRecorded(browser, shop, "/value", shop.keys.analyst);
    await page.waitForSelector('[data-chart="clv-histogram"] svg');
    expect(await tableRows(page, "rfm-grid")).toHaveLength(5);
    expect(idsIn(await page.content(), shop.prepared.ids)).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(idsIn(answers.join("\n"), shop.prepared.ids)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
