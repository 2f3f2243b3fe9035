import { createHash } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { runCli, tempDir, tesseraJson, writeFile } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  idsIn,
  keyboardReach,
  openView,
  screenshot,
  servedShop,
  settled,
  tableRows,
} from "./harness.js";

const DAY = 86_400_000;
/** A uniform draw in [0, 1) from text (SHA-256's first 52 bits): the fixture's own dice, fixed. */
const u = (s: string) =>
  Number.parseInt(createHash("sha256").update(s).digest("hex").slice(0, 13), 16) / 2 ** 52;
const CONVERSION = "conversion:event=Checkout Completed:7d";

/**
 * What two website tests sent (the demo shop sends none): `checkout-cta`, 19 in 20 customers first shown a variant
 * at a time spread over April to June 23, half each (by a hash), and a `Checkout Completed` event within 5 days
 * for 8% of the control and 15% of `green` (a planted effect); `banner-test`, half the customers in May, split
 * 60/40 where 50/50 was planned (a broken split).
 */
function websiteEvents(): { csv: string; firstExposure: number } {
  const lines = ["timestamp,event,customer_id,message_id,properties"];
  const props = (o: object) => `"${JSON.stringify(o).replaceAll('"', '""')}"`;
  let firstExposure = Number.POSITIVE_INFINITY;
  for (let i = 1; i <= 2000; i++) {
    const id = `C${String(i).padStart(7, "0")}`;
    if (u(`seen:${id}`) < 0.95) {
      const t =
        Date.UTC(2026, 3, 1) + Math.floor(u(`day:${id}`) * 84) * DAY + Math.floor(u(`hour:${id}`) * DAY);
      firstExposure = Math.min(firstExposure, t);
      const variant = u(`variant:${id}`) < 0.5 ? "control" : "green";
      const at = new Date(t).toISOString();
      lines.push(
        `${at},Experiment Viewed,${id},cta-${id},${props({ experiment_id: "checkout-cta", variation_id: variant })}`,
      );
      if (u(`converts:${id}`) < (variant === "green" ? 0.15 : 0.08)) {
        const done = new Date(t + (1 + Math.floor(u(`when:${id}`) * 5)) * DAY).toISOString();
        lines.push(`${done},Checkout Completed,${id},done-${id},${props({ total: 40 })}`);
      }
    }
    if (u(`banner:${id}`) < 0.5) {
      const t = new Date(Date.UTC(2026, 4, 1) + Math.floor(u(`banner-at:${id}`) * 30 * DAY)).toISOString();
      const variant = u(`banner-variant:${id}`) < 0.6 ? "control" : "banner";
      lines.push(
        `${t},Experiment Viewed,${id},banner-${id},${props({ experiment_id: "banner-test", variation_id: variant })}`,
      );
    }
  }
  return { csv: `${lines.join("\n")}\n`, firstExposure };
}

type Analysis = {
  as_of: string;
  srm: { chi2: number; p: number; mismatch: boolean } | null;
  assigned: { variant: string; people: number | null; planned: number | null }[];
  metrics: {
    metric: string;
    text: string;
    statistic: string;
    arms: { variant: string; n: number | null; value: number | null }[];
    comparisons: {
      variant: string;
      computable: boolean;
      effect?: number;
      ci?: [number, number];
      p?: number;
      p_adjusted?: number;
      chance_to_win?: number;
      verdict: string;
    }[];
  }[];
  economics: { variant: string; cost: number | null; roi: number | null; incremental_roi: number | null }[];
};

/**
 * The experiments of the README's "Experiments" section on the demo shop — `spring-offer` on the segment
 * `buyers`, assigned on April 1 — and the two website tests above, assigned from their exposures; returns what the
 * command line reports of them, and the sequential analysis at the looks the timeline should take (every eighth
 * of the way from the first exposure's window's end to the end of checkout-cta, July 1).
 */
