import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { tempDir, tesseraJson, writeFile } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  expectChartsFitNarrow,
  idsIn,
  keyboardReach,
  openView,
  screenshot,
  servedShop,
  settled,
  tableRows,
} from "./harness.js";

/** The README's win-back message (section "Campaigns"): plain text. */
const WINBACK = `Hi {{ first_name | default: "there" }},

We have missed you. As one of our {{ computed.rfm_segment | downcase }} customers,
here is {{ offer.discount }} off your next order with the code {{ offer.code }}.
{%- if computed.clv > 300 %}
Delivery is on us too.
{%- endif %}

See you soon in {{ city | default: "our shop" }}!
`;

/** An HTML email. */
const SUMMER = `<h1 style="color:#1f5fbf">Thank you, {{ first_name | default: "friend" }}!</h1>
<p>As one of our <strong>{{ computed.rfm_segment | downcase }}</strong> customers you get early access to the summer sale.</p>
<p>Your code: <code>{{ offer.code }}</code></p>
`;

/** A template whose markup tries to run a script in the dashboard and to put an element into its page. */
const HOSTILE = `<h2 id="injected">Hello {{ first_name | default: "you" }}</h2>
<script>parent.document.body.dataset.pwned = "yes"; document.title = "pwned";</script>
<p>Nothing else.</p>
`;

interface Example {
  customerId: string;
  subject?: string;
  body?: string;
}

/**
 * The shop's activation, set up as the README's "Activation" section does: three audiences over the demo's
 * segments (one under k), two webhook destinations — `crm` receiving an audience from a receiver that answers 204,
 * `esp` receiving a campaign's messages from one that answers 503 (then nobody: the receiver is closed) — and four
 * campaigns (text, HTML, SMS, and hostile markup), three of them sent. Returns what the command line reports then.
 */
