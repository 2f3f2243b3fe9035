import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { tempDir, writeFile } from "../../test/helpers.js";
import { importFile } from "../ingest/import.js";
import { importRows } from "../ingest/import-rows.js";
import type { ImportKind, InputRow } from "../ingest/import-types.js";
import { loadTracked } from "../operations/tracking-operations.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import { erasePerson } from "./erasure.js";
import { tombstoneHash, tombstoneHashSql, tombstoneKey } from "./tombstones.js";

const ZEBRA = "cust-zebra-0001";
const EMAIL = "zebra.person@example.org";
const ANON = "anon-zebra-7f3a9c";
const TS = "2025-03-01T10:00:00Z";

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

/** A store holding Zebra (customer, email, anonymous id) and Otto, with Zebra erased. */
async function erasedStore(location: string): Promise<Store> {
  const s = await openStore(location);
  await s.write(async (e) => {
    await importRows(e, {
      kind: "customers",
      rows: [
        { customer_id: ZEBRA, email: EMAIL, phone: "+44 7700 900123" },
        { customer_id: "cust-otto", email: "otto@example.org" },
      ],
      source: "customers",
    });
    await importRows(e, {
      kind: "events",
      rows: [{ timestamp: TS, event: "Viewed", user_id: ZEBRA, anonymous_id: ANON }],
      source: "events",
    });
    await erasePerson(e, EMAIL, "tester");
  });
  return s;
}

/** One row of each kind that brings Zebra back by one identifier, beside a row of someone else. */
const COMEBACKS: readonly { kind: ImportKind; row: InputRow; field: string; other: InputRow }[] = [
  {
    kind: "customers",
    row: { customer_id: ZEBRA },
    field: "customer_id",
    other: { customer_id: "cust-new-1" },
  },
  {
    kind: "customers",
    row: { customer_id: "cust-new-2", email: " Zebra.Person@Example.ORG" },
    field: "email",
    other: { customer_id: "cust-new-3", email: "new3@example.org" },
  },
  {
    kind: "events",
    row: { timestamp: TS, event: "Viewed", anonymous_id: ANON },
    field: "anonymous_id",
    other: { timestamp: TS, event: "Viewed", anonymous_id: "anon-other-1" },
  },
  {
    kind: "events",
    row: {
      timestamp: TS,
      type: "identify",
      user_id: "u-new-4",
      properties: JSON.stringify({ email: EMAIL }),
    },
    field: "email",
    other: { timestamp: TS, type: "identify", user_id: "u-new-5" },
  },
  {
    kind: "orders",
    row: { order_id: "o-back", timestamp: TS, total: "5", customer_id: ZEBRA },
    field: "customer_id",
    other: { order_id: "o-otto", timestamp: TS, total: "5", customer_id: "cust-otto" },
  },
  {
    kind: "order-lines",
    row: { order_id: "o-back2", timestamp: TS, quantity: "1", unit_price: "2", customer_id: ZEBRA },
    field: "customer_id",
    other: { order_id: "o-otto2", timestamp: TS, quantity: "1", unit_price: "2", customer_id: "cust-otto" },
  },
  {
    kind: "consents",
    row: { customer_id: ZEBRA, purpose: "marketing", status: "granted", timestamp: TS },
    field: "customer_id",
    other: { customer_id: "cust-otto", purpose: "marketing", status: "granted", timestamp: TS },
  },
  {
    kind: "survey-responses",
    row: { customer_id: ZEBRA, question: "nps", answer: "10", timestamp: TS },
    field: "customer_id",
    other: { customer_id: "cust-otto", question: "nps", answer: "8", timestamp: TS },
  },
];

for (const engine of TEST_ENGINES) {
  describe(`tombstones on ${engine.name}`, () => {
    it("the engine's hash of an identifier is the program's", async () => {
      store = await openStore(engine.location());
      await store.write(async (e) => {
        const key = await tombstoneKey(e, true);
        if (key === null) throw new Error("no key");
        const r = await e.query(
          sql`SELECT ${tombstoneHashSql(e.dialect, key, "email", sql`${"zoë@example.org"}`)} AS h`,
        );
        expect(r.column("h")[0]).toBe(tombstoneHash(key, "email", "zoë@example.org"));
        // Keyed: another kind, or another database's key, gives another hash.
        expect(tombstoneHash(key, "user_id", "zoë@example.org")).not.toBe(r.column("h")[0]);
      });
    });

    it("a re-import of every kind carrying an erased identifier is rejected as erased, the rest loaded", async () => {
      store = await erasedStore(engine.location());
      for (const c of COMEBACKS) {
        const r = await store.write((e) =>
          importRows(e, { kind: c.kind, rows: [c.row, c.other], source: `again ${c.kind}` }),
        );
        expect({ kind: c.kind, accepted: r.accepted, rejected: r.rejected }).toEqual({
          kind: c.kind,
          accepted: 1,
          rejected: 1,
        });
        expect(r.rejects.map((x) => [x.row, x.field, x.reason])).toEqual([[1, c.field, "erased"]]);
        // The rejected row's values are not repeated back (an erased person's identifiers, in clear).
        expect(Object.values(r.rejects[0]?.values ?? {}).every((v) => v === null)).toBe(true);
      }
      await store.read(async (e) => {
        const n = await e.query(
          sql`SELECT count(*) AS n FROM identities WHERE value IN (${ZEBRA}, ${EMAIL}, ${ANON})`,
        );
        expect(Number(n.column("n")[0])).toBe(0);
        const c = await e.query(sql`SELECT count(*) AS n FROM customers WHERE customer_id = ${ZEBRA}`);
        expect(Number(c.column("n")[0])).toBe(0);
      });
    });

    it("a tracked event of an erased person is rejected, others are loaded", async () => {
      store = await erasedStore(engine.location());
      const r = await loadTracked(store, [
        { kind: "events", row: { timestamp: TS, event: "Viewed", user_id: ZEBRA, message_id: "m-z" } },
        { kind: "events", row: { timestamp: TS, event: "Viewed", user_id: "cust-otto", message_id: "m-o" } },
      ]);
      expect(r.rejected).toBe(1);
      await store.read(async (e) => {
        const ids = await e.query("SELECT message_id FROM events WHERE message_id IN ('m-z', 'm-o')");
        expect(ids.column("message_id")).toEqual(["m-o"]);
      });
    });
  });
}

describe("the reject file of an erased row", () => {
  it("names the row, the field and the reason, without the row's values", async () => {
    store = await erasedStore(TEST_ENGINES[0]?.location() as string);
    const dir = tempDir();
    const file = writeFile(dir, "customers.csv", `customer_id,email\nx-1,${EMAIL}\nx-2,x2@example.org\n`);
    const summary = await store.write((e) => importFile(e, { kind: "customers", path: file }));
    expect(summary.rejected).toBe(1);
    const text = readFileSync(summary.rejectsFile as string, "utf8");
    expect(text).toBe("row,field,reason,customer_id,email\n1,email,erased,,\n");
  });
});