async function prepare(db: string) {
  const run = (...args: string[]) => tesseraJson(db, ...args);
  await run(
    "segment",
    "add",
    "--id",
    "buyers",
    "--name",
    "Bought in the last year",
    "--where",
    "orders.count(365d) >= 1",
  );
  await run("segment", "refresh");
  await run(
    ...[
      "experiment",
      "create",
      "spring-offer",
      "--segment",
      "buyers",
      "--variants",
      "control:50,free-shipping:25,ten-off:25",
    ],
    ...[
      "--holdout",
      "5%",
      "--metric",
      "conversion:30d+cuped",
      "--metric",
      "revenue:30d+cuped",
      "--metric",
      "orders:30d+cuped",
    ],
    ...[
      "--metric",
      "retention:28d",
      "--metric",
      "ratio:revenue/orders",
      "--cost",
      "free-shipping:1.5",
      "--cost",
      "ten-off:4",
    ],
    ...["--start", "2026-04-01"],
  );
  await run("experiment", "assign", "spring-offer", "--at", "2026-04-01");
  const events = websiteEvents();
  const imported = await runCli("import", "events", writeFile(tempDir(), "site.csv", events.csv), "--db", db);
  expect(imported.code, imported.stderr).toBe(0);
  await run(
    ...["experiment", "create", "checkout-cta", "--exposures", "--variants", "control:50,green:50"],
    ...["--metric", CONVERSION, "--metric", "revenue:7d", "--start", "2026-04-01", "--end", "2026-07-01"],
  );
  await run(
    ...["experiment", "create", "banner-test", "--exposures", "--variants", "control:50,banner:50"],
    ...["--metric", "conversion:14d", "--start", "2026-05-01", "--end", "2026-07-01"],
  );
  for (const id of ["checkout-cta", "banner-test"])
    await run("experiment", "assign", id, "--at", "2026-06-30T23:00:00Z");
  const analyze = async (id: string, ...more: string[]) =>
    (await run("experiment", "analyze", id, ...more)) as Analysis;
  const end = Date.UTC(2026, 6, 1);
  const start = events.firstExposure + 7 * DAY;
  const looks = Array.from({ length: 8 }, (_, i) =>
    new Date(Math.round(start + (i * (end - start)) / 7)).toISOString(),
  );
  const sequential: Analysis[] = [];
  for (const asOf of looks)
    sequential.push(await analyze("checkout-cta", "--sequential", "--metric", CONVERSION, "--as-of", asOf));
  return {
    list: ((await run("experiment", "list")) as { experiments: { id: string; phase: string }[] }).experiments,
    spring: await analyze("spring-offer"),
    banner: await analyze("banner-test"),
    cta: await analyze("checkout-cta"),
    ctaBayesian: await analyze("checkout-cta", "--engine", "bayesian"),
    looks,
    sequential,
    ids: await customerIds(db),
  };
}

type Expected = Awaited<ReturnType<typeof prepare>>;

