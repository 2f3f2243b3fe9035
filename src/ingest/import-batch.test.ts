import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { snapshot, tempDir, writeFile } from "../../test/helpers.js";
import { isUserError, type UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { importFile } from "./import.js";
import { importRows } from "./import-rows.js";
import type {
  ImportKind,
  ImportSummary,
  InputRow,
  RejectedRow,
  RowsImportResult,
  RowsRejectedError,
} from "./import-types.js";

let dir: string;

/** A CSV cell: its text, and whether it was quoted (an unquoted empty cell is NULL, a quoted one ""). */
interface Cell {
  readonly text: string;
  readonly quoted: boolean;
}

/** RFC 4180 CSV (quotes, doubled quotes, commas inside quotes): header and rows of cells. */
function parseCsv(text: string): { header: string[]; rows: Cell[][] } {
  const records: Cell[][] = [];
  let record: Cell[] = [];
  let cell = "";
  let quoted = false;
  let inQuotes = false;
  const endCell = () => {
    record.push({ text: cell, quoted });
    cell = "";
    quoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') inQuotes = false;
      else cell += ch;
    } else if (ch === '"') {
      inQuotes = true;
      quoted = true;
    } else if (ch === ",") endCell();
    else if (ch === "\n") {
      endCell();
      records.push(record);
      record = [];
    } else cell += ch;
  }
  if (cell !== "" || record.length > 0) {
    endCell();
    records.push(record);
  }
  const [header = [], ...rows] = records;
  return { header: header.map((c) => c.text), rows };
}

/** The CSV's data rows as row objects, as a program would hold them (`objects`: columns given as objects). */
function rowsOf(csv: string, objects: readonly string[] = []): InputRow[] {
  const { header, rows } = parseCsv(csv);
  return rows.map((cells) =>
    Object.fromEntries(
      header.map((h, i) => {
        const text = cells[i]?.text ?? "";
        return [h, objects.includes(h) && text !== "" ? JSON.parse(text) : text];
      }),
    ),
  );
}

/** A reject file read back as rejected rows (an empty unquoted cell is a missing value). */
function rejectFile(path: string): RejectedRow[] {
  const { header, rows } = parseCsv(readFileSync(path, "utf8"));
  const columns = header.slice(3);
  return rows.map((cells) => ({
    row: Number(cells[0]?.text),
    field: cells[1]?.text ?? "",
    reason: cells[2]?.text ?? "",
    values: Object.fromEntries(
      columns.map((c, i) => {
        const cell = cells[i + 3];
        return [c, cell === undefined || (cell.text === "" && !cell.quoted) ? null : cell.text];
      }),
    ),
  }));
}

/** Columns that hold the moment something ran (or the file's path), which two imports never share. */
const NOT_DATA = new Set([
  "created_at",
  "updated_at",
  "profile_at",
  "imported_at",
  "marked_at",
  "merged_at",
  "applied_at",
]);

/** Every table's rows, without the wall-clock columns, and the import log without the file's name. */
async function data(engine: Engine): Promise<Record<string, unknown[]>> {
  const d = engine.dialect;
  const out: Record<string, unknown[]> = {};
  for (const t of [...(await engine.tables())].sort()) {
    const cols = (await engine.tableColumns(t)).filter(
      (c) => !NOT_DATA.has(c) && !(t === "import_log" && c === "file"),
    );
    if (cols.length === 0) continue;
    const list = sql.join(cols.map((c) => sql`${d.toText(sql.ident(c))} AS ${sql.ident(c)}`));
    const order = sql.join(cols.map((_, i) => sql.raw(String(i + 1))));
    out[t] = (await engine.query(sql`SELECT ${list} FROM ${sql.ident(t)} ORDER BY ${order}`)).rows();
  }
  return out;
}

async function userError(work: Promise<unknown>): Promise<UserError> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), `expected a UserError, got ${String(e)}`).toBe(true);
  return e as UserError;
}

const CUSTOMERS_BEFORE = "customer_id,age\nc0,30\n";
const CUSTOMERS =
  "customer_id,email,age,city\n" +
  "c1,ann@example.com,34,Paris\n" +
  "c2,ANN@example.com ,41,\n" + // the same person as c1, by email
  "c3,bob@example.com,forty,Lyon\n" + // not an integer: age is a registered integer trait
  ",nobody@example.com,50,Nice\n" + // no id
  "c4,,,Rome\n";

