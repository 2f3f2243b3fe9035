/**
 * Recommendations in campaign messages (issue 19, item 1: "usable in campaign templates"): after `recommend fit`,
 * a template's `recommendations` list is each person's stored recommendations, in rank order — the same items
 * `tessera recommend --customer` gives them —, and empty before any fit. A segment's members' lists pass the consent
 * gate.
 */
import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "./engines.js";
import { runCli, tempDir, tesseraJson, writeFile } from "./helpers.js";

describe.each(TEST_ENGINES)("recommendations in templates on $name", (engine) => {
  it("renders each person's recommended items, the ones recommend lists for them", async () => {
    const db = engine.location();
    const dir = tempDir();
    // 12 customers; everyone bought the mug; c01..c08 also bought the plate and c09..c12 the bowl; c01..c04 the
    // cup too. Items each has not bought: the cup, the bowl or the plate, by what people like them bought.
    const ids = Array.from({ length: 12 }, (_, i) => `c${String(i + 1).padStart(2, "0")}`);
    const lines = ["order_id,customer_id,timestamp,quantity,unit_price,sku,description"];
    ids.forEach((id, i) => {
      lines.push(`o${i},${id},2024-03-01,1,5,MUG,Blue mug`);
      lines.push(`o${i},${id},2024-03-01,1,7,${i < 8 ? "PLATE,White plate" : "BOWL,Deep bowl"}`);
      if (i < 4) lines.push(`o${i},${id},2024-03-01,1,3,CUP,Tea cup`);
    });
    const customers = `customer_id,email,first_name\n${ids.map((id) => `${id},${id}@example.com,${id.toUpperCase()}`).join("\n")}\n`;
    const consents = `customer_id,purpose,channel,status,timestamp\n${ids.map((id) => `${id},marketing,email,granted,2024-01-01`).join("\n")}\n`;
    for (const [kind, text] of [
      ["customers", customers],
      ["order-lines", `${lines.join("\n")}\n`],
      ["consents", consents],
    ] as const)
      expect((await runCli("import", kind, writeFile(dir, `${kind}.csv`, text), "--db", db)).code).toBe(0);
    await tesseraJson(
      db,
      "segment",
      "add",
      "--id",
      "buyers",
      "--name",
      "Buyers",
      "--where",
      "orders.count() >= 1",
    );
    await tesseraJson(db, "segment", "refresh", "--as-of", "2024-04-01");
    await tesseraJson(
      db,
      "audience",
      "create",
      "all-buyers",
      "--segment",
      "buyers",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    const template = writeFile(
      dir,
      "recs.liquid",
      "{% for r in recommendations %}{{ r.description }};{% endfor %}\n",
    );
    await tesseraJson(
      db,
      "campaign",
      "create",
      "recs",
      "--audience",
      "all-buyers",
      "--template",
      template,
      "--subject",
      "For you",
      "--channel",
      "email",
    );

    const before = await tesseraJson(db, "campaign", "preview", "recs", "--customer", "c09");
    expect((before.examples as { body: string }[])[0]?.body).toBe("\n");

    await tesseraJson(db, "recommend", "fit", "--as-of", "2024-04-01");
    for (const id of ["c01", "c05", "c09"]) {
      const listed = (await tesseraJson(db, "recommend", "--customer", id)) as {
        customer: { items: { description: string | null }[] };
      };
      const expected = listed.customer.items
        .slice(0, 10)
        .map((x) => `${x.description};`)
        .join("");
      // c01 bought everything but the bowl; c05 lacks the cup and the bowl; c09 the plate and the cup.
      const unbought: Record<string, string[]> = {
        c01: ["Deep bowl"],
        c05: ["Tea cup", "Deep bowl"],
        c09: ["White plate", "Tea cup"],
      };
      expect(listed.customer.items.map((x) => x.description).sort()).toEqual(
        [...(unbought[id] ?? [])].sort(),
      );
      const shown = await tesseraJson(db, "campaign", "preview", "recs", "--customer", id);
      expect((shown.examples as { body: string }[])[0]?.body).toBe(`${expected}\n`);
    }

    // A segment's members' lists name people: only for a use they consented to. c02 withdraws: left out.
    const refused = await runCli("recommend", "--segment", "buyers", "--db", db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--purpose");
    await tesseraJson(
      db,
      "consent",
      "record",
      "c02",
      "--purpose",
      "marketing",
      "--channel",
      "email",
      "--status",
      "withdrawn",
    );
    const lists = (await tesseraJson(
      db,
      "recommend",
      "--segment",
      "buyers",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    )) as {
      customers: { customer_id: string; items: { sku: string }[] }[];
    };
    expect(lists.customers.map((c) => c.customer_id)).toEqual(ids.filter((id) => id !== "c02"));
    for (const c of lists.customers.filter((x) => ["c01", "c05", "c09"].includes(x.customer_id))) {
      const own = (await tesseraJson(db, "recommend", "--customer", c.customer_id)) as {
        customer: { items: { sku: string }[] };
      };
      expect(c.items.map((x) => x.sku)).toEqual(own.customer.items.map((x) => x.sku));
    }
  });
});
