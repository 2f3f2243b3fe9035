/**
 * Webhook destinations (issue 18, item 2), as a user runs them and as a receiver sees them, on every engine: a
 * delivery carries who entered and who left an audience since the last one, signed as the Standard Webhooks
 * specification says (checked here from its formula, not with our signer); someone who withdrew consent is among
 * the exited and never the entered; failed attempts are retried with exponential backoff under the same webhook-id,
 * across a restart, and a delivery acknowledged once is never sent again; one that fails for good is undone, so the
 * next sync sends the difference again. Bad input is refused with the field named and nothing written.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { recordSyncs } from "../src/activation/audience-sync.js";
import { deliverPending } from "../src/activation/deliveries.js";
import { backoffMs, RETRY_POLICY, type RetryPolicy } from "../src/activation/retry-policy.js";
import { serve } from "../src/server/serve.js";
import { openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import type { Store } from "../src/store/store.js";
import { mailShop, SHOP_IDS, SHOP_MEMBERS } from "./activation-shop.js";
import { TEST_ENGINES } from "./engines.js";
import { apiKey, dbSnapshot, runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";
import { expectedSignature, type Received, receiver } from "./webhook-receiver.js";

const SECRET = `whsec_${Buffer.from("tessera webhook test secret, 32b").toString("base64")}`;

/** A port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const data = (r: Received) =>
  (JSON.parse(r.body) as { data: { entered: string[]; exited: string[]; sequence: number } }).data;

/**
 * 40 customers c01..c40; c01..c30 bought (segment buyers); everyone granted marketing by email but c05 (never asked)
 * and c06 (withdrew). The audience `mail-buyers`: buyers for marketing by email — c01..c30 less c05 and c06.
 */
async function setUp(db: string): Promise<string[]> {
  await mailShop(db, `customer_id,email\n${SHOP_IDS.map((id) => `${id},${id}@example.com`).join("\n")}\n`);
  return [...SHOP_MEMBERS];
}

const withdraw = async (db: string, id: string) => {
  const r = await runCli(
    "consent",
    "record",
    id,
    "--purpose",
    "marketing",
    "--channel",
    "email",
    "--status",
    "withdrawn",
    "--db",
    db,
  );
  expect(r.code, r.stderr).toBe(0);
};

