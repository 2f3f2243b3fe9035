import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { isUserError } from "../errors.js";
import { importRows } from "../ingest/import-rows.js";
import type { ImportKind, InputRow } from "../ingest/import-types.js";
import { customerTables } from "../store/customer-tables.js";
import { CUSTOMER_REF_TABLES } from "../store/data-model.js";
import type { Engine } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { searchFile } from "./byte-search.js";
import { erasePerson } from "./erasure.js";
import { verifyErasure } from "./erasure-verify.js";

// The person to erase: identifiers long and distinctive enough to be searched in bytes.
const ZEBRA = "cust-zebra-0001";
const EMAIL = "zebra.person@example.org";
const PHONE = "+44 7700 900123";
const ANON = "anon-zebra-7f3a9c";
const OTHERS = ["cust-other-0002", "cust-other-0003"] as const;

const TS = "2025-03-01T10:00:00Z";

const DATA: Record<Exclude<ImportKind, "accounts">, InputRow[]> = {
  customers: [
    { customer_id: ZEBRA, email: "Zebra.Person@Example.org", phone: PHONE, first_name: "Zora" },
    { customer_id: OTHERS[0], email: "other.two@example.org", first_name: "Otto" },
    { customer_id: OTHERS[1], email: "other.three@example.org", first_name: "Olga" },
  ],
  events: [
    { timestamp: TS, event: "Product Viewed", user_id: ZEBRA, anonymous_id: ANON },
    { timestamp: TS, event: "Cart Viewed", user_id: ZEBRA },
    { timestamp: TS, event: "Page Seen", anonymous_id: ANON },
    { timestamp: TS, event: "Product Viewed", user_id: OTHERS[0] },
    { timestamp: TS, event: "Signed Up", user_id: OTHERS[1], properties: '{"plan":"pro"}' },
  ],
  orders: [
    { order_id: "o-z1", timestamp: TS, total: "40", customer_id: ZEBRA },
    { order_id: "o-t1", timestamp: TS, total: "12", customer_id: OTHERS[0] },
  ],
  "order-lines": [
    { order_id: "o-z2", timestamp: TS, quantity: "1", unit_price: "9.5", sku: "A", customer_id: ZEBRA },
    { order_id: "o-t2", timestamp: TS, quantity: "2", unit_price: "3", sku: "B", customer_id: OTHERS[1] },
  ],
  consents: [
    { customer_id: ZEBRA, purpose: "marketing", status: "granted", timestamp: TS, channel: "email" },
    { customer_id: ZEBRA, purpose: "analytics", status: "denied", timestamp: TS },
    { customer_id: OTHERS[0], purpose: "marketing", status: "granted", timestamp: TS },
  ],
  "survey-responses": [
    { customer_id: ZEBRA, question: "nps", answer: "9", timestamp: TS },
    { customer_id: OTHERS[1], question: "nps", answer: "7", timestamp: TS },
  ],
};

async function load(engine: Engine): Promise<void> {
  for (const [kind, rows] of Object.entries(DATA))
    await importRows(engine, { kind: kind as ImportKind, rows, source: `test ${kind}` });
}

async function count(engine: Engine, q: ReturnType<typeof sql>): Promise<number> {
  return Number((await engine.query(q)).column("n")[0]);
}

let session: Session | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

