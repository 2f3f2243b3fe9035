import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import type { Engine } from "../src/store/engine.js";
import { openSession, openStore } from "../src/store/open-store.js";
import { type Sql, sql } from "../src/store/sql.js";
import { FOR_READING } from "../src/store/store.js";

/** The folders `tempDir` made for the test file running in this worker. */
const madeHere: string[] = [];

// Registered when a test file first imports this module (each file has its own module instance), on the file's
// root suite: it runs once the file's tests and their own afterAll hooks are done, whether they passed or not.
afterAll(() => {
  for (const dir of madeHere.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh temporary folder for one test's files, removed (with whatever was written into it, by the test or by a
 * `tessera` process it ran) when the calling test file ends. During `vitest run` it lies in the run's own scratch
 * root (test/global-setup.ts), which is removed at the end of the run too.
 */
export function tempDir(prefix = "tessera-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeHere.push(dir);
  return dir;
}

/** Writes a file in `dir` and returns its path. */
export function writeFile(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The data sets shared with the project (never copied into it). */
export const SHARED_DATA = join(import.meta.dirname, "..", "..", "shared", "data");

/** Every table's full contents, as text: two snapshots are equal only if nothing changed. */
export async function snapshot(engine: Engine): Promise<string> {
  const parts: string[] = [];
  for (const t of await engine.tables()) {
    const cols = await engine.tableColumns(t);
    const r = await engine.query(
      sql`SELECT * FROM ${sql.ident(t)} ORDER BY ${sql.join(cols.map((c) => sql.ident(c)))}`,
    );
    parts.push(
      `${t}(${cols.join(",")}):${JSON.stringify(r.rows(), (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
    );
  }
  return parts.join("\n");
}

/** Runs the command line in this process, as `tessera ARGS…` would: its exit code and what it printed. */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** A new API key of a role for the database at `db`, made as an admin would (`tessera keys create --json`). */
export async function apiKey(db: string, role: string): Promise<{ key: string; id: string }> {
  const r = await runCli("keys", "create", "--role", role, "--db", db, "--json");
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { key: string; id: string };
}

/** A new, empty database at `db` (commands that read need one that exists: only commands that write create one). */
export async function emptyDb(db: string): Promise<string> {
  await (await openStore(db)).close();
  return db;
}

/**
 * Every table of the database at `db` (`snapshot`), opened for reading, so looking changes nothing: equal before
 * and after a command only if it wrote nothing.
 */
export async function dbSnapshot(db: string): Promise<string> {
  const engine = await openSession(db, FOR_READING);
  try {
    return await snapshot(engine);
  } finally {
    await engine.close();
  }
}

/** The first value of a query's first row, as a number (a count, a sum). */
export async function count(engine: Engine, query: Sql | string): Promise<number> {
  const r = await engine.query(query);
  return Number(r.column(r.columns[0] as string)[0]);
}

/** UCI Online Retail, and the mapping of its columns to order lines (as the README shows). */
export const ONLINE_RETAIL = join(SHARED_DATA, "online-retail", "online-retail-dataset.csv.gz");
export const ONLINE_RETAIL_MAP = [
  "order_id=InvoiceNo",
  "sku=StockCode",
  "description=Description",
  "quantity=Quantity",
  "timestamp=InvoiceDate",
  "unit_price=UnitPrice",
  "customer_id=CustomerID",
];

/** Runs the CLI as a user would, in-process, with --json, and returns the parsed output (failing on exit ≠ 0). */
export async function tesseraJson(db: string, ...args: string[]): Promise<Record<string, unknown>> {
  const io = memoryIo();
  const code = await main([...args, "--db", db, "--json"], io);
  expect(code, io.stderr()).toBe(0);
  return JSON.parse(io.stdout());
}

/** The rows of a query on the database at `db`, opened read-only for it. */
export async function storedRows(db: string, query: string): Promise<Record<string, unknown>[]> {
  const engine = await openSession(db, FOR_READING);
  try {
    return (await engine.query(query)).rows();
  } finally {
    await engine.close();
  }
}

/** An HTTP Basic authorization with `key` as the user name (how Segment's SDKs send a write key). */
export const basicAuth = (key: string): string => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

/**
 * How many runs a slow property test makes on `engine`: `duckdb` on DuckDB and `chdb` on chdb (each run there is
 * slower), or TESSERA_PROPERTY_RUNS (TESSERA_PROPERTY_RUNS_CHDB for chdb) when set; under CI (`CI` set) a third of
 * them, so that the suite stays fast — fewer runs, never fewer assertions in a run.
 */
export function propertyRuns(engine: string, duckdb: number, chdb: number): number {
  const given =
    engine === "duckdb"
      ? process.env.TESSERA_PROPERTY_RUNS
      : (process.env.TESSERA_PROPERTY_RUNS_CHDB ?? process.env.TESSERA_PROPERTY_RUNS);
  if (given !== undefined) return Number(given);
  const runs = engine === "duckdb" ? duckdb : chdb;
  return process.env.CI ? Math.max(5, Math.round(runs / 3)) : runs;
}
