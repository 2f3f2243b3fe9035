import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { tesseraJson } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  idsIn,
  keyboardReach,
  openRecorded,
  openView,
  screenshot,
  servedShop,
  settled,
  tableRows,
} from "./harness.js";

interface Cluster {
  id: number;
  name: string;
  size: number | null;
  share: number | null;
  suppressed: boolean;
}
interface ClusterJson {
  k: number;
  customers: number;
  silhouette: number;
  clusters: Cluster[];
  scores: { k: number; silhouette: number; daviesBouldin: number; stability: number }[];
}
interface PersonasJson {
  personas: {
    group: string;
    name: string;
    size: number | null;
    suppressed: boolean;
    distinguishing: {
      feature: string;
      label: string;
      group: number | null;
      base: number | null;
      difference: number;
    }[];
  }[];
}

/** The clustering the page is asked to find (k from 2 to 6, seed 7), as the command line finds it. */
const RUN = { kMin: "2", kMax: "6", seed: "7" };

/**
 * What the discovery view must show, by the command line before the server holds the database: a clustering
 * saved without segments (`shop`) and its personas, and the clustering the page will find and save.
 */
async function expectations(db: string) {
  const saved = (await tesseraJson(
    db,
    "cluster",
    "--save-as",
    "shop",
    "--no-segments",
  )) as unknown as ClusterJson;
  const personas = (await tesseraJson(
    db,
    "personas",
    "--clustering",
    "shop",
    "--top",
    "100",
  )) as unknown as PersonasJson;
  // A read: nothing saved.
  const found = (await tesseraJson(
    db,
    "cluster",
    "--k",
    "auto",
    "--k-range",
    `${RUN.kMin}..${RUN.kMax}`,
    "--seed",
    RUN.seed,
  )) as unknown as ClusterJson;
  return { saved, personas, found, ids: await customerIds(db) };
}

type Expected = Awaited<ReturnType<typeof expectations>>;

const count = (n: number) => n.toLocaleString("en-US");
const share = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: number) => `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(2)}`;

/** Fills the find form and runs it; waits for the result. */
async function findClusters(page: Page, fields: { kMin: string; kMax: string; seed: string }): Promise<void> {
  await page.fill("#cluster-k-min", fields.kMin);
  await page.fill("#cluster-k-max", fields.kMax);
  await page.fill("#cluster-seed", fields.seed);
  await page.click('form[aria-label="Find clusters"] button[type="submit"]');
  await page.waitForFunction(() => !document.querySelector('[data-card="find"] .loading'));
}

/** The saved clusterings as the store holds them, through the API with an admin's key (not the page's answers). */
async function stored(shop: DashboardShop<Expected>) {
  const ask = async (path: string) =>
    (await fetch(`${shop.url}${path}`, { headers: { authorization: `Bearer ${shop.keys.admin}` } })).json();
  return {
    clusterings: (await ask("/api/clusterings")).clusterings as {
      name: string;
      k: number;
      customers: number;
      silhouette: number;
    }[],
    segments: ((await ask("/api/segments")).segments as { id: string }[]).map((s) => s.id),
  };
}