for (const engine of TEST_ENGINES) {
  describe(`erasure on ${engine.name}`, () => {
    it("removes the person from every table that refers to a person, and only them, and verifies it", async () => {
      const location = engine.location();
      session = await openSession(location);
      const s = session;
      await load(s);
      // Every table of the model that names a person gets a row of theirs and a row of someone else's, by its
      // person column (a table added to the model later is covered the same way).
      const tables = await customerTables(s);
      expect(tables.map((t) => t.table).sort()).toEqual(
        CUSTOMER_REF_TABLES.filter((t) => tables.some((x) => x.table === t)).sort(),
      );
      for (const t of tables) {
        if (t.table === "identities") continue;
        for (const id of [ZEBRA, OTHERS[0] as string])
          await s.run(sql`INSERT INTO ${sql.ident(t.table)} (${sql.ident(t.column)}) VALUES (${id})`);
      }
      const before = new Map<string, number>();
      for (const t of tables)
        before.set(t.table, await count(s, sql`SELECT count(*) AS n FROM ${sql.ident(t.table)}`));

      const result = await erasePerson(s, " Zebra.Person@EXAMPLE.org ", "tester");

      // Hand-counted: the imports' rows of Zebra plus the one inserted above in each table.
      expect(result.tables.customers).toBe(1);
      expect(result.tables.events).toBe(3 + 1);
      expect(result.tables.orders).toBe(2 + 1); // o-z1, o-z2 (derived from its line)
      expect(result.tables.order_items).toBe(1 + 1);
      expect(result.tables.consents).toBe(2 + 1);
      expect(result.tables.survey_responses).toBe(1 + 1);
      // Identities: user id, anonymous id, email, phone.
      expect(result.tables.identities).toBe(4);
      expect(result.tombstones).toBe(4);
      expect(result.verified.tables).toBe(true);
      expect(result.verified.foundIn).toEqual([]);
      if (engine.name === "duckdb") expect(result.verified.bytes).toBe(true);
      // ClickHouse leaves the parts a mutation replaced to its cleanup: they are the only files still holding them.
      if (engine.name === "chdb") {
        expect(result.verified.bytes).toBe(false);
        expect(result.verified.awaitingCleanup.length).toBeGreaterThan(0);
      }
      for (const t of tables) {
        const cols = [t.column, ...t.otherColumns];
        const left = await count(
          s,
          sql`SELECT count(*) AS n FROM ${sql.ident(t.table)} WHERE ${sql.join(
            cols.map((c) => sql`${sql.ident(c)} = ${ZEBRA}`),
            " OR ",
          )}`,
        );
        expect(left, t.table).toBe(0);
        const after = await count(s, sql`SELECT count(*) AS n FROM ${sql.ident(t.table)}`);
        expect(after, t.table).toBe((before.get(t.table) ?? 0) - (result.tables[t.table] ?? 0));
      }
      // The others are intact: their profiles, events, orders and consents.
      expect(await count(s, sql`SELECT count(*) AS n FROM customers`)).toBe(2);
      expect(
        await count(
          s,
          sql`SELECT count(*) AS n FROM events WHERE customer_id IN (${OTHERS[0]}, ${OTHERS[1]})`,
        ),
      ).toBe(2 + 1);
      // The proof: a ledger row and an audit entry, neither naming the person.
      const ledger = await s.query("SELECT person_hash, erased_by, rows_removed FROM erasures");
      expect(ledger.rows()).toEqual([
        { person_hash: result.person, erased_by: "tester", rows_removed: result.rowsRemoved },
      ]);
      const audit = await s.query("SELECT * FROM audit_log");
      const auditText = JSON.stringify(audit.rows());
      expect(auditText).toContain("privacy.erase");
      for (const x of [ZEBRA, EMAIL, ANON, "7700900123"]) expect(auditText).not.toContain(x);
    });

    // Others' events that mention Zebra's anonymous id: whole, inside a longer text; or all of it but its first
    // letter (what the check looks for first may be such a part: it must not count on its own).
    const MENTION = {
      timestamp: TS,
      event: "Shared",
      user_id: OTHERS[0],
      properties: `{"with":"x-${ANON}-y"}`,
    };
    const PART = {
      timestamp: TS,
      event: "Noted",
      user_id: OTHERS[1],
      properties: `{"n":"${ANON.slice(1)}"}`,
    };
    /** Erases Zebra from the data above plus these events of others. */
    async function eraseBeside(events: InputRow[]) {
      session = await openSession(engine.location());
      await load(session);
      await importRows(session, { kind: "events", rows: events, source: "test others' events" });
      return erasePerson(session, ZEBRA, "tester");
    }

    it("reports an identifier it finds in another person's data", async () => {
      const result = await eraseBeside([MENTION, PART]);
      expect(result.verified.tables).toBe(false);
      // The table and column (beside the files whose bytes hold the mention).
      expect(result.verified.foundIn.filter((f) => !f.includes("/"))).toEqual(["events.properties"]);
      expect(result.verified.bytes).toBe(false);
    });

    it("verifies an erasure when another person's text holds only part of an identifier", async () => {
      const result = await eraseBeside([PART]);
      expect(result.verified.tables).toBe(true);
      expect(result.verified.foundIn).toEqual([]);
    });

    it("refuses an unknown person and a malformed identifier, changing nothing", async () => {
      session = await openSession(engine.location());
      const s = session;
      await load(s);
      const before = await count(s, sql`SELECT count(*) AS n FROM events`);
      for (const [given, code] of [
        ["nobody@example.org", "unknown-person"],
        ["not@an@email", "bad-input"],
        ["", "bad-input"],
      ] as const) {
        const e = await erasePerson(s, given, "tester").catch((x: unknown) => x);
        expect(isUserError(e) && e.code, given).toBe(code);
      }
      expect(await count(s, sql`SELECT count(*) AS n FROM events`)).toBe(before);
      expect(await count(s, sql`SELECT count(*) AS n FROM tombstones`)).toBe(0);
      expect(await count(s, sql`SELECT count(*) AS n FROM erasures`)).toBe(0);
    });
  });
}

