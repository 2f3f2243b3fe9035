import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { count, snapshot, tempDir, writeFile } from "../../test/helpers.js";
import { isUserError, type UserError } from "../errors.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { listTraits } from "../store/trait-registry.js";
import { importFile } from "./import.js";

let engine: Session;
let dir: string;

async function expectUserError(
  work: Promise<unknown>,
  code: string,
  ...fragments: string[]
): Promise<UserError> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), `expected a UserError ${code}, got ${String(e)}`).toBe(true);
  const ue = e as UserError;
  expect(ue.code).toBe(code);
  for (const f of fragments) expect(ue.message).toContain(f);
  return ue;
}

describe.each(TEST_ENGINES)("imports on $name", ({ location }) => {
  beforeEach(async () => {
    engine = await openSession(location());
    dir = tempDir();
  });
  afterEach(() => engine.close());

  describe("customers", () => {
    it("registers unknown columns as typed traits and matches canonical headers loosely", async () => {
      const path = writeFile(
        dir,
        "people.csv",
        "CustomerID,E-mail,Age,Income,Member,Joined,Since,Notes\n" +
          "c1,Ann@Example.com,34,52000.5,true,2024-01-05,2024-01-05 10:00:00,likes tea\n" +
          "c2,bob@example.com,,48000,false,2023-12-31,2023-12-31T23:00:00Z,\n",
      );
      const s = await importFile(engine, {
        kind: "customers",
        path,
        category: "demographic",
        pii: ["notes"],
      });
      expect(s).toMatchObject({ read: 2, accepted: 2, rejected: 0, alreadyPresent: 0, customersCreated: 2 });
      const traits = await listTraits(engine);
      expect(traits.map((t) => [t.name, t.type, t.category, t.pii])).toEqual([
        ["age", "integer", "demographic", false],
        ["income", "number", "demographic", false],
        ["joined", "date", "demographic", false],
        ["member", "boolean", "demographic", false],
        ["notes", "string", "demographic", true],
        ["since", "timestamp", "demographic", false],
      ]);
      const r = await engine.query(
        sql`SELECT customer_id, email, age, income, member, ${engine.dialect.toText(sql`joined`)} AS j FROM customers ORDER BY 1`,
      );
      expect(r.rows()).toEqual([
        {
          customer_id: "c1",
          email: "Ann@Example.com",
          age: 34,
          income: 52000.5,
          member: true,
          j: "2024-01-05",
        },
        {
          customer_id: "c2",
          email: "bob@example.com",
          age: null,
          income: 48000,
          member: false,
          j: "2023-12-31",
        },
      ]);
      // The email identity is normalised; the profile keeps what was written.
      expect(
        await count(
          engine,
          "SELECT count(*) FROM identities WHERE kind = 'email' AND value = 'ann@example.com'",
        ),
      ).toBe(1);
    });

    it("updates traits on a later import and counts unchanged rows as already present", async () => {
      const a = writeFile(dir, "a.csv", "customer_id,city\nc1,Paris\nc2,Lyon\n");
      await importFile(engine, { kind: "customers", path: a });
      const again = await importFile(engine, { kind: "customers", path: a });
      expect(again).toMatchObject({ accepted: 0, alreadyPresent: 2, customersCreated: 0 });
      const b = writeFile(dir, "b.csv", "customer_id,city\nc1,Nice\nc2,\n");
      const s = await importFile(engine, { kind: "customers", path: b });
      expect(s).toMatchObject({ accepted: 1, alreadyPresent: 1 });
      const r = await engine.query("SELECT customer_id, city FROM customers ORDER BY 1");
      expect(r.rows()).toEqual([
        { customer_id: "c1", city: "Nice" },
        { customer_id: "c2", city: "Lyon" }, // an empty cell keeps the stored value
      ]);
    });

    it("rejects a value that does not fit a registered trait's type, naming row, field and reason", async () => {
      await importFile(engine, {
        kind: "customers",
        path: writeFile(dir, "a.csv", "customer_id,age\nc1,30\n"),
      });
      const path = writeFile(dir, "b.csv", "customer_id,age\nc2,41\nc3,forty\n");
      const s = await importFile(engine, { kind: "customers", path });
      expect(s).toMatchObject({ read: 2, accepted: 1, rejected: 1, rejectsFile: `${path}.rejects.csv` });
      const rejects = readFileSync(`${path}.rejects.csv`, "utf8").trim().split("\n");
      expect(rejects[0]).toBe("row,field,reason,customer_id,age");
      expect(rejects[1]).toBe("2,age,not an integer (trait age is integer): forty,c3,forty");
      expect(await count(engine, "SELECT count(*) FROM customers")).toBe(2);
    });

    it("keeps an invalid email and says so", async () => {
      const path = writeFile(dir, "c.csv", "customer_id,email\nc1,ann@@example\nc2,bob@example.com\n");
      const s = await importFile(engine, { kind: "customers", path });
      expect(s.accepted).toBe(2);
      expect(s.notes.join(" ")).toContain("1 invalid email address(es) kept");
      expect(await count(engine, "SELECT count(*) FROM customers WHERE email = 'ann@@example'")).toBe(1);
    });

    it("refuses a column that would shadow a built-in field, and writes nothing", async () => {
      const before = await snapshot(engine);
      const path = writeFile(dir, "c.csv", "customer_id,First Seen\nc1,2024-01-01\n");
      await expectUserError(
        importFile(engine, { kind: "customers", path }),
        "reserved-column",
        "first_seen",
        "--map",
      );
      expect(await snapshot(engine)).toBe(before);
    });
  });

  describe("orders and order lines", () => {
    it("rejects bad rows to the reject file and imports the rest", async () => {
      const path = writeFile(
        dir,
        "orders.csv",
        "order_id,customer_id,timestamp,total\n" +
          "o1,c1,2024-03-01T10:00:00Z,10.50\n" +
          "o2,c1,2024-03-02,abc\n" +
          "o3,c2,yesterday,5\n" +
          "o4,,2024-03-04 12:00:00,7\n" +
          "o5,c3,,8\n",
      );
      const s = await importFile(engine, { kind: "orders", path });
      expect(s).toMatchObject({ read: 5, accepted: 2, rejected: 3, alreadyPresent: 0 });
      const lines = readFileSync(`${path}.rejects.csv`, "utf8").trim().split("\n");
      expect(lines.slice(1)).toEqual([
        "2,total,not a number: abc,o2,c1,2024-03-02,abc",
        "3,timestamp,not an ISO 8601 timestamp: yesterday,o3,c2,yesterday,5",
        "5,timestamp,missing required value,o5,c3,,8",
      ]);
      // o4 is a guest order: stored, with no customer.
      const r = await engine.query("SELECT order_id, customer_id, total FROM orders ORDER BY 1");
      expect(r.rows()).toEqual([
        { order_id: "o1", customer_id: "c1", total: 10.5 },
        { order_id: "o4", customer_id: null, total: 7 },
      ]);
    });

    it("with --strict, one bad row aborts the import and the database is unchanged", async () => {
      await importFile(engine, {
        kind: "orders",
        path: writeFile(dir, "ok.csv", "order_id,customer_id,timestamp,total\no0,c0,2024-01-01,1\n"),
      });
      const before = await snapshot(engine);
      const path = writeFile(
        dir,
        "bad.csv",
        "order_id,customer_id,timestamp,total\no1,c1,2024-03-01,10\no2,c2,2024-03-02,ten\n",
      );
      await expectUserError(
        importFile(engine, { kind: "orders", path, strict: true }),
        "rows-rejected",
        "1 of 2 rows rejected",
        "row 2, field total: not a number: ten",
        "nothing was imported",
      );
      expect(await snapshot(engine)).toBe(before);
    });

    it("a refused customers file registers none of its new traits (strict rejects, an unwritable reject file)", async () => {
      await importFile(engine, {
        kind: "customers",
        path: writeFile(dir, "ok.csv", "customer_id,age\nc0,30\n"),
      });
      const before = await snapshot(engine);
      const path = writeFile(dir, "bad.csv", "customer_id,age,city\nc1,31,Paris\nc2,forty,Lyon\n");
      await expectUserError(
        importFile(engine, { kind: "customers", path, strict: true }),
        "rows-rejected",
        "1 of 2 rows rejected",
        "row 2, field age: not an integer (trait age is integer): forty",
      );
      expect(await snapshot(engine)).toBe(before);
      await expectUserError(
        importFile(engine, { kind: "customers", path, rejectsPath: `${dir}/no/such/folder/r.csv` }),
        "rejects-unwritable",
      );
      expect(await snapshot(engine)).toBe(before);
      expect((await listTraits(engine)).map((t) => t.name)).toEqual(["age"]);
    });

    it("derives orders from lines: returns are not revenue, guest lines have no customer", async () => {
      const path = writeFile(
        dir,
        "lines.csv",
        "order_id,timestamp,quantity,unit_price,sku,customer_id,Country\n" +
          "A1,2024-01-01 09:00:00,2,3.5,X,17850.0,UK\n" +
          "A1,2024-01-01 09:00:00,1,4,Y,17850.0,UK\n" +
          "C9,2024-01-02 10:00:00,-1,4,Y,17850.0,UK\n" +
          "G1,2024-01-03 11:00:00,5,1,Z,,FR\n",
      );
      const s = await importFile(engine, { kind: "order-lines", path });
      expect(s).toMatchObject({ read: 4, accepted: 4, customersCreated: 1 });
      const r = await engine.query(
        sql`SELECT order_id, customer_id, total, returned, ${engine.dialect.jsonText(sql`properties`, "country")} AS country FROM orders ORDER BY 1`,
      );
      expect(r.rows()).toEqual([
        { order_id: "A1", customer_id: "17850", total: 11, returned: 0, country: "UK" },
        { order_id: "C9", customer_id: "17850", total: 0, returned: 4, country: "UK" },
        { order_id: "G1", customer_id: null, total: 5, returned: 0, country: "FR" },
      ]);
      expect(await count(engine, "SELECT max(line_no) FROM order_items WHERE order_id = 'A1'")).toBe(2);
      const again = await importFile(engine, { kind: "order-lines", path });
      expect(again).toMatchObject({ accepted: 0, alreadyPresent: 4 });
      expect(await count(engine, "SELECT count(*) FROM orders")).toBe(3);
    });

    it("reads whitespace-separated files with YYYYMMDD dates and derives order ids from content", async () => {
      const path = writeFile(
        dir,
        "tx.txt",
        " 00001 19970101  1   11.77\r\n 00001 19970101  1   11.77\r\n 00002 19970112  2   12.00\r\n",
      );
      const map = ["customer_id=column0", "timestamp=column1:%Y%m%d", "total=column3"];
      const s = await importFile(engine, { kind: "orders", path, map });
      expect(s).toMatchObject({ read: 3, accepted: 3, customersCreated: 2 });
      expect(s.notes.join()).toContain("order_id derived");
      // Two identical rows are two purchases, and a re-import finds both again.
      expect(
        await count(engine, "SELECT count(*) FROM orders WHERE customer_id = '00001' AND ts = '1997-01-01'"),
      ).toBe(2);
      expect((await importFile(engine, { kind: "orders", path, map })).alreadyPresent).toBe(3);
    });
  });

  describe("marks for the next segment refresh", () => {
    it("mark each customer with the earliest time of their new facts, and a profile change with none", async () => {
      const ev = writeFile(
        dir,
        "e.csv",
        "user_id,event,timestamp\nu1,A,2024-01-05T10:00:00Z\nu1,B,2024-01-02T08:00:00Z\nu2,A,2024-01-03T00:00:00Z\n",
      );
      await importFile(engine, { kind: "events", path: ev });
      await importFile(engine, {
        kind: "customers",
        path: writeFile(dir, "c.csv", "customer_id,country\nu2,DE\n"),
      });
      const marks = await engine.query(
        sql`SELECT customer_id, ${engine.dialect.toText(sql`since`)} AS since FROM segment_dirty ORDER BY customer_id, since NULLS LAST`,
      );
      expect(marks.rows()).toEqual([
        { customer_id: "u1", since: "2024-01-02 08:00:00" },
        { customer_id: "u2", since: "2024-01-03 00:00:00" },
        { customer_id: "u2", since: null },
      ]);
      // Events are stored in time order within an import (time-window scans then skip row groups).
      expect((await engine.query("SELECT event FROM events")).column("event")).toEqual(["B", "A", "A"]);
    });
  });

  describe("progress", () => {
    it("reports each step as it starts", async () => {
      const steps: string[] = [];
      const path = writeFile(dir, "c.csv", "customer_id\nc1\n");
      await importFile(engine, { kind: "customers", path, onStep: (s) => steps.push(s) });
      expect(steps).toEqual(["reading and checking", "linking identities", "writing"]);
    });
  });

  describe("repeated keys within one file", () => {
    it("keep the first event of a message id (a later one with other values is a conflict) and the first copy of a consent record", async () => {
      const ev = writeFile(
        dir,
        "e.ndjson",
        [
          { message_id: "m1", event: "A", user_id: "u1", timestamp: "2024-01-01T00:00:00Z" },
          { message_id: "m1", event: "B", user_id: "u1", timestamp: "2024-01-02T00:00:00Z" },
          { message_id: "m2", event: "C", user_id: "u2", timestamp: "2024-01-03T00:00:00Z" },
        ]
          .map((r) => JSON.stringify(r))
          .join("\n"),
      );
      expect(await importFile(engine, { kind: "events", path: ev })).toMatchObject({
        read: 3,
        accepted: 2,
        alreadyPresent: 0,
        conflicts: 1,
      });
      expect((await engine.query("SELECT event FROM events ORDER BY message_id")).column("event")).toEqual([
        "A",
        "C",
      ]);
      const co = writeFile(
        dir,
        "k.csv",
        "customer_id,purpose,status,timestamp\nu1,ads,granted,2024-01-01\nu1,ads,granted,2024-01-01\n",
      );
      expect(await importFile(engine, { kind: "consents", path: co })).toMatchObject({
        read: 2,
        accepted: 1,
        alreadyPresent: 1,
      });
    });
  });

  describe("file formats", () => {
    const rows = [
      {
        customer_id: "c1",
        purpose: "marketing",
        status: "granted",
        timestamp: "2024-01-01T00:00:00Z",
        channel: "email",
      },
      {
        customer_id: "c1",
        purpose: "marketing",
        status: "Withdrawn",
        timestamp: "2024-02-01T00:00:00+01:00",
        channel: "email",
      },
    ];
    const csv = `customer_id;purpose;status;timestamp;channel\n${rows.map((r) => Object.values(r).join(";")).join("\n")}`;

    async function expectTwoConsents(path: string, extra: Partial<Parameters<typeof importFile>[1]> = {}) {
      const s = await importFile(engine, { kind: "consents", path, ...extra });
      expect(s).toMatchObject({ read: 2, accepted: 2, rejected: 0 });
      const r = await engine.query(
        sql`SELECT status, ${engine.dialect.toText(sql`ts`)} AS ts FROM consents ORDER BY consents.ts`,
      );
      // Statuses are normalised; "+01:00" is converted to UTC.
      const minutes = r.rows<{ status: string; ts: string }>().map((x) => ({ ...x, ts: x.ts.slice(0, 16) }));
      expect(minutes).toEqual([
        { status: "granted", ts: "2024-01-01 00:00" },
        { status: "withdrawn", ts: "2024-01-31 23:00" },
      ]);
    }

    it("CSV with another delimiter", () => expectTwoConsents(writeFile(dir, "c.csv", csv)));
    it("gzip-compressed CSV", () => expectTwoConsents(writeFile(dir, "c.csv.gz", gzipSync(csv))));
    it("CSV without a header, mapped by position", () =>
      expectTwoConsents(writeFile(dir, "c.csv", csv.split("\n").slice(1).join("\n")), {
        header: false,
        map: [
          "customer_id=column0",
          "purpose=column1",
          "status=column2",
          "timestamp=column3",
          "channel=column4",
        ],
      }));
    it("JSON array", () => expectTwoConsents(writeFile(dir, "c.json", JSON.stringify(rows))));
    it("NDJSON", () =>
      expectTwoConsents(writeFile(dir, "c.ndjson", rows.map((r) => JSON.stringify(r)).join("\n"))));
    it("Parquet", async () => {
      const src = writeFile(dir, "src.json", JSON.stringify(rows));
      const path = `${dir}/c.parquet`;
      const d = engine.dialect;
      await engine.run(
        d.copyToParquet(sql`SELECT * FROM ${d.readFileAsText({ path: src, format: "json" })}`, path),
      );
      await expectTwoConsents(path);
    });

    it("rejects an unknown consent status with the allowed values", async () => {
      const path = writeFile(
        dir,
        "c.csv",
        "customer_id,purpose,status,timestamp\nc1,marketing,maybe,2024-01-01\n",
      );
      const s = await importFile(engine, { kind: "consents", path });
      expect(s.rejected).toBe(1);
      expect(readFileSync(`${path}.rejects.csv`, "utf8")).toContain(
        "unknown status (expected granted, denied, withdrawn): maybe",
      );
    });
  });

  describe("files that cannot be imported at all leave the database unchanged", () => {
    it.each([
      ["a missing file", () => `${dir}/nope.csv`, {}, "file-not-found", ["nope.csv", "no such file"]],
      [
        "a file that is not Parquet",
        () => writeFile(dir, "x.parquet", "not parquet"),
        {},
        "unreadable-file",
        ["x.parquet", "cannot be read as PARQUET"],
      ],
      [
        "a file that is not JSON",
        () => writeFile(dir, "x.json", "{oops"),
        {},
        // An object that never closes: the file ends inside it (file-check.ts).
        "truncated-file",
        ["x.json", "ends early", "is not a complete JSON object"],
      ],
      [
        "a --map naming an absent column",
        () => writeFile(dir, "o.csv", "id,ts,amount\n1,2024-01-01,3\n"),
        { map: ["order_id=id", "timestamp=date"] },
        "unknown-column",
        ["o.csv", 'no column "date"', "columns: id, ts, amount"],
      ],
      [
        "a missing required column",
        () => writeFile(dir, "o.csv", "order_id,timestamp\n1,2024-01-01\n"),
        {},
        "missing-column",
        ["o.csv", "needs the column(s) total", "--map total=<column>"],
      ],
      [
        "a malformed --map",
        () => writeFile(dir, "o.csv", "a\n1\n"),
        { map: ["total"] },
        "bad-mapping",
        ["--map", "target=source"],
      ],
    ] as const)("%s", async (_label, file, extra, code, fragments) => {
      await importFile(engine, {
        kind: "orders",
        path: writeFile(dir, "seed.csv", "order_id,customer_id,timestamp,total\no0,c0,2024-01-01,1\n"),
      });
      const before = await snapshot(engine);
      await expectUserError(
        importFile(engine, { kind: "orders", path: file(), ...extra }),
        code,
        ...fragments,
      );
      expect(await snapshot(engine)).toBe(before);
    });
  });

  describe("the same reading on every engine", () => {
    it("writes the reject file byte for byte as documented: quoted only when needed, NULL empty", async () => {
      const path = writeFile(
        dir,
        "o.csv",
        'order_id,customer_id,timestamp,total,"note, with comma"\n' +
          'o1,c1,2024-01-01,x,"a ""quote"""\n' +
          'o2,c1,2024-01-01,y,"two\nlines"\n' +
          "o3,c1,2024-01-01,z,#hash\n" +
          "o4,c1,2024-01-01,w, lead\n" +
          "o5,c1,2024-01-01,v,\n",
      );
      await importFile(engine, { kind: "orders", path });
      expect(readFileSync(`${path}.rejects.csv`, "utf8")).toBe(
        'row,field,reason,order_id,customer_id,timestamp,total,"note, with comma"\n' +
          '1,total,not a number: x,o1,c1,2024-01-01,x,"a ""quote"""\n' +
          '2,total,not a number: y,o2,c1,2024-01-01,y,"two\nlines"\n' +
          '3,total,not a number: z,o3,c1,2024-01-01,z,"#hash"\n' +
          "4,total,not a number: w,o4,c1,2024-01-01,w, lead\n" +
          "5,total,not a number: v,o5,c1,2024-01-01,v,\n",
      );
    });

    it("takes as a timestamp only what ISO 8601 writes (no guessing at 05/01/2024 or epoch seconds)", async () => {
      const given = [
        "2024-01-05",
        "2024-01-05 10:00",
        "2024-01-05T10:00:00.5Z",
        "2024-01-05 10:00:00+02:00",
        "2024-01-05 10:00:00 UTC",
        "05/01/2024",
        "Jan 5 2024",
        "1704448800",
        "20240105",
        "2024-01-05 25:00:00",
        "2024-02-30",
      ];
      const path = writeFile(
        dir,
        "t.csv",
        `order_id,customer_id,timestamp,total\n${given.map((t, i) => `o${i},c1,${t},1`).join("\n")}\n`,
      );
      const s = await importFile(engine, { kind: "orders", path });
      expect(s).toMatchObject({ read: 11, accepted: 5, rejected: 6 });
      const r = await engine.query(
        sql`SELECT order_id, ${engine.dialect.toText(sql`ts`)} AS ts FROM orders ORDER BY order_id`,
      );
      expect(r.rows()).toEqual([
        { order_id: "o0", ts: "2024-01-05 00:00:00" },
        { order_id: "o1", ts: "2024-01-05 10:00:00" },
        { order_id: "o2", ts: "2024-01-05 10:00:00.5" },
        { order_id: "o3", ts: "2024-01-05 08:00:00" },
        { order_id: "o4", ts: "2024-01-05 10:00:00" },
      ]);
    });

    it("keeps a JSON number's digits, reads tab-separated text, and takes an empty JSON file as no data", async () => {
      const big = "12345678901234567890";
      const events = writeFile(
        dir,
        "e.ndjson",
        `{"user_id": ${big}, "event": "A", "timestamp": "2024-01-01", "n": 1.50}\n`,
      );
      expect(await importFile(engine, { kind: "events", path: events })).toMatchObject({ accepted: 1 });
      const stored = await engine.query(
        sql`SELECT customer_id, ${engine.dialect.jsonText(sql`properties`, "n")} AS n FROM events`,
      );
      expect(stored.rows()).toEqual([{ customer_id: big, n: "1.5" }]);
      const tsv = writeFile(dir, "c.tsv", 'customer_id\tcity\nk1\t"Saint-Denis, Paris"\nk2\tLyon\n');
      expect(await importFile(engine, { kind: "customers", path: tsv })).toMatchObject({ accepted: 2 });
      const cities = await engine.query("SELECT city FROM customers WHERE city IS NOT NULL ORDER BY city");
      expect(cities.column("city")).toEqual(["Lyon", "Saint-Denis, Paris"]);
      // An empty array holds no rows: nothing is read and nothing written (test/hardening-files.test.ts).
      expect(
        await importFile(engine, { kind: "events", path: writeFile(dir, "none.json", "[]") }),
      ).toMatchObject({
        read: 0,
        accepted: 0,
      });
    });
  });

  describe("hostile values", () => {
    const evil = [
      "'); DROP TABLE customers; --",
      'quote " and \\ backslash',
      "ünïcødé ✓ 🎉",
      "x".repeat(5000),
    ];

    it("are stored verbatim, in values and in column names", async () => {
      const header = `customer_id,"${evil[0]?.replaceAll('"', '""')}","we""ird"`;
      const body = evil
        .map((v, i) => `c${i},"${v.replaceAll('"', '""')}","${v.replaceAll('"', '""')}"`)
        .join("\n");
      const path = writeFile(dir, "evil.csv", `${header}\n${body}\n`);
      const s = await importFile(engine, { kind: "customers", path });
      expect(s.accepted).toBe(4);
      const traits = (await listTraits(engine)).map((t) => t.name).sort();
      expect(traits).toEqual(["drop_table_customers", "we_ird"]);
      const r = await engine.query("SELECT drop_table_customers AS v FROM customers ORDER BY customer_id");
      expect(r.column("v")).toEqual(evil);
      const events = writeFile(
        dir,
        "e.ndjson",
        evil
          .map((v, i) =>
            JSON.stringify({ timestamp: "2024-01-01", event: v, user_id: v, properties: { [v]: v }, n: i }),
          )
          .join("\n"),
      );
      expect((await importFile(engine, { kind: "events", path: events })).accepted).toBe(4);
      const [first] = evil;
      const found = await engine.query(
        sql`SELECT count(*) AS n FROM events WHERE event = ${first ?? null} AND customer_id = ${first ?? null}`,
      );
      expect(Number(found.column("n")[0])).toBe(1);
    });
  });
});
