/**
 * Issue 15, the database a command is pointed at (`--db`): whatever it is — missing, mistyped, not a database, cut
 * short, read-only, locked by another process, of an older schema — the command says so (exit 1, a message naming
 * the path and what is wrong) and leaves it as it was; only commands that write create a database, and nothing is
 * replaced without --force. Also: the demo and generate never overwrite data unasked, and TESSERA_THREADS is checked.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  truncateSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION } from "../src/store/migrate.js";
import { openSession } from "../src/store/open-store.js";
import { FOR_READING } from "../src/store/store.js";
import { count, dbSnapshot, runCli, tempDir, writeFile } from "./helpers.js";

/** A file's bytes and modification time: equal before and after only if nothing touched it. */
function fingerprint(path: string): string {
  const s = statSync(path);
  return `${s.mtimeMs}:${s.size}:${readFileSync(path).toString("base64")}`;
}

/** A small Tessera database with two customers (one numeric trait), written by the CLI. */
async function smallDb(dir: string, name = "t.duckdb"): Promise<string> {
  const db = join(dir, name);
  const csv = writeFile(dir, `${name}.csv`, "customer_id,age\nc1,30\nc2,40\nc3,50\n");
  const r = await runCli("import", "customers", csv, "--db", db);
  expect(r.code, r.stderr).toBe(0);
  return db;
}

/** Runs a statement on a DuckDB file directly, closed (and so written) when it returns. */
async function duckdb(path: string, statement: string): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await conn.run(statement);
  conn.closeSync();
  instance.closeSync();
}

