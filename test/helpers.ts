import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Engine } from "../src/store/engine.js";

/** A fresh temporary folder for one test's files. */
export function tempDir(prefix = "tessera-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
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
  const tables = await engine.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database() ORDER BY 1",
  );
  const parts: string[] = [];
  for (const t of tables.column("table_name") as string[]) {
    const cols = await engine.tableColumns(t);
    const r = await engine.query(`SELECT * FROM "${t}" ORDER BY ALL`);
    parts.push(
      `${t}(${cols.join(",")}):${JSON.stringify(r.rows(), (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
    );
  }
  return parts.join("\n");
}

export async function count(engine: Engine, sql: string, params: unknown[] = []): Promise<number> {
  const r = await engine.query(sql, params as never);
  return Number(r.column(r.columns[0] as string)[0]);
}