const addDestination = (db: string, url: string, ...more: string[]) =>
  tesseraJson(
    db,
    "destination",
    "add",
    "crm",
    "--url",
    url,
    "--secret",
    SECRET,
    "--audience",
    "mail-buyers",
    "--allow-private",
    ...more,
  );

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe.each(TEST_ENGINES)("webhook destinations on $name", (engine) => {
  it("sends who entered and who left, signed per the specification; a withdrawal is an exit, never an entry", async () => {
    const db = engine.location();
    const members = await setUp(db);
    const rec = await receiver();
    closers.push(rec.close);

    const added = await runCli(
      "destination",
      "add",
      "crm",
      "--url",
      rec.url,
      "--secret",
      SECRET,
      "--audience",
      "mail-buyers",
      "--allow-private",
      "--db",
      db,
      "--json",
    );
    expect(added.code, added.stderr).toBe(0);
    // The secret is never printed back.
    expect(added.stdout).not.toContain(SECRET.slice(6, 20));
    expect(JSON.parse(added.stdout).destination).toMatchObject({
      id: "crm",
      url: rec.url,
      audiences: ["mail-buyers"],
      secret: "whsec_…",
      secretSealed: false,
      pending: 0,
    });
    expect(rec.received).toHaveLength(0);

    // The first sync: everyone in the audience enters.
    const first = await tesseraJson(db, "destination", "sync", "crm");
    expect(first.recorded).toMatchObject([
      { destination: "crm", audience: "mail-buyers", entered: 28, exited: 0 },
    ]);
    expect(first.delivery).toMatchObject({ attempted: 1, delivered: 1, failedAttempts: 0, pending: 0 });
    expect(rec.received).toHaveLength(1);
    const r1 = rec.received[0] as Received;
    expect(r1.signature).toBe(expectedSignature(SECRET, r1.id, r1.timestamp, r1.body));
    expect(r1.id).toMatch(/^msg_[0-9a-z]+$/);
    expect(Math.abs(Number(r1.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(JSON.parse(r1.body)).toMatchObject({
      type: "audience.changed",
      data: {
        destination: "crm",
        audience: "mail-buyers",
        purpose: "marketing",
        channel: "email",
        sequence: 1,
        exited: [],
      },
    });
    expect(data(r1).entered).toEqual(members);

    // c07 withdraws; c31 and c32 buy; c32 withdraws before the refresh. The refresh records the difference and
    // the command delivers it.
    await withdraw(db, "c07");
    const dir = tempDir();
    const orders = writeFile(
      dir,
      "more.csv",
      "order_id,customer_id,timestamp,total\no31,c31,2024-03-15,10\no32,c32,2024-03-15,10\n",
    );
    expect((await runCli("import", "orders", orders, "--db", db)).code).toBe(0);
    await withdraw(db, "c32");
    const refresh = await runCli("segment", "refresh", "--as-of", "2024-04-01", "--db", db);
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(refresh.stderr).toContain("destinations: 1 delivered, 0 pending");
    expect(rec.received).toHaveLength(2);
    const r2 = rec.received[1] as Received;
    expect(r2.signature).toBe(expectedSignature(SECRET, r2.id, r2.timestamp, r2.body));
    expect(r2.id).not.toBe(r1.id);
    expect(data(r2)).toMatchObject({ entered: ["c31"], exited: ["c07"], sequence: 2 });

    // Nothing changed: nothing recorded, nothing sent.
    const again = await tesseraJson(db, "destination", "sync");
    expect(again.recorded).toEqual([]);
    expect(rec.received).toHaveLength(2);

    // c05 (never asked), c06 and c32 (withdrew) were never entered; c07 left.
    const entered = rec.received.flatMap((r) => data(r).entered);
    for (const id of ["c05", "c06", "c32"]) expect(entered).not.toContain(id);

    const listed = await tesseraJson(db, "destination", "deliveries", "crm");
    expect(listed.deliveries).toMatchObject([
      {
        id: r2.id,
        status: "delivered",
        attempts: 1,
        entered: 1,
        exited: 1,
        lastStatus: 200,
        lastError: null,
        sequence: 2,
      },
      {
        id: r1.id,
        status: "delivered",
        attempts: 1,
        entered: 28,
        exited: 0,
        lastStatus: 200,
        lastError: null,
        sequence: 1,
      },
    ]);
    const text = await runCli("destination", "deliveries", "crm", "--db", db);
    expect(text.stdout).toContain(r2.id);
    expect(text.stdout).toContain("delivered");
    const shown = await tesseraJson(db, "destination", "list");
    expect(shown.destinations).toMatchObject([{ id: "crm", delivered: 2, pending: 0, failed: 0 }]);

    // Ids left Tessera: each sync is in the audit log, with its people counted and the use declared.
    const audit = await tesseraJson(db, "privacy", "audit-log");
    const syncs = (audit.entries as { action: string; people: number; purpose: string }[]).filter(
      (e) => e.action === "destination.sync",
    );
    expect(syncs.map((e) => [e.people, e.purpose]).sort()).toEqual([
      [2, "marketing"],
      [28, "marketing"],
    ]);
  });

  it("leaves out of a recorded delivery someone who withdrew before it was sent; they leave at the next sync", async () => {
    const db = engine.location();
    await setUp(db);
    const rec = await receiver();
    closers.push(rec.close);
    await addDestination(db, rec.url);
    // Recorded, not sent (no time to send).
    const recorded = await tesseraJson(db, "destination", "sync", "crm", "--timeout", "0");
    expect(recorded.delivery).toMatchObject({ attempted: 0, pending: 1 });
    await withdraw(db, "c08");
    const sent = await tesseraJson(db, "destination", "sync", "crm");
    expect(sent.recorded).toMatchObject([{ entered: 0, exited: 1 }]);
    expect(rec.received).toHaveLength(2);
    const [d1, d2] = rec.received.map(data);
    expect(d1?.entered).toHaveLength(27);
    expect(d1?.entered).not.toContain("c08");
    expect(d2).toMatchObject({ entered: [], exited: ["c08"], sequence: 2 });
    // What the destination was told: the audience now, without c08.
    const told = await storedRows(
      db,
      "SELECT count(*) AS n FROM destination_members WHERE customer_id = 'c08'",
    );
    expect(Number(told[0]?.n)).toBe(0);
  });

  it("retries with exponential backoff under one webhook-id, across a restart, and is acknowledged once", async () => {
    const db = engine.location();
    await setUp(db);
    // Fails three times (a 500, no answer in time, a 503 asking for 10 s), then takes it.
    const rec = await receiver(
      (n) =>
        [
          { status: 500 },
          { status: 200, delayMs: 2000 },
          { status: 503, headers: { "retry-after": "10" } },
          { status: 200 },
        ][n] ?? { status: 200 },
    );
    closers.push(rec.close);
    await addDestination(db, rec.url);
    const policy: RetryPolicy = {
      maxAttempts: 6,
      baseMs: 1000,
      factor: 2,
      capMs: 60_000,
      jitter: 0,
      timeoutMs: 400,
    };
    const T = Math.ceil(Date.now() / 1000) * 1000 + 3_600_000;
    let store: Store = await openStore(db);
    closers.push(() => store.close());
    const pass = (at: number) =>
      deliverPending(store, {
        dueOnly: true,
        budgetMs: 60_000,
        policy,
        now: () => new Date(at),
        random: () => 0,
      });
    const row = async () =>
      (
        await store.read((e) =>
          e.query(
            sql`SELECT delivery_id, status, attempts, next_attempt_at, last_status, last_error FROM deliveries`,
          ),
        )
      ).rows<{
        delivery_id: string;
        status: string;
        attempts: unknown;
        next_attempt_at: Date;
        last_status: unknown;
        last_error: string | null;
      }>()[0];

    await store.write((e) => recordSyncs(e, { who: "test", now: new Date(T) }));
    const waits: number[] = [];
    expect(await pass(T)).toMatchObject({ attempted: 1, failedAttempts: 1, delivered: 0, pending: 1 });
    waits.push((await row())?.next_attempt_at.getTime() as number);
    expect(await row()).toMatchObject({
      status: "pending",
      attempts: 1,
      last_status: 500,
      last_error: "HTTP 500 Internal Server Error",
    });
    // Not due yet: nothing is sent.
    expect((await pass(T + 999)).attempted).toBe(0);
    expect(await pass(T + 1000)).toMatchObject({ attempted: 1, failedAttempts: 1 });
    waits.push((await row())?.next_attempt_at.getTime() as number);
    expect((await row())?.last_error).toMatch(/timed out/);

    // A restart: the store closed and opened again; the delivery is still pending and goes on where it was.
    await store.close();
    store = await openStore(db);
    expect((await pass(T + 2999)).attempted).toBe(0);
    expect(await pass(T + 3000)).toMatchObject({ attempted: 1, failedAttempts: 1 });
    waits.push((await row())?.next_attempt_at.getTime() as number);
    expect((await pass(T + 12_999)).attempted).toBe(0);
    expect(await pass(T + 13_000)).toMatchObject({ attempted: 1, delivered: 1, pending: 0 });
    // Acknowledged: never sent again.
    expect((await pass(T + 1_000_000)).attempted).toBe(0);
    const sync = await store.write((e) => recordSyncs(e, { who: "test" }));
    expect(sync).toEqual([]);
    expect((await pass(T + 2_000_000)).attempted).toBe(0);

    // Waits of 1 s, then 2 s (doubling), then the receiver's 10 s (longer than the 4 s backoff).
    expect(waits).toEqual([T + 1000, T + 1000 + 2000, T + 3000 + 10_000]);
    expect(await row()).toMatchObject({
      status: "delivered",
      attempts: 4,
      last_status: 200,
      last_error: null,
    });
    // The receiver saw four attempts of one message: the same webhook-id and body, each signed with its own
    // attempt's timestamp, and answered 2xx once.
    await new Promise((r) => setTimeout(r, 2100));
    expect(rec.received).toHaveLength(4);
    const ids = new Set(rec.received.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBe((await row())?.delivery_id);
    expect(new Set(rec.received.map((r) => r.body)).size).toBe(1);
    expect(rec.received.map((r) => Number(r.timestamp))).toEqual(
      [T, T + 1000, T + 3000, T + 13_000].map((t) => t / 1000),
    );
    for (const r of rec.received)
      expect(r.signature).toBe(expectedSignature(SECRET, r.id, r.timestamp, r.body));
    // The timed-out attempt's answer came after the sender had given up on it: not an acknowledgement it saw.
    expect(rec.received.map((r) => r.answered)).toEqual([500, null, 503, 200]);
  });

  it("gives up after the last attempt, undoes what the destination was told, and sends the difference again", async () => {
    const db = engine.location();
    await setUp(db);
    let down = false;
    const rec = await receiver(() => ({ status: down ? 500 : 200 }));
    closers.push(rec.close);
    await addDestination(db, rec.url);
    await tesseraJson(db, "destination", "sync", "crm");
    down = true;
    await withdraw(db, "c07");
    await tesseraJson(db, "destination", "sync", "crm", "--timeout", "0");
    await withdraw(db, "c09");
    await tesseraJson(db, "destination", "sync", "crm", "--timeout", "0");
    const policy: RetryPolicy = {
      maxAttempts: 2,
      baseMs: 1000,
      factor: 2,
      capMs: 60_000,
      jitter: 0,
      timeoutMs: 2000,
    };
    const T = Date.now() + 3_600_000;
    const store = await openStore(db);
    closers.push(() => store.close());
    const pass = (at: number) =>
      deliverPending(store, {
        dueOnly: true,
        budgetMs: 60_000,
        policy,
        now: () => new Date(at),
        random: () => 0,
      });
    // Sent in order: the second waits for the first.
    expect(await pass(T)).toMatchObject({ attempted: 1, failedAttempts: 1, gaveUp: 0, pending: 2 });
    expect(rec.received).toHaveLength(2);
    expect(data(rec.received[1] as Received).exited).toEqual(["c07"]);
    expect(await pass(T + 1000)).toMatchObject({ attempted: 1, failedAttempts: 1, gaveUp: 2, pending: 0 });
    expect(rec.received).toHaveLength(3);
    const failed = await store.read((e) =>
      e.query(sql`SELECT sequence, status, attempts, last_error FROM deliveries ORDER BY sequence`),
    );
    expect(failed.rows()).toMatchObject([
      { sequence: 1, status: "delivered" },
      {
        sequence: 2,
        status: "failed",
        attempts: 2,
        last_error: expect.stringMatching(/HTTP 500.*attempt 2 of 2: given up/),
      },
      {
        sequence: 3,
        status: "failed",
        attempts: 0,
        last_error: expect.stringMatching(/^not sent: delivery msg_/),
      },
    ]);
    // Undone: c07 and c09 are what the destination holds again, and their failed deliveries keep no people.
    const told = await store.read((e) =>
      e.query(
        sql`SELECT customer_id FROM destination_members WHERE customer_id IN ('c07', 'c09') ORDER BY customer_id`,
      ),
    );
    expect(told.column("customer_id")).toEqual(["c07", "c09"]);
    const kept = await store.read((e) =>
      e.query(
        sql`SELECT count(*) AS n FROM delivery_people p INNER JOIN deliveries d ON d.delivery_id = p.delivery_id WHERE d.status = 'failed'`,
      ),
    );
    expect(Number(kept.column("n")[0])).toBe(0);
    // The receiver is back: the next sync sends the whole difference, once.
    down = false;
    await store.write((e) => recordSyncs(e, { who: "test" }));
    expect(await pass(T + 2000)).toMatchObject({ attempted: 1, delivered: 1, pending: 0 });
    expect(data(rec.received[3] as Received)).toMatchObject({
      entered: [],
      exited: ["c07", "c09"],
      sequence: 4,
    });
  });

  it("splits a large difference into deliveries of at most N people, sent in order", async () => {
    const db = engine.location();
    const members = await setUp(db);
    const rec = await receiver();
    closers.push(rec.close);
    await addDestination(db, rec.url);
    const store = await openStore(db);
    closers.push(() => store.close());
    const recorded = await store.write((e) => recordSyncs(e, { who: "test", limit: 10 }));
    expect(recorded).toMatchObject([{ entered: 28, exited: 0 }]);
    expect(recorded[0]?.deliveries).toHaveLength(3);
    const counts = await store.read((e) =>
      e.query(sql`SELECT sequence, entered, exited FROM deliveries ORDER BY sequence`),
    );
    expect(counts.rows()).toEqual([
      { sequence: 1, entered: 10, exited: 0 },
      { sequence: 2, entered: 10, exited: 0 },
      { sequence: 3, entered: 8, exited: 0 },
    ]);
    expect(await deliverPending(store, { dueOnly: true, budgetMs: 60_000 })).toMatchObject({
      delivered: 3,
      pending: 0,
    });
    expect(rec.received.map((r) => data(r).sequence)).toEqual([1, 2, 3]);
    expect(rec.received.map((r) => r.id)).toEqual(recorded[0]?.deliveries);
    expect(rec.received.flatMap((r) => data(r).entered)).toEqual(members);
  });

  it("records an unreachable destination's attempt as failed, never as delivered", async () => {
    const db = engine.location();
    await setUp(db);
    const port = await closedPort();
    await addDestination(db, `http://127.0.0.1:${port}/hook`);
    const r = await tesseraJson(db, "destination", "sync", "crm");
    expect(r.delivery).toMatchObject({ attempted: 1, delivered: 0, failedAttempts: 1, pending: 1 });
    const listed = await tesseraJson(db, "destination", "deliveries", "crm");
    expect(listed.deliveries).toMatchObject([
      { status: "pending", attempts: 1, lastStatus: null, lastError: `connection refused by 127.0.0.1` },
    ]);
    const text = await runCli("destination", "sync", "crm", "--db", db);
    expect(text.stdout).toContain("connection refused by 127.0.0.1");
    expect(text.stdout).toContain("0 delivered, 1 failed attempt, 1 pending");
  });
});

describe("webhook destinations: bad input, secrets at rest, the server", () => {
  it("waits 5 s after a first failure, five times longer after each next, at most a day, as the receiver asks", () => {
    const plain = Array.from({ length: 9 }, (_, i) => backoffMs(i + 1, RETRY_POLICY, null, () => 0));
    expect(plain).toEqual([
      5000, 25_000, 125_000, 625_000, 3_125_000, 15_625_000, 78_125_000, 86_400_000, 86_400_000,
    ]);
    // Jitter lengthens a wait by at most a tenth, never past the cap.
    expect(backoffMs(2, RETRY_POLICY, null, () => 1)).toBe(27_500);
    expect(backoffMs(8, RETRY_POLICY, null, () => 1)).toBe(86_400_000);
    // Retry-After: never shorter than asked, within the cap.
    expect(backoffMs(1, RETRY_POLICY, 60_000, () => 0)).toBe(60_000);
    expect(backoffMs(1, RETRY_POLICY, 10 * 86_400_000, () => 0)).toBe(86_400_000);
    expect(RETRY_POLICY.maxAttempts).toBe(10);
  });

  it("refuses bad URLs, private addresses, bad secrets, unknown audiences and duplicates, writing nothing", async () => {
    const db = `${tempDir()}/bad.duckdb`;
    await setUp(db);
    const add = (id: string, url: string, secret: string | null, ...more: string[]) =>
      runCli(
        "destination",
        "add",
        id,
        "--url",
        url,
        ...(secret === null ? [] : ["--secret", secret]),
        "--audience",
        "mail-buyers",
        ...more,
        "--db",
        db,
      );
    const before = await dbSnapshot(db);
    const cases: [Promise<{ code: number; stderr: string }>, RegExp][] = [
      [add("x", "ftp://example.com/hook", SECRET), /url: a webhook URL is http or https, not ftp/],
      [add("x", "not a url", SECRET), /url: "not a url" is not a URL/],
      [add("x", "https://user:pw@example.com/hook", SECRET), /url: credentials in the URL/],
      [
        add("x", "http://127.0.0.1:9/hook", SECRET),
        /url: 127\.0\.0\.1 is a private, loopback or link-local address: refused unless .*--allow-private/,
      ],
      [
        add("x", "http://localhost:9/hook", SECRET),
        /url: localhost resolves to (127\.0\.0\.1|::1), which is a private/,
      ],
      [add("x", "http://[::1]:9/hook", SECRET), /url: ::1 is a private/],
      [add("x", "http://169.254.169.254/latest/meta-data", SECRET), /url: 169\.254\.169\.254 is a private/],
      [add("x", "http://10.0.0.8/hook", SECRET), /url: 10\.0\.0\.8 is a private/],
      [add("x", "http://[::ffff:192.168.1.1]/hook", SECRET), /url: ::ffff:c0a8:101 is a private/],
      [add("x", "http://no-such-host.invalid/hook", SECRET), /url: cannot resolve no-such-host\.invalid/],
      [
        add("x", "http://127.0.0.1:9/hook", "my-password", "--allow-private"),
        /secret: a Standard Webhooks secret starts with "whsec_"/,
      ],
      [
        add("x", "http://127.0.0.1:9/hook", "whsec_short", "--allow-private"),
        /secret: what follows "whsec_" is not base64/,
      ],
      [
        add("x", "http://127.0.0.1:9/hook", "whsec_c2hvcnQ=", "--allow-private"),
        /secret: the secret holds 5 bytes; .* 24 to 64/,
      ],
      [add("x", "http://127.0.0.1:9/hook", null, "--allow-private"), /--secret: required/],
      [
        runCli(
          "destination",
          "add",
          "x",
          "--url",
          "http://127.0.0.1:9/",
          "--secret",
          SECRET,
          "--audience",
          "mail-buyer",
          "--allow-private",
          "--db",
          db,
        ),
        /audiences: no audience "mail-buyer" \(did you mean "mail-buyers"\?\)/,
      ],
      [
        add("Bad Id", "http://127.0.0.1:9/hook", SECRET, "--allow-private"),
        /destination\.add: id: lower-case letters/,
      ],
      [runCli("destination", "sync", "nope", "--db", db), /id: no destination "nope"/],
      [runCli("destination", "deliveries", "nope", "--db", db), /id: no destination "nope"/],
      [
        runCli("destination", "attach", "nope", "--audience", "mail-buyers", "--db", db),
        /id: no destination "nope"/,
      ],
    ];
    for (const [run, message] of cases) {
      const r = await run;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await dbSnapshot(db)).toBe(before);
    // A duplicate id is refused; the first stays as it was.
    expect((await add("x", "http://127.0.0.1:9/hook", SECRET, "--allow-private")).code).toBe(0);
    const once = await dbSnapshot(db);
    const dup = await add("x", "http://127.0.0.1:8/other", SECRET, "--allow-private");
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/id: destination "x" exists/);
    const detach = await runCli("destination", "detach", "x", "--audience", "other", "--db", db);
    expect(detach.stderr).toMatch(
      /audience: audience "other" is not attached to destination "x" \(it receives mail-buyers\)/,
    );
    expect(await dbSnapshot(db)).toBe(once);
    // An audience a destination receives cannot be removed.
    const rm = await runCli("audience", "remove", "mail-buyers", "--db", db);
    expect(rm.stderr).toMatch(/used by destination x/);
  });

  it("seals the secret with the database's key, never shows it, and still signs with it", async () => {
    const db = `${tempDir()}/sealed.duckdb`;
    process.env.TESSERA_ENCRYPTION_KEY = Buffer.from("5c".repeat(32), "hex").toString("base64");
    try {
      await setUp(db);
      const rec = await receiver();
      closers.push(rec.close);
      const added = await addDestination(db, rec.url);
      expect(added.destination).toMatchObject({ secretSealed: true, secret: "whsec_…" });
      const stored = await storedRows(db, "SELECT secret FROM destinations");
      expect(String(stored[0]?.secret)).toMatch(/^tse1\./);
      for (const args of [["list"], ["show", "crm"]]) {
        const r = await runCli("destination", ...args, "--db", db);
        expect(r.stdout).not.toContain(SECRET.slice(6, 20));
        expect(r.stdout).not.toContain("tse1.");
      }
      expect((await runCli("destination", "show", "crm", "--db", db)).stdout).toContain(
        "secret: whsec_… (sealed with the database's key)",
      );
      await tesseraJson(db, "destination", "sync", "crm");
      const r1 = rec.received[0] as Received;
      expect(r1.signature).toBe(expectedSignature(SECRET, r1.id, r1.timestamp, r1.body));
      // Without the key, nothing is sent: a clear error.
      delete process.env.TESSERA_ENCRYPTION_KEY;
      await withdraw(db, "c07");
      const r = await runCli("destination", "sync", "crm", "--db", db);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/TESSERA_ENCRYPTION_KEY/);
      expect(rec.received).toHaveLength(1);
    } finally {
      delete process.env.TESSERA_ENCRYPTION_KEY;
    }
  });

  it("the server delivers what a refresh recorded in the background, and stops cleanly", async () => {
    const db = `${tempDir()}/served.duckdb`;
    await setUp(db);
    const rec = await receiver();
    closers.push(rec.close);
    await addDestination(db, rec.url);
    await tesseraJson(db, "destination", "sync", "--timeout", "0");
    const marketer = (await apiKey(db, "marketer")).key;
    const admin = (await apiKey(db, "admin")).key;
    const serving = await serve({
      db,
      port: 0,
      liveRefreshMs: null,
      retentionEveryMs: null,
      deliveryPollMs: 50,
    });
    try {
      for (let i = 0; i < 100 && rec.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(rec.received).toHaveLength(1);
      expect(data(rec.received[0] as Received).entered).toHaveLength(28);
      // A refresh through the API records the difference; the worker sends it.
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${serving.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${marketer}`,
            ...(body ? { "content-type": "application/json" } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      // c07 withdraws, through the API (the server holds the database).
      const withdrawn = await fetch(`${serving.url}/api/people/c07/consents`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ purpose: "marketing", channel: "email", status: "withdrawn" }),
      });
      expect(withdrawn.status, await withdrawn.text()).toBeLessThan(300);
      const refreshed = await call("POST", "/api/segments/refresh", { asOf: "2024-04-01T00:00:00Z" });
      expect(refreshed.status).toBe(200);
      for (let i = 0; i < 100 && rec.received.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(data(rec.received[1] as Received)).toMatchObject({ entered: [], exited: ["c07"] });
      const listed = await call("GET", "/api/destinations/crm/deliveries");
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { deliveries: unknown[] }).deliveries).toHaveLength(2);
      expect((await call("GET", "/api/destinations")).status).toBe(200);
    } finally {
      await serving.close();
    }
    const rows = await storedRows(db, "SELECT status FROM deliveries ORDER BY sequence");
    expect(rows.map((r) => r.status)).toEqual(["delivered", "delivered"]);
  });
});