describe("a database that is not there: only commands that write create one", () => {
  it("a command that reads, on a missing path, exits 1 naming it and creates nothing", async () => {
    const dir = tempDir();
    const db = join(dir, "tesera.duckdb");
    for (const args of [["stats"], ["segment", "list"], ["audit"], ["traits"], ["segment", "show", "x"]]) {
      const r = await runCli(...args, "--db", db);
      expect([r.code, r.stdout], args.join(" ")).toEqual([1, ""]);
      expect(r.stderr).toBe(
        `tessera: ${db}: no such database (commands that read need an existing one; a command that writes, such as import, creates it)\n`,
      );
    }
    expect(existsSync(db)).toBe(false);
    expect(existsSync(`${db}.wal`)).toBe(false);
  });

  it("a command that writes creates it; then commands that read open it", async () => {
    const db = await smallDb(tempDir());
    const r = await runCli("stats", "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).customers).toBe(3);
  });

  it("a folder that does not exist is named, and not created, for a command that writes", async () => {
    const dir = tempDir();
    const db = join(dir, "no-such-folder", "t.duckdb");
    const csv = writeFile(dir, "c.csv", "customer_id\nc1\n");
    const r = await runCli("import", "customers", csv, "--db", db);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `tessera: ${db}: the folder ${join(dir, "no-such-folder")} does not exist: create it first\n`,
    );
    expect(existsSync(join(dir, "no-such-folder"))).toBe(false);
    const read = await runCli("stats", "--db", db);
    expect([read.code, read.stderr]).toEqual([1, expect.stringContaining(`${db}: no such database`)]);
  });

  it("chdb: a missing directory is an error for a command that reads, and a file in its place is refused", async () => {
    const dir = tempDir();
    const missing = join(dir, "no-chdb");
    const r = await runCli("stats", "--db", `chdb:${missing}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `tessera: chdb:${missing}: no such database directory (commands that read need an existing one; a command that writes, such as import, creates it)\n`,
    );
    expect(existsSync(missing)).toBe(false);
    const file = writeFile(dir, "file", "x");
    const f = await runCli("segment", "list", "--db", `chdb:${file}`);
    expect([f.code, f.stderr]).toEqual([
      1,
      `tessera: chdb:${file}: is a file; chdb: names a directory (a DuckDB file needs no scheme)\n`,
    ]);
  });

  it("a ClickHouse server that cannot be reached is a user error naming host and port", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    for (const args of [["stats"], ["import", "customers", "x.csv"]]) {
      const r = await runCli(...args, "--db", "clickhouse://default:@127.0.0.1:1/tessera");
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toContain(
        "tessera: --db: cannot reach ClickHouse at http://127.0.0.1:1 (database tessera)",
      );
    }
  });
});

describe("a file that is not a DuckDB database is refused, saying what it is", () => {
  const cases: [string, string | Buffer, string][] = [
    ["customers.csv", "customer_id,email\nc1,a@b.c\n", "a text file (CSV?)"],
    ["rows.json", '[{"customer_id": "c1"}]', "a text file (JSON?)"],
    ["data.parquet", Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64, 1)]), "a Parquet file"],
    ["c.csv.gz", gzipSync("customer_id\nc1\n"), "a gzip-compressed file"],
    [
      "book.xlsx",
      Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(64, 7)]),
      "a zip archive (a spreadsheet such as .xlsx?)",
    ],
    ["empty.duckdb", "", "an empty file"],
    [
      "noise.bin",
      Buffer.from([0x00, 0xff, 0x13, 0x00, 0x80, 0x81, 0x00, 0x01]),
      "a file of a format Tessera does not know",
    ],
  ];
  for (const [name, content, what] of cases)
    it(`${name}: ${what}, for commands that read and that write, and left as it was`, async () => {
      const dir = tempDir();
      const path = writeFile(dir, name, content);
      const before = fingerprint(path);
      const csv = writeFile(dir, "in.csv", "customer_id\nc1\n");
      for (const args of [["stats"], ["import", "customers", csv]]) {
        const r = await runCli(...args, "--db", path);
        expect([r.code, r.stdout], args.join(" ")).toEqual([1, ""]);
        expect(r.stderr).toBe(`tessera: ${path}: is ${what}, not a DuckDB database\n`);
      }
      expect(fingerprint(path)).toBe(before);
    });

  it("an SQLite file is named as one, and DuckDB never reaches for its sqlite extension (no network)", async () => {
    const dir = tempDir();
    // The first page of an SQLite database: its 16-byte magic, then a header.
    const path = writeFile(
      dir,
      "shop.db",
      Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(4080)]),
    );
    const before = fingerprint(path);
    const r = await runCli("stats", "--db", path);
    expect([r.code, r.stderr]).toEqual([
      1,
      `tessera: ${path}: is an SQLite database, not a DuckDB database\n`,
    ]);
    expect(fingerprint(path)).toBe(before);
  });

  it("DuckDB is opened with extension autoloading and autoinstalling off", async () => {
    const db = await smallDb(tempDir());
    const engine = await openSession(db, FOR_READING);
    try {
      const r = await engine.query(
        "SELECT current_setting('autoinstall_known_extensions') AS i, current_setting('autoload_known_extensions') AS l",
      );
      expect(r.rows()).toEqual([{ i: false, l: false }]);
    } finally {
      engine.close();
    }
  });

  it("a folder given as --db is refused, and a DuckDB database of someone else's is not taken for Tessera's", async () => {
    const dir = tempDir();
    const folder = join(dir, "folder.duckdb");
    mkdirSync(folder);
    const r = await runCli("stats", "--db", folder);
    expect([r.code, r.stderr]).toEqual([
      1,
      `tessera: ${folder}: is a folder, not a DuckDB database file (chdb:DIR opens a folder as a ClickHouse database)\n`,
    ]);
    const foreign = join(dir, "foreign.duckdb");
    await duckdb(foreign, "CREATE TABLE mine (a INTEGER)");
    const before = fingerprint(foreign);
    const s = await runCli("stats", "--db", foreign);
    expect([s.code, s.stderr]).toEqual([
      1,
      `tessera: ${foreign}: is a database, but not a Tessera one (it holds tables and no record of Tessera's schema)\n`,
    ]);
    expect(fingerprint(foreign)).toBe(before);
  });
});