describe("the dashboard's discovery view", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  servedShop(expectations, (s, b) => {
    [shop, browser] = [s, b];
  });

  it("shows the saved clustering's clusters with their sizes and profiles, as personas reports them", async () => {
    const { page, errors } = await openView(browser, shop, "/discovery", shop.keys.admin);
    const { saved, personas } = shop.prepared;
    const list = await tableRows(page, "clusterings");
    expect(list.map((r) => r.slice(0, 5))).toEqual([
      ["shop", String(saved.k), "kmeans", count(saved.customers), saved.silhouette.toFixed(3)],
    ]);
    const shown = personas.personas.filter((p) => !p.suppressed);
    expect(await tableRows(page, "saved-sizes")).toEqual(
      personas.personas.map((p) => [
        p.group,
        p.suppressed ? "(too small to describe)" : p.name,
        p.suppressed ? "<10" : count(p.size ?? 0),
        p.suppressed ? "<10" : share((p.size ?? 0) / saved.customers),
      ]),
    );
    expect(await page.locator('[data-chart="saved-sizes"] g[aria-label="bar"] rect').count()).toBe(
      shown.length,
    );
    // The profile: the 12 features on which the clusters differ most, each cluster's standardised difference.
    const most = new Map<string, number>();
    for (const p of shown)
      for (const d of p.distinguishing)
        most.set(d.feature, Math.max(most.get(d.feature) ?? 0, Math.abs(d.difference)));
    const features = [...most]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([f]) => f);
    const profile = await tableRows(page, "profile");
    expect(profile).toHaveLength(shown.length * features.length);
    for (const p of shown)
      for (const f of features) {
        const d = p.distinguishing.find((x) => x.feature === f);
        expect(profile).toContainEqual([
          `Cluster ${p.group}`,
          d?.label,
          d?.group === null ? "—" : (d?.group ?? 0).toLocaleString("en-US", { maximumFractionDigits: 2 }),
          d?.base === null ? "—" : (d?.base ?? 0).toLocaleString("en-US", { maximumFractionDigits: 2 }),
          signed(d?.difference ?? 0),
        ]);
      }
    expect(await page.locator('[data-chart="profile"] g[aria-label="cell"] rect').count()).toBe(
      shown.length * features.length,
    );
    expect(errors).toEqual([]);
  });

  it("finds clusters with k chosen by silhouette, as `tessera cluster` does, and saves them with their segments", async () => {
    const { page, errors } = await openView(browser, shop, "/discovery", shop.keys.admin);
    const want = shop.prepared.found;
    await findClusters(page, RUN);
    expect(await page.textContent('[data-figure="chosen-k"]')).toBe(`k = ${want.k}`);
    expect(await page.textContent('[data-figure="clustered"]')).toBe(count(want.customers));
    expect((await tableRows(page, "k-scores")).map((r) => r.slice(0, 3))).toEqual(
      want.scores.map((s) => [
        s.k === want.k ? `${s.k} (chosen)` : String(s.k),
        s.silhouette.toFixed(3),
        s.daviesBouldin.toFixed(3),
      ]),
    );
    // A dot per k tried, the chosen one among them.
    expect(await page.locator('[data-chart="k-choice"] g[aria-label="dot"] circle').count()).toBe(
      want.scores.length,
    );
    expect(await tableRows(page, "found-sizes")).toEqual(
      want.clusters.map((c) => [
        String(c.id),
        c.suppressed ? "(too small to describe)" : c.name,
        c.suppressed ? "<10" : count(c.size ?? 0),
        c.suppressed ? "<10" : share(c.share ?? 0),
      ]),
    );
    expect(await page.locator('[data-chart="found-sizes"] g[aria-label="bar"] rect').count()).toBe(
      want.clusters.filter((c) => !c.suppressed).length,
    );
    await screenshot(page, "discovery");
    // Saved as "found", with a segment per cluster: the store holds the same clustering.
    await page.fill("#save-as", "found");
    expect(await page.isChecked("#save-segments")).toBe(true);
    await page.click('form[aria-label="Save this clustering"] button[type="submit"]');
    await page.waitForSelector('[data-figure="saved"]', { timeout: 60_000 });
    const after = await stored(shop);
    expect(after.clusterings.find((c) => c.name === "found")).toMatchObject({
      k: want.k,
      customers: want.customers,
      silhouette: want.silhouette,
    });
    expect(after.segments.filter((id) => id.startsWith("cluster-found-")).sort()).toEqual(
      want.clusters.map((c) => `cluster-found-${c.id}`).sort(),
    );
    // The saved clustering is picked and profiled at once.
    await settled(page);
    await page.waitForFunction(
      () => (document.querySelector("#clustering-pick") as HTMLSelectElement | null)?.value === "found",
    );
    await page.waitForSelector('[data-chart="saved-sizes"] svg');
    expect((await tableRows(page, "saved-sizes")).map((r) => r[2])).toEqual(
      want.clusters.map((c) => (c.suppressed ? "<10" : count(c.size ?? 0))),
    );
    expect(errors).toEqual([]);
  });

  it("says the API's errors at their fields: a range of k that is empty, a name that cannot be saved", async () => {
    const { page, errors } = await openView(browser, shop, "/discovery", shop.keys.admin);
    await findClusters(page, { kMin: "6", kMax: "3", seed: "1" });
    expect(await page.textContent('[data-error-for="kMax"]')).toBe("kMax must be at least kMin");
    expect(await page.getAttribute("#cluster-k-max", "aria-invalid")).toBe("true");
    expect(await page.getAttribute("#cluster-k-max", "aria-describedby")).toBe("cluster-k-max-error");
    await findClusters(page, { kMin: "2", kMax: "3", seed: "1" });
    expect(await page.locator('[data-error-for="kMax"]').count()).toBe(0);
    await page.fill("#save-as", "Not A Name");
    await page.click('form[aria-label="Save this clustering"] button[type="submit"]');
    await page.waitForSelector('[data-error-for="saveAs"]');
    expect(await page.textContent('[data-error-for="saveAs"]')).toContain("lower-case letters, digits and _");
    await screenshot(page, "discovery-errors");
    expect((await stored(shop)).clusterings.map((c) => c.name)).not.toContain("Not A Name");
    // A 400 is a console error in Chromium (a failed request): only those two.
    expect(errors.filter((e) => !e.includes("400 (Bad Request)"))).toEqual([]);
    expect(errors).toHaveLength(2);
  });

  it("lets a marketer save the clusters as segments but not a clustering, saying why", async () => {
    const { page, errors } = await openView(browser, shop, "/discovery", shop.keys.marketer);
    await page.selectOption("#clustering-pick", "shop");
    await settled(page);
    await page.waitForSelector('[data-chart="saved-sizes"] svg');
    await page.click(".save-segments button");
    await page.waitForSelector('[data-figure="saved-segments"]');
    const ids = shop.prepared.saved.clusters.map((c) => `cluster-shop-${c.id}`);
    expect(await page.locator('[data-figure="saved-segments"] a').allTextContents()).toEqual(ids);
    expect((await stored(shop)).segments.filter((id) => id.startsWith("cluster-shop-")).sort()).toEqual(
      [...ids].sort(),
    );
    await findClusters(page, { kMin: "2", kMax: "3", seed: "1" });
    expect(await page.textContent('[data-card="find"]')).toContain("does not have write:values");
    expect(await page.locator("#save-as").count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("reaches every control from the keyboard, the found clustering's too", async () => {
    const { page, errors } = await openView(browser, shop, "/discovery", shop.keys.admin);
    await findClusters(page, { kMin: "2", kMax: "3", seed: "1" });
    // Tabbing starts where the last click was (the form's button): from the page's start instead, as on arrival.
    await page.evaluate(() => {
      document.body.tabIndex = -1;
      document.body.focus();
      document.body.removeAttribute("tabindex");
    });
    const { missed } = await keyboardReach(page);
    expect(missed).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows an analyst the clusters and no customer id; saving clusters as segments is not theirs", async () => {
    const { page, errors, answers } = await openRecorded(browser, shop, "/discovery", shop.keys.analyst);
    await page.waitForSelector('[data-chart="profile"] svg');
    expect(await page.textContent('[data-card="saved"]')).toContain("does not have write:segments");
    await findClusters(page, { kMin: "2", kMax: "3", seed: "1" });
    // May save the clustering (write:values), not its segments.
    expect(await page.isDisabled("#save-segments")).toBe(true);
    expect(await page.textContent('[data-card="find"]')).toContain("needs write:segments");
    expect(idsIn(await page.content(), shop.prepared.ids)).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(4);
    expect(idsIn(answers.join("\n"), shop.prepared.ids)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