const EVENTS =
  "message_id,timestamp,type,event,user_id,anonymous_id,properties,plan\n" +
  'm1,2024-01-01T10:00:00Z,track,Product Viewed,,a1,"{""sku"":""X"",""n"":2}",free\n' +
  'm2,2024-01-02T10:00:00Z,identify,,u1,a1,"{""email"":""ann@example.com""}",pro\n' +
  'm3,yesterday,track,Product Viewed,u1,,"{""sku"":""Y""}",\n' + // not a timestamp
  'm4,2024-01-03T10:00:00Z,track,Signed Up,,,"{""a"":[1,2]}",pro\n' + // nobody
  "m5,2024-01-04T10:00:00+02:00,page,Home,u2,,,\n";

const ORDERS =
  "order_id,customer_id,email,timestamp,total,currency\n" +
  "o1,u1,,2024-02-01,10.50,EUR\n" +
  "o2,c4,,2024-02-02,abc,EUR\n" + // not a number
  "o3,,guest@example.com,2024-02-03 12:00:00,7,\n" +
  "o4,c2,,,8,EUR\n" + // no timestamp
  "o5,,,2024-02-05,3,USD\n"; // a guest with nothing to know them by

describe.each(TEST_ENGINES)("batches and files on $name", ({ location }) => {
  /** The database a test works on; chdb holds one open at a time, so a test needing two opens them in turn. */
  let db: Session | null = null;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    db?.close();
    db = null;
  });

  /** Opens a new database for `work`, then closes it. */
  async function onNewDb<T>(work: (engine: Session) => Promise<T>): Promise<T> {
    db = await openSession(location());
    try {
      return await work(db);
    } finally {
      db.close();
      db = null;
    }
  }

  /** One import of the same rows, as a CSV file and as a batch. */
  interface Step {
    readonly kind: ImportKind;
    readonly name: string;
    readonly csv: string;
    /** Columns a program holds as objects (the file holds their JSON text). */
    readonly objects?: string[];
    readonly map?: string[];
  }

  interface Both<T> {
    /** Each step's reject file, read back as rejected rows. */
    readonly files: RejectedRow[][];
    readonly batches: RowsImportResult[];
    readonly fileData: Record<string, unknown[]>;
    readonly batchData: Record<string, unknown[]>;
    /** What `inspect` found in the batches' database. */
    readonly inspected: T | undefined;
  }

  /**
   * Imports the steps as files into one new database, then as batches of the same rows into another, and checks
   * that each step's counts agree; returns the rejects and both databases' data.
   */
  async function importBoth<T = undefined>(
    steps: readonly Step[],
    inspect?: (engine: Session) => Promise<T>,
  ): Promise<Both<T>> {
    const fromFiles = await onNewDb(async (engine) => {
      const summaries = [];
      for (const s of steps) {
        const path = writeFile(dir, s.name, s.csv);
        summaries.push(await importFile(engine, { kind: s.kind, path, map: s.map }));
      }
      return { summaries, data: await data(engine) };
    });
    const fromBatches = await onNewDb(async (engine) => {
      const results: RowsImportResult[] = [];
      for (const s of steps) {
        const rows = rowsOf(s.csv, s.objects);
        results.push(await importRows(engine, { kind: s.kind, rows, source: s.name, map: s.map }));
      }
      return { results, data: await data(engine), inspected: await inspect?.(engine) };
    });
    steps.forEach((step, i) => {
      const { seconds: _a, file: _b, rejectsFile, ...counts } = fromFiles.summaries[i] as ImportSummary;
      const {
        seconds: _c,
        file,
        rejects,
        rejectsFile: none,
        ...batchCounts
      } = fromBatches.results[i] as RowsImportResult;
      expect(batchCounts).toEqual(counts);
      expect([file, none]).toEqual([step.name, null]);
      expect(rejectsFile === null ? [] : rejectFile(rejectsFile)).toEqual(rejects);
    });
    return {
      files: fromFiles.summaries.map((s) => (s.rejectsFile === null ? [] : rejectFile(s.rejectsFile))),
      batches: fromBatches.results,
      fileData: fromFiles.data,
      batchData: fromBatches.data,
      inspected: fromBatches.inspected,
    };
  }

  describe("a batch of rows and a file of the same rows", () => {
    it("give the same database and the same rejects: customers, events, orders in turn", async () => {
      const both = await importBoth(
        [
          { kind: "customers", name: "before.csv", csv: CUSTOMERS_BEFORE },
          { kind: "customers", name: "customers.csv", csv: CUSTOMERS },
          // `properties` arrives in the batch as objects, in the file as JSON text.
          { kind: "events", name: "events.csv", csv: EVENTS, objects: ["properties"] },
          { kind: "orders", name: "orders.csv", csv: ORDERS },
        ],
        async (engine) => {
          const d = engine.dialect;
          const p = sql`properties`;
          const viewed = await engine.query(
            sql`SELECT ${d.jsonText(p, "sku")} AS sku, ${d.jsonText(p, "plan")} AS plan FROM events WHERE message_id = 'm1'`,
          );
          return viewed.rows();
        },
      );
      const [, customers, events, orders] = both.batches as RowsImportResult[];
      expect(customers?.rejects).toEqual(both.files[1]);
      expect(customers?.rejects).toEqual([
        {
          row: 3,
          field: "age",
          reason: "not an integer (trait age is integer): forty",
          values: { customer_id: "c3", email: "bob@example.com", age: "forty", city: "Lyon" },
        },
        {
          row: 4,
          field: "customer_id",
          reason: "missing required value",
          values: { customer_id: null, email: "nobody@example.com", age: "50", city: "Nice" },
        },
      ]);
      expect(customers).toMatchObject({ read: 5, accepted: 3, rejected: 2, customersCreated: 2 });

      expect(events?.rejects).toEqual(both.files[2]);
      expect(events?.rejects.map((r) => [r.row, r.field])).toEqual([
        [3, "timestamp"],
        [4, "customer_id"],
      ]);
      expect(events?.rejects[1]?.values.properties).toBe('{"a":[1,2]}');

      expect(orders?.rejects).toEqual(both.files[3]);
      expect(orders?.rejects.map((r) => [r.row, r.field, r.reason])).toEqual([
        [2, "total", "not a number: abc"],
        [4, "timestamp", "missing required value"],
      ]);

      expect(both.batchData).toEqual(both.fileData);
      // The comparison saw what matters: the merge, the events' properties, the guest orders.
      const stored = both.batchData;
      // c1 and c2 arrived together (one customer, no merge); u1 identified with c1's email is c1; o3's guest is
      // known by email only.
      expect(stored.identity_merges ?? []).toHaveLength(0);
      expect(stored.customers?.map((c) => (c as { customer_id: string }).customer_id)).toEqual([
        "c0",
        "c1",
        "c4",
        "email:guest@example.com",
        "u2",
      ]);
      expect(both.inspected).toEqual([{ sku: "X", plan: "free" }]);
      expect(stored.import_log).toHaveLength(4);
    });

    it("store hostile names and values verbatim, alike", async () => {
      const csv =
        'customer_id,"x""); DROP TABLE customers; --",constructor,__proto__\n' +
        'c1,"quote "" and \\ backslash",ünïcødé ✓,p\n' +
        "c2,'); DROP TABLE customers; --,,\n";
      const both = await importBoth([{ kind: "customers", name: "evil.csv", csv }]);
      expect(both.batches[0]?.newTraits.map((t) => t.name)).toEqual([
        "x_drop_table_customers",
        "constructor",
        "proto",
      ]);
      expect(both.batchData).toEqual(both.fileData);
    });

    it("link a later batch to customers already stored, merging them as a file would", async () => {
      const both = await importBoth([
        { kind: "customers", name: "a.csv", csv: "customer_id,email\nk1,kim@example.com\nk2,\n" },
        { kind: "customers", name: "b.csv", csv: "customer_id,email\nk2,KIM@example.com\n" },
      ]);
      expect(both.batches[1]?.customersMerged).toBe(1);
      expect(both.batchData).toEqual(both.fileData);
    });
  });

  describe("a batch", () => {
    const rows = rowsOf(ORDERS);

    it("read from a stream (an async generator) gives the same as the array", async () => {
      async function* stream(): AsyncGenerator<InputRow> {
        for (const row of rows) {
          await new Promise((r) => setImmediate(r));
          yield row;
        }
      }
      const fromArray = await onNewDb(async (engine) => ({
        result: await importRows(engine, { kind: "orders", rows, source: "orders" }),
        data: await data(engine),
      }));
      const fromStream = await onNewDb(async (engine) => ({
        result: await importRows(engine, { kind: "orders", rows: stream(), source: "orders" }),
        data: await data(engine),
      }));
      expect({ ...fromStream.result, seconds: 0 }).toEqual({ ...fromArray.result, seconds: 0 });
      expect(fromStream.data).toEqual(fromArray.data);
    });

    it("takes values of any JSON type (and Dates) as the text a file would hold", async () => {
      const typed = [
        {
          customer_id: 17850,
          vip: true,
          joined: new Date("2024-01-05T10:00:00Z"),
          tags: ["a", "b"],
          score: 1.5,
          note: null,
        },
        { customer_id: "x2", vip: false, joined: undefined, tags: { k: 1 }, score: 2, note: "" },
      ];
      const asText = [
        {
          customer_id: "17850",
          vip: "true",
          joined: "2024-01-05T10:00:00.000Z",
          tags: '["a","b"]',
          score: "1.5",
          note: "",
        },
        { customer_id: "x2", vip: "false", joined: "", tags: '{"k":1}', score: "2", note: "" },
      ];
      const a = await onNewDb(async (engine) => ({
        result: await importRows(engine, { kind: "customers", rows: typed, source: "typed" }),
        data: await data(engine),
      }));
      const b = await onNewDb(async (engine) => ({
        result: await importRows(engine, { kind: "customers", rows: asText, source: "typed" }),
        data: await data(engine),
      }));
      expect({ ...a.result, seconds: 0 }).toEqual({ ...b.result, seconds: 0 });
      expect(a.result.newTraits).toEqual([
        { name: "vip", type: "boolean" },
        { name: "joined", type: "timestamp" },
        { name: "tags", type: "string" },
        { name: "score", type: "number" },
        { name: "note", type: "string" },
      ]);
      expect(b.data).toEqual(a.data);
    });

    it("with strict and a bad row leaves the database exactly as it was, naming source, row and field", async () => {
      await onNewDb(async (engine) => {
        await importRows(engine, { kind: "orders", rows: rowsOf(ORDERS).slice(0, 1), source: "first" });
        const before = await snapshot(engine);
        const e = await userError(
          importRows(engine, { kind: "orders", rows, source: "api upload", strict: true }),
        );
        expect(e.code).toBe("rows-rejected");
        expect(e.message).toBe(
          "api upload: 2 of 5 rows rejected (first: row 2, field total: not a number: abc); nothing was imported (strict)",
        );
        expect(await snapshot(engine)).toBe(before);
        // Every rejected row comes with the error, as the caller of a non-strict import would have them.
        expect((e as RowsRejectedError).rejects.map((r) => [r.row, r.field])).toEqual(
          (await importRows(engine, { kind: "orders", rows, source: "x" })).rejects.map((r) => [
            r.row,
            r.field,
          ]),
        );
      });
    });

    it("that is empty imports nothing and changes nothing", async () => {
      await onNewDb(async (engine) => {
        const before = await snapshot(engine);
        const r = await importRows(engine, { kind: "events", rows: [], source: "tracker" });
        expect({ ...r, seconds: 0 }).toEqual({
          kind: "events",
          file: "tracker",
          read: 0,
          accepted: 0,
          rejected: 0,
          alreadyPresent: 0,
          conflicts: 0,
          onConflict: "reject",
          rejectsFile: null,
          newTraits: [],
          customersCreated: 0,
          customersMerged: 0,
          notes: [],
          seconds: 0,
          rejects: [],
        });
        expect(await snapshot(engine)).toBe(before);
      });
    });

    it("numbers rows across pages, and takes a column first seen on a later page", async () => {
      await onNewDb(async (engine) => {
        const n = 60_001;
        const many: InputRow[] = Array.from({ length: n }, (_, i) =>
          i === 54_999 ? { customer_id: "" } : { customer_id: `c${i + 1}` },
        );
        many[n - 1] = { customer_id: "last", city: "Oslo" };
        const r = await importRows(engine, { kind: "customers", rows: many, source: "big" });
        expect(r).toMatchObject({ read: n, accepted: n - 1, rejected: 1 });
        expect(r.rejects).toEqual([
          {
            row: 55_000,
            field: "customer_id",
            reason: "missing required value",
            values: { customer_id: null, city: null },
          },
        ]);
        const city = await engine.query("SELECT customer_id, city FROM customers WHERE city IS NOT NULL");
        expect(city.rows()).toEqual([{ customer_id: "last", city: "Oslo" }]);
      });
    });

    it("keeps rows that hold no value yet, numbered, however many come before the first key", async () => {
      await onNewDb(async (engine) => {
        const n = 50_001;
        const rows: InputRow[] = Array.from({ length: n }, () => ({}));
        rows.push({ customer_id: "c1" });
        const r = await importRows(engine, { kind: "customers", rows, source: "sparse" });
        expect(r).toMatchObject({ read: n + 1, accepted: 1, rejected: n });
        expect(r.rejects[0]).toEqual({
          row: 1,
          field: "customer_id",
          reason: "missing required value",
          values: { customer_id: null },
        });
        expect(r.rejects.at(-1)?.row).toBe(n);
      });
    });

    it("refuses NaN and infinite amounts, as a file's would be", async () => {
      await onNewDb(async (engine) => {
        const rows: InputRow[] = [
          { order_id: "o1", customer_id: "c1", timestamp: "2024-01-01", total: Number.NaN },
          { order_id: "o2", customer_id: "c1", timestamp: "2024-01-01", total: Number.POSITIVE_INFINITY },
          { order_id: "o3", customer_id: "c1", timestamp: "2024-01-01", total: "-Infinity" },
          { order_id: "o4", customer_id: "c1", timestamp: "2024-01-01", total: 12.5 },
        ];
        const r = await importRows(engine, { kind: "orders", rows, source: "api" });
        expect(r.rejects.map((x) => [x.row, x.field, x.reason])).toEqual([
          [1, "total", "not a number: NaN"],
          [2, "total", "not a number: Infinity"],
          [3, "total", "not a number: -Infinity"],
        ]);
        const totals = await engine.query("SELECT order_id, total FROM orders");
        expect(totals.rows()).toEqual([{ order_id: "o4", total: 12.5 }]);
      });
    });

    it("says which row and field hold what cannot be a value, and writes nothing", async () => {
      await onNewDb(async (engine) => {
        const before = await snapshot(engine);
        const cases: [InputRow[], string, string][] = [
          [
            [{ customer_id: "a" }, 42 as unknown as InputRow],
            "bad-row",
            "b: row 2: expected an object of column values, got a number",
          ],
          [
            [{ customer_id: "a" }, { customer_id: "b", f: () => 1 }],
            "bad-value",
            "b: row 2, field f: a function is not a value",
          ],
          [
            [{ customer_id: "a", at: new Date(Number.NaN) }],
            "bad-value",
            "b: row 1, field at: an invalid date",
          ],
          [
            [
              { customer_id: "a", City: "x" },
              { customer_id: "b", city: "y" },
            ],
            "duplicate-column",
            'b: row 2: columns "City" and "city" differ only in case',
          ],
          [[{}, {}], "no-values", "b: none of its 2 rows holds a value"],
          [
            [{ email: "a@b.c" }],
            "missing-column",
            "b: a customers batch needs the column(s) customer_id; the batch has email",
          ],
        ];
        for (const [rows, code, message] of cases) {
          const e = await userError(importRows(engine, { kind: "customers", rows, source: "b" }));
          expect([e.code, e.message]).toEqual([code, expect.stringContaining(message)]);
        }
        expect(await snapshot(engine)).toBe(before);
      });
    });
  });

  describe("a file", () => {
    it("names an unwritable reject file, and imports nothing", async () => {
      await onNewDb(async (engine) => {
        const path = writeFile(dir, "o.csv", ORDERS);
        const before = await snapshot(engine);
        const e = await userError(
          importFile(engine, { kind: "orders", path, rejectsPath: `${dir}/no/such/folder/r.csv` }),
        );
        expect([e.code, e.message]).toEqual([
          "rejects-unwritable",
          expect.stringContaining(`${dir}/no/such/folder/r.csv: cannot write the reject file`),
        ]);
        expect(await snapshot(engine)).toBe(before);
      });
    });
  });
});
