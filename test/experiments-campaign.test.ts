/**
 * A campaign as an experiment's treatment (issue 20: "a campaign can be an experiment's treatment"), as a user runs
 * it, on every engine: `campaign create --experiment E --variant V` sends only to the audience's consented people
 * assigned to V (each in their earliest assignment), previews only them, says so in `campaign show`; a variant
 * that is not one (the holdout, a typo), a lone option or an unknown experiment is refused, nothing saved; the
 * experiment cannot be removed while the campaign treats it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mailShop, SHOP_IDS, SHOP_MEMBERS } from "./activation-shop.js";
import { TEST_ENGINES } from "./engines.js";
import { assignments } from "./experiment-fixtures.js";
import { dbSnapshot, runCli, tempDir, tesseraJson, writeFile } from "./helpers.js";

describe.each(TEST_ENGINES)("a campaign treating an experiment's variant on $name", (engine) => {
  it("sends only to the variant's consented people, and refuses what is not a variant", async () => {
    const db = engine.location();
    const dir = tempDir();
    await mailShop(db, `customer_id,email\n${SHOP_IDS.map((id) => `${id},${id}@example.com`).join("\n")}\n`);
    await tesseraJson(
      db,
      "experiment",
      "create",
      "promo",
      "--segment",
      "buyers",
      "--variants",
      "control:50,offer:50",
    );
    await tesseraJson(db, "experiment", "assign", "promo");
    const assigned = await assignments(db, "promo");
    const inOffer = SHOP_MEMBERS.filter((id) => assigned.get(id)?.variant === "offer");
    const inControl = SHOP_MEMBERS.filter((id) => assigned.get(id)?.variant === "control");
    // Both arms hold people, so that the filter is seen to take some and leave others.
    expect(inOffer.length).toBeGreaterThan(0);
    expect(inControl.length).toBeGreaterThan(0);

    const template = writeFile(dir, "offer.liquid", "Free shipping for you, {{ customer_id }}.\n");
    const create = (...args: string[]) =>
      runCli(
        ...["campaign", "create", "promo-offer", "--audience", "mail-buyers", "--template", template],
        ...["--subject", "For you", ...args, "--db", db],
      );
    const before = await dbSnapshot(db);
    for (const [args, message] of [
      [["--experiment", "promo", "--variant", "holdout"], 'no variant "holdout"'],
      [["--experiment", "promo", "--variant", "ofer"], 'no variant "ofer" (did you mean "offer"?)'],
      [["--experiment", "promo"], "variant: a campaign treats one variant of an experiment"],
      [["--variant", "offer"], "experiment: a campaign treats one variant of an experiment"],
      [["--experiment", "prom", "--variant", "offer"], 'no experiment "prom" (did you mean "promo"?)'],
    ] as [string[], string][]) {
      const r = await create(...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain(message);
    }
    expect(await dbSnapshot(db)).toBe(before);

    expect((await create("--experiment", "promo", "--variant", "offer")).code).toBe(0);
    const shown = await runCli("campaign", "show", "promo-offer", "--db", db);
    expect(shown.stdout).toContain("treating variant offer of experiment promo");
    // Preview: someone of the control is not among its recipients.
    const preview = await runCli(
      "campaign",
      "preview",
      "promo-offer",
      "--customer",
      inControl[0] as string,
      "--db",
      db,
    );
    expect(preview.code).toBe(1);
    expect(preview.stderr).toContain("or not in variant offer of experiment promo");

    const out = `${dir}/outbox.ndjson`;
    const sent = await tesseraJson(db, "campaign", "send", "promo-offer", "--out", out);
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean);
    const to = lines.map((l) => (JSON.parse(l) as { customerId: string }).customerId);
    expect(to).toEqual(inOffer);
    expect(sent).toMatchObject({ sent: inOffer.length });

    // The experiment stays while a campaign treats it, even with --force.
    const removal = await runCli("experiment", "remove", "promo", "--force", "--db", db);
    expect(removal.code).toBe(1);
    expect(removal.stderr).toContain(
      'experiment "promo" is treated by campaign promo-offer: remove it first',
    );
  });
});