/** How the command line writes an effect: signed, a true minus, one decimal. */
const pct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}%`;
const p3 = (p: number | undefined) => (p === undefined ? "—" : p < 0.001 ? "<0.001" : p.toFixed(3));
const whole = (n: number | null) => (n === null ? "<10" : n.toLocaleString("en-US"));
const significant = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
/** A metric's value: a rate as a percent to two decimals, a mean or a ratio to four significant digits. */
const value = (statistic: string, v: number | null) =>
  v === null ? "<10" : statistic === "proportion" ? `${(v * 100).toFixed(2)}%` : significant.format(v);
const VERDICT_WORDS: Record<string, string> = {
  "srm-invalid": "SRM-invalid",
  "not-computable": "not computable",
};

/** A metric's table as the page must show it: each arm, then its comparison with the control. */
function metricRows(m: Analysis["metrics"][number], bayesian = false): string[][] {
  return m.arms.map((arm, i) => {
    const c = m.comparisons.find((x) => x.variant === arm.variant);
    const n = whole(arm.n);
    const v = value(m.statistic, arm.value);
    if (i === 0)
      return [`${arm.variant} (control)`, n, v, "", "", "", ...(bayesian ? [""] : ["", ""]), "control"];
    if (!c?.computable || !c.ci || c.effect === undefined)
      return [
        arm.variant,
        n,
        v,
        "",
        "",
        "",
        ...(bayesian ? [""] : ["", ""]),
        expect.stringContaining("not computable"),
      ];
    return [
      arm.variant,
      n,
      v,
      pct(c.effect),
      pct(c.ci[0]),
      pct(c.ci[1]),
      ...(bayesian ? [`${((c.chance_to_win ?? 0) * 100).toFixed(1)}%`] : [p3(c.p), p3(c.p_adjusted)]),
      VERDICT_WORDS[c.verdict] ?? c.verdict,
    ];
  }) as string[][];
}

const computable = (m: Analysis["metrics"][number]) =>
  m.comparisons.filter((c) => c.computable && c.ci).length;

describe("the dashboard's experiments view", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  servedShop(prepare, (s, b) => {
    [shop, browser] = [s, b];
  });

  it("lists the experiments and reads one: the split checked, each metric's effects and intervals, the economics, as the CLI reports them", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/experiments?experiment=spring-offer",
      shop.keys.admin,
    );
    const want = shop.prepared;
    expect((await tableRows(page, "experiments")).map((r) => [r[0], r[5]])).toEqual(
      want.list.map((e) => [e.id, e.phase]),
    );
    expect(await page.getAttribute('table[data-table="experiments"] a[aria-current="true"]', "href")).toBe(
      "/experiments?experiment=spring-offer",
    );
    // The split: people per variant, the holdout apart; the check passes.
    expect((await tableRows(page, "split")).map((r) => [r[0], r[1]])).toEqual(
      want.spring.assigned.map((a) => [a.variant, whole(a.people)]),
    );
    expect(await page.locator('[data-chart="split"] g[aria-label="bar"] rect').count()).toBe(3);
    expect(await page.textContent('[data-figure="srm"]')).toBe(
      `Sample-ratio check: χ² = ${want.spring.srm?.chi2.toFixed(2)}, p = ${want.spring.srm?.p.toFixed(3)}: the split matches the plan.`,
    );
    expect(await page.locator(".srm-alert").count()).toBe(0);
    // Each metric: its numbers, and a dot and an interval per variant compared.
    expect(want.spring.metrics).toHaveLength(5);
    for (const m of want.spring.metrics) {
      expect(await tableRows(page, `metric-${m.metric}`), m.metric).toEqual(metricRows(m));
      const chart = `[data-chart="effects-${m.metric}"]`;
      expect(await page.locator(`${chart} g[aria-label="dot"] circle`).count()).toBe(computable(m));
      expect(await page.locator(`${chart} g[aria-label="rule"] line`).count()).toBe(computable(m) + 1);
    }
    // The economics: ROI and incremental ROI per variant.
    expect((await tableRows(page, "economics")).map((r) => [r[0], r[6], r[8]])).toEqual(
      want.spring.economics.map((e) => [
        e.variant,
        e.roi === null ? "—" : pct(e.roi),
        e.incremental_roi === null ? "—" : pct(e.incremental_roi),
      ]),
    );
    expect(errors).toEqual([]);
  });

  it("draws the always-valid interval over time, narrowing as windows end, at the looks the CLI reads", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/experiments?experiment=checkout-cta",
      shop.keys.admin,
    );
    const want = shop.prepared;
    await page.waitForSelector('table[data-table="timeline"]', { state: "attached" });
    const rows = await tableRows(page, "timeline");
    const expected = want.sequential.map((a, i) => {
      const m = a.metrics[0] as Analysis["metrics"][number];
      const c = m.comparisons[0] as Analysis["metrics"][number]["comparisons"][number] & { reason?: string };
      const look = want.looks[i] as string;
      const head = [
        `${look.slice(0, 10)} ${look.slice(11, 16)}`,
        "green",
        whole(m.arms[1]?.n ?? null),
        whole(m.arms[0]?.n ?? null),
      ];
      if (!c.computable || !c.ci) return [...head, "", "", "", "", `not computable: ${c.reason}`];
      return [
        ...head,
        pct(c.effect as number),
        pct(c.ci[0]),
        pct(c.ci[1]),
        p3(c.p_adjusted),
        VERDICT_WORDS[c.verdict] ?? c.verdict,
      ];
    });
    expect(rows).toEqual(expected);
    // A dot per look at which green could be compared with the control: all but the first, when one person's
    // window had ended.
    const compared = want.sequential.filter((a) => a.metrics[0]?.comparisons[0]?.computable);
    expect(compared.length).toBe(7);
    expect(await page.locator('[data-chart="timeline"] g[aria-label="dot"] circle').count()).toBe(
      compared.length,
    );
    // The sequence narrows as more people's windows end, and the planted effect is found by the end.
    const width = compared.map((a) => {
      const ci = a.metrics[0]?.comparisons[0]?.ci as [number, number];
      return ci[1] - ci[0];
    });
    expect(width.at(-1)).toBeLessThan((width[0] as number) / 2);
    expect(want.sequential.at(-1)?.metrics[0]?.comparisons[0]?.verdict).toBe("winner");
    expect(await page.textContent('[data-figure="srm"]')).toContain("the split matches the plan");
    // The fixed-horizon reading of the same experiment, above.
    for (const m of want.cta.metrics)
      expect(await tableRows(page, `metric-${m.metric}`), m.metric).toEqual(metricRows(m));
    await page.locator('[data-chart="timeline"]').scrollIntoViewIfNeeded();
    await screenshot(page, "experiments");
    expect(errors).toEqual([]);
  });

  it("warns first and loudly of a sample-ratio mismatch, and calls every verdict SRM-invalid", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/experiments?experiment=banner-test",
      shop.keys.admin,
    );
    const want = shop.prepared.banner;
    expect(want.srm?.mismatch).toBe(true);
    const alert = page.locator('main > .srm-alert[role="alert"]');
    expect(await alert.count()).toBe(1);
    expect(await alert.textContent()).toContain(
      `Sample-ratio mismatch (χ² = ${want.srm?.chi2.toFixed(2)}, p = ${want.srm?.p.toExponential(2)} < 0.001)`,
    );
    // It comes before any result.
    const first = await page.$$eval("main > *", (els) =>
      els.findIndex((e) => e.classList.contains("srm-alert")),
    );
    const firstMetric = await page.$$eval("main > *", (els) =>
      els.findIndex((e) => e.getAttribute("data-card")?.startsWith("metric-")),
    );
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(firstMetric);
    // The looks over time say it too.
    await page.waitForSelector('[data-card="timeline"] .srm-alert[role="alert"]');
    expect(await page.textContent('[data-card="timeline"] .srm-alert')).toMatch(
      /^Sample-ratio mismatch at [1-8] of the 8 looks:/,
    );
    for (const m of want.metrics) {
      const rows = await tableRows(page, `metric-${m.metric}`);
      expect(rows).toEqual(metricRows(m));
      expect(rows.slice(1).map((r) => r.at(-1))).toEqual(m.comparisons.map(() => "SRM-invalid"));
    }
    await screenshot(page, "experiments-srm");
    expect(errors).toEqual([]);
  });

  it("reads by the settings of the form, and says at the field what is wrong with a metric", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/experiments?experiment=checkout-cta",
      shop.keys.admin,
    );
    await page.fill("#analysis-metric", "convresion:7d");
    await page.click('[data-card="reading"] button[type=submit]');
    await page.waitForSelector("#analysis-metric-error");
    expect(await page.textContent("#analysis-metric-error")).toContain('metric "convresion:7d"');
    expect(await page.getAttribute("#analysis-metric", "aria-invalid")).toBe("true");
    // Bayesian, by the experiment's own metrics: chances to win, as the CLI gives them.
    await page.fill("#analysis-metric", "");
    await page.selectOption("#analysis-engine", "bayesian");
    await page.click('[data-card="reading"] button[type=submit]');
    await settled(page);
    await page.waitForSelector('th:text("Chance to win")', { state: "attached" });
    expect(await page.locator("#analysis-metric-error").count()).toBe(0);
    for (const m of shop.prepared.ctaBayesian.metrics)
      expect(await tableRows(page, `metric-${m.metric}`), m.metric).toEqual(metricRows(m, true));
    // The 4xx of the bad metric is the one failed request the console reports.
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  });

  it("opens another experiment from the list, at an address of its own", async () => {
    const { page, errors } = await openView(browser, shop, "/experiments", shop.keys.admin);
    // Without one named, the first listed is read.
    expect(await page.textContent('[data-card="reading"] h2')).toBe(`Reading ${shop.prepared.list[0]?.id}`);
    await page.click('table[data-table="experiments"] a:text("spring-offer")');
    await settled(page);
    await page.waitForSelector('[data-card="reading"] h2:text("Reading spring-offer")');
    expect(new URL(page.url()).search).toBe("?experiment=spring-offer");
    await page.waitForSelector('table[data-table="economics"]', { state: "attached" });
    await page.goBack();
    await page.waitForSelector(`[data-card="reading"] h2:text("Reading ${shop.prepared.list[0]?.id}")`);
    expect(errors).toEqual([]);
  });

  it("reaches every control from the keyboard", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/experiments?experiment=checkout-cta",
      shop.keys.admin,
    );
    await page.waitForSelector('table[data-table="timeline"]', { state: "attached" });
    const { missed } = await keyboardReach(page);
    expect(missed).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows an analyst the whole reading, no customer id, and asks nothing its role may not read", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/experiments?experiment=checkout-cta",
      shop.keys.analyst,
    );
    const seen = watch(page);
    await page.reload();
    await settled(page);
    await page.waitForSelector('table[data-table="timeline"]', { state: "attached" });
    expect(seen.refused).toEqual([]);
    expect(seen.asked.length).toBeGreaterThanOrEqual(4);
    expect(idsIn(await page.content(), shop.prepared.ids)).toEqual([]);
    expect(idsIn(seen.answers.join("\n"), shop.prepared.ids)).toEqual([]);
    expect(errors).toEqual([]);
  });
});

/** Every API request's path, the refused ones, and every answer's text. */
function watch(page: Page): { answers: string[]; asked: string[]; refused: string[] } {
  const seen = { answers: [] as string[], asked: [] as string[], refused: [] as string[] };
  page.on("response", (r) => {
    const url = new URL(r.url());
    if (!url.pathname.startsWith("/api/")) return;
    seen.asked.push(url.pathname);
    if (r.status() >= 400) seen.refused.push(`${r.status()} ${url.pathname}`);
    void r.text().then(
      (t) => seen.answers.push(t),
      () => {},
    );
  });
  return seen;
}
