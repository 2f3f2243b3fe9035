/**
 * Exposures and the global holdout (issue 20, item 1) as a user runs them, on every engine: exposures read from
 * events (first exposure wins, unknown variations reported); the global holdout kept out of a campaign send and
 * put in `holdout`, growing without reshuffling.
 */
import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "./engines.js";
import { assignments, draw, ids, variantRef } from "./experiment-fixtures.js";
import { runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

describe.each(TEST_ENGINES)("experiment exposures and the global holdout on $name", (engine) => {
  it("reads exposures from events: first exposure wins, unknown variations reported", async () => {
    const db = engine.location();
    const dir = tempDir();
    const ev = (
      id: string,
      ts: string,
      exp: string,
      variation: string | number,
      name = "Experiment Viewed",
    ) =>
      JSON.stringify({
        type: "track",
        event: name,
        user_id: id,
        timestamp: ts,
        properties: { experiment_id: exp, variation_id: variation },
      });
    const lines = [
      ev("v1", "2024-03-01T10:00:00Z", "web-cta", "control"),
      ev("v1", "2024-03-02T10:00:00Z", "web-cta", "green"), // later: ignored, counted as a cross-over
      ev("v2", "2024-03-01T09:00:00Z", "web-cta", "green"),
      ev("v3", "2024-03-03T09:00:00Z", "web-cta", 1), // GrowthBook's index: the second variant
      ev("v4", "2024-03-01T09:00:00Z", "web-cta", "purple"), // not a variant
      ev("v5", "2024-03-01T09:00:00Z", "other-test", "control"), // another experiment
      ev("v6", "2024-03-01T09:00:00Z", "web-cta", "control", "Page Viewed"), // another event
    ];
    const r = await runCli(
      "import",
      "events",
      writeFile(dir, "events.ndjson", `${lines.join("\n")}\n`),
      "--db",
      db,
    );
    expect(r.code, r.stderr).toBe(0);
    await tesseraJson(db, "privacy", "settings", "set", "min_group", "5");
    await tesseraJson(
      db,
      ...[
        "experiment",
        "create",
        "web-cta",
        "--exposures",
        "--variants",
        "control:50,green:50",
        "--start",
        "2024-01-01",
      ],
    );
    const res = await tesseraJson(db, "experiment", "assign", "web-cta");
    expect(res).toMatchObject({ source: "event", exposures: { event: "Experiment Viewed" } });
    const a = await assignments(db, "web-cta");
    const ids3 = await storedRows(
      db,
      "SELECT customer_id FROM identities WHERE kind = 'user_id' ORDER BY value",
    );
    expect(ids3.length).toBeGreaterThan(0);
    const byUser = new Map(
      (await storedRows(db, "SELECT value, customer_id FROM identities WHERE kind = 'user_id'")).map((x) => [
        x.value as string,
        x.customer_id as string,
      ]),
    );
    const of = (u: string) => a.get(byUser.get(u) as string);
    expect(of("v1")).toEqual({ variant: "control", at: "2024-03-01T10:00:00.000Z", source: "event" });
    expect(of("v2")).toMatchObject({ variant: "green", at: "2024-03-01T09:00:00.000Z" });
    expect(of("v3")).toMatchObject({ variant: "green", at: "2024-03-03T09:00:00.000Z" });
    expect(a.size).toBe(3);
    // Under k (5): the unknown variation's one person and the one cross-over are counted but not shown.
    expect(res.exposures).toMatchObject({
      unknownPeople: null,
      unknownVariations: [{ variation: "purple", people: null }],
    });
    expect((res.exposures as { crossedOver: number | null }).crossedOver).toBeNull();
  });

  it("keeps the global holdout out of campaign sends and puts it in holdout, growing without reshuffling", async () => {
    const db = engine.location();
    const people = ids(300);
    const dir = tempDir();
    const customers = `customer_id,email,country\n${people.map((id) => `${id},${id}@example.com,DE`).join("\n")}\n`;
    const consents = `customer_id,purpose,channel,status,timestamp\n${people.map((id) => `${id},marketing,email,granted,2024-01-01`).join("\n")}\n`;
    for (const [kind, text] of [
      ["customers", customers],
      ["consents", consents],
    ] as const)
      expect((await runCli("import", kind, writeFile(dir, `${kind}.csv`, text), "--db", db)).code).toBe(0);
    await tesseraJson(
      db,
      "segment",
      "add",
      "--id",
      "germans",
      "--name",
      "Germans",
      "--where",
      'country = "DE"',
    );
    await tesseraJson(db, "segment", "refresh");
    const set = await tesseraJson(db, "experiment", "holdout", "--set", "10%");
    const held10 = people.filter((id) => draw("tessera:global-holdout", id) < 0.1);
    expect(set).toMatchObject({ previous: 0, share: 0.1, customers: 300, heldOut: held10.length });
    // Recorded in the audit log.
    const log = await tesseraJson(db, "privacy", "audit-log");
    expect(
      (log.entries as { action: string; subject: string }[]).find(
        (e) => e.action === "experiment.holdout.set",
      ),
    ).toMatchObject({ subject: "global_holdout 0% -> 10%" });

    await tesseraJson(
      db,
      "audience",
      "create",
      "mail",
      "--segment",
      "germans",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    await tesseraJson(
      db,
      ...[
        "campaign",
        "create",
        "hello",
        "--audience",
        "mail",
        "--template",
        writeFile(dir, "t.liquid", "Hi"),
      ],
      ...["--subject", "Hello"],
    );
    const sent = await tesseraJson(db, "campaign", "send", "hello", "--out", `${dir}/out.ndjson`);
    expect(sent).toMatchObject({ sent: 300 - held10.length, globalHoldout: held10.length });
    const recorded = await storedRows(
      db,
      "SELECT customer_id FROM campaign_sends WHERE status = 'global-holdout' ORDER BY customer_id",
    );
    expect(recorded.map((r) => r.customer_id)).toEqual(held10);

    await tesseraJson(db, "experiment", "create", "e1", "--audience", "mail", "--variants", "a:50,b:50");
    await tesseraJson(db, "experiment", "assign", "e1");
    const a = await assignments(db, "e1");
    for (const id of people)
      expect(a.get(id)?.variant).toBe(
        held10.includes(id)
          ? "holdout"
          : variantRef(
              "e1",
              id,
              [
                ["a", 50],
                ["b", 50],
              ],
              0,
            ),
      );

    // Growing to 20% keeps every one of the 10% and adds people; nobody leaves.
    const grown = await tesseraJson(db, "experiment", "holdout", "--set", "20%");
    const held20 = people.filter((id) => draw("tessera:global-holdout", id) < 0.2);
    expect(held10.every((id) => held20.includes(id))).toBe(true);
    expect(grown).toMatchObject({ previous: 0.1, share: 0.2, heldOut: held20.length });
    expect(await tesseraJson(db, "experiment", "holdout")).toMatchObject({ share: 0.2 });
  });
});
