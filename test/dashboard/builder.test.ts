import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { tesseraJson } from "../helpers.js";
import {
  customerIds,
  type DashboardShop,
  expectKeyboardReach,
  idsIn,
  openView,
  recordAnswers,
  screenshot,
  servedShop,
  settled,
} from "./harness.js";

const WHERE_DE = 'orders.count(365d) >= 2\n  and country = "DE"';
const WHERE_FR = 'orders.count(365d) >= 2\n  and country = "FR"';
const header = "id: repeat-de\nname: Repeat buyers in Germany\nwhere: ";

/**
 * A misspelt trait on line 4: `  and contry = "DE"` — two spaces, "and", a space: the name starts at column 7
 * and ends before column 13 (6 letters).
 */
const MISSPELT = `${header}orders.count(365d) >= 2\n  and contry = "DE"`;
/** A window written wrong on line 3: `where: orders.count(365x)` — "365x" starts at column 21 (after "(", col 20). */
const MALFORMED = `${header}orders.count(365x) >= 2\n  and country = "DE"`;

/** What the builder must show, read by the command line before the server holds the database. */
async function expectations(db: string) {
  const preview = async (where: string) =>
    (await tesseraJson(
      db,
      "segment",
      "preview",
      "--id",
      "repeat-de",
      "--name",
      "Repeat",
      "--where",
      where,
    )) as {
      size: number;
      customers: number;
    };
  return { de: await preview(WHERE_DE), fr: await preview(WHERE_FR), ids: await customerIds(db) };
}

type Expected = Awaited<ReturnType<typeof expectations>>;

/** Types a definition into the text form as a person would (replacing what is there), then waits for the check. */
async function typeText(page: Page, text: string): Promise<void> {
  await page.fill("#definition-text", text);
  await page.waitForTimeout(350);
  await settled(page);
}

