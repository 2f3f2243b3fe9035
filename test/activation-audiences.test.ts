/**
 * `tessera audience create|list|show|members|remove` (issue 18, item 1), as a user runs them, on every engine: an
 * audience's members are the current members of its segments who pass the consent gate for its purpose and
 * channel — computed when asked, so a withdrawal takes effect at once —, its size goes through the k-gate, and bad
 * input is refused naming what is wrong, with nothing saved.
 */
import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

/** 40 customers c01..c40; c01..c30 bought (segment buyers), c21..c40 are from DE (segment germans). */
function people() {
  const ids = Array.from({ length: 40 }, (_, i) => `c${String(i + 1).padStart(2, "0")}`);
  const customers = `customer_id,email,country\n${ids.map((id, i) => `${id},${id}@example.com,${i >= 20 ? "DE" : "FR"}`).join("\n")}\n`;
  const orders = `order_id,customer_id,timestamp,total\n${ids
    .slice(0, 30)
    .map((id, i) => `o${i},${id},2024-03-01,10`)
    .join("\n")}\n`;
  // Everyone granted marketing by email, except c05 (never asked) and c06 (granted, then withdrew).
  const consents = [
    "customer_id,purpose,channel,status,timestamp",
    ...ids.filter((id) => id !== "c05").map((id) => `${id},marketing,email,granted,2024-01-01`),
    "c06,marketing,email,withdrawn,2024-02-01",
  ].join("\n");
  return { ids, customers, orders, consents: `${consents}\n` };
}