async function prepare(db: string) {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.statusCode = req.url === "/crm" ? 204 : 503;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const port = (receiver.address() as AddressInfo).port;
  const dir = tempDir("tessera-activation-");
  const secret = writeFile(dir, "hook.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  const run = (...args: string[]) => tesseraJson(db, ...args);
  try {
    await run(
      "audience",
      "create",
      "winback",
      "--segment",
      "at-risk-reachable",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    await run(
      "audience",
      "create",
      "champions-email",
      "--segment",
      "champions-mobile",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    await run(
      ...[
        "audience",
        "create",
        "mobile-sms",
        "--segment",
        'segment("champions-mobile") and not segment("evening-browsers")',
      ],
      ...["--purpose", "marketing", "--channel", "sms"],
    );
    await run(
      ...["destination", "add", "crm", "--url", `http://127.0.0.1:${port}/crm`, "--secret-file", secret],
      ...["--audience", "winback", "--allow-private"],
    );
    await run(
      "destination",
      "add",
      "esp",
      "--url",
      `http://127.0.0.1:${port}/esp`,
      "--secret-file",
      secret,
      "--allow-private",
    );
    await run(
      ...[
        "campaign",
        "create",
        "winback-oct",
        "--audience",
        "winback",
        "--template",
        writeFile(dir, "winback.liquid", WINBACK),
      ],
      ...["--subject", '{{ first_name | default: "Hello" }}, {{ offer.discount }} off to welcome you back'],
      ...[
        "--offer",
        "winback10:code=WINBACK10,discount=10%",
        "--holdout",
        "10%",
        "--frequency-cap",
        "2/7d",
        "--send-window",
        "24h",
      ],
    );
    await run(
      ...["campaign", "create", "champions-summer", "--audience", "champions-email"],
      ...[
        "--template",
        writeFile(dir, "summer.liquid", SUMMER),
        "--subject",
        "Early access for you",
        "--offer",
        "summer:code=SUMMER26",
      ],
    );
    await run(
      ...["campaign", "create", "flash-sms", "--audience", "mobile-sms"],
      ...[
        "--template",
        writeFile(dir, "flash.liquid", "Flash sale today: {{ offer.discount }} off with {{ offer.code }}."),
      ],
      ...["--offer", "flash:code=FLASH,discount=15%"],
    );
    await run(
      ...["campaign", "create", "untrusted-markup", "--audience", "champions-email"],
      ...["--template", writeFile(dir, "hostile.liquid", HOSTILE), "--subject", "Hello"],
    );
    await run("destination", "sync", "crm", "--timeout", "10");
    await run("campaign", "send", "winback-oct", "--destination", "esp", "--timeout", "10");
    await run("campaign", "send", "champions-summer", "--out", join(dir, "summer.ndjson"));
    await run("campaign", "send", "flash-sms", "--out", join(dir, "flash.ndjson"));
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
  const campaigns = ((await run("campaign", "list")) as { campaigns: { id: string }[] }).campaigns;
  const shown: Record<string, { sends: Record<string, number | string | null>[] }> = {};
  for (const c of campaigns) shown[c.id] = (await run("campaign", "show", c.id)) as (typeof shown)[string];
  const preview = async (id: string) =>
    ((await run("campaign", "preview", id, "--limit", "3")) as { examples: Example[] }).examples;
  return {
    audiences: (await run("audience", "list")) as {
      audiences: {
        id: string;
        where: string;
        size: number | null;
        leftOut: { noConsent: number | null; suppressionList: number | null };
      }[];
    },
    destinations: (
      (await run("destination", "list")) as {
        destinations: { id: string; url: string; delivered: number; pending: number; failed: number }[];
      }
    ).destinations,
    deliveries: {
      crm: ((await run("destination", "deliveries", "crm")) as { deliveries: Record<string, unknown>[] })
        .deliveries,
      esp: ((await run("destination", "deliveries", "esp")) as { deliveries: Record<string, unknown>[] })
        .deliveries,
    },
    campaigns: campaigns.map((c) => c.id),
    shown,
    previews: {
      "champions-summer": await preview("champions-summer"),
      "winback-oct": await preview("winback-oct"),
    },
    ids: await customerIds(db),
  };
}

type Expected = Awaited<ReturnType<typeof prepare>>;

const count = (n: number | null | undefined): string =>
  n === null || n === undefined ? "<10" : n.toLocaleString("en-US");
/** Counts above zero: the parts a stacked bar chart draws (a hidden or empty count is not drawn). */
const drawn = (ns: (number | null)[]): number => ns.filter((n) => n !== null && n > 0).length;

describe("the dashboard's activation view", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  servedShop(prepare, (s, b) => {
    [shop, browser] = [s, b];
  });

  it("shows audiences, destinations with their deliveries, campaigns with their sends and a rendered preview, as the CLI reports them", async () => {
    const { page, errors } = await openView(browser, shop, "/activation", shop.keys.marketer);
    const want = shop.prepared;

    // Audiences: size now and who the consent gate left out; the chart draws each count shown above zero.
    const audiences = await tableRows(page, "audiences");
    expect(audiences.map((r) => [r[0], r[1], r[4], r[5], r[6]])).toEqual(
      want.audiences.audiences.map((a) => [
        a.id,
        a.where,
        count(a.size),
        count(a.leftOut.noConsent),
        count(a.leftOut.suppressionList),
      ]),
    );
    expect(want.audiences.audiences.some((a) => a.size === null)).toBe(true);
    expect(await page.locator('[data-chart="audience-gate"] g[aria-label="bar"] rect').count()).toBe(
      drawn(
        want.audiences.audiences.flatMap((a) => [a.size, a.leftOut.noConsent, a.leftOut.suppressionList]),
      ),
    );

    // Destinations: crm delivered its audience's people; esp's campaign batch is pending after a 503.
    const destinations = await tableRows(page, "destinations");
    expect(destinations.map((r) => [r[0], r[1], r[3], r[4], r[5]])).toEqual(
      want.destinations.map((d) => [d.id, d.url, count(d.delivered), count(d.pending), count(d.failed)]),
    );
    expect(want.destinations.map((d) => [d.delivered, d.pending])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(await page.locator('[data-chart="delivery-status"] g[aria-label="bar"] rect').count()).toBe(
      drawn(want.destinations.flatMap((d) => [d.delivered, d.pending, d.failed])),
    );
    const crm = await tableRows(page, "deliveries-crm");
    expect(crm.map((r) => [r[0], r[3]?.startsWith("delivered"), r[4], r[6]])).toEqual(
      want.deliveries.crm.map((d) => [
        d.id,
        true,
        String(d.attempts),
        `${count(d.entered as number)} entered, 0 exited`,
      ]),
    );
    const esp = await tableRows(page, "deliveries-esp");
    expect(esp.map((r) => [r[0], r[1], r[3]?.startsWith("pending"), r[4], r[5], r[6]])).toEqual(
      want.deliveries.esp.map((d) => [
        d.id,
        "campaign winback-oct, batch 1",
        true,
        "1",
        d.lastError,
        `${count(d.messages as number)} messages`,
      ]),
    );

    // Campaigns and each send's counts by outcome, through the k-gate as campaign show gives them.
    const campaigns = await tableRows(page, "campaigns");
    expect(campaigns.map((r) => [r[0], r.at(-1)])).toEqual(
      want.campaigns.map((id) => [id, String(want.shown[id]?.sends.length)]),
    );
    const sends = want.campaigns.flatMap((id) => want.shown[id]?.sends ?? []);
    expect(sends).toHaveLength(3);
    const outcomes = ["sent", "heldOut", "capped", "unreachable"] as const;
    expect((await tableRows(page, "sends")).map((r) => [r[0], ...r.slice(2)])).toEqual(
      sends.map((s) => [s.sendId, ...outcomes.map((o) => count(s[o] as number | null))]),
    );
    expect(sends.some((s) => s.sent === null)).toBe(true);
    expect(await page.locator('[data-chart="send-outcomes"] g[aria-label="bar"] rect').count()).toBe(
      drawn(sends.flatMap((s) => outcomes.map((o) => s[o] as number | null))),
    );

    // The preview: the first campaign (HTML) for the members the command line rendered it for, in sandboxed frames.
    const html = want.previews["champions-summer"];
    expect(
      await page.$$eval("[data-example]", (els) => els.map((e) => e.getAttribute("data-example"))),
    ).toEqual(html.map((e) => e.customerId));
    const frames = page.locator("article.message iframe");
    expect(await frames.count()).toBe(html.length);
    for (const [i, e] of html.entries()) {
      const frame = frames.nth(i);
      expect(await frame.getAttribute("sandbox")).toBe("");
      expect(await frame.getAttribute("srcdoc")).toContain(e.body as string);
      const inside = await (await frame.elementHandle())?.contentFrame();
      expect(await inside?.textContent("h1")).toBe(/<h1[^>]*>([^<]*)<\/h1>/.exec(e.body as string)?.[1]);
    }
    expect(await page.locator("article.message .message-subject").first().textContent()).toBe(
      `Subject: ${html[0]?.subject}`,
    );
    // Chromium paints a sandboxed frame (a process of its own) once it has been in view.
    await frames.first().scrollIntoViewIfNeeded();
    await screenshot(page, "activation");

    // Another campaign, chosen in the select: its text message as text, its address bookmarkable.
    await page.selectOption("#preview-campaign", "winback-oct");
    await settled(page);
    expect(new URL(page.url()).search).toBe("?campaign=winback-oct");
    const text = want.previews["winback-oct"];
    expect(
      await page.$$eval("article.message pre.message-text", (els) => els.map((e) => e.textContent)),
    ).toEqual(text.map((e) => e.body));
    expect(await page.locator("article.message iframe").count()).toBe(0);
    expect(errors).toEqual([]);
    // The charts with the widest margins (the names of sends, a note on a hidden count) on a phone.
    await expectChartsFitNarrow(page, errors);
  });

  it("says at the field when the member named is not in the audience, and renders for one who is", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/activation?campaign=winback-oct",
      shop.keys.marketer,
    );
    await page.fill("#preview-customer", "C9999999");
    await page.click('[data-card="preview"] button[type=submit]');
    await page.waitForSelector("#preview-customer-error");
    expect(await page.textContent("#preview-customer-error")).toContain(
      "C9999999 is not among the consented members",
    );
    expect(await page.getAttribute("#preview-customer", "aria-invalid")).toBe("true");
    const one = shop.prepared.previews["winback-oct"][1] as Example;
    await page.fill("#preview-customer", one.customerId);
    await page.click('[data-card="preview"] button[type=submit]');
    await settled(page);
    expect(
      await page.$$eval("[data-example]", (els) => els.map((e) => e.getAttribute("data-example"))),
    ).toEqual([one.customerId]);
    expect(await page.textContent("article.message pre.message-text")).toBe(one.body);
    expect(await page.locator("#preview-customer-error").count()).toBe(0);
    // The 422 of the refused member is the one failed request the console reports.
    expect(errors.filter((e) => !e.includes("422"))).toEqual([]);
  });

  it("reaches every control from the keyboard", async () => {
    const { page, errors } = await openView(browser, shop, "/activation", shop.keys.marketer);
    const { missed } = await keyboardReach(page);
    expect(missed).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows an analyst audiences and campaigns, no customer id, and asks nothing its role may not read", async () => {
    const { page, errors } = await openAsAnalyst(browser, shop);
    const { answers, asked, refused } = page;
    expect(await page.page.textContent('[data-card="destinations"]')).toContain("write:activation");
    expect(await page.page.textContent('[data-card="preview"]')).toContain("read:consented-people");
    expect((await tableRows(page.page, "audiences")).length).toBe(shop.prepared.audiences.audiences.length);
    expect((await tableRows(page.page, "sends")).length).toBe(3);
    expect(
      asked.some((u) => u.startsWith("/api/destinations") || u.includes("/preview") || u.includes("/sends")),
    ).toBe(false);
    expect(refused).toEqual([]);
    expect(idsIn(await page.page.content(), shop.prepared.ids)).toEqual([]);
    expect(answers.length).toBeGreaterThan(0);
    expect(idsIn(answers.join("\n"), shop.prepared.ids)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("renders hostile markup only inside a sandboxed frame, where its script does not run", async () => {
    const { page, errors } = await openView(
      browser,
      shop,
      "/activation?campaign=untrusted-markup",
      shop.keys.marketer,
    );
    const frames = page.locator("article.message iframe");
    expect(await frames.count()).toBeGreaterThan(0);
    expect(await frames.first().getAttribute("sandbox")).toBe("");
    const inside = await (await frames.first().elementHandle())?.contentFrame();
    expect(await inside?.locator("#injected").count()).toBe(1);
    expect(await page.locator("#injected").count()).toBe(0);
    expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    expect(await page.title()).toBe("Activation · Tessera");
    // Chromium says it blocked the script: the only console errors.
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toContain("Blocked script execution");
  });

  it("syncs a destination for a marketer and shows the new attempt", async () => {
    const { page, errors } = await openView(browser, shop, "/activation", shop.keys.marketer);
    const before = shop.prepared.deliveries.esp[0] as { id: string; attempts: number };
    await page.click("text=Sync and deliver esp now");
    await page.waitForFunction(() =>
      /Attempted/.test(
        document.querySelector('[aria-labelledby="deliveries-esp"] .sync-said')?.textContent ?? "",
      ),
    );
    await settled(page);
    // The deliveries are read again after the sync's answer.
    await page.waitForFunction(() =>
      /connection refused/.test(
        document.querySelector('table[data-table="deliveries-esp"]')?.textContent ?? "",
      ),
    );
    // The receiver is gone: the attempt is refused, and the delivery stays pending with one more attempt.
    const esp = await tableRows(page, "deliveries-esp");
    expect(esp.map((r) => [r[0], r[3]?.startsWith("pending"), r[4]])).toEqual([
      [before.id, true, String(before.attempts + 1)],
    ]);
    expect(esp[0]?.[5]).toContain("connection refused");
    expect(await page.textContent('[aria-labelledby="deliveries-esp"] .sync-said')).toContain(
      "Attempted 1: 0 delivered, 1 failed, 1 still pending.",
    );
    expect(errors).toEqual([]);
  });
});

/** The view as an analyst sees it, with every API request's path, the refused ones, and every answer's text. */
async function openAsAnalyst(browser: Browser, shop: DashboardShop<Expected>) {
  const { page, errors } = await openView(browser, shop, "/activation", shop.keys.analyst);
  const answers: string[] = [];
  const asked: string[] = [];
  const refused: string[] = [];
  watch(page, answers, asked, refused);
  await page.reload();
  await settled(page);
  await page.waitForSelector('table[data-table="sends"]', { state: "attached" });
  return { page: { page, answers, asked, refused }, errors };
}

function watch(page: Page, answers: string[], asked: string[], refused: string[]): void {
  page.on("response", (r) => {
    const url = new URL(r.url());
    if (!url.pathname.startsWith("/api/")) return;
    asked.push(url.pathname);
    if (r.status() >= 400) refused.push(`${r.status()} ${url.pathname}`);
    void r.text().then(
      (t) => answers.push(t),
      () => {},
    );
  });
}
