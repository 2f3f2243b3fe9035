/**
 * Test helpers for the generator's tests: read generated files back through a store's engine (an in-memory
 * store of its own), the way an importer sees them: every column as text.
 * (Not used by the generator itself.)
 */
import type { Dialect } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { type Sql, sql } from "../store/sql.js";
import type { Session } from "../store/store.js";

/** A throw-away in-memory store for reading generated files. */
export class FileReader {
  private constructor(private readonly session: Session) {}

  static async open(): Promise<FileReader> {
    return new FileReader(await openSession(":memory:"));
  }

  get dialect(): Dialect {
    return this.session.dialect;
  }

  /** A generated CSV file as a relation, every column as text (what an importer sees). */
  csv(path: string): Sql {
    return this.dialect.readFileAsText({ path, format: "csv", header: true, delimiter: "," });
  }

  /** A generated Parquet file as a relation, every column as text. */
  parquet(path: string): Sql {
    return this.dialect.readFileAsText({ path, format: "parquet" });
  }

  /** Runs statements (temporary tables for several queries to share). */
  async run(statements: Sql | readonly Sql[]): Promise<void> {
    await this.session.run(statements);
  }

  /** Rows of a query as plain JS objects (whole numbers as numbers when safe). */
  async rows(query: Sql): Promise<Record<string, unknown>[]> {
    return (await this.session.query(query)).rows<Record<string, unknown>>();
  }

  /** The single value of a one-row, one-column query. */
  async value(query: Sql): Promise<unknown> {
    const row = (await this.rows(query))[0];
    return row === undefined ? undefined : Object.values(row)[0];
  }

  /** Column names of a relation. */
  async columns(relation: Sql): Promise<string[]> {
    return [...(await this.session.query(sql`SELECT * FROM ${relation} f LIMIT 0`)).columns];
  }

  close(): void {
    this.session.close();
  }
}
