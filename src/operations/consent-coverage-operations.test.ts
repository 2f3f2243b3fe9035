/**
 * `consent.coverage` on a hand-made consent ledger, worked out by hand below: the latest record of a person for a
 * purpose on a channel (or on none) decides, channel-less records count on every channel, a denial at the same
 * instant as a grant wins, records after the as-of time are not seen, and every count passes the k-gate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { type ConsentCoverage, consentCoverage } from "../privacy/consent-coverage.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import { consentCoverageOperation } from "./consent-coverage-operations.js";
import { runOperation } from "./operation.js";

const AS_OF = "2024-04-01T00:00:00Z";

/** A person's records: purpose, channel (null: every channel), status, time. */
type Row = [string, string | null, string, string];

/**
 * Each person stands for `copies` alike (a0…a9 for a), so that the counts clear the k-gate (10) where they should:
 * - a (10): email granted, then withdrawn → nothing;
 * - b (20): marketing granted on every channel, then denied on sms → email only (a channel-less grant counts there);
 * - c (30): email granted and denied at one instant (the denial wins), then sms granted → sms, and any channel;
 * - d (40): analytics granted on every channel; a marketing grant after the as-of time is not seen (nor its channel);
 * - e (10): no record;
 * - g (3): surveys on email granted → a group of 3: suppressed.
 * z's records have no customer: not counted. Customers: 113.
 */
const PEOPLE: [string, number, Row[]][] = [
  [
    "a",
    10,
    [
      ["marketing", "email", "granted", "2024-01-01"],
      ["marketing", "email", "withdrawn", "2024-02-01"],
    ],
  ],
  [
    "b",
    20,
    [
      ["marketing", null, "granted", "2024-01-01"],
      ["marketing", "sms", "denied", "2024-02-01"],
    ],
  ],
  [
    "c",
    30,
    [
      ["marketing", "email", "granted", "2024-01-01"],
      ["marketing", "email", "denied", "2024-01-01"],
      ["marketing", "sms", "granted", "2024-02-01"],
    ],
  ],
  [
    "d",
    40,
    [
      ["analytics", null, "granted", "2024-01-01"],
      ["marketing", "push", "granted", "2024-05-01"],
    ],
  ],
  ["e", 10, []],
  ["g", 3, [["surveys", "email", "granted", "2024-03-01"]]],
];

describe.each(TEST_ENGINES)("consent.coverage on a hand-made ledger on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    await store.write(async (s) => {
      const ids: string[] = [];
      const consents: [string, ...Row][] = [["z", "analytics", null, "granted", "2024-01-01"]];
      for (const [person, copies, rows] of PEOPLE)
        for (let i = 0; i < copies; i++) {
          ids.push(`${person}${i}`);
          for (const r of rows) consents.push([`${person}${i}`, ...r]);
        }
      await s.run(sql`INSERT INTO customers (customer_id) VALUES ${sql.join(ids.map((id) => sql`(${id})`))}`);
      await s.run(
        sql`INSERT INTO consents (customer_id, purpose, channel, status, ts) VALUES ${sql.join(
          consents.map(
            ([id, purpose, channel, status, ts]) =>
              sql`(${id}, ${purpose}, ${sql.param(channel, "string")}, ${status}, ${sql.param(ts, "timestamp")})`,
          ),
        )}`,
      );
    });
  });
  afterAll(() => store?.close());

  it("counts the customers whose latest consent is a grant, per purpose and channel, k-gated", async () => {
    const c: ConsentCoverage = await runOperation(store, consentCoverageOperation, { asOf: AS_OF });
    expect(c.customers).toBe(113);
    expect(c.purposes).toEqual(["analytics", "marketing", "surveys"]);
    // push is only in a record after the as-of time.
    expect(c.channels).toEqual(["email", "sms"]);
    expect(c.minGroup).toBe(10);
    expect(c.noise).toBeNull();
    const shown = (n: number) => ({ granted: n, share: n / 113, suppressed: false });
    const hidden = { granted: null, share: null, suppressed: true };
    expect(c.cells).toEqual([
      { purpose: "analytics", channel: null, ...shown(40) },
      { purpose: "analytics", channel: "email", ...shown(40) },
      { purpose: "analytics", channel: "sms", ...shown(40) },
      // Any channel: the latest marketing record, whatever its channel — only c's (sms, granted) is a grant.
      { purpose: "marketing", channel: null, ...shown(30) },
      { purpose: "marketing", channel: "email", ...shown(20) },
      { purpose: "marketing", channel: "sms", ...shown(30) },
      { purpose: "surveys", channel: null, ...hidden },
      { purpose: "surveys", channel: "email", ...hidden },
      // Nobody: an empty cell reveals no one and stays 0.
      { purpose: "surveys", channel: "sms", ...shown(0) },
    ]);
  });

  it("judges at the time asked, and gates with a k raised for the report", async () => {
    // On 2024-01-15 a's grant is not withdrawn yet, b's channel-less grant holds, c's denial at the grant's instant
    // wins; surveys has no record yet.
    const c = await runOperation(store, consentCoverageOperation, { asOf: "2024-01-15" });
    expect(c.purposes).toEqual(["analytics", "marketing"]);
    const email = c.cells.find((x) => x.purpose === "marketing" && x.channel === "email");
    expect(email).toMatchObject({ granted: 30, suppressed: false });
    // With k = 80 every non-empty count (at most 40) is hidden; the empty one stays 0.
    const high = await runOperation(store, consentCoverageOperation, { asOf: AS_OF, minGroup: 80 });
    expect(high.minGroup).toBe(80);
    expect(high.cells.every((x) => x.suppressed === (x.granted === null))).toBe(true);
    expect(high.cells.filter((x) => !x.suppressed).map((x) => x.granted)).toEqual([0]);
  });

  it("adds noise before the gate when asked (an analyst under differential privacy)", async () => {
    const c = await store.read((s) => consentCoverage(s, new Date(AS_OF), 10, { epsilon: "1" }));
    expect(c.noise).toEqual({ epsilon: "1" });
    for (const cell of c.cells) {
      if (cell.granted === null) continue;
      expect(Number.isInteger(cell.granted) && cell.granted >= 0 && cell.granted <= 113).toBe(true);
      // Neither the noisy count nor the rest of the customers is a group of 1 to 9.
      for (const n of [cell.granted, 113 - cell.granted]) expect(n === 0 || n >= 10).toBe(true);
      expect(cell.share).toBe(cell.granted / 113);
    }
  });
});
