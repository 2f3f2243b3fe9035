import type { Browser, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, storedRows, tesseraJson } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  expectChartsFitNarrow,
  idsIn,
  keyboardReach,
  openView,
  recordAnswers,
  screenshot,
  servedShop,
  settled,
  tableRows,
} from "./harness.js";

const count = (n: number) => n.toLocaleString("en-US");
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

/** Waits until an element's text is `text` (a page of entries read after a click: the range it shows). */
async function textBecomes(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel as string)?.textContent === want,
    [selector, text],
  );
}

interface Entry {
  seq: number;
  at: string;
  who: string;
  action: string;
  what: string;
  people: number;
}

/**
 * Consent coverage worked out independently of the consent leaf's SQL: for each purpose × channel (and the purpose
 * on any channel), each customer's records of the purpose on that channel or on none ranked newest first, a denial
 * before a grant at the same instant; the first decides.
 */
const COVERAGE_SQL = (now: string) => `
  WITH purposes AS (SELECT DISTINCT purpose FROM consents WHERE purpose IS NOT NULL AND ts <= ${now}),
       channels AS (SELECT NULL AS channel UNION ALL
                    SELECT DISTINCT channel FROM consents WHERE channel IS NOT NULL AND ts <= ${now}),
       cells AS (SELECT purpose, channel FROM purposes CROSS JOIN channels),
       ranked AS (
         SELECT c.purpose, c.channel, k.customer_id, k.status,
                row_number() OVER (PARTITION BY c.purpose, c.channel, k.customer_id
                                   ORDER BY k.ts DESC, CASE WHEN k.status = 'granted' THEN 1 ELSE 0 END) AS r
           FROM cells c JOIN consents k
             ON k.purpose = c.purpose AND (c.channel IS NULL OR k.channel = c.channel OR k.channel IS NULL)
          WHERE k.ts <= ${now} AND k.customer_id IN (SELECT customer_id FROM customers)),
       granted AS (SELECT purpose, channel, count(*) AS n FROM ranked
                    WHERE r = 1 AND status = 'granted' GROUP BY purpose, channel)
  SELECT c.purpose, c.channel, coalesce(g.n, 0) AS n, (SELECT count(*) FROM customers) AS customers
    FROM cells c LEFT JOIN granted g
      ON g.purpose = c.purpose AND g.channel IS NOT DISTINCT FROM c.channel
   ORDER BY c.purpose, c.channel NULLS FIRST`;

/**
 * The shop with privacy work done at the command line (two erasures, twelve access requests, three surveys
 * consents on e-mail — a group under k —, a retention period), and what the page must show, read then.
 */
async function expectations(db: string) {
  const ids = [...(await customerIds(db))].sort();
  const cli = async (...args: string[]) => {
    const r = await runCli(...args, "--db", db);
    expect(r.code, r.stderr).toBe(0);
  };
  for (const id of ids.slice(0, 2)) await cli("privacy", "erase", id);
  for (const id of ids.slice(2, 14)) await cli("privacy", "export", id);
  for (const id of ids.slice(14, 17))
    await cli("consent", "record", id, "--purpose", "surveys", "--channel", "email", "--status", "granted");
  await cli("privacy", "retention", "set", "events", "3y");
  // Someone with orders and consents, for the page to erase.
  const [victim] = await storedRows(
    db,
    `SELECT customer_id FROM customers c
      WHERE (SELECT count(*) FROM orders o WHERE o.customer_id = c.customer_id) > 0
        AND (SELECT count(*) FROM consents k WHERE k.customer_id = c.customer_id) > 0
        AND customer_id > '${ids[16]}'
      ORDER BY customer_id LIMIT 1`,
  );
  const person = String(victim?.customer_id);
  const held = await storedRows(
    db,
    `SELECT (SELECT count(*) FROM orders WHERE customer_id = '${person}') AS orders,
            (SELECT count(*) FROM consents WHERE customer_id = '${person}') AS consents`,
  );
  const now = `TIMESTAMP '${new Date().toISOString().replace("T", " ").replace("Z", "")}'`;
  const coverage = (await storedRows(db, COVERAGE_SQL(now))).map((r) => ({
    purpose: String(r.purpose),
    channel: r.channel === null ? null : String(r.channel),
    n: Number(r.n),
    customers: Number(r.customers),
  }));
  const settings = (await tesseraJson(db, "privacy", "settings")) as {
    settings: { name: string; value: unknown }[];
  };
  const log = (await tesseraJson(db, "privacy", "audit-log", "--limit", "1000")) as { entries: Entry[] };
  const retention = (await tesseraJson(db, "privacy", "retention")) as {
    periods: { kind: string; period: string | null }[];
  };
  return {
    coverage,
    k: Number(settings.settings.find((s) => s.name === "min_group")?.value),
    settings: settings.settings,
    log: log.entries,
    retention: retention.periods,
    person,
    held: { orders: Number(held[0]?.orders), consents: Number(held[0]?.consents) },
    ids: new Set(ids),
  };
}

