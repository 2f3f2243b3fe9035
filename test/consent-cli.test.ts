/**
 * `tessera consent record|history`, `tessera privacy suppress|unsuppress|suppressions` and `segment members` for a
 * purpose and a channel, as a user runs them: the answers, the refusals (exit 1 naming what is wrong, nothing
 * written) and the audit log's record of each.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dbSnapshot, runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

describe("consent and the suppression list from the command line", () => {
  const db = join(tempDir(), "consent.duckdb");
  beforeAll(async () => {
    const dir = tempDir();
    // Three buyers: ann (email ann@example.com), bob, cat; all buy, so all are in "buyers".
    const customers = writeFile(
      dir,
      "customers.csv",
      "customer_id,email\nann,ann@example.com\nbob,bob@example.com\ncat,\n",
    );
    const orders = writeFile(
      dir,
      "orders.csv",
      "order_id,customer_id,timestamp,total\no1,ann,2024-03-01,10\no2,bob,2024-03-02,20\no3,cat,2024-03-03,30\n",
    );
    expect((await runCli("import", "customers", customers, "--db", db)).code).toBe(0);
    expect((await runCli("import", "orders", orders, "--db", db)).code).toBe(0);
    await tesseraJson(
      db,
      "segment",
      "add",
      "--where",
      "orders.count() >= 1",
      "--id",
      "buyers",
      "--name",
      "Buyers",
    );
    await tesseraJson(db, "segment", "refresh", "--as-of", "2024-04-01");
  });

  it("records consent by any identifier, append-only, and lists a person's ledger with what it amounts to", async () => {
    const granted = await tesseraJson(
      db,
      "consent",
      "record",
      "ann@example.com",
      "--purpose",
      "Marketing",
      "--channel",
      "email",
      "--status",
      "granted",
      "--source",
      "signup form",
      "--at",
      "2024-02-01T09:00:00Z",
    );
    expect(granted).toEqual({
      customerId: "ann",
      record: {
        purpose: "marketing",
        channel: "email",
        status: "granted",
        source: "signup form",
        at: "2024-02-01T09:00:00.000Z",
      },
    });
    await tesseraJson(
      db,
      "consent",
      "record",
      "bob",
      "--purpose",
      "marketing",
      "--status",
      "granted",
      "--at",
      "2024-02-01",
    );
    await tesseraJson(
      db,
      "consent",
      "record",
      "cat",
      "--purpose",
      "marketing",
      "--channel",
      "email",
      "--status",
      "granted",
      "--at",
      "2024-02-01",
    );
    const text = await runCli("consent", "history", "ann", "--db", db);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("consent records of ann, oldest first:");
    expect(text.stdout).toMatch(/2024-02-01T09:00:00.000Z\s+marketing\s+email\s+granted\s+signup form/);
    expect(text.stdout).toMatch(/marketing\s+email\s+granted/);
    // A withdrawal is a new record; the grant stays in the ledger.
    await tesseraJson(
      db,
      "consent",
      "record",
      "ann",
      "--purpose",
      "marketing",
      "--channel",
      "email",
      "--status",
      "withdrawn",
      "--at",
      "2024-03-01",
    );
    const history = await tesseraJson(db, "consent", "history", "ann");
    expect(history).toMatchObject({
      customerId: "ann",
      records: [{ status: "granted" }, { status: "withdrawn", source: null }],
      current: [
        { purpose: "marketing", channel: null, granted: false },
        { purpose: "marketing", channel: "email", granted: false },
      ],
    });
    expect(Number((await storedRows(db, "SELECT count(*) AS n FROM consents"))[0]?.n)).toBe(4);
    // Each record is in the audit log, its channel named once (the subject and the use are one line).
    const subjects = (
      await storedRows(db, "SELECT subject FROM audit_log WHERE action = 'consent.record' ORDER BY seq")
    ).map((r) => String(r.subject));
    expect(subjects.length).toBeGreaterThan(0);
    for (const subject of subjects) expect(subject.match(/channel=/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(subjects).toContain("status=withdrawn channel=email");
  });

  it("lists segment members only for a purpose and a channel, less the suppressed; says who was left out", async () => {
    // ann withdrew; bob (every channel) and cat (email) consented.
    expect(
      await tesseraJson(db, "segment", "members", "buyers", "--purpose", "marketing", "--channel", "email"),
    ).toEqual({
      id: "buyers",
      purpose: "marketing",
      channel: "email",
      customers: ["bob", "cat"],
      // One left out (ann), under k: hidden; none suppressed, and 0 reveals nobody.
      leftOut: { noConsent: null, suppressionList: 0, suppressed: true },
    });
    const suppressed = await tesseraJson(
      db,
      "privacy",
      "suppress",
      "bob@example.com",
      "--reason",
      "unsubscribed",
      "--channel",
      "email",
    );
    expect(suppressed).toMatchObject({
      customerId: "bob",
      suppressions: [
        { customerId: "bob", channel: "email", reason: "unsubscribed", by: expect.stringMatching(/^cli:/) },
      ],
    });
    const text = await runCli(
      "segment",
      "members",
      "buyers",
      "--purpose",
      "marketing",
      "--channel",
      "email",
      "--db",
      db,
    );
    expect([text.code, text.stdout]).toEqual([0, "cat\n"]);
    expect(text.stderr).toBe(
      "left out: a few (too few to show) without consent to marketing by email, a few (too few to show) on the suppression list\n",
    );
    // bob consented on every channel: by sms he is not suppressed.
    expect(
      (await tesseraJson(db, "segment", "members", "buyers", "--purpose", "marketing", "--channel", "sms"))
        .customers,
    ).toEqual(["bob"]);
    const list = await runCli("privacy", "suppressions", "--db", db);
    expect(list.stdout).toMatch(/bob\s+email\s+unsubscribed/);
    const lifted = await tesseraJson(db, "privacy", "unsuppress", "bob");
    expect(lifted).toMatchObject({ customerId: "bob", lifted: [{ channel: "email" }], suppressions: [] });
    expect(await tesseraJson(db, "privacy", "suppressions")).toEqual({ suppressions: [] });
    expect(
      (await tesseraJson(db, "segment", "members", "buyers", "--purpose", "marketing", "--channel", "email"))
        .customers,
    ).toEqual(["bob", "cat"]);
    // Who entered, listed through the gate as well.
    const history = await tesseraJson(
      db,
      "segment",
      "history",
      "buyers",
      "--ids",
      "5",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    expect((history.history as { enteredIds: string[] }[])[0]?.enteredIds).toEqual(["bob", "cat"]);
    // Every one of these named people: each is in the audit log, with its purpose where it had one.
    const audit = JSON.stringify(await storedRows(db, "SELECT * FROM audit_log"));
    for (const action of [
      "consent.record",
      "consent.history",
      "privacy.suppress",
      "privacy.unsuppress",
      "privacy.suppressions",
    ])
      expect(audit).toContain(action);
    expect(audit).toMatch(/segment\.members[^"]*purpose=marketing/);
  });

  it("refuses what it cannot do, naming why, and changes nothing", async () => {
    const before = await dbSnapshot(db);
    const refusals: [string[], string][] = [
      [
        ["segment", "members", "buyers"],
        "tessera: --purpose: required: people are listed only for a purpose and a channel they consented to\n",
      ],
      [["segment", "members", "buyers", "--purpose", "marketing"], "tessera: --channel: required"],
      [["segment", "history", "buyers", "--ids", "3"], "tessera: --purpose: required"],
      [
        ["consent", "record", "nobody", "--purpose", "marketing", "--status", "granted"],
        'tessera: consent.record: person: no person is known by the id "nobody"',
      ],
      [
        ["consent", "record", "not@an@email", "--purpose", "marketing", "--status", "granted"],
        "is not a well-formed email address",
      ],
      [
        ["consent", "record", "ann", "--purpose", "marketing", "--status", "maybe"],
        "tessera: consent.record: status: expected one of granted, denied, withdrawn",
      ],
      [
        ["consent", "record", "ann", "--status", "granted"],
        "tessera: consent.record: purpose: a purpose is required",
      ],
      [
        ["consent", "record", "ann", "--purpose", "marketing", "--status", "granted", "--at", "yesterday"],
        'tessera: --at: not an ISO 8601 date: "yesterday"',
      ],
      [
        ["consent", "record", "ann", "--purpose", "marketing", "--status", "granted", "--at", "2999-01-01"],
        "tessera: consent.record: at: 2999-01-01T00:00:00.000Z is not a plausible time for a consent",
      ],
      [
        ["consent", "history", "nobody"],
        'tessera: consent.history: person: no person is known by the id "nobody"',
      ],
      [
        ["privacy", "suppress", "ann", "--reason", "bored"],
        "tessera: privacy.suppress: reason: expected one of unsubscribed, do-not-contact",
      ],
      [["privacy", "suppress", "nobody", "--reason", "unsubscribed"], "no person is known"],
      [["privacy", "unsuppress", "nobody"], "no person is known"],
    ];
    for (const [args, message] of refusals) {
      const r = await runCli(...args, "--db", db);
      expect([r.code, r.stdout], args.join(" ")).toEqual([1, ""]);
      expect(r.stderr, args.join(" ")).toContain(message);
    }
    expect(await dbSnapshot(db)).toBe(before);
  });
});