describe("the byte check on DuckDB", () => {
  it("finds a plainly stored identifier in the file before erasure and not after", async () => {
    const location = TEST_ENGINES[0]?.location() as string;
    session = await openSession(location);
    const s = session;
    await load(s);
    await s.run("CHECKPOINT");
    const needles = [EMAIL, ANON, ZEBRA].map((n) => Buffer.from(n));
    for (const n of needles) expect(searchFile(location, [n]).found, n.toString()).toBe(true);
    const result = await erasePerson(s, ZEBRA, "tester");
    expect(result.verified.bytes).toBe(true);
    for (const n of needles) expect(searchFile(location, [n]).found, n.toString()).toBe(false);
    // The others' identifiers are still there, in the same file.
    expect(searchFile(location, [Buffer.from("other.two@example.org")]).found).toBe(true);
  });

  it("moves what lives in a block where bytes were found after a scrub, keeping every row as it was", async () => {
    const location = TEST_ENGINES[0]?.location() as string;
    session = await openSession(location);
    const s = session;
    // A text DuckDB stores plainly (dictionary strings), in a table of its own.
    await s.run("CREATE TABLE remnant_test (t VARCHAR, i BIGINT)");
    await s.run(
      "INSERT INTO remnant_test SELECT 'marker-' || (i % 7)::VARCHAR || '-remnant', i FROM range(5000) r(i)",
    );
    await s.run("CHECKPOINT");
    const marker = Buffer.from("marker-3-remnant");
    const before = searchFile(location, [marker]);
    expect(before.found).toBe(true);
    const rows = async () => (await s.query("SELECT t, i FROM remnant_test ORDER BY i")).rows();
    const held = await rows();
    await s.scrubFreedSpace([{ path: location, at: before.at }]);
    // Where the text was, it is no more (its block was moved out of, then overwritten); the rows are all there, as
    // they were.
    const after = searchFile(location, [marker]);
    for (const at of before.at) expect(after.at).not.toContain(at);
    expect(await rows()).toEqual(held);
  });

  it("searches again only the regions it is given (what changed, the places found before)", async () => {
    const location = TEST_ENGINES[0]?.location() as string;
    session = await openSession(location);
    const s = session;
    await s.run(
      "CREATE TABLE region_test AS SELECT 'marker-' || (i % 7)::VARCHAR || '-region' AS t FROM range(5000) r(i)",
    );
    await s.run("CHECKPOINT");
    const marker = "marker-3-region";
    const full = searchFile(location, [Buffer.from(marker)]);
    expect(full.found).toBe(true);
    const person = { matches: new Map(), needles: [marker] };
    const first = full.at[0] as number;
    // The file's headers hold no marker; the place found does.
    const headers = await verifyErasure(s, person, { regions: [{ path: location, start: 0, end: 4096 }] });
    expect(headers.bytes).toBe(true);
    expect(headers.bytesRead).toBeLessThan(8192);
    const place = await verifyErasure(s, person, {
      regions: [{ path: location, start: first, end: first + 1 }],
    });
    expect(place.bytes).toBe(false);
    expect(place.remnants).toEqual([{ path: location, at: [first] }]);
    expect(place.remnantsComplete).toBe(true);
    // Without regions, every file is searched again.
    const all = await verifyErasure(s, person, { regions: null });
    expect(all.remnants).toEqual([{ path: location, at: full.at }]);
  });
});
