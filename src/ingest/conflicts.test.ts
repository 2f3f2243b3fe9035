import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { count, snapshot, tempDir, writeFile } from "../../test/helpers.js";
import { isUserError, type UserError } from "../errors.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { importFile } from "./import.js";
import { importRows } from "./import-rows.js";
import type { ImportSummary } from "./import-types.js";

let engine: Session;
let dir: string;

/** The counts of a summary (what the tests compare; the file and the time vary). */
function counts(s: ImportSummary) {
  const { read, accepted, rejected, alreadyPresent, conflicts, onConflict } = s;
  return { read, accepted, rejected, alreadyPresent, conflicts, onConflict };
}

/** The reject file's lines after the header. */
function rejectLines(s: ImportSummary): string[] {
  expect(s.rejectsFile).not.toBeNull();
  return readFileSync(s.rejectsFile as string, "utf8")
    .trimEnd()
    .split("\n")
    .slice(1);
}

async function rows(query: string): Promise<unknown[]> {
  return (await engine.query(query)).rows();
}

const ORDERS_HEADER = "order_id,customer_id,timestamp,total,channel\n";

describe.each(TEST_ENGINES)("conflicting duplicates on $name", ({ location }) => {
  beforeEach(async () => {
    engine = await openSession(location());
    dir = tempDir();
  });
  afterEach(() => engine.close());

  describe("within one file", () => {
    it("reports a repeated order_id with other values as a conflict, not as already present", async () => {
      const path = writeFile(
        dir,
        "o.csv",
        `${ORDERS_HEADER}A1,c1,2024-01-01,10,web\nA2,c2,2024-01-02,20,web\nA1,c1,2024-01-01,11,web\nA3,c3,2024-01-03,30,shop\nA3,c3,2024-01-03,30,shop\n`,
      );
      const s = await importFile(engine, { kind: "orders", path });
      // Row 3 conflicts with row 1; row 5 is an identical copy of row 4.
      expect(counts(s)).toEqual({
        read: 5,
        accepted: 3,
        rejected: 0,
        alreadyPresent: 1,
        conflicts: 1,
        onConflict: "reject",
      });
      expect(await rows("SELECT order_id, total FROM orders ORDER BY order_id")).toEqual([
        { order_id: "A1", total: 10 },
        { order_id: "A2", total: 20 },
        { order_id: "A3", total: 30 },
      ]);
      expect(rejectLines(s)).toEqual([
        '3,order_id,"conflict: order_id A1 is also row 1 of the file, with other values: not loaded (on conflict: reject)",A1,c1,2024-01-01,11,web',
        "3,order_id,conflict: the other version of order_id A1: row 1,A1,c1,2024-01-01,10,web",
      ]);
    });

    it("keeps the last version with replace, and counts an identical copy of it as already present", async () => {
      const path = writeFile(
        dir,
        "e.csv",
        "message_id,user_id,event,timestamp\nm1,u1,A,2024-01-01\nm1,u1,B,2024-01-01\nm1,u1,A,2024-01-01\n",
      );
      const s = await importFile(engine, { kind: "events", path, onConflict: "replace" });
      // Row 3 (A) is kept; row 2 (B) conflicts with it; row 1 is identical to it.
      expect(counts(s)).toEqual({
        read: 3,
        accepted: 1,
        rejected: 0,
        alreadyPresent: 1,
        conflicts: 1,
        onConflict: "replace",
      });
      expect(await rows("SELECT message_id, event FROM events")).toEqual([{ message_id: "m1", event: "A" }]);
      expect(rejectLines(s)).toEqual([
        '2,message_id,"conflict: message_id m1 is also row 3 of the file, with other values: not loaded (on conflict: replace)",m1,u1,B,2024-01-01',
        "2,message_id,conflict: the other version of message_id m1: row 3,m1,u1,A,2024-01-01",
      ]);
      // Again, with the default: B conflicts with the first row; rows 1 and 3 are the stored event.
      const again = await importFile(engine, { kind: "events", path });
      expect(counts(again)).toMatchObject({ accepted: 0, alreadyPresent: 2, conflicts: 1 });
    });

    it("links no identifier of a row set aside", async () => {
      const path = writeFile(
        dir,
        "e.csv",
        "message_id,user_id,event,timestamp\nm1,u1,A,2024-01-01\nm1,u2,A,2024-01-01\n",
      );
      const s = await importFile(engine, { kind: "events", path });
      expect(counts(s)).toMatchObject({ accepted: 1, conflicts: 1 });
      expect(s.customersCreated).toBe(1);
      expect(await rows("SELECT customer_id FROM customers")).toEqual([{ customer_id: "u1" }]);
    });
  });

  describe("against what is stored", () => {
    async function firstOrders(): Promise<void> {
      const path = writeFile(
        dir,
        "o1.csv",
        `${ORDERS_HEADER}A1,c1,2024-01-01,10,web\nA2,c2,2024-01-02,20,web\n`,
      );
      await importFile(engine, { kind: "orders", path });
    }
    const second = (): string =>
      writeFile(
        dir,
        "o2.csv",
        `${ORDERS_HEADER}A1,c1,2024-01-01,10,web\nA2,c9,2024-01-02,25,web\nA4,c4,2024-01-04,40,web\n`,
      );

    it("reject (the default): sets the row aside, with the stored version after it", async () => {
      await firstOrders();
      const s = await importFile(engine, { kind: "orders", path: second() });
      expect(counts(s)).toEqual({
        read: 3,
        accepted: 1,
        rejected: 0,
        alreadyPresent: 1,
        conflicts: 1,
        onConflict: "reject",
      });
      expect(await rows("SELECT order_id, customer_id, total FROM orders ORDER BY order_id")).toEqual([
        { order_id: "A1", customer_id: "c1", total: 10 },
        { order_id: "A2", customer_id: "c2", total: 20 },
        { order_id: "A4", customer_id: "c4", total: 40 },
      ]);
      // c9 came only with the row set aside: no customer.
      expect(await count(engine, "SELECT count(*) FROM customers WHERE customer_id = 'c9'")).toBe(0);
      expect(rejectLines(s)).toEqual([
        "2,order_id,conflict: order_id A2 is stored with other values: not loaded (on conflict: reject),A2,c9,2024-01-02,25,web",
        "2,order_id,conflict: the other version of order_id A2: stored (kept),A2,c2,2024-01-02 00:00:00,20.0,web",
      ]);
    });

    it("refuses a strict import with a conflict and changes nothing, but writes the reject file", async () => {
      await firstOrders();
      const before = await snapshot(engine);
      const e = await importFile(engine, { kind: "orders", path: second(), strict: true }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(isUserError(e)).toBe(true);
      expect((e as UserError).code).toBe("rows-rejected");
      expect((e as UserError).message).toContain(
        "1 of 3 rows in conflict with stored or earlier rows of the same key (first: row 2, field order_id: conflict: order_id A2 is stored with other values",
      );
      expect((e as UserError).message).toContain("nothing was imported (--strict)");
      expect(await snapshot(engine)).toBe(before);
      expect(readFileSync(`${dir}/o2.csv.rejects.csv`, "utf8")).toContain("stored (kept)");
    });

    it("keep-first: keeps the stored version, reports the conflict, and a strict import goes on", async () => {
      await firstOrders();
      const s = await importFile(engine, {
        kind: "orders",
        path: second(),
        onConflict: "keep-first",
        strict: true,
      });
      expect(counts(s)).toMatchObject({
        accepted: 1,
        alreadyPresent: 1,
        conflicts: 1,
        onConflict: "keep-first",
      });
      expect(await count(engine, "SELECT total FROM orders WHERE order_id = 'A2'")).toBe(20);
      expect(rejectLines(s)[0]).toContain("not loaded (on conflict: keep-first)");
    });

    it("replace: loads the new version, marks the old customer for the refresh, and reports what it replaced", async () => {
      await firstOrders();
      const s = await importFile(engine, { kind: "orders", path: second(), onConflict: "replace" });
      expect(counts(s)).toEqual({
        read: 3,
        accepted: 1,
        rejected: 0,
        alreadyPresent: 1,
        conflicts: 1,
        onConflict: "replace",
      });
      expect(await rows("SELECT order_id, customer_id, total FROM orders ORDER BY order_id")).toEqual([
        { order_id: "A1", customer_id: "c1", total: 10 },
        { order_id: "A2", customer_id: "c9", total: 25 },
        { order_id: "A4", customer_id: "c4", total: 40 },
      ]);
      // c2 lost the order: marked from its time; c9 gained it.
      const d = engine.dialect;
      const marks = await engine.query(
        sql`SELECT customer_id, ${d.toText(sql`min(since)`)} AS since FROM segment_dirty
             WHERE customer_id IN ('c2', 'c9') AND since IS NOT NULL GROUP BY customer_id ORDER BY customer_id`,
      );
      expect(marks.rows()).toEqual([
        { customer_id: "c2", since: "2024-01-02 00:00:00" },
        { customer_id: "c9", since: "2024-01-02 00:00:00" },
      ]);
      expect(rejectLines(s)).toEqual([
        "2,order_id,conflict: order_id A2 is stored with other values: replaces it (on conflict: replace),A2,c9,2024-01-02,25,web",
        "2,order_id,conflict: the other version of order_id A2: stored (replaced),A2,c2,2024-01-02 00:00:00,20.0,web",
      ]);
      // Now the file is what is stored: nothing to replace.
      const again = await importFile(engine, { kind: "orders", path: second(), onConflict: "replace" });
      expect(counts(again)).toMatchObject({ accepted: 0, alreadyPresent: 3, conflicts: 0 });
      expect(again.rejectsFile).toBeNull();
    });

    it("order lines: a changed line conflicts; replace derives its order again from the lines", async () => {
      const header = "order_id,timestamp,quantity,unit_price,sku,customer_id\n";
      const first = writeFile(dir, "l1.csv", `${header}L1,2024-01-01,1,5,X,c1\nL1,2024-01-01,2,3,Y,c1\n`);
      await importFile(engine, { kind: "order-lines", path: first });
      expect(await count(engine, "SELECT total FROM orders WHERE order_id = 'L1'")).toBe(11);
      const changed = writeFile(dir, "l2.csv", `${header}L1,2024-01-01,1,5,X,c1\nL1,2024-01-01,4,3,Y,c1\n`);
      const s = await importFile(engine, { kind: "order-lines", path: changed });
      expect(counts(s)).toMatchObject({ read: 2, accepted: 0, alreadyPresent: 1, conflicts: 1 });
      expect(rejectLines(s)).toEqual([
        "2,order_id,conflict: order L1 line 2 is stored with other values: not loaded (on conflict: reject),L1,2024-01-01,4,3,Y,c1",
        "2,order_id,conflict: the other version of order L1 line 2: stored (kept),L1,2024-01-01 00:00:00,2.0,3.0,Y,c1",
      ]);
      expect(await count(engine, "SELECT total FROM orders WHERE order_id = 'L1'")).toBe(11);
      const r = await importFile(engine, { kind: "order-lines", path: changed, onConflict: "replace" });
      expect(counts(r)).toMatchObject({ accepted: 0, alreadyPresent: 1, conflicts: 1 });
      expect(await rows("SELECT line_no, quantity FROM order_items ORDER BY line_no")).toEqual([
        { line_no: 1, quantity: 1 },
        { line_no: 2, quantity: 4 },
      ]);
      // 1 × 5 + 4 × 3
      expect(await count(engine, "SELECT total FROM orders WHERE order_id = 'L1'")).toBe(17);
    });

    it("a rejected line does not renumber the others: fixed and imported again, only it is new", async () => {
      const header = "order_id,timestamp,quantity,unit_price,sku\n";
      const bad = writeFile(dir, "l.csv", `${header}L1,2024-01-01,one,5,X\nL1,2024-01-01,2,3,Y\n`);
      expect(counts(await importFile(engine, { kind: "order-lines", path: bad }))).toMatchObject({
        accepted: 1,
        rejected: 1,
      });
      const fixed = writeFile(dir, "l.csv", `${header}L1,2024-01-01,1,5,X\nL1,2024-01-01,2,3,Y\n`);
      expect(counts(await importFile(engine, { kind: "order-lines", path: fixed }))).toMatchObject({
        accepted: 1,
        alreadyPresent: 1,
        conflicts: 0,
      });
      expect(await rows("SELECT line_no, sku FROM order_items ORDER BY line_no")).toEqual([
        { line_no: 1, sku: "X" },
        { line_no: 2, sku: "Y" },
      ]);
    });

    it("an extra column is content: the same event with another property value conflicts", async () => {
      const header = "message_id,user_id,event,timestamp,plan\n";
      await importFile(engine, {
        kind: "events",
        path: writeFile(dir, "a.csv", `${header}m1,u1,A,2024-01-01,pro\n`),
      });
      const s = await importFile(engine, {
        kind: "events",
        path: writeFile(dir, "b.csv", `${header}m1,u1,A,2024-01-01,free\nm2,u1,A,2024-01-01,free\n`),
      });
      expect(counts(s)).toMatchObject({ accepted: 1, alreadyPresent: 0, conflicts: 1 });
      // The stored version shows the property under its column.
      expect(rejectLines(s)[1]).toBe(
        "1,message_id,conflict: the other version of message_id m1: stored (kept),m1,u1,A,2024-01-01 00:00:00,pro",
      );
    });
  });

  it("a batch returns both versions as values", async () => {
    const batch = (total: number) =>
      importRows(engine, {
        kind: "orders",
        source: "api",
        rows: [{ order_id: "B1", timestamp: "2024-01-01", total }],
      });
    await batch(5);
    const r = await batch(6);
    expect(counts(r)).toMatchObject({ read: 1, accepted: 0, alreadyPresent: 0, conflicts: 1 });
    expect(r.rejects).toEqual([
      {
        row: 1,
        field: "order_id",
        reason: "conflict: order_id B1 is stored with other values: not loaded (on conflict: reject)",
        values: { order_id: "B1", timestamp: "2024-01-01", total: "6" },
      },
      {
        row: 1,
        field: "order_id",
        reason: "conflict: the other version of order_id B1: stored (kept)",
        values: { order_id: "B1", timestamp: "2024-01-01 00:00:00", total: "5.0" },
      },
    ]);
  });

  describe("within a deduplication window (the tracking API's loads)", () => {
    const event = (id: string, ts: string, page = "/") => ({
      message_id: id,
      customer_id: "c1",
      event: "Page Viewed",
      timestamp: ts,
      properties: { page },
    });
    const load = (rows: Record<string, unknown>[], dedupeWithinDays?: number) =>
      importRows(engine, {
        kind: "events",
        rows,
        source: "batch",
        onConflict: "keep-first",
        ...(dedupeWithinDays !== undefined ? { dedupeWithinDays } : {}),
      });

    it("finds a message sent again within the window, and not one stored further away", async () => {
      await load([event("m-near", "2024-03-01T10:00:00Z"), event("m-far", "2024-01-01T10:00:00Z")]);
      // m-near again 3 days later (identical: already present; other content: a conflict, first kept).
      const near = await load(
        [event("m-near", "2024-03-01T10:00:00Z"), event("m-near", "2024-03-04T10:00:00Z", "/other")],
        7,
      );
      expect([near.alreadyPresent, near.conflicts]).toEqual([1, 1]);
      // m-far's stored version is 60 days before the batch: outside the window, so not looked for: stored again.
      const far = await load([event("m-far", "2024-03-01T10:00:00Z", "/later")], 7);
      expect([far.alreadyPresent, far.conflicts]).toEqual([0, 0]);
      expect(await count(engine, "SELECT count(*) FROM events WHERE message_id = 'm-far'")).toBe(2);
      // Without a window (files, import.batch by default) every stored event is looked at: m-near's copy dated
      // months later is found.
      const all = await load([event("m-near", "2024-09-01T10:00:00Z")]);
      expect([all.alreadyPresent, all.conflicts]).toEqual([0, 1]);
      expect(await count(engine, "SELECT count(*) FROM events WHERE message_id = 'm-near'")).toBe(1);
    });
  });
});
