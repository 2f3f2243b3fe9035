import type { Browser } from "playwright-core";
import { describe, expect, it } from "vitest";
import { tesseraJson } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  expectKeyboardReach,
  idsIn,
  openRecorded,
  openView,
  screenshot,
  servedShop,
  tableRows,
} from "./harness.js";

/** What the overview must show, read by the command line before the server holds the database. */
async function expectations(db: string) {
  const stats = await tesseraJson(db, "stats");
  // The demo records its audit as of the end of its data: the same audit again, with the command line.
  const audit = (await tesseraJson(db, "audit", "--as-of", "2026-06-30T23:59:59Z")) as {
    score: number;
    findings: { title: string; count: number }[];
  };
  const pareto = (await tesseraJson(db, "pareto")) as {
    topShare: number;
    lorenz: { customerShare: number; revenueShare: number }[];
  };
  const segments = (await tesseraJson(db, "segment", "list")) as {
    segments: { id: string; size: number | null; suppressed: boolean }[];
  };
  const history: Record<string, { size: number | null; asOf: string }[]> = {};
  for (const s of segments.segments)
    history[s.id] = (
      (await tesseraJson(db, "segment", "history", s.id)) as {
        history: { size: number | null; asOf: string }[];
      }
    ).history;
  return { stats, audit, pareto, segments: segments.segments, history, ids: await customerIds(db) };
}

type Expected = Awaited<ReturnType<typeof expectations>>;

describe("the dashboard's overview", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  servedShop(expectations, (s, b) => {
    [shop, browser] = [s, b];
  });

  it("shows the counts, the quality score, the Pareto curve and every segment with its trend, as the CLI reports them", async () => {
    const { page, errors } = await openView(browser, shop, "/", shop.keys.admin);
    const want = shop.prepared;
    expect(await page.textContent('[data-figure="customers"]')).toBe(
      Number(want.stats.customers).toLocaleString("en-US"),
    );
    expect(await page.textContent('[data-figure="quality-score"]')).toContain(want.audit.score.toFixed(1));
    const findings = await tableRows(page, "findings");
    // The five findings with most cases; one under k (10) shown as "<10" and ranked as none.
    const top = want.audit.findings
      .filter((f) => f.count > 0)
      .map((f) =>
        f.count < 10
          ? { title: f.title, rank: 0, shown: "<10" }
          : { title: f.title, rank: f.count, shown: f.count.toLocaleString("en-US") },
      )
      .sort((a, b) => b.rank - a.rank)
      .slice(0, 5);
    expect(findings.map((r) => [r[0], r[2]])).toEqual(top.map((f) => [f.title, f.shown]));
    expect(await page.textContent('[data-figure="top-share"]')).toBe(
      `${(want.pareto.topShare * 100).toFixed(1)}%`,
    );
    // The Lorenz curve: one dot per point, and the table of its numbers.
    expect(await page.locator('[data-chart="lorenz"] svg circle').count()).toBe(want.pareto.lorenz.length);
    const lorenz = await tableRows(page, "lorenz");
    expect(lorenz.map((r) => r[1])).toEqual(
      want.pareto.lorenz.map((p) => `${(p.revenueShare * 100).toFixed(1)}%`),
    );
    // Segments: the sizes segment list gives, and a trend line over the history's points.
    const rows = await tableRows(page, "segments");
    expect(rows.map((r) => [r[1], r[2]])).toEqual(
      want.segments.map((s) => [s.id, s.suppressed ? "<10" : (s.size ?? 0).toLocaleString("en-US")]),
    );
    for (const s of want.segments) expect(want.history[s.id]?.length).toBe(6);
    // Each segment's freshness: as of its last history point (the demo's last refresh: the end of its data).
    const last = (id: string) => want.history[id]?.at(-1)?.asOf ?? "";
    expect(rows.map((r) => r[3])).toEqual(
      want.segments.map((s) => `${last(s.id).slice(0, 10)} ${last(s.id).slice(11, 16)}`),
    );
    expect(last(want.segments[0]?.id ?? "")).toBe("2026-06-30T23:59:59.000Z");
    expect(await page.locator('table[data-table="segments"] svg path').count()).toBeGreaterThanOrEqual(
      want.segments.filter((s) => !s.suppressed).length,
    );
    await screenshot(page, "overview");
    expect(errors).toEqual([]);
  });

  it("reaches every control from the keyboard", async () => {
    await expectKeyboardReach(browser, shop, "/");
  });

  it("shows an analyst the aggregates and no customer id, and says what its role may not see", async () => {
    const { page, errors, answers } = await openRecorded(browser, shop, "/", shop.keys.analyst);
    await page.waitForSelector('[data-figure="customers"]');
    // The recorded audit holds counts only: an analyst sees the score too, and no button to run it.
    expect(await page.textContent('[data-figure="quality-score"]')).toContain(
      shop.prepared.audit.score.toFixed(1),
    );
    expect(await page.locator('[data-card="quality"] button').count()).toBe(0);
    expect(idsIn(await page.content(), shop.prepared.ids)).toEqual([]);
    expect(answers.length).toBeGreaterThan(0);
    expect(idsIn(answers.join("\n"), shop.prepared.ids)).toEqual([]);
    expect(errors).toEqual([]);
  });

  // Last: it records a newer audit (as of now), which the tests above do not expect.
  it("runs the audit for an admin: a second record, and the score's course drawn over both", async () => {
    const { page, errors } = await openView(browser, shop, "/", shop.keys.admin);
    expect(await page.locator('[data-chart="quality-scores"]').count()).toBe(0);
    await page.getByRole("button", { name: "Run the audit now" }).click();
    await page.waitForSelector('[data-chart="quality-scores"] svg');
    // Two recorded audits: two dots on the score's line.
    expect(await page.locator('[data-chart="quality-scores"] svg circle').count()).toBe(2);
    expect(errors).toEqual([]);
  });
});
