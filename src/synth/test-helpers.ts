/**
 * Test helpers for the generator's tests: read generated files back through DuckDB.
 * (Not used by the generator itself.)
 */
import { DuckDBInstance } from "@duckdb/node-api";

/** A throw-away in-memory DuckDB for reading generated files. */
export class FileReader {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: Awaited<ReturnType<DuckDBInstance["connect"]>>,
  ) {}

  static async open(): Promise<FileReader> {
    const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
    return new FileReader(instance, await instance.connect());
  }

  /** Rows of a query as plain JS objects (BIGINT as number when safe). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader
      .getRowObjectsJS()
      .map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [
            k,
            typeof v === "bigint" && Math.abs(Number(v)) < 2 ** 53 ? Number(v) : v,
          ]),
        ),
      );
  }

  /** The single value of a one-row, one-column query. */
  async value(sql: string): Promise<unknown> {
    const row = (await this.rows(sql))[0];
    return row === undefined ? undefined : Object.values(row)[0];
  }

  /** Column names of a relation. */
  async columns(relation: string): Promise<string[]> {
    return (await this.rows(`DESCRIBE SELECT * FROM ${relation}`)).map((r) => String(r.column_name));
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** `read_csv` of a generated CSV, every column as text (what an importer sees). */
export function csv(path: string): string {
  return `read_csv('${path.replaceAll("'", "''")}', header = true, all_varchar = true, delim = ',', quote = '"')`;
}