describe.each(TEST_ENGINES)("audiences on $name", (engine) => {
  it("lists the consented members of a combination of segments, sized through the k-gate", async () => {
    const db = engine.location();
    const dir = tempDir();
    const p = people();
    for (const [kind, text] of [
      ["customers", p.customers],
      ["orders", p.orders],
      ["consents", p.consents],
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
    await tesseraJson(db, "segment", "refresh", "--as-of", "2024-04-01");

    const created = await tesseraJson(
      db,
      "audience",
      "create",
      "french-buyers",
      "--segment",
      'segment("buyers") and not segment("germans")',
      "--purpose",
      "Marketing",
      "--channel",
      "email",
    );
    expect(created.audience).toMatchObject({
      id: "french-buyers",
      segments: { all: [{ segment: "buyers" }, { not: { segment: "germans" } }] },
      purpose: "marketing",
      channel: "email",
    });

    // Buyers not from DE: c01..c20; less c05 (no consent) and c06 (withdrew): 18 people.
    const expected = p.ids.slice(0, 20).filter((id) => id !== "c05" && id !== "c06");
    const members = await tesseraJson(db, "audience", "members", "french-buyers");
    expect(members.customers).toEqual(expected);
    // Two left out without consent: a small group, hidden; none suppressed (an empty cell names nobody).
    expect(members.leftOut).toEqual({ noConsent: null, suppressionList: 0, suppressed: true });
    // Its size: 18 of 40 (shown: neither it nor the other 22 is a small group).
    const shown = await tesseraJson(db, "audience", "show", "french-buyers");
    expect(shown.audience).toMatchObject({ size: 18, suppressed: false });

    // A withdrawal counts at once, without a refresh; a suppression too.
    expect(
      (
        await runCli(
          "consent",
          "record",
          "c07",
          "--purpose",
          "marketing",
          "--channel",
          "email",
          "--status",
          "withdrawn",
          "--db",
          db,
        )
      ).code,
    ).toBe(0);
    expect((await runCli("privacy", "suppress", "c08", "--reason", "unsubscribed", "--db", db)).code).toBe(0);
    const after = await tesseraJson(db, "audience", "members", "french-buyers");
    expect(after.customers).toEqual(expected.filter((id) => id !== "c07" && id !== "c08"));

    // A small audience's size is suppressed: the buyers from DE who consented (c21..c30: 10) less c21..c23 by a
    // withdrawal each: 7 people, below k = 10.
    for (const id of ["c21", "c22", "c23"])
      await runCli(
        "consent",
        "record",
        id,
        "--purpose",
        "marketing",
        "--channel",
        "email",
        "--status",
        "denied",
        "--db",
        db,
      );
    await tesseraJson(
      db,
      "audience",
      "create",
      "german-buyers",
      "--segment",
      'segment("buyers") and segment("germans")',
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    const list = await tesseraJson(db, "audience", "list");
    const byId = new Map(
      (list.audiences as { id: string; size: number | null; suppressed: boolean }[]).map((a) => [a.id, a]),
    );
    expect(byId.get("german-buyers")).toMatchObject({ size: null, suppressed: true });
    expect(byId.get("french-buyers")).toMatchObject({ size: 16, suppressed: false });
    const table = await runCli("audience", "list", "--db", db);
    expect(table.stdout).toMatch(/german-buyers .* <10/);

    // Reading members is recorded in the audit log with the audience's purpose and channel.
    const log = await storedRows(
      db,
      "SELECT action, subject, purpose, people FROM audit_log WHERE action = 'audience.members'",
    );
    expect(log.map((r) => [r.subject, r.purpose, Number(r.people)])).toEqual([
      ["audience=french-buyers channel=email", "marketing", 18],
      ["audience=french-buyers channel=email", "marketing", 16],
    ]);

    // Removed when nothing uses it.
    expect((await tesseraJson(db, "audience", "remove", "german-buyers")).removed).toBe("german-buyers");
    expect(((await tesseraJson(db, "audience", "list")).audiences as unknown[]).length).toBe(1);
  });

  it("refuses bad input naming what is wrong, and saves nothing", async () => {
    const db = engine.location();
    const dir = tempDir();
    const p = people();
    await runCli("import", "customers", writeFile(dir, "customers.csv", p.customers), "--db", db);
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
    await tesseraJson(
      db,
      "audience",
      "create",
      "de",
      "--segment",
      "germans",
      "--purpose",
      "marketing",
      "--channel",
      "sms",
    );
    const before = await dbSnapshot(db);
    const cases: [string[], RegExp][] = [
      [
        ["--segment", "germanz", "--purpose", "m", "--channel", "e"],
        /segments: no segment "germanz" \(did you mean "germans"\?\)/,
      ],
      [
        ["--segment", "age > 30", "--purpose", "m", "--channel", "e"],
        /segments: an audience combines segments only: "trait"/,
      ],
      [
        ["--segment", 'segment("germans") and', "--purpose", "m", "--channel", "e"],
        /segments: line 1, column \d+/,
      ],
      [["--segment", "germans", "--channel", "e"], /purpose: a purpose is required/],
      [["--segment", "germans", "--purpose", "m"], /channel: a channel is required/],
      [["--purpose", "m", "--channel", "e"], /segments/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli("audience", "create", "x", ...args, "--db", db);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    const dup = await runCli(
      "audience",
      "create",
      "de",
      "--segment",
      "germans",
      "--purpose",
      "m",
      "--channel",
      "e",
      "--db",
      db,
    );
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringMatching(/audience "de" exists/)]);
    const bad = await runCli(
      "audience",
      "create",
      "Bad Id",
      "--segment",
      "germans",
      "--purpose",
      "m",
      "--channel",
      "e",
      "--db",
      db,
    );
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/id: lower-case letters/)]);
    const unknown = await runCli("audience", "show", "dee", "--db", db);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      expect.stringMatching(/no audience "dee" \(did you mean "de"\?\)/),
    ]);
    // A segment an audience combines is not removed from under it.
    const used = await runCli("segment", "remove", "germans", "--db", db);
    expect([used.code, used.stderr]).toEqual([
      1,
      expect.stringMatching(/segment "germans" is used by audience de/),
    ]);
    // Members of a segment no refresh has evaluated are not known.
    const stale = await runCli("audience", "members", "de", "--db", db);
    expect([stale.code, stale.stderr]).toEqual([
      1,
      expect.stringMatching(/germans: saved since the last refresh/),
    ]);
    expect(await dbSnapshot(db)).toBe(before);
  });
});