type Expected = Awaited<ReturnType<typeof expectations>>;

/** The routes only a privacy administrator may call. */
const ADMIN_ONLY = [
  "/api/privacy/audit-log",
  "/api/privacy/retention",
  "/api/privacy/erasures",
  "/api/people/",
];

describe("the dashboard's privacy view", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  let adminWho: string;
  servedShop(expectations, (s, b) => {
    [shop, browser] = [s, b];
  });
  beforeAll(async () => {
    const me = await fetch(`${shop.url}/api/me`, { headers: { authorization: `Bearer ${shop.keys.admin}` } });
    const admin = (await me.json()) as { id: string; name: string };
    adminWho = `key ${admin.id} (${admin.name})`;
  });

  /** The API as a test reads it apart from the page (never the answer the page shows). */
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${shop.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${shop.keys.admin}`,
        "content-type": "application/json",
        ...init.headers,
      },
    });

  it("shows consent coverage as a heat map whose numbers are the ledger's, each count k-gated", async () => {
    const { page, errors } = await openView(browser, shop, "/privacy", shop.keys.admin);
    const { coverage, k } = shop.prepared;
    const small = (n: number) => n > 0 && n < k;
    const expected = coverage.map((c) => {
      const hidden = small(c.n) || small(c.customers - c.n);
      return [
        c.purpose,
        c.channel ?? "any channel",
        hidden ? `<${k}` : count(c.n),
        hidden ? `<${k}` : `${((c.n / c.customers) * 100).toFixed(1)}%`,
      ];
    });
    // The demo's purposes on its channels, and the three surveys consents: a group under k, hidden.
    expect(new Set(coverage.map((c) => c.purpose))).toEqual(
      new Set(["analytics", "marketing", "personalization", "surveys"]),
    );
    expect(expected).toContainEqual(["surveys", "email", `<${k}`, `<${k}`]);
    expect(expected).toContainEqual(["surveys", "sms", "0", "0.0%"]);
    expect(await tableRows(page, "coverage")).toEqual(expected);
    expect(await page.textContent('[data-figure="coverage-customers"]')).toBe(
      count(coverage[0]?.customers ?? 0),
    );
    // One cell per purpose and channel: coloured when shown, grey when suppressed.
    const hiddenCells = expected.filter((r) => r[2] === `<${k}`).length;
    const chart = '[data-chart="coverage"] svg';
    expect(await page.locator(`${chart} g.coverage-shown rect`).count()).toBe(expected.length - hiddenCells);
    expect(await page.locator(`${chart} g.coverage-suppressed rect`).count()).toBe(hiddenCells);
    await page.click('[data-chart="coverage"] summary');
    await screenshot(page, "privacy");
    expect(errors).toEqual([]);
    await expectChartsFitNarrow(page, errors);
  });

  it("shows the requests, the settings, the retention periods and the audit log as the command line reads them", async () => {
    const { page, errors } = await openView(browser, shop, "/privacy", shop.keys.admin);
    const { log, settings, retention } = shop.prepared;
    // The harness made three keys after `prepare` read the log (keys.create, at the command line): on top.
    const top = (log[0]?.seq ?? 0) + 3;
    const row = (e: Entry) => [String(e.seq), when(e.at), e.who, e.what, count(e.people)];
    const first = await tableRows(page, "audit-log");
    expect(first.slice(0, 3).map((r) => [r[0], r[3]?.split(" ")[0]])).toEqual(
      [top, top - 1, top - 2].map((s) => [String(s), "keys.create"]),
    );
    expect(first.slice(3)).toEqual(log.slice(0, 17).map(row));
    expect(await page.textContent('[data-figure="audit-log-range"]')).toBe(`1–20 of ${log.length + 3}`);
    // The next page, then a filter by action.
    await page.click('[data-card="audit-log"] button:has-text("Older")');
    await textBecomes(page, '[data-figure="audit-log-range"]', `21–${log.length + 3} of ${log.length + 3}`);
    expect(await tableRows(page, "audit-log")).toEqual(log.slice(17, 37).map(row));
    await page.selectOption("#audit-log-action", "privacy.erase");
    await textBecomes(page, '[data-figure="audit-log-range"]', "1–2 of 2");
    expect(await tableRows(page, "audit-log")).toEqual(
      log.filter((e) => e.action === "privacy.erase").map(row),
    );
    // Requests: erasures and access requests, ten a page, with when, who and how many — never whom.
    const requests = log.filter((e) => e.action === "privacy.erase" || e.action === "privacy.export");
    expect(requests.length).toBe(14);
    const kind = (e: Entry) => (e.action === "privacy.erase" ? "Erasure" : "Access request");
    const requestRow = (e: Entry) => [when(e.at), e.who, kind(e), count(e.people)];
    expect(await tableRows(page, "requests")).toEqual(requests.slice(0, 10).map(requestRow));
    expect(await page.textContent('[data-figure="requests-range"]')).toBe("1–10 of 14");
    await page.click('[data-card="requests"] button:has-text("Older")');
    await textBecomes(page, '[data-figure="requests-range"]', "11–14 of 14");
    expect(await tableRows(page, "requests")).toEqual(requests.slice(10).map(requestRow));
    expect(idsIn((await page.textContent('[data-card="requests"]')) ?? "", shop.prepared.ids)).toEqual([]);
    // Settings and retention, read-only.
    const shown = (v: unknown) => (typeof v === "boolean" ? (v ? "on" : "off") : String(v));
    const settingRows = await tableRows(page, "settings");
    expect(settingRows.map((r) => r[1])).toEqual(settings.map((s) => shown(s.value)));
    expect(settingRows.map((r, i) => r[0]?.startsWith(settings[i]?.name ?? "?"))).toEqual(
      settings.map(() => true),
    );
    expect((await tableRows(page, "retention")).map((r) => [r[0], r[1]])).toEqual(
      retention.map((p) => [p.kind, p.period ?? "ever"]),
    );
    expect(await page.locator("input, textarea").count()).toBe(1); // the erase form's field only: read-only
    expect(errors).toEqual([]);
  });

  it("reaches every control from the keyboard", async () => {
    const { page, errors } = await openView(browser, shop, "/privacy", shop.keys.admin);
    const { missed, reached } = await keyboardReach(page);
    expect(missed).toEqual([]);
    expect(reached).toBeGreaterThan(4);
    expect(errors).toEqual([]);
  });

  it("shows the API's error at the field for an identifier nobody has, after the confirmation", async () => {
    const { page, errors } = await openView(browser, shop, "/privacy", shop.keys.admin);
    await page.fill("#erase-person", "nobody-at-all@example.invalid");
    await page.click('button:has-text("Review the erasure")');
    await page.click('button:has-text("Erase permanently")');
    await page.waitForSelector("#erase-person-error");
    expect(await page.textContent("#erase-person-error")).toMatch(/no person is known/);
    expect(await page.getAttribute("#erase-person", "aria-invalid")).toBe("true");
    expect(await page.getAttribute("#erase-person", "aria-describedby")).toBe("erase-person-error");
    // The browser reports the API's 404 itself; nothing else went wrong.
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  });

  it("erases a person only once confirmed, shows the verification, and the erasure heads the log", async () => {
    const { page, errors } = await openView(browser, shop, "/privacy", shop.keys.admin);
    const { person, held } = shop.prepared;
    const posted: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST") posted.push(new URL(r.url()).pathname);
    });
    await page.fill("#erase-person", person);
    await page.click('button:has-text("Review the erasure")');
    // The confirmation step: nothing sent yet; cancelling sends nothing either.
    expect(await page.textContent(".confirm legend")).toContain(person);
    expect(await page.evaluate(() => document.activeElement?.classList.contains("confirm"))).toBe(true);
    await page.click('.confirm button:has-text("Cancel")');
    expect(await page.locator(".confirm").count()).toBe(0);
    expect(posted).toEqual([]);
    expect((await api(`/api/people/${person}/consents`)).status).toBe(200);
    await page.click('button:has-text("Review the erasure")');
    await page.click('button:has-text("Erase permanently")');
    await page.waitForSelector('[data-figure="erasure-rows"]');
    // The requests and the log read again: one request more.
    await textBecomes(page, '[data-figure="requests-range"]', "1–10 of 15");
    await page.waitForFunction(() => !document.querySelector("[aria-busy]"));
    expect(posted).toEqual(["/api/privacy/erasures"]);
    expect(await page.textContent('[data-figure="erasure-tables-clean"]')).toBe("no table holds the person");
    expect(await page.textContent('[data-figure="erasure-bytes-clean"]')).toMatch(
      /^no byte of an identifier/,
    );
    const removed = Object.fromEntries((await tableRows(page, "erasure-tables")).map((r) => [r[0], r[1]]));
    expect(removed.orders).toBe(count(held.orders));
    expect(removed.consents).toBe(count(held.consents));
    // Gone for the API as well (asked apart from the page).
    expect((await api(`/api/people/${person}/consents`)).status).toBe(404);
    const [request] = await tableRows(page, "requests");
    expect(request?.slice(1)).toEqual([adminWho, "Erasure", "1"]);
    const [entry] = await tableRows(page, "audit-log");
    expect(entry?.[2]).toBe(adminWho);
    expect(entry?.[3]).toMatch(/^privacy\.erase erasure=/);
    expect(await page.getAttribute("[data-erasure]", "data-erasure")).toBe(
      entry?.[3]?.match(/erasure=(\S+)/)?.[1],
    );
    expect(idsIn((await page.textContent("main")) ?? "", new Set([person]))).toEqual([]);
    expect(errors).toEqual([]);
  });

  for (const role of ["analyst", "marketer"] as const)
    it(`shows ${role === "analyst" ? "an analyst" : "a marketer"} the coverage and why the rest is not shown, asking no route of privacy administration`, async () => {
      const { page, errors } = await openView(browser, shop, "/privacy", shop.keys[role]);
      const answers = recordAnswers(page);
      const asked: string[] = [];
      page.on("request", (r) => asked.push(new URL(r.url()).pathname));
      await page.reload();
      await settled(page);
      await page.waitForSelector('table[data-table="coverage"]', { state: "attached" });
      expect((await tableRows(page, "coverage")).length).toBe(shop.prepared.coverage.length);
      expect(await page.textContent('[data-figure="not-administered"]')).toContain("manage:privacy");
      expect(await page.locator('[data-card="settings"] table').count()).toBe(1);
      expect(
        await page.locator('[data-card="audit-log"], [data-card="requests"], #erase-person').count(),
      ).toBe(0);
      expect(asked.filter((p) => ADMIN_ONLY.some((a) => p.startsWith(a)))).toEqual([]);
      expect(asked).toContain("/api/privacy/consent-coverage");
      expect(idsIn(await page.content(), shop.prepared.ids)).toEqual([]);
      expect(answers.length).toBeGreaterThan(0);
      expect(idsIn(answers.join("\n"), shop.prepared.ids)).toEqual([]);
      expect(errors).toEqual([]);
    });

  it("under differential privacy, shows an analyst noised coverage and does not ask for the settings", async () => {
    const set = (value: boolean) =>
      api("/api/privacy/settings/dp", { method: "PATCH", body: JSON.stringify({ value }) });
    expect((await set(true)).status).toBe(200);
    try {
      const { page, errors } = await openView(browser, shop, "/privacy", shop.keys.analyst);
      const asked: string[] = [];
      page.on("request", (r) => asked.push(new URL(r.url()).pathname));
      await page.reload();
      await settled(page);
      await page.waitForSelector('[data-figure="coverage-noise"]');
      expect(await page.textContent('[data-card="settings"]')).toContain("differential privacy");
      expect(asked).not.toContain("/api/privacy/settings");
      expect(errors).toEqual([]);
    } finally {
      expect((await set(false)).status).toBe(200);
    }
  });
});