describe("a damaged database file", () => {
  it("cut short anywhere (a copy or download that stopped) is a user error, and the file is left as it was", async () => {
    const dir = tempDir();
    // Enough rows for the data to take blocks of its own after the catalog's.
    const db = join(dir, "big.duckdb");
    const ids = Array.from({ length: 30_000 }, (_, i) => `customer-${i},${i % 90}`);
    const csv = writeFile(dir, "big.csv", `customer_id,age\n${ids.join("\n")}\n`);
    expect((await runCli("import", "customers", csv, "--db", db)).code).toBe(0);
    const size = statSync(db).size;
    const more = writeFile(dir, "more.csv", "customer_id\nc9\n");
    const commands = [
      ["stats"],
      ["segment", "preview", "--id", "p", "--name", "p", "--where", "age > 10"],
      ["import", "customers", more],
    ];
    for (const cut of [100, 5000, 12288, 12288 + 1000, size - 100_000, size - 1]) {
      const broken = join(dir, `cut-${cut}.duckdb`);
      copyFileSync(db, broken);
      truncateSync(broken, cut);
      const before = fingerprint(broken);
      for (const args of commands) {
        const r = await runCli(...args, "--db", broken);
        // A cut past the catalog is found when a statement reads a missing block (or a block whose checksum no
        // longer matches, where the cut falls inside one): `stats` counts rows from the
        // catalog alone, and may then answer (rightly). Reading the rows (a preview) or writing never passes.
        if (r.code === 0 && args[0] === "stats" && cut > 12288 + 262144) continue;
        expect(r.code, `${cut} ${args[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(
          new RegExp(
            `^tessera: ${broken}: is (a damaged DuckDB database: (${cut} bytes, where its header needs at least \\d+|part of it is missing) \\(cut short by a copy, a download or a full disk\\?\\); restore it from a copy|a damaged DuckDB database \\(cut short or overwritten\\); restore it from a copy|a file of a format Tessera does not know, not a DuckDB database)\\n$`,
          ),
        );
      }
      expect(fingerprint(broken)).toBe(before);
    }
  });
});

describe("an overwritten database header", () => {
  it("fails DuckDB's checksum: a user error, and the file is left as it was", async () => {
    const dir = tempDir();
    const db = await smallDb(dir);
    const bytes = readFileSync(db);
    bytes[20] = (bytes[20] as number) ^ 0xff;
    const broken = writeFile(dir, "flipped.duckdb", bytes);
    const before = fingerprint(broken);
    for (const args of [["stats"], ["import", "customers", join(dir, "t.duckdb.csv")]]) {
      const r = await runCli(...args, "--db", broken);
      expect([r.code, r.stderr], args[0]).toEqual([
        1,
        `tessera: ${broken}: is a damaged DuckDB database (cut short or overwritten); restore it from a copy\n`,
      ]);
    }
    expect(fingerprint(broken)).toBe(before);
  });
});

describe("a read-only database file", () => {
  it("commands that read work on it (opened read-only), commands that write are refused, and it is untouched", async () => {
    const dir = tempDir();
    const db = await smallDb(dir);
    chmodSync(db, 0o444);
    const before = fingerprint(db);
    const stats = await runCli("stats", "--db", db, "--json");
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout).customers).toBe(3);
    expect((await runCli("segment", "list", "--db", db)).code).toBe(0);
    // Root may write any file; the permission bits say the file is not to be written, and Tessera honours them.
    const csv = writeFile(dir, "more.csv", "customer_id\nc9\n");
    const w = await runCli("import", "customers", csv, "--db", db);
    expect([w.code, w.stderr]).toEqual([
      1,
      `tessera: ${db}: is read-only (r--r--r--): a command that writes needs write permission on it; commands that only read it (stats, segment list, kpis, …) work as it is; those that show people write the audit log\n`,
    ]);
    expect(fingerprint(db)).toBe(before);
    expect(existsSync(`${db}.wal`)).toBe(false);
  });
});

describe("a database of an older schema (made by an earlier Tessera)", () => {
  /** A database whose record says the newest migration has not run (it only re-keys ClickHouse tables). */
  async function olderDb(dir: string): Promise<string> {
    const db = await smallDb(dir);
    await duckdb(db, `DELETE FROM schema_migrations WHERE version = ${LATEST_SCHEMA_VERSION}`);
    return db;
  }

  it("a command that reads upgrades it once (the write any command would make), then reads it", async () => {
    const db = await olderDb(tempDir());
    const r = await runCli("stats", "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).customers).toBe(3);
    const e = await openSession(db, FOR_READING);
    expect(await count(e, "SELECT max(version) FROM schema_migrations")).toBe(LATEST_SCHEMA_VERSION);
    e.close();
  });

  it("read-only, it cannot be upgraded: the message says why, and it is untouched", async () => {
    const db = await olderDb(tempDir());
    chmodSync(db, 0o444);
    const before = fingerprint(db);
    const r = await runCli("stats", "--db", db);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `tessera: ${db}: its schema (version ${LATEST_SCHEMA_VERSION - 1}) is older than this Tessera's (${LATEST_SCHEMA_VERSION}), and upgrading it writes: is read-only (r--r--r--): a command that writes needs write permission on it; commands that only read it (stats, segment list, kpis, …) work as it is; those that show people write the audit log\n`,
    );
    expect(fingerprint(db)).toBe(before);
  });
});

describe("a database another process has open", () => {
  let child: ChildProcess | null = null;
  afterEach(async () => {
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      const c = child;
      const exited = new Promise((done) => c.once("exit", done));
      c.kill();
      await exited;
    }
    child = null;
  });

  /** A node process holding the database open through DuckDB (read-only or not) until it is killed. */
  async function hold(db: string, readOnly: boolean): Promise<number> {
    const duckdb = pathToFileURL(createRequire(import.meta.url).resolve("@duckdb/node-api")).href;
    const script = writeFile(
      tempDir(),
      "hold.mjs",
      `import { DuckDBInstance } from ${JSON.stringify(duckdb)};
const i = await DuckDBInstance.create(process.argv[2], { access_mode: process.argv[3] });
await i.connect();
process.stdout.write("open\\n");
setInterval(() => {}, 1000);`,
    );
    const c = spawn(process.execPath, [script, db, readOnly ? "READ_ONLY" : "READ_WRITE"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child = c;
    await new Promise<void>((done, fail) => {
      c.stdout?.once("data", () => done());
      c.once("exit", (code) => fail(new Error(`the holding process ended (${code})`)));
    });
    return c.pid as number;
  }

  it("held by a writer: every command says which process holds it, and that nothing else can open it meanwhile", async () => {
    const dir = tempDir();
    const db = await smallDb(dir);
    const before = await dbSnapshot(db);
    const pid = await hold(db, false);
    const csv = writeFile(dir, "more.csv", "customer_id\nc9\n");
    for (const args of [["stats"], ["import", "customers", csv]]) {
      const r = await runCli(...args, "--db", db);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^tessera: ${db}: is locked by process ${pid} \\(.*node.*hold\\.mjs ${db} READ_WRITE\\), which writes to it: while it does, DuckDB lets no other process open the file, not even to read it; run the command again when it has finished\\n$`,
        ),
      );
    }
    child?.kill();
    await new Promise((done) => child?.once("exit", done));
    expect(await dbSnapshot(db)).toBe(before);
  });

  it("held by a reader: commands that read run beside it, one that writes is told to wait", async () => {
    const dir = tempDir();
    const db = await smallDb(dir);
    const pid = await hold(db, true);
    const stats = await runCli("stats", "--db", db, "--json");
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout).customers).toBe(3);
    const csv = writeFile(dir, "more.csv", "customer_id\nc9\n");
    const w = await runCli("import", "customers", csv, "--db", db);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(
      new RegExp(
        `^tessera: ${db}: is open for reading in process ${pid} \\(.*hold\\.mjs.*\\): commands that read can run meanwhile, a command that writes cannot until it ends: run it again then\\n$`,
      ),
    );
    child?.kill();
    await new Promise((done) => child?.once("exit", done));
    expect(JSON.parse((await runCli("stats", "--db", db, "--json")).stdout).customers).toBe(3);
  });
});

describe("nothing is replaced without --force", () => {
  it("demo: an existing database is refused (even the default demo file), kept with --keep, untouched", async () => {
    const dir = tempDir();
    const db = await smallDb(dir, "mine.duckdb");
    const before = fingerprint(db);
    const r = await runCli("demo", "--customers", "200", "--db", db);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toBe(
      `tessera: ${db}: exists, and the demo builds a new database: name a new one with --db, give --force to replace it, or --keep to leave it and see what it holds\n`,
    );
    expect(fingerprint(db)).toBe(before);
    const kept = await runCli("demo", "--customers", "200", "--db", db, "--keep", "--json");
    expect(kept.code, kept.stderr).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ db, built: false, stats: { customers: 3 } });
    const text = await runCli("demo", "--db", db, "--keep");
    expect(text.stdout).toContain(
      `${db} is already there: left as it is (\`npx tessera demo --force --db ${db}\` rebuilds it).`,
    );
    expect(fingerprint(db)).toBe(before);
    const both = await runCli("demo", "--db", db, "--keep", "--force");
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("option '--keep' cannot be used with option '--force'");
    expect(fingerprint(db)).toBe(before);
  });

  it("demo: a file that is not a database is refused too, and --keep says what it is", async () => {
    const dir = tempDir();
    const notes = writeFile(dir, "notes.txt", "my notes\n");
    expect((await runCli("demo", "--db", notes)).code).toBe(1);
    const kept = await runCli("demo", "--db", notes, "--keep");
    expect([kept.code, kept.stderr]).toEqual([
      1,
      `tessera: ${notes}: is a text file (CSV?), not a DuckDB database\n`,
    ]);
    expect(readFileSync(notes, "utf8")).toBe("my notes\n");
  });

  it("generate: files of its names in --out that it did not write are refused; its own output is rewritten", async () => {
    const dir = tempDir();
    const out = join(dir, "exports");
    mkdirSync(out);
    const mine = writeFile(out, "customers.csv", "customer_id\nreal-customer\n");
    const before = fingerprint(mine);
    const r = await runCli("generate", "--customers", "20", "--days", "30", "--out", out);
    expect([r.code, r.stderr]).toEqual([
      1,
      `tessera: ${out}: holds customers.csv, which generate would replace: name another folder, or give --force to replace them\n`,
    ]);
    expect(fingerprint(mine)).toBe(before);
    expect(existsSync(join(out, "orders.csv"))).toBe(false);
    const forced = await runCli("generate", "--customers", "20", "--days", "30", "--out", out, "--force");
    expect(forced.code, forced.stderr).toBe(0);
    // Its own output (truth.json beside it) is its own to rewrite.
    const again = await runCli("generate", "--customers", "20", "--days", "30", "--out", out);
    expect(again.code, again.stderr).toBe(0);
  });
});

describe("TESSERA_THREADS", () => {
  afterEach(() => {
    delete process.env.TESSERA_THREADS;
  });

  it("is refused, naming it, unless a whole number from 1 to 1024; nothing is written", async () => {
    const dir = tempDir();
    const db = await smallDb(dir);
    const before = await dbSnapshot(db);
    for (const bad of ["abc", "0", "-2", "1.5", "2 threads", "99999"]) {
      process.env.TESSERA_THREADS = bad;
      const r = await runCli("cluster", "--features", "age", "--k", "2", "--save-as", "t", "--db", db);
      expect([r.code, r.stderr], bad).toEqual([
        1,
        `tessera: TESSERA_THREADS: expected a whole number of threads from 1 to 1024 (the main one included), got "${bad}"\n`,
      ]);
    }
    expect(await dbSnapshot(db)).toBe(before);
    process.env.TESSERA_THREADS = "2";
    const ok = await runCli("cluster", "--features", "age", "--k", "2", "--db", db, "--json");
    expect(ok.code, ok.stderr).toBe(0);
    process.env.TESSERA_THREADS = "";
    expect((await runCli("cluster", "--features", "age", "--k", "2", "--db", db)).code).toBe(0);
  });
});
