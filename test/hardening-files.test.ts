import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeEach, describe, expect, it } from "vitest";
import { isUserError } from "../src/errors.js";
import { MAX_LINE_BYTES } from "../src/ingest/text-scan.js";
import { ImportInput, importOperation } from "../src/operations/ingest-operations.js";
import { parseInput } from "../src/operations/operation.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, tempDir, writeFile } from "./helpers.js";

/**
 * Issue 15, items 3, 9 (file parsing), 10 (`%Q`) and 12: truncated and corrupt files, parser messages that name
 * the actual cause, an unknown date directive, and what `--pii` / `--category` do. Every refusal is checked for
 * its message (file, line, column, cause), its exit code (1) and a database left exactly as it was.
 */

async function query(db: string, text: string): Promise<Record<string, unknown>[]> {
  const engine = await openSession(db);
  try {
    return (await engine.query(sql.raw(text))).rows();
  } finally {
    engine.close();
  }
}

const CUSTOMERS = "customer_id,name,age\nc1,Ann,34\nc2,Bob,41\n";

describe.each(TEST_ENGINES)("hardened file import on $name", ({ location }) => {
  let db: string;
  let dir: string;

  beforeEach(async () => {
    db = location();
    dir = tempDir();
    // Something stored, so that "unchanged" means something.
    expect(
      (await runCli("import", "customers", writeFile(dir, "base.csv", CUSTOMERS), "--db", db)).code,
    ).toBe(0);
  });

  /** Runs a command that must be refused: exit 1, every fragment in the message, the database as it was. */
  async function expectRefused(args: string[], ...fragments: string[]): Promise<string> {
    const before = await dbSnapshot(db);
    const r = await runCli(...args, "--db", db);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe("");
    for (const f of fragments) expect(r.stderr).toContain(f);
    expect(await dbSnapshot(db)).toBe(before);
    return r.stderr;
  }

  describe("truncated and corrupt files (item 3)", () => {
    const rows = `customer_id,email,age\n${Array.from({ length: 30000 }, (_, i) => `k${i},k${i}@x.com,${i % 90}\n`).join("")}`;
    const gz = gzipSync(rows);

    it("a .csv.gz cut in half, or missing its last bytes, is refused whole", async () => {
      const half = writeFile(dir, "half.csv.gz", gz.subarray(0, gz.length >> 1));
      await expectRefused(["import", "customers", half], `${half}: ends early`, "gzip stream is cut short");
      const trailer = writeFile(dir, "trailer.csv.gz", gz.subarray(0, gz.length - 4));
      await expectRefused(["import", "customers", trailer], `${trailer}: ends early`);
      // The whole file imports (the check refuses no sound file).
      const whole = writeFile(dir, "whole.csv.gz", gz);
      const r = await runCli("import", "customers", whole, "--db", db, "--json");
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).read).toBe(30000);
    });

    it("a .gz whose data is damaged is corrupt; gzip under another name, or .gz that is not, is named", async () => {
      const damaged = Buffer.from(gz);
      for (let i = 100; i < 140; i++) damaged[i] = (damaged[i] ?? 0) ^ 0xff;
      const bad = writeFile(dir, "bad.csv.gz", damaged);
      await expectRefused(
        ["import", "customers", bad],
        `${bad}: is corrupt: its gzip data cannot be decompressed`,
      );
      const hidden = writeFile(dir, "hidden.csv", gz);
      await expectRefused(
        ["import", "customers", hidden],
        "is gzip-compressed but its name does not end in .gz",
      );
      const plain = writeFile(dir, "plain.csv.gz", CUSTOMERS);
      await expectRefused(["import", "customers", plain], "is named .gz but is not gzip-compressed");
    });

    it("a CSV whose last line ends inside a quote, or whose quote never closes, is refused naming where it opened", async () => {
      const cut = writeFile(dir, "cut.csv", 'customer_id,note,age\nc3,ok,1\nc4,"a long note that was cut');
      await expectRefused(
        ["import", "customers", cut],
        `${cut}: line 3, column 2 (note): a quoted field opens here and never closes`,
      );
      const open = writeFile(dir, "open.csv", 'customer_id,email,age\nc3,"c3@x.com,3\nc4,c4@x.com,4\n');
      await expectRefused(
        ["import", "customers", open],
        "line 2, column 2 (email): a quoted field opens here",
      );
      // A quote inside an unquoted field is text, and doubled quotes inside a quoted one are a quote.
      const fine = writeFile(dir, "fine.csv", 'customer_id,note\nc5,12" pizza\nc6,"say ""hi"""\n');
      expect((await runCli("import", "customers", fine, "--db", db)).code).toBe(0);
      const notes = await query(db, "SELECT note FROM customers WHERE note IS NOT NULL ORDER BY customer_id");
      expect(notes.map((r) => r.note)).toEqual(['12" pizza', 'say "hi"']);
    });

    it("a JSON array or NDJSON file that ends early is refused", async () => {
      const array = writeFile(dir, "a.json", '[{"customer_id": "c7"},\n{"customer_id": "c8"},\n{"custo');
      await expectRefused(
        ["import", "customers", array],
        `${array}: ends early: the JSON array is not closed`,
      );
      const lines = writeFile(dir, "l.ndjson", '{"customer_id": "c7"}\n{"customer_id": "c8"}\n{"custo');
      await expectRefused(["import", "customers", lines], `${lines}: ends early: its last line (3)`);
      const gzipped = writeFile(
        dir,
        "l.ndjson.gz",
        gzipSync('{"customer_id": "c7"}\n{"customer_id": "c8"}\n{"cu'),
      );
      await expectRefused(["import", "customers", gzipped], "ends early: its last line (3)");
    });

    it("a Parquet file cut short, or one that is not Parquet, is refused", async () => {
      const path = join(dir, "c.parquet");
      const maker = await openSession(join(tempDir(), "maker.duckdb"));
      try {
        await maker.run(
          maker.dialect.copyToParquet(
            sql`SELECT 'p' || i::VARCHAR AS customer_id FROM range(100) t(i)`,
            path,
          ),
        );
      } finally {
        maker.close();
      }
      const bytes = readFileSync(path);
      const cut = writeFile(dir, "cut.parquet", bytes.subarray(0, bytes.length - 20));
      await expectRefused(
        ["import", "customers", cut],
        `${cut}: is not a complete Parquet file: it ends early`,
      );
      const other = writeFile(dir, "other.parquet", CUSTOMERS);
      await expectRefused(["import", "customers", other], "is not a Parquet file");
      const r = await runCli("import", "customers", path, "--db", db, "--json");
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).accepted).toBe(100);
    });
  });

  describe("messages that name the actual cause (item 9)", () => {
    it("an empty file is empty, whatever the format; an empty JSON array imports nothing", async () => {
      const empty = writeFile(dir, "empty.csv", "");
      await expectRefused(["import", "customers", empty], `${empty}: is empty: no header and no rows`);
      await expectRefused(["import", "customers", writeFile(dir, "blank.csv", "\n \n")], "is empty");
      await expectRefused(
        ["import", "events", writeFile(dir, "e.ndjson", "")],
        "is empty: no rows to import",
      );
      const before = await dbSnapshot(db);
      const r = await runCli("import", "events", writeFile(dir, "none.json", " [ ] "), "--db", db, "--json");
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ read: 0, accepted: 0 });
      expect(await dbSnapshot(db)).toBe(before);
    });

    it("Latin-1 bytes name the line, the column and the encoding; --encoding reads them", async () => {
      const latin = writeFile(
        dir,
        "latin.csv",
        Buffer.from("customer_id,name\nc9,José\nc10,Zoë\n", "latin1"),
      );
      await expectRefused(
        ["import", "customers", latin],
        `${latin}: is not UTF-8 text: line 2, column 2 (name) holds the byte 0xE9`,
        "--encoding latin1",
      );
      expect((await runCli("import", "customers", latin, "--encoding", "latin1", "--db", db)).code).toBe(0);
      // Windows-1252 has curly quotes where Latin-1 has control codes.
      const cp = writeFile(
        dir,
        "cp.csv",
        Buffer.from([...Buffer.from("customer_id,name\nc11,"), 0x93, 0x41, 0x94, 0x0a]),
      );
      expect((await runCli("import", "customers", cp, "--encoding", "windows-1252", "--db", db)).code).toBe(
        0,
      );
      const names = await query(
        db,
        "SELECT customer_id, name FROM customers WHERE customer_id IN ('c9', 'c10', 'c11') ORDER BY customer_id",
      );
      expect(names).toEqual([
        { customer_id: "c10", name: "Zoë" },
        { customer_id: "c11", name: "\u201cA\u201d" },
        { customer_id: "c9", name: "José" },
      ]);
      await expectRefused(
        ["import", "customers", latin, "--encoding", "klingon"],
        "--encoding: unknown encoding",
      );
    });

    it("UTF-16 is named as such, and reads with --encoding utf-16le", async () => {
      const text = "customer_id,name\nc12,Ünal\n";
      const path = writeFile(
        dir,
        "u16.csv",
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
      );
      await expectRefused(["import", "customers", path], "is UTF-16 text, not UTF-8", "--encoding utf-16le");
      expect((await runCli("import", "customers", path, "--encoding", "utf-16le", "--db", db)).code).toBe(0);
      expect(await query(db, "SELECT name FROM customers WHERE customer_id = 'c12'")).toEqual([
        { name: "Ünal" },
      ]);
    });

    it("a character split across the check's reads is no encoding error", async () => {
      // The check reads 64 KiB at a time: "é" (2 bytes) straddles the first boundary.
      const pad = "x".repeat(65536 - "customer_id,note\nc13,".length - 1);
      const path = writeFile(dir, "split.csv", `customer_id,note\nc13,${pad}é\n`);
      const r = await runCli("import", "customers", path, "--db", db);
      expect(r.code, r.stderr).toBe(0);
    });

    it("a 20 MB field names its line and column and the limit", async () => {
      const path = writeFile(
        dir,
        "big.csv",
        `customer_id,note\nc14,short\nc15,${"x".repeat(20_000_000)}\nc16,ok\n`,
      );
      await expectRefused(
        ["import", "customers", path],
        `${path}: line 3, column 2 (note): the line is longer than ${MAX_LINE_BYTES.toLocaleString("en-US")} bytes`,
      );
    });

    it("a two-character --delimiter is refused at the option, and by the operation's schema", async () => {
      const path = writeFile(dir, "semi.csv", "customer_id;name\nc17;Eve\n");
      await expectRefused(
        ["import", "customers", path, "--delimiter", ";;"],
        "--delimiter: expected one character",
        'got ";;"',
      );
      const e = (() => {
        try {
          parseInput(importOperation, { kind: "customers", files: [path], delimiter: ";;" });
          return null;
        } catch (err) {
          return err;
        }
      })();
      expect(isUserError(e) && e.message).toContain("import: delimiter: expected one ASCII character");
      expect(ImportInput.safeParse({ kind: "customers", files: [path], delimiter: "\t" }).success).toBe(true);
      expect(
        (
          await runCli(
            "import",
            "customers",
            writeFile(dir, "t.tsv", "customer_id\tname\nc18\tTab\n"),
            "--delimiter",
            "tab",
            "--db",
            db,
          )
        ).code,
      ).toBe(0);
      expect(await query(db, "SELECT name FROM customers WHERE customer_id = 'c18'")).toEqual([
        { name: "Tab" },
      ]);
    });

    it("a JSON array of scalars, or a row that is not an object, says so", async () => {
      const scalars = writeFile(dir, "s.json", "[1, 2, 3]");
      await expectRefused(
        ["import", "customers", scalars],
        `${scalars}: line 1: holds a row that is not a JSON object`,
      );
      const mixed = writeFile(dir, "m.ndjson", '{"customer_id": "c19"}\n[1]\n{"customer_id": "c20"}\n');
      await expectRefused(
        ["import", "customers", mixed],
        `${mixed}: line 2: holds a row that is not a JSON object`,
      );
      await expectRefused(["import", "customers", writeFile(dir, "n.json", '"text"')], "is not JSON rows");
      // Strings holding brackets, quotes and escapes, objects over several lines: rows all the same.
      const pretty = writeFile(
        dir,
        "p.json",
        '[\n  {\n    "customer_id": "c25",\n    "note": "[1, {\\"x\\": \\"]\\"}"\n  },\n  {"customer_id": "c26", "note": "}{"}\n]\n',
      );
      const r = await runCli("import", "customers", pretty, "--db", db);
      expect(r.code, r.stderr).toBe(0);
      const notes = await query(db, "SELECT note FROM customers WHERE note IS NOT NULL ORDER BY customer_id");
      expect(notes.map((n) => n.note)).toEqual(['[1, {"x": "]"}', "}{"]);
    });
  });

  it("a --map time format with an unknown directive names it (item 10)", async () => {
    const path = writeFile(dir, "o.csv", "order_id,date,total\no1,20240105,9.5\n");
    await expectRefused(
      ["import", "orders", path, "--map", "timestamp=date:%Y%Q%d"],
      '--map timestamp=date:%Y%Q%d: unknown directive %Q in the format "%Y%Q%d"',
    );
    await expectRefused(
      ["import", "orders", path, "--map", "timestamp=date:%Y%"],
      "expected a directive after the %",
    );
    const r = await runCli("import", "orders", path, "--map", "timestamp=date:%Y%m%d", "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).accepted).toBe(1);
  });

  describe("PII and categories (item 12)", () => {
    async function traits(): Promise<Record<string, { category: string; pii: boolean }>> {
      const r = await runCli("traits", "--db", db, "--json");
      expect(r.code, r.stderr).toBe(0);
      const list = JSON.parse(r.stdout).traits as { name: string; category: string; pii: boolean }[];
      return Object.fromEntries(list.map((t) => [t.name, { category: t.category, pii: t.pii }]));
    }

    it("a --pii name that is no trait of the file is an error naming the traits it has", async () => {
      const path = writeFile(dir, "p.csv", "customer_id,birthday,city\nc21,1990-01-01,Paris\n");
      await expectRefused(
        ["import", "customers", path, "--pii", "birthday,birth_day"],
        `${path}: --pii birth_day: the file has no column that becomes the trait "birth_day" (its traits: birthday, city)`,
      );
      await expectRefused(
        [
          "import",
          "events",
          writeFile(dir, "e.csv", "timestamp,event,user_id\n2024-01-01,A,u1\n"),
          "--pii",
          "event",
        ],
        "--pii apply to a customers import",
      );
      // A column's own header, any case, and a contact field are accepted.
      expect((await runCli("import", "customers", path, "--pii", "Birthday,email", "--db", db)).code).toBe(0);
      expect((await traits()).birthday).toEqual({ category: "custom", pii: true });
    });

    it("--pii on a later import flags a stored trait; --category leaves stored traits and says so", async () => {
      const path = writeFile(dir, "again.csv", "customer_id,age\nc1,35\n");
      const r = await runCli(
        "import",
        "customers",
        path,
        "--pii",
        "age",
        "--category",
        "demographic",
        "--db",
        db,
        "--json",
      );
      expect(r.code, r.stderr).toBe(0);
      const notes = JSON.parse(r.stdout).notes as string[];
      expect(notes).toContain("trait age is now personal data (--pii)");
      expect(notes.join("\n")).toContain(
        "--category demographic applies to new traits: age (custom) keep their category",
      );
      expect((await traits()).age).toEqual({ category: "custom", pii: true });
    });

    it("tessera traits set changes a trait's category and PII flag; unknown names are errors", async () => {
      const set = await runCli(
        "traits",
        "set",
        "age",
        "--category",
        "demographic",
        "--pii",
        "--db",
        db,
        "--json",
      );
      expect(set.code, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout).trait).toMatchObject({ name: "age", category: "demographic", pii: true });
      expect((await traits()).age).toEqual({ category: "demographic", pii: true });
      expect((await runCli("traits", "set", "age", "--no-pii", "--db", db)).code).toBe(0);
      expect((await traits()).age).toEqual({ category: "demographic", pii: false });
      await expectRefused(
        ["traits", "set", "agee", "--pii"],
        'traits set: no trait "agee" (known: age, name)',
      );
      await expectRefused(["traits", "set", "age"], "nothing to change");
      await expectRefused(
        ["traits", "set", "age", "--category", "astrology"],
        'unknown trait category "astrology"',
      );
    });

    it("a column of email addresses or phone numbers is personal data unasked, and a note says why", async () => {
      const path = writeFile(
        dir,
        "contacts.csv",
        "customer_id,email,email,Work Address,contact,notes,visits\n" +
          "c22,a@x.com,a2@y.com,ann@work.example,+44 20 7946 0958,likes tea,3\n" +
          "c23,b@x.com,,bob@work.example,(555) 123-4567,2024-01-05 call back,4\n" +
          "c24,c@x.com,,not an address,555.123.4567,,5\n",
      );
      const r = await runCli("import", "customers", path, "--db", db, "--json");
      expect(r.code, r.stderr).toBe(0);
      const t = await traits();
      expect(t.email_1?.pii).toBe(true); // the second "email" column: the engine names it email_1
      expect(t.work_address?.pii).toBe(true);
      expect(t.contact?.pii).toBe(true);
      expect(t.notes?.pii).toBe(false);
      expect(t.visits?.pii).toBe(false);
      const notes = JSON.parse(r.stdout).notes as string[];
      expect(notes).toContain(
        "trait work_address is personal data (its values look like email addresses); if it is not: tessera traits set work_address --no-pii",
      );
      expect(notes).toContain(
        "trait contact is personal data (its values look like phone numbers); if it is not: tessera traits set contact --no-pii",
      );
    });
  });
});

describe("the file check alone", () => {
  it("writes nothing beside the file and leaves no decoded copy behind", async () => {
    const dir = tempDir();
    const path = writeFile(dir, "latin.csv", Buffer.from("customer_id,name\nc1,José\n", "latin1"));
    const { checkFile } = await import("../src/ingest/file-check.js");
    const checked = await checkFile(path, { format: "csv", encoding: "latin1" });
    expect(checked.readPath).not.toBe(path);
    expect(readFileSync(checked.readPath, "utf8")).toBe("customer_id,name\nc1,José\n");
    checked.cleanup();
    expect(() => readFileSync(checked.readPath)).toThrow();
  });
});
