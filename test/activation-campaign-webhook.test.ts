/**
 * `tessera campaign send ID --destination DEST` (issue 18, item 3): a campaign's messages go into a webhook
 * destination's persistent outbox, in batches recorded with the send, and are delivered by the outbox (Standard
 * Webhooks signing, checked here from the specification's formula; retries under one webhook-id, across a restart;
 * acknowledged once). Someone who withdraws consent (or is erased) between the send and the delivery is not
 * delivered and is recorded as withheld; a batch that fails for good leaves its people undelivered; removing the
 * campaign or the destination cancels what is pending. Bad input is refused with nothing recorded. Every engine.
 */
import { afterEach, describe, expect, it } from "vitest";
import { sendCampaign } from "../src/activation/campaign-send.js";
import { campaignNamed } from "../src/activation/campaigns.js";
import { deliverPending } from "../src/activation/deliveries.js";
import type { RetryPolicy } from "../src/activation/retry-policy.js";
import { openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import type { Store } from "../src/store/store.js";
import { mailShop } from "./activation-shop.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";
import { expectedSignature, type Received, receiver } from "./webhook-receiver.js";

const SECRET = `whsec_${Buffer.from("tessera campaign test secret, 32").toString("base64")}`;

/** A customer of the test data. */
interface Person {
  id: string;
  email: string;
  first: string;
}

/** c01..c40: c07 has no email, c03 no first name; c01..c30 bought. */
const PEOPLE: Person[] = Array.from({ length: 40 }, (_, i) => {
  const id = `c${String(i + 1).padStart(2, "0")}`;
  return { id, email: id === "c07" ? "" : `${id}@example.com`, first: id === "c03" ? "" : `Name${i + 1}` };
});

/**
 * The audience `mail-buyers` (buyers, marketing by email): c01..c30 less c05 (never asked) and c06 (withdrew); the
 * campaign `spring` on it. The people sent a message: those less c07 (no address: unreachable). And the
 * destination `esp` (receiving no audience: a campaign's destination needs none).
 */
async function setUp(db: string, url: string): Promise<Person[]> {
  await mailShop(
    db,
    `customer_id,email,first_name\n${PEOPLE.map((p) => `${p.id},${p.email},${p.first}`).join("\n")}\n`,
  );
  const dir = tempDir();
  const template = writeFile(
    dir,
    "spring.liquid",
    'Hi {{ first_name | default: "there" }}, {{ offer.discount }} off with {{ offer.code }}.',
  );
  await tesseraJson(
    db,
    ...["campaign", "create", "spring", "--audience", "mail-buyers", "--template", template],
    ...["--subject", "For {{ first_name | default: 'you' }}", "--offer", "spring10:code=WB10,discount=10%"],
  );
  await tesseraJson(
    db,
    ...["destination", "add", "esp", "--url", url, "--secret", SECRET, "--allow-private"],
  );
  return PEOPLE.slice(0, 30).filter((p) => !["c05", "c06", "c07"].includes(p.id));
}

/** The message a person is sent, written out independently of the code. */
const expectedMessage = (p: Person, sendId: string, at: string) => ({
  messageId: `${sendId}:${p.id}`,
  sendId,
  campaign: "spring",
  customerId: p.id,
  channel: "email",
  to: p.email,
  subject: `For ${p.first || "you"}`,
  body: `Hi ${p.first || "there"}, 10% off with WB10.`,
  offer: { name: "spring10", code: "WB10", discount: "10%" },
  scheduledAt: at,
});

interface Body {
  type: string;
  timestamp: string;
  data: { batch: number; messages: { customerId: string }[] } & Record<string, unknown>;
}
const bodyOf = (r: Received) => JSON.parse(r.body) as Body;
const ids = (r: Received) => bodyOf(r).data.messages.map((m) => m.customerId);

const withdraw = async (db: string, id: string) => {
  const r = await runCli(
    ...["consent", "record", id, "--purpose", "marketing", "--channel", "email", "--status", "withdrawn"],
    ...["--db", db],
  );
  expect(r.code, r.stderr).toBe(0);
};

/** Each person's status in the campaign's sends. */
async function statuses(db: string): Promise<Record<string, string[]>> {
  const r = await tesseraJson(db, "campaign", "sends", "spring");
  const out: Record<string, string[]> = {};
  for (const s of r.sends as { customerId: string; status: string }[])
    out[s.status] = [...(out[s.status] ?? []), s.customerId];
  return out;
}

const stored = async (db: string, query: string) => Number((await storedRows(db, query))[0]?.n);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  delete process.env.TESSERA_ENCRYPTION_KEY;
});

