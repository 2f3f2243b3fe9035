import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { tempDir, writeFile } from "../../test/helpers.js";
import { importFile } from "../ingest/import.js";
import { consentRecordOperation } from "../operations/consent-operations.js";
import { segmentMembersOperation } from "../operations/index.js";
import { runOperation } from "../operations/operation.js";
import type { Engine } from "../store/engine.js";
import { openStore } from "../store/open-store.js";
import { type Sql, sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import { type ConsentedPeople, consentedPeople, type LeftOut, useOf } from "./consent-gate.js";
import { consentHistory } from "./consent-ledger.js";
import { suppress, suppressionsInForce, unsuppress } from "./suppression.js";

/**
 * The consent gate on hand-computed cases (DESIGN.md's consent leaf: with a channel, records of that channel or
 * channel-less ones; the latest record decides; a denial at the same instant as a grant wins), with the
 * suppression list on top:
 *   p1  granted email (Jan)                                  → email ✓
 *   p2  granted email (Jan), withdrawn email (Feb)           → email ✗ (withdrawn)
 *   p3  granted, no channel (Jan)                            → email ✓, sms ✓ (a channel-less record counts)
 *   p4  granted sms (Jan)                                    → email ✗, sms ✓
 *   p5  granted and denied email at the same instant (Mar)   → email ✗ (the denial wins)
 *   p6  denied, no channel (Jan), granted email (Feb)        → email ✓ (latest), sms ✗ (only the denial)
 *   p7  granted email (Feb), denied, no channel (Mar)        → email ✗ (the later channel-less denial)
 *   p8  granted email (Jan), suppressed on every channel     → email: suppressed
 *   p9  granted email and sms (Jan), suppressed on sms only  → email ✓, sms: suppressed
 *   p10 no record                                            → ✗
 *   p11 granted analytics by email (Jan)                     → marketing ✗ (another purpose)
 * marketing by email: passed p1 p3 p6 p9; no consent p2 p4 p5 p7 p10 p11 (6); suppressed p8 (1).
 * marketing by sms: passed p3 p4; suppressed p8 p9; no consent the 7 others.
 * Twenty more people fill the counts past the k-gate: q01–q10 without any record, s01–s10 granted marketing by
 * email but suppressed on every channel.
 */
const PEOPLE = Array.from({ length: 11 }, (_, i) => `p${i + 1}`);
const FILLERS = Array.from({ length: 10 }, (_, i) => String(i + 1).padStart(2, "0"));

const CONSENTS = [
  "customer_id,purpose,channel,status,timestamp",
  "p1,marketing,email,granted,2024-01-01T00:00:00Z",
  "p2,marketing,email,granted,2024-01-01T00:00:00Z",
  "p2,marketing,email,withdrawn,2024-02-01T00:00:00Z",
  "p3,Marketing,,granted,2024-01-01T00:00:00Z",
  "p4,marketing,sms,granted,2024-01-01T00:00:00Z",
  "p5,marketing,email,granted,2024-03-01T00:00:00Z",
  "p5,marketing,email,denied,2024-03-01T00:00:00Z",
  "p6,marketing,,denied,2024-01-01T00:00:00Z",
  "p6,marketing,email,granted,2024-02-01T00:00:00Z",
  "p7,marketing,email,granted,2024-02-01T00:00:00Z",
  "p7,marketing,,denied,2024-03-01T00:00:00Z",
  "p8,marketing,email,granted,2024-01-01T00:00:00Z",
  "p9,marketing,email,granted,2024-01-01T00:00:00Z",
  "p9,marketing,sms,granted,2024-01-01T00:00:00Z",
  "p11,analytics,email,granted,2024-01-01T00:00:00Z",
  ...FILLERS.map((n) => `s${n},marketing,email,granted,2024-01-01T00:00:00Z`),
].join("\n");

const EMAIL = useOf("marketing", "email");
const SMS = useOf("Marketing ", "SMS");
const inList = (ids: readonly string[]): Sql =>
  sql`SELECT customer_id FROM customers WHERE customer_id IN (${sql.join(ids.map((id) => sql`${id}`))})`;
const EVERYONE = sql`SELECT customer_id FROM customers`;
const HIDDEN: LeftOut = { noConsent: null, suppressionList: null, suppressed: true };

describe.each(TEST_ENGINES)("the consent gate on $name", ({ location }) => {
  let store: Store;
  const read = <T>(work: (s: Engine) => Promise<T>) => store.read(work);
  const write = <T>(work: (s: Engine) => Promise<T>) => store.write(work);
  beforeAll(async () => {
    store = await openStore(location());
    const dir = tempDir();
    const ids = [...PEOPLE, ...FILLERS.map((n) => `q${n}`), ...FILLERS.map((n) => `s${n}`)];
    const customers = writeFile(dir, "customers.csv", `customer_id\n${ids.join("\n")}\n`);
    await write((s) => importFile(s, { kind: "customers", path: customers }));
    await write((s) =>
      importFile(s, { kind: "consents", path: writeFile(dir, "consents.csv", `${CONSENTS}\n`) }),
    );
    const at = new Date("2024-04-01T00:00:00Z");
    await write(async (s) => {
      await suppress(s, { customerId: "p8", channel: null, reason: "do-not-contact", by: "test", at });
      await suppress(s, { customerId: "p9", channel: "sms", reason: "unsubscribed", by: "test", at });
      for (const n of FILLERS)
        await suppress(s, { customerId: `s${n}`, channel: null, reason: "unsubscribed", by: "test", at });
    });
  });
  afterAll(() => store?.close());

  it("passes only the latest grant for the purpose on the channel (or channel-less), less the suppressed", async () => {
    const email = await read((s) => consentedPeople(s, inList(PEOPLE), EMAIL));
    expect([...email.ids]).toEqual(["p1", "p3", "p6", "p9"]);
    expect(email.passed).toBe(4);
    // 6 and 1 people: under k = 10, both hidden (one alone would be the other's difference).
    expect(email.leftOut).toEqual(HIDDEN);
    const sms = await read((s) => consentedPeople(s, inList(PEOPLE), SMS));
    expect(sms.use).toEqual({ purpose: "marketing", channel: "sms" });
    expect([...sms.ids]).toEqual(["p3", "p4"]);
    // Among everyone: 6 + 10 without consent, 1 + 10 suppressed: shown.
    const all = await read((s) => consentedPeople(s, EVERYONE, EMAIL));
    expect([...all.ids]).toEqual(["p1", "p3", "p6", "p9"]);
    expect(all.leftOut).toEqual({ noConsent: 16, suppressionList: 11, suppressed: false });
    const allSms = await read((s) => consentedPeople(s, EVERYONE, SMS));
    // Without consent by sms: p1 p2 p5 p6 p7 p10 p11 and q01–q10 (17); suppressed: p8, p9, s01–s10 (12).
    expect(allSms.leftOut).toEqual({ noConsent: 17, suppressionList: 12, suppressed: false });
    const limited = await read((s) => consentedPeople(s, EVERYONE, EMAIL, { limit: 2 }));
    expect([[...limited.ids], limited.passed]).toEqual([["p1", "p3"], 4]);
  });

  it("follows the ledger: a new record, a lifted suppression, a suppression at the same instant as its lifting", async () => {
    // Lifting p8's suppression lets its email grant through; p9's sms suppression stays, its email one never was.
    const lifted = await write((s) =>
      unsuppress(s, { customerId: "p8", by: "test", at: new Date("2024-04-02") }),
    );
    expect(lifted.map((x) => [x.customerId, x.channel, x.reason])).toEqual([["p8", null, "do-not-contact"]]);
    const email = await read((s) => consentedPeople(s, inList(PEOPLE), EMAIL));
    expect([...email.ids]).toEqual(["p1", "p3", "p6", "p8", "p9"]);
    // Suppressed again and lifted at one instant: the suppression wins.
    const at = new Date("2024-04-03T00:00:00Z");
    await write(async (s) => {
      await suppress(s, { customerId: "p8", channel: "email", reason: "unsubscribed", by: "test", at });
      await unsuppress(s, { customerId: "p8", channel: "email", by: "test", at });
    });
    expect((await read((s) => suppressionsInForce(s, "p8"))).map((x) => [x.channel, x.since])).toEqual([
      ["email", "2024-04-03T00:00:00.000Z"],
    ]);
    expect([...(await read((s) => consentedPeople(s, inList(PEOPLE), EMAIL))).ids]).toEqual([
      "p1",
      "p3",
      "p6",
      "p9",
    ]);
    // p1 withdraws by hand (a new ledger row, dated now): left out from then on.
    await runOperation(store, consentRecordOperation, {
      person: "p1",
      purpose: "marketing",
      channel: "email",
      status: "withdrawn",
      source: "phone call",
    });
    expect([...(await read((s) => consentedPeople(s, inList(PEOPLE), EMAIL))).ids]).toEqual([
      "p3",
      "p6",
      "p9",
    ]);
    const history = await read((s) => consentHistory(s, "p1"));
    expect(history.records.map((r) => [r.purpose, r.channel, r.status, r.source])).toEqual([
      ["marketing", "email", "granted", null],
      ["marketing", "email", "withdrawn", "phone call"],
    ]);
    expect(history.current).toEqual([
      { purpose: "marketing", channel: null, granted: false },
      { purpose: "marketing", channel: "email", granted: false },
    ]);
  });

  it("says what a person's records amount to per purpose and channel, as the gate reads them", async () => {
    // p6: denied (no channel, Jan), granted email (Feb). Any channel: the latest is the grant; email: the grant.
    const p6 = await read((s) => consentHistory(s, "p6"));
    expect(p6.records.map((r) => [r.at.slice(0, 10), r.channel, r.status])).toEqual([
      ["2024-01-01", null, "denied"],
      ["2024-02-01", "email", "granted"],
    ]);
    expect(p6.current).toEqual([
      { purpose: "marketing", channel: null, granted: true },
      { purpose: "marketing", channel: "email", granted: true },
    ]);
    // p5: the same instant, the denial listed first (the order in which they count) and winning.
    const p5 = await read((s) => consentHistory(s, "p5"));
    expect(p5.records.map((r) => r.status)).toEqual(["denied", "granted"]);
    expect(p5.current.map((c) => c.granted)).toEqual([false, false]);
    expect(await read((s) => consentHistory(s, "p10"))).toEqual({ records: [], current: [] });
  });

  it("refuses members without a purpose or channel, and a bad use", async () => {
    await expect(
      // @ts-expect-error: the purpose and the channel are required.
      runOperation(store, segmentMembersOperation, { id: "x" }),
    ).rejects.toThrow("segment.members: purpose: a purpose is required");
    await expect(
      // @ts-expect-error: the channel is required.
      runOperation(store, segmentMembersOperation, { id: "x", purpose: "marketing" }),
    ).rejects.toThrow("segment.members: channel: a channel is required");
    await expect(
      runOperation(store, segmentMembersOperation, { id: "x", purpose: " ", channel: "email" }),
    ).rejects.toThrow("segment.members: purpose: a purpose is required");
    expect(() => useOf("marketing\u0007", "email")).toThrow("no control characters");
  });
});

describe("the consent gate's types", () => {
  it("makes a person-level use without a purpose a compile error", () => {
    const engine = null as unknown as Engine;
    const q = sql`SELECT customer_id FROM customers`;
    // Wrapped in functions that never run: what is tested is what compiles (tsc checks this file).
    const uses = [
      // @ts-expect-error: no use at all.
      () => consentedPeople(engine, q),
      // @ts-expect-error: plain text is not a Purpose or a Channel: only the schemas (or useOf) make them.
      () => consentedPeople(engine, q, { purpose: "marketing", channel: "email" }),
      // @ts-expect-error: a channel is required.
      () => consentedPeople(engine, q, { purpose: EMAIL.purpose }),
      () => consentedPeople(engine, q, EMAIL),
    ];
    /** What issue 18's audiences, exports and sends take: people the gate passed, nothing else. */
    const send = (people: ConsentedPeople) => people.ids.length;
    // @ts-expect-error: a list of ids is not people the gate passed.
    const fromIds = () => send(["c1", "c2"]);
    const forged = () =>
      // @ts-expect-error: nobody outside the gate can build one (its brand is a symbol no other module can name).
      send({ use: EMAIL, ids: ["c1"], passed: 1, leftOut: HIDDEN });
    expect([uses.length, typeof fromIds, typeof forged]).toEqual([4, "function", "function"]);
  });
});