describe("the dashboard's segment builder", () => {
  let shop: DashboardShop<Expected>;
  let browser: Browser;
  servedShop(expectations, (s, b) => {
    [shop, browser] = [s, b];
  });

  it("shows a problem at its line and column as you type, applies the suggestion, then gives the live size", async () => {
    const { page, errors } = await openView(browser, shop, "/builder", shop.keys.admin);
    await typeText(page, MALFORMED);
    const syntax = page.locator('[data-problem="error"]');
    expect(await syntax.count()).toBe(1);
    expect(await syntax.locator(".where").textContent()).toBe("line 3, column 21");
    expect(await syntax.locator(".message").textContent()).toContain('"365x" is not a duration');
    expect((await page.locator(".code-back .mark-error").allTextContents()).join("")).toBe("365x");

    await typeText(page, MISSPELT);
    const problem = page.locator('[data-problem="error"]');
    expect(await problem.count()).toBe(1);
    expect(await problem.locator(".where").textContent()).toBe("line 4, column 7");
    expect(await problem.locator(".message").textContent()).toBe(
      'unknown trait "contry" (did you mean "country"?)',
    );
    expect(await page.getAttribute("#definition-text", "aria-invalid")).toBe("true");
    // The underline is on the misspelt name, and nothing else.
    expect((await page.locator(".code-back .mark-error").allTextContents()).join("")).toBe("contry");
    expect(await page.locator('[data-card="save"] button').isDisabled()).toBe(true);
    await screenshot(page, "builder");

    // Its place selects it in the text; its suggestion replaces it.
    await problem.locator(".where").click();
    expect(
      await page.$eval("#definition-text", (t) => {
        const area = t as HTMLTextAreaElement;
        return area.value.slice(area.selectionStart, area.selectionEnd);
      }),
    ).toBe("contry");
    await problem.locator("button.suggestion").click();
    await page.waitForTimeout(350);
    await settled(page);
    expect(await page.inputValue("#definition-text")).toBe(`${header}${WHERE_DE}`);
    expect(await page.locator("[data-problem]").count()).toBe(0);
    expect(await page.textContent('[data-figure="preview-size"]')).toBe(
      shop.prepared.de.size.toLocaleString("en-US"),
    );
    expect(errors).toEqual([]);
  });

  it("keeps the JSON form in step with the text, and the text with an edit of the JSON", async () => {
    const { page, errors } = await openView(browser, shop, "/builder", shop.keys.admin);
    await typeText(page, `${header}${WHERE_DE}`);
    expect(JSON.parse(await page.inputValue("#definition-json"))).toEqual({
      id: "repeat-de",
      name: "Repeat buyers in Germany",
      where: {
        all: [
          { orders: "count", within: "365d", gte: 2 },
          { trait: "country", eq: "DE" },
        ],
      },
    });
    // The JSON leads once typed in: the text follows as the API prints it, and so does the size.
    const json = (await page.inputValue("#definition-json")).replace('"DE"', '"FR"');
    await page.fill("#definition-json", json);
    await page.waitForTimeout(350);
    await settled(page);
    expect(await page.inputValue("#definition-text")).toBe(`${header}${WHERE_FR}\n`);
    expect(await page.textContent('[data-figure="preview-size"]')).toBe(
      shop.prepared.fr.size.toLocaleString("en-US"),
    );
    // JSON that is not JSON stays on its side: the text is left as it was, said to be behind.
    await page.fill("#definition-json", json.replace('"FR"', '"FR'));
    await page.waitForTimeout(350);
    await settled(page);
    expect(await page.locator("[data-json-error]").count()).toBe(1);
    expect(await page.inputValue("#definition-text")).toBe(`${header}${WHERE_FR}\n`);
    expect(await page.textContent(".caret .behind")).toContain("behind the JSON");
    expect(errors).toEqual([]);
  });

  it("saves for a marketer and opens the segment's page", async () => {
    const { page, errors } = await openView(browser, shop, "/builder", shop.keys.marketer);
    await typeText(page, `${header}${WHERE_DE}`);
    await page.click('[data-card="save"] button');
    await page.waitForURL(/\/segments\/repeat-de$/);
    await settled(page);
    expect(await page.textContent("h1")).toBe("Repeat buyers in Germany");
    // Saved, not evaluated yet: a refresh from the page gives it the size its preview had (the same as-of).
    expect(await page.textContent('[data-figure="evaluated"]')).toContain("not yet");
    await page.click('[data-card="now"] button');
    await page.waitForSelector('[data-card="persona"]');
    await settled(page);
    expect(await page.textContent('[data-figure="size"]')).toBe(
      shop.prepared.de.size.toLocaleString("en-US"),
    );
    expect(errors).toEqual([]);
  });

  it("reaches every control from the keyboard", async () => {
    await expectKeyboardReach(browser, shop, "/builder");
  });

  it("lets an analyst check and size a definition but not save it, and shows no customer id", async () => {
    const { page, errors } = await openView(browser, shop, "/builder", shop.keys.analyst);
    const answers = recordAnswers(page);
    await typeText(page, `${header}${WHERE_DE}`);
    expect(await page.textContent('[data-figure="preview-size"]')).toBe(
      shop.prepared.de.size.toLocaleString("en-US"),
    );
    expect(await page.textContent('[data-why-not="save"]')).toContain("write:segments");
    expect(await page.locator('[data-card="save"] button').count()).toBe(0);
    // Opened from a segment's page ("Edit in the builder"): its definition, printed as text by the API.
    await page.goto(`${shop.url}/builder?from=champions-mobile`);
    await page.waitForFunction(() =>
      (document.querySelector("#definition-text") as HTMLTextAreaElement | null)?.value.includes(
        "rfm_segment",
      ),
    );
    await settled(page);
    expect(await page.inputValue("#definition-text")).toContain(
      'where: computed("rfm_segment") = "Champions"',
    );
    expect(idsIn(await page.content(), shop.prepared.ids)).toEqual([]);
    expect(answers.length).toBeGreaterThan(0);
    expect(idsIn(answers.join("\n"), shop.prepared.ids)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