describe.each(TEST_ENGINES)("a campaign sent to a webhook destination on $name", (engine) => {
  it("delivers every message once, signed per the specification, and records who got what", async () => {
    const db = engine.location();
    const rec = await receiver();
    closers.push(rec.close);
    const sent = await setUp(db, rec.url);

    const s = await tesseraJson(db, "campaign", "send", "spring", "--destination", "esp");
    expect(s).toMatchObject({
      campaign: "spring",
      destination: "esp",
      out: null,
      sent: sent.length,
      delivery: { attempted: 1, delivered: 1, failedAttempts: 0, pending: 0 },
    });
    expect(s.deliveries).toHaveLength(1);
    expect(rec.received).toHaveLength(1);
    const r = rec.received[0] as Received;
    expect(r.id).toBe((s.deliveries as string[])[0]);
    expect(r.signature).toBe(expectedSignature(SECRET, r.id, r.timestamp, r.body));
    expect(Math.abs(Number(r.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const body = bodyOf(r);
    expect({ ...body, data: { ...body.data, messages: [] } }).toEqual({
      type: "campaign.messages",
      timestamp: s.at,
      data: {
        destination: "esp",
        campaign: "spring",
        send: s.sendId,
        audience: "mail-buyers",
        purpose: "marketing",
        channel: "email",
        batch: 1,
        messages: [],
      },
    });
    expect(body.data.messages).toEqual(sent.map((p) => expectedMessage(p, String(s.sendId), String(s.at))));

    // Who got what: the sent, and c07 unreachable; nothing is left in the outbox (the bodies were personal data).
    expect(await statuses(db)).toEqual({ sent: sent.map((p) => p.id), unreachable: ["c07"] });
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages")).toBe(0);
    const listed = await tesseraJson(db, "destination", "deliveries", "esp");
    expect(listed.deliveries).toEqual([
      expect.objectContaining({
        id: r.id,
        kind: "campaign-send",
        audience: null,
        campaign: "spring",
        sendId: s.sendId,
        sequence: 1,
        messages: sent.length,
        withheld: 0,
        status: "delivered",
        attempts: 1,
        lastStatus: 200,
      }),
    ]);
    const text = await runCli("destination", "deliveries", "esp", "--db", db);
    expect(text.stdout).toContain(`campaign spring #1`);
    expect(text.stdout).toContain(r.id);

    // Acknowledged: never sent again.
    const again = await tesseraJson(db, "destination", "sync", "esp");
    expect(again.delivery).toMatchObject({ attempted: 0, pending: 0 });
    expect(rec.received).toHaveLength(1);

    // The send is in the audit log, with its destination and the audience's use.
    const log = await storedRows(
      db,
      "SELECT subject, purpose, people FROM audit_log WHERE action = 'campaign.send' ORDER BY seq",
    );
    expect(log.map((x) => [x.subject, x.purpose, Number(x.people)])).toEqual([
      ["campaign=spring destination=esp channel=email", "marketing", sent.length],
    ]);
  });

  it("withholds someone who withdrew consent after the send, and an erased person's message is gone", async () => {
    const db = engine.location();
    const rec = await receiver();
    closers.push(rec.close);
    const sent = await setUp(db, rec.url);
    // Recorded, not delivered (no time given to deliver).
    const s = await tesseraJson(db, "campaign", "send", "spring", "--destination", "esp", "--timeout", "0");
    expect(s.delivery).toMatchObject({ attempted: 0, pending: 1 });
    expect(rec.received).toHaveLength(0);
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages")).toBe(sent.length);

    await withdraw(db, "c08");
    const erased = await tesseraJson(db, "privacy", "erase", "c09");
    expect((erased.tables as Record<string, number>).delivery_messages).toBe(1);
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages WHERE customer_id = 'c09'")).toBe(0);

    const synced = await tesseraJson(db, "destination", "sync", "esp");
    expect(synced.delivery).toMatchObject({ attempted: 1, delivered: 1, pending: 0 });
    expect(rec.received).toHaveLength(1);
    const r = rec.received[0] as Received;
    expect(r.signature).toBe(expectedSignature(SECRET, r.id, r.timestamp, r.body));
    const delivered = sent.filter((p) => p.id !== "c08" && p.id !== "c09");
    expect(bodyOf(r).data.messages).toEqual(
      delivered.map((p) => expectedMessage(p, String(s.sendId), String(s.at))),
    );
    // c08 is recorded as withheld (not sent: caps and rates do not count them); c09 is in no record.
    expect(await statuses(db)).toEqual({
      sent: delivered.map((p) => p.id),
      unreachable: ["c07"],
      withheld: ["c08"],
    });
    const listed = await tesseraJson(db, "destination", "deliveries", "esp");
    expect(listed.deliveries).toMatchObject([{ status: "delivered", messages: sent.length, withheld: 1 }]);
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages")).toBe(0);
  });

  it("cancels, without a request, a batch nobody in which may be sent any more", async () => {
    const db = engine.location();
    const rec = await receiver();
    closers.push(rec.close);
    const sent = await setUp(db, rec.url);
    const store = await openStore(db);
    try {
      // One message per delivery: c08's and c09's each alone.
      const s = await store.write(async (e) =>
        sendCampaign(e, await campaignNamed(e, "spring"), { destination: "esp", batchSize: 1 }),
      );
      expect(s.deliveries).toHaveLength(sent.length);
    } finally {
      await store.close();
    }
    await withdraw(db, "c08");
    await tesseraJson(db, "privacy", "erase", "c09");
    const synced = await tesseraJson(db, "destination", "sync", "esp");
    expect(synced.delivery).toMatchObject({
      attempted: sent.length - 2,
      delivered: sent.length - 2,
      pending: 0,
    });
    expect(rec.received.flatMap(ids).sort()).toEqual(
      sent.map((p) => p.id).filter((id) => id !== "c08" && id !== "c09"),
    );
    const listed = await tesseraJson(db, "destination", "deliveries", "esp", "--status", "cancelled");
    expect(
      (listed.deliveries as { attempts: number; withheld: number; lastError: string }[])
        .map((d) => [d.attempts, d.withheld, d.lastError])
        .sort(),
    ).toEqual([
      [0, 0, "no message left to send: every person in it was erased since the send"],
      [0, 1, "no message left to send: every person in it withdrew consent since the send"],
    ]);
    expect((await statuses(db)).withheld).toEqual(["c08"]);
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages")).toBe(0);
  });

  it("retries each batch under its webhook-id, across a restart, each acknowledged once", async () => {
    const db = engine.location();
    // The first attempt of every batch fails (500, then 503 with Retry-After, then no answer in time), the next
    // ones are taken.
    const seen = new Map<string, number>();
    const rec = await receiver((_n, r) => {
      const k = seen.get(r.id) ?? 0;
      seen.set(r.id, k + 1);
      if (k > 0) return { status: 200 };
      const batch = bodyOf(r).data.batch;
      return batch === 1
        ? { status: 500 }
        : batch === 2
          ? { status: 503, headers: { "retry-after": "3" } }
          : { status: 200, delayMs: 1500 };
    });
    closers.push(rec.close);
    const sent = await setUp(db, rec.url);
    const policy: RetryPolicy = {
      maxAttempts: 5,
      baseMs: 1000,
      factor: 2,
      capMs: 60_000,
      jitter: 0,
      timeoutMs: 500,
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

    // 27 messages in batches of at most 10: 10, 10, 7, recorded with the send.
    const s = await store.write(async (e) =>
      sendCampaign(e, await campaignNamed(e, "spring"), {
        destination: "esp",
        batchSize: 10,
        at: new Date(T),
      }),
    );
    expect(s.deliveries).toHaveLength(3);
    const rows = await store.read((e) =>
      e.query(sql`SELECT delivery_id, sequence, messages, status FROM deliveries ORDER BY sequence`),
    );
    expect(rows.rows()).toEqual(
      [10, 10, 7].map((n, i) => ({
        delivery_id: s.deliveries[i],
        sequence: i + 1,
        messages: n,
        status: "pending",
      })),
    );

    // Batches stand alone: all three are tried in one pass, each fails once.
    expect(await pass(T)).toMatchObject({ attempted: 3, failedAttempts: 3, delivered: 0, pending: 3 });
    const due = async () =>
      (await store.read((e) => e.query(sql`SELECT next_attempt_at FROM deliveries ORDER BY sequence`)))
        .column("next_attempt_at")
        .map((d) => (d as Date).getTime());
    // 1 s after a failure; the receiver's 3 s when it asks for them.
    expect(await due()).toEqual([T + 1000, T + 3000, T + 1000]);

    // A restart: the outbox is in the database.
    await store.close();
    store = await openStore(db);
    expect((await pass(T + 999)).attempted).toBe(0);
    expect(await pass(T + 1000)).toMatchObject({ attempted: 2, delivered: 2, pending: 1 });
    expect(await pass(T + 3000)).toMatchObject({ attempted: 1, delivered: 1, pending: 0 });
    expect((await pass(T + 1_000_000)).attempted).toBe(0);

    // Six requests: each batch twice under its own webhook-id, the same body both times, each signed for its attempt.
    expect(rec.received).toHaveLength(6);
    const answers = s.deliveries.map((id) => {
      const attempts = rec.received.filter((r) => r.id === id);
      expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
      return attempts.map((r) => r.answered);
    });
    // The third batch's first attempt timed out: the sender hung up before any answer, and tried again.
    expect(answers).toEqual([
      [500, 200],
      [503, 200],
      [null, 200],
    ]);
    for (const r of rec.received)
      expect(r.signature).toBe(expectedSignature(SECRET, r.id, r.timestamp, r.body));
    expect(rec.received.filter((r) => r.id === s.deliveries[0]).map((r) => Number(r.timestamp))).toEqual([
      T / 1000,
      T / 1000 + 1,
    ]);
    // Every message in exactly one batch, the batches in customer id order.
    const batches = s.deliveries.map((id) => rec.received.find((r) => r.id === id) as Received);
    expect(batches.map((r) => bodyOf(r).data.batch)).toEqual([1, 2, 3]);
    expect(batches.flatMap(ids)).toEqual(sent.map((p) => p.id));
    const final = await store.read((e) =>
      e.query(sql`SELECT sequence, status, attempts, last_status FROM deliveries ORDER BY sequence`),
    );
    expect(final.rows()).toEqual(
      [1, 2, 3].map((sequence) => ({ sequence, status: "delivered", attempts: 2, last_status: 200 })),
    );
    await store.close();
    expect(await statuses(db)).toEqual({ sent: sent.map((p) => p.id), unreachable: ["c07"] });
  });

  it("a batch that fails for good fails alone: its people are undelivered, the others sent", async () => {
    const db = engine.location();
    const rec = await receiver((_n, r) => ({ status: bodyOf(r).data.batch === 1 ? 500 : 200 }));
    closers.push(rec.close);
    const sent = await setUp(db, rec.url);
    const policy: RetryPolicy = {
      maxAttempts: 2,
      baseMs: 1000,
      factor: 2,
      capMs: 60_000,
      jitter: 0,
      timeoutMs: 2000,
    };
    const T = Math.ceil(Date.now() / 1000) * 1000 + 3_600_000;
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
    await store.write(async (e) =>
      sendCampaign(e, await campaignNamed(e, "spring"), {
        destination: "esp",
        batchSize: 20,
        at: new Date(T),
      }),
    );
    expect(await pass(T)).toMatchObject({
      attempted: 2,
      delivered: 1,
      failedAttempts: 1,
      gaveUp: 0,
      pending: 1,
    });
    expect(await pass(T + 1000)).toMatchObject({ attempted: 1, failedAttempts: 1, gaveUp: 1, pending: 0 });
    const rows = await store.read((e) =>
      e.query(sql`SELECT sequence, status, attempts, last_error FROM deliveries ORDER BY sequence`),
    );
    expect(rows.rows()).toMatchObject([
      {
        sequence: 1,
        status: "failed",
        attempts: 2,
        last_error: expect.stringMatching(/HTTP 500.*attempt 2 of 2: given up/),
      },
      { sequence: 2, status: "delivered", attempts: 1 },
    ]);
    const left = await store.read((e) => e.query(sql`SELECT count(*) AS n FROM delivery_messages`));
    expect(Number(left.column("n")[0])).toBe(0);
    await store.close();
    expect(await statuses(db)).toEqual({
      sent: sent.slice(20).map((p) => p.id),
      unreachable: ["c07"],
      undelivered: sent.slice(0, 20).map((p) => p.id),
    });
  });

  it("cancels pending messages when the campaign or the destination is removed; refuses bad input, recording nothing", async () => {
    const db = engine.location();
    const rec = await receiver();
    closers.push(rec.close);
    const sent = await setUp(db, rec.url);
    const before = await dbSnapshot(db);
    const send = (...args: string[]) => runCli("campaign", "send", "spring", ...args, "--db", db);
    const cases: [Promise<{ code: number; stderr: string }>, RegExp][] = [
      [send("--destination", "epp"), /destination: no destination "epp" \(did you mean "esp"\?\)/],
      [send("--destination", "esp", "--out", `${tempDir()}/x.ndjson`), /--destination: one outbox per send/],
      [send(), /--out: required: where the messages go, .*or --destination DEST/],
      [send("--destination", "esp", "--force"), /--force: --force replaces an --out file/],
      [
        send("--out", `${tempDir()}/x.ndjson`, "--timeout", "5"),
        /--timeout: --timeout is how long to deliver/,
      ],
      [send("--destination", "esp", "--timeout", "forever"), /--timeout: expected a number from 0 to 600/],
      [
        runCli("campaign", "send", "sprung", "--destination", "esp", "--db", db),
        /no campaign "sprung" \(did you mean "spring"\?\)/,
      ],
    ];
    for (const [run, message] of cases) {
      const r = await run;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await dbSnapshot(db)).toBe(before);
    expect(rec.received).toHaveLength(0);

    // A dry run names the destination and records nothing.
    const dry = await tesseraJson(db, "campaign", "send", "spring", "--destination", "esp", "--dry-run");
    expect(dry).toMatchObject({
      dryRun: true,
      sendId: null,
      sent: sent.length,
      deliveries: [],
      delivery: null,
    });
    expect(await dbSnapshot(db)).toBe(before);

    // Removing the campaign cancels its pending delivery: never sent, its people undelivered, its messages gone.
    await tesseraJson(db, "campaign", "send", "spring", "--destination", "esp", "--timeout", "0");
    const removed = await tesseraJson(db, "campaign", "remove", "spring");
    expect(removed).toEqual({ removed: "spring", cancelled: 1 });
    const listed = await tesseraJson(db, "destination", "deliveries", "esp");
    expect(listed.deliveries).toMatchObject([
      { status: "cancelled", attempts: 0, lastError: "cancelled: campaign spring was removed" },
    ]);
    const undelivered = await storedRows(
      db,
      "SELECT status, count(*) AS n FROM campaign_sends GROUP BY status ORDER BY status",
    );
    expect(undelivered.map((x) => [x.status, Number(x.n)])).toEqual([
      ["undelivered", sent.length],
      ["unreachable", 1],
    ]);
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages")).toBe(0);
    expect((await tesseraJson(db, "destination", "sync", "esp")).delivery).toMatchObject({ attempted: 0 });
    expect(rec.received).toHaveLength(0);

    // Removing a destination with a campaign's pending delivery: the same.
    const dir = tempDir();
    const t = writeFile(dir, "t.liquid", "Hello {{ customer_id }}");
    await tesseraJson(
      db,
      "campaign",
      "create",
      "autumn",
      "--audience",
      "mail-buyers",
      "--template",
      t,
      "--subject",
      "Hi",
    );
    await tesseraJson(db, "campaign", "send", "autumn", "--destination", "esp", "--timeout", "0");
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages")).toBe(sent.length);
    expect(await tesseraJson(db, "destination", "remove", "esp")).toMatchObject({
      removed: "esp",
      pendingDropped: 1,
    });
    expect(await stored(db, "SELECT count(*) AS n FROM delivery_messages")).toBe(0);
    expect(
      await stored(
        db,
        "SELECT count(*) AS n FROM campaign_sends WHERE campaign_id = 'autumn' AND status = 'undelivered'",
      ),
    ).toBe(sent.length);
    expect(rec.received).toHaveLength(0);
  });
});

describe("a campaign sent to a webhook destination: an encrypted database", () => {
  it("keeps the pending messages sealed with the database's key and delivers them in clear", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = Buffer.from("5c".repeat(32), "hex").toString("base64");
    const db = `${tempDir()}/sealed.duckdb`;
    const rec = await receiver();
    closers.push(rec.close);
    const sent = await setUp(db, rec.url);
    const s = await tesseraJson(db, "campaign", "send", "spring", "--destination", "esp", "--timeout", "0");
    const waiting = await storedRows(db, "SELECT message FROM delivery_messages");
    expect(waiting).toHaveLength(sent.length);
    for (const m of waiting) {
      expect(String(m.message)).toMatch(/^tse1\./);
      expect(String(m.message)).not.toContain("example.com");
    }
    // Without the key nothing is sent: a clear error, the delivery still pending.
    delete process.env.TESSERA_ENCRYPTION_KEY;
    const keyless = await runCli("destination", "sync", "esp", "--db", db);
    expect([keyless.code, keyless.stderr]).toEqual([1, expect.stringMatching(/TESSERA_ENCRYPTION_KEY/)]);
    expect(rec.received).toHaveLength(0);
    process.env.TESSERA_ENCRYPTION_KEY = Buffer.from("5c".repeat(32), "hex").toString("base64");
    await tesseraJson(db, "destination", "sync", "esp");
    expect(rec.received).toHaveLength(1);
    expect(bodyOf(rec.received[0] as Received).data.messages).toEqual(
      sent.map((p) => expectedMessage(p, String(s.sendId), String(s.at))),
    );
  });
});
