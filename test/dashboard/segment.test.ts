import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { runCli, tesseraJson } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  idsIn,
  keyboardReach,
  openView,
  recordAnswers,
  screenshot,
  servedShop,
  tableRows,
} from "./harness.js";

const ID = "champions-mobile";

const count = (n: number) => n.toLocaleString("en-US");
const gated = (n: number | null) => (n === null ? "<10" : count(n));

interface HistoryPoint {
  asOf: string;
  size: number | null;
  entered: number | null;
  exited: number | null;
}
interface Overlap {
  ids: string[];
  counts: (number | null)[][];
  suppressed: boolean[][];
}

/**
 * The shop with two more segments (so that the overlap has more to show, a suppressed cell among them), refreshed;
 * then what the segment's page must show, read by the command line before the server holds the database.
 */
async function expectations(db: string) {
  const added: [string, string, string][] = [
    ["repeat-buyers", "Repeat buyers", "orders.count(365d) >= 2"],
    [
      "mobile-gb",
      "Mobile browsers in Britain",
      'country = "GB" and count(event "Product Viewed", 90d, device = "mobile") >= 1',
    ],
  ];
  for (const [id, name, where] of added) {
    const r = await runCli("segment", "add", "--id", id, "--name", name, "--where", where, "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }
  const refreshed = await runCli("segment", "refresh", "--db", db);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  const show = (await tesseraJson(db, "segment", "show", ID)) as {
    size: number;
    versions: { definition: { name: string } }[];
  };
  const history = ((await tesseraJson(db, "segment", "history", ID)) as { history: HistoryPoint[] }).history;
  const personas = (await tesseraJson(db, "personas", "--segment", ID)) as {
    personas: {
      name: string;
      distinguishing: { label: string; group: number; base: number; difference: number }[];
    }[];
  };
  const kpis = (await tesseraJson(db, "kpis", "--by", "segment")) as {
    groups: { group: string; customers: number; orders: number; revenue: number }[];
  };
  const channels = (await tesseraJson(db, "segment", "channels", ID)) as {
    channels: { channel: string; consented: number | null; reachable: number | null }[];
  };
  const overlap = (await tesseraJson(db, "segment", "overlap")) as unknown as Overlap;
  const members = (await tesseraJson(
    db,
    "segment",
    "members",
    ID,
    "--purpose",
    "marketing",
    "--channel",
    "push",
  )) as {
    customers: string[];
  };
  return {
    name: show.versions[0]?.definition.name ?? "",
    size: show.size,
    history,
    persona: personas.personas[0],
    kpi: kpis.groups.find((g) => g.group === show.versions[0]?.definition.name),
    channels: channels.channels,
    overlap,
    members: members.customers,
    ids: await customerIds(db),
  };
}

type Expected = Awaited<ReturnType<typeof expectations>>;

/** Checks what every role sees alike: the size, its history, persona, KPIs, reach and overlap, and their marks. */
async function expectAggregates(page: Page, want: Expected): Promise<void> {
  expect(await page.textContent("h1")).toBe(want.name);
  expect(await page.textContent('[data-figure="size"]')).toBe(count(want.size));
  // Size over time: a row and a dot per refresh, a bar per entry and exit count shown.
  expect(await tableRows(page, "history")).toEqual(
    want.history.map((p) => [p.asOf.slice(0, 10), gated(p.size), gated(p.entered), gated(p.exited)]),
  );
  expect(await page.locator('[data-chart="history"] svg g[aria-label="dot"] circle').count()).toBe(
    want.history.filter((p) => p.size !== null).length,
  );
  expect(await page.locator('[data-chart="history"] svg g[aria-label="bar"] rect').count()).toBe(
    want.history.reduce((n, p) => n + (p.entered === null ? 0 : 1) + (p.exited === null ? 0 : 1), 0),
  );
  // Persona: its name, and a bar and a row per distinguishing measure.
  const persona = want.persona;
  expect(persona).toBeDefined();
  expect(await page.textContent('[data-figure="persona"]')).toBe(persona?.name);
  expect((await tableRows(page, "persona")).map((r) => [r[0], r[3]])).toEqual(
    persona?.distinguishing.map((d) => [d.label, d.difference.toFixed(2)]),
  );
  expect(await page.locator('[data-chart="persona"] svg g[aria-label="bar"] rect').count()).toBe(
    persona?.distinguishing.length,
  );
  // KPIs as the report gives them for the segment's group.
  const kpis = Object.fromEntries((await tableRows(page, "kpis")).map((r) => [r[0], r[1]]));
  expect(kpis.Customers).toBe(count(want.kpi?.customers ?? -1));
  expect(kpis.Orders).toBe(count(want.kpi?.orders ?? -1));
  expect(kpis.Revenue).toBe(
    (want.kpi?.revenue ?? -1).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  );
  // Reach: a row per channel, a bar per channel whose reach is shown.
  expect((await tableRows(page, "channels")).map((r) => [r[0], r[1], r[3]])).toEqual(
    want.channels.map((c) => [c.channel, gated(c.consented), gated(c.reachable)]),
  );
  expect(await page.locator('[data-chart="channels"] svg g[aria-label="bar"] rect').count()).toBe(
    want.channels.filter((c) => c.reachable !== null).length,
  );
  // Overlap: every pair a cell (suppressed ones grey, reading <10), and the matrix as a table.
  const o = want.overlap;
  expect(o.ids).toContain(ID);
  expect(await page.locator('[data-chart="overlap"] svg g[aria-label="cell"] rect').count()).toBe(
    o.ids.length ** 2,
  );
  const hidden = o.suppressed.flat().filter(Boolean).length;
  expect(hidden).toBeGreaterThan(0);
  expect(
    (await page.locator('[data-chart="overlap"] svg g[aria-label="text"] text').allTextContents()).filter(
      (t) => t === "<10",
    ).length,
  ).toBe(hidden);
  expect(await tableRows(page, "overlap")).toEqual(
    o.ids.map((row, i) => [
      row,
      ...o.ids.map((_, j) => (o.suppressed[i]?.[j] ? "<10" : count(o.counts[i]?.[j] ?? -1))),
    ]),
  );
  // The definition, printed as text by the API.
  expect(await page.textContent('[data-definition="text"]')).toContain(
    'computed("rfm_segment") = "Champions"',
  );
}

/** Chooses a use and lists the members who may be used for it. */
async function listMembers(page: Page): Promise<string[]> {
  await page.fill("#members-purpose", "marketing");
  await page.selectOption("#members-channel", "push");
  await page.click('[data-card="members"] button[type="submit"]');
  await page.waitForSelector('table[data-table="members"]');
  return (await tableRows(page, "members")).map((r) => r[0] as string);
}

describe("the dashboard's segment page", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  servedShop(expectations, (s, b) => {
    [shop, browser] = [s, b];
  });

  it("shows an admin the size over time, persona, KPIs, reach, overlap and definition as the CLI reports them", async () => {
    const { page, errors } = await openView(browser, shop, `/segments/${ID}`, shop.keys.admin);
    await expectAggregates(page, shop.prepared);
    expect(await listMembers(page)).toEqual(shop.prepared.members);
    await screenshot(page, "segment");
    expect(errors).toEqual([]);
  });

  it("shows a marketer the same, and members only through the consent gate", async () => {
    const { page, errors } = await openView(browser, shop, `/segments/${ID}`, shop.keys.marketer);
    const asked: string[] = [];
    page.on("request", (r) => asked.push(new URL(r.url()).pathname));
    await expectAggregates(page, shop.prepared);
    expect(asked.some((p) => p.endsWith("/members"))).toBe(false);
    expect(await listMembers(page)).toEqual(shop.prepared.members);
    expect(errors).toEqual([]);
  });

  it("shows the API's refusal of a purpose at the field", async () => {
    const { page, errors } = await openView(browser, shop, `/segments/${ID}`, shop.keys.marketer);
    await page.fill("#members-purpose", "m".repeat(101));
    await page.click('[data-card="members"] button[type="submit"]');
    await page.waitForSelector('[data-field-error="purpose"]');
    expect(await page.getAttribute("#members-purpose", "aria-invalid")).toBe("true");
    expect(await page.getAttribute("#members-purpose", "aria-describedby")).toBe("members-purpose-error");
    expect(await page.locator('table[data-table="members"]').count()).toBe(0);
    // The refusal (400) is the one console error: Chromium reports every failed request.
    expect(errors).toEqual([expect.stringContaining("status of 400")]);
  });

  it("reaches every control from the keyboard", async () => {
    const { page, errors } = await openView(browser, shop, `/segments/${ID}`, shop.keys.marketer);
    const { missed } = await keyboardReach(page);
    expect(missed).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows an analyst the aggregates, says why not the members, and never asks for them or shows an id", async () => {
    const { page, errors } = await openView(browser, shop, `/segments/${ID}`, shop.keys.analyst);
    const answers = recordAnswers(page);
    const asked: string[] = [];
    page.on("request", (r) => asked.push(new URL(r.url()).pathname));
    await page.reload();
    await page.waitForLoadState("networkidle");
    await page.waitForSelector('table[data-table="overlap"]', { state: "attached" });
    await expectAggregates(page, shop.prepared);
    expect(await page.textContent('[data-why-not="members"]')).toContain("read:consented-people");
    expect(asked.filter((p) => /\/members$|\/history$/.test(p))).toEqual([]);
    expect(idsIn(await page.content(), shop.prepared.ids)).toEqual([]);
    expect(answers.length).toBeGreaterThan(0);
    expect(idsIn(answers.join("\n"), shop.prepared.ids)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
