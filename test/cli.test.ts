import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dbSnapshot, emptyDb, runCli, tempDir, writeFile } from "./helpers.js";

describe("tessera command line", () => {
  it("stats --json prints exactly one JSON document with the contract's keys", async () => {
    const db = await emptyDb(join(tempDir(), "t.duckdb"));
    const r = await runCli("stats", "--db", db, "--json");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      customers: 0,
      identities: 0,
      events: 0,
      orders: 0,
      orderItems: 0,
      consents: 0,
      surveyResponses: 0,
    });
  });

  it("takes the database from $TESSERA_DB when --db is absent", async () => {
    const db = join(tempDir(), "env.duckdb");
    process.env.TESSERA_DB = db;
    try {
      const dir = tempDir();
      const f = writeFile(dir, "c.csv", "customer_id\nx1\n");
      expect((await runCli("import", "customers", f)).code).toBe(0);
    } finally {
      delete process.env.TESSERA_DB;
    }
    expect(JSON.parse((await runCli("stats", "--db", db, "--json")).stdout).customers).toBe(1);
  });

  it("prints a table for people without --json", async () => {
    const r = await runCli("stats", "--db", await emptyDb(join(tempDir(), "t.duckdb")));
    expect(r.stdout).toMatch(/^table\s+rows\n/);
    expect(r.stdout).toMatch(/orderItems\s+0/);
  });

  it("exits 1 with the file and the reason on stderr for a user error, and leaves the database as it was", async () => {
    const dir = tempDir();
    const db = join(dir, "t.duckdb");
    const good = writeFile(dir, "o.csv", "order_id,customer_id,timestamp,total\n1,c1,2024-01-01,5\n");
    expect((await runCli("import", "orders", good, "--db", db)).code).toBe(0);
    const before = await dbSnapshot(db);
    const bad = writeFile(dir, "bad.csv", "order_id,customer_id,timestamp,total\n2,c2,2024-01-02,five\n");
    const r = await runCli("import", "orders", bad, "--db", db, "--strict", "--json");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      `tessera: ${bad}: 1 of 1 rows rejected (first: row 1, field total: not a number: five)`,
    );
    expect(await dbSnapshot(db)).toBe(before);
  });

  it("exits 1 on an unknown kind, an unknown command and a bad option value", async () => {
    const db = join(tempDir(), "t.duckdb");
    const kind = await runCli("import", "visitors", "x.csv", "--db", db);
    expect([kind.code, kind.stderr]).toEqual([1, expect.stringContaining('unknown kind "visitors"')]);
    expect((await runCli("frobnicate")).code).toBe(1);
    const opt = await runCli("audit", "--db", db, "--as-of", "last tuesday");
    expect([opt.code, opt.stderr]).toEqual([
      1,
      expect.stringContaining('--as-of: not an ISO 8601 date: "last tuesday"'),
    ]);
  });

  it("exits 0 for --help", async () => {
    const r = await runCli("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("import");
  });

  it("runs as the installed executable", async () => {
    const bin = join(import.meta.dirname, "..", "bin", "tessera.js");
    expect(
      existsSync(join(import.meta.dirname, "..", "dist", "src", "cli", "main.js")),
      "run `npm run build` first",
    ).toBe(true);
    const db = await emptyDb(join(tempDir(), "bin.duckdb"));
    const r = spawnSync(process.execPath, [bin, "stats", "--json", "--db", db], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).customers).toBe(0);
    const bad = spawnSync(process.execPath, [bin, "import", "orders", "/no/such.csv", "--db", db], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("/no/such.csv: no such file");
  });

  it("stops quietly when the reader closes the pipe early (| head)", () => {
    const bin = join(import.meta.dirname, "..", "bin", "tessera.js");
    const dir = tempDir();
    const db = join(dir, "pipe.duckdb");
    const ids = Array.from({ length: 20_000 }, (_, i) => `customer-${i}`);
    const csv = writeFile(dir, "customers.csv", `customer_id\n${ids.join("\n")}\n`);
    const tessera = (...args: string[]) => {
      const r = spawnSync(process.execPath, [bin, ...args, "--db", db], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    };
    tessera("import", "customers", csv);
    tessera("segment", "add", "--id", "all", "--name", "all", "--where", "orders.count() >= 0");
    tessera("segment", "refresh");
    // Far more than a pipe holds (~300 KB of ids), and the reader takes 20 bytes.
    const r = spawnSync(
      "sh",
      [
        "-c",
        `"${process.execPath}" "${bin}" segment members all --purpose marketing --channel email --json --db "${db}" | head -c 20`,
      ],
      {
        encoding: "utf8",
      },
    );
    expect(r.stdout).toBe('{\n  "id": "all",\n  "customers": ['.slice(0, 20));
    expect(r.stderr).toBe("");
  });
});
