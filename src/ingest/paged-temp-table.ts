import type { AppendColumn, Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

/**
 * A session temporary table (`sql.temp(name)`) filled a page at a time, so that rows arriving from JavaScript (a
 * batch or stream of rows to import) never have to sit in memory all at once. A page may bring columns the earlier
 * ones did not have: they are added, and the earlier rows hold NULL in them. Rows keep the order they
 * were appended in when read through `tempInOrder` (the dialect's), which row numbers rely on.
 */
export class PagedTempTable {
  private readonly columns = new Set<string>();
  private created = false;

  constructor(
    private readonly engine: Engine,
    readonly name: string,
  ) {}

  /** Appends one page: columns of equal length (a column absent from the page is NULL in its rows). */
  async append(page: readonly AppendColumn[]): Promise<void> {
    if ((page[0]?.values.length ?? 0) === 0) return;
    const d = this.engine.dialect;
    if (!this.created) {
      await this.engine.appendTemp(this.name, page);
      for (const c of page) this.columns.add(c.name);
      this.created = true;
      return;
    }
    for (const c of page) {
      if (this.columns.has(c.name)) continue;
      await this.engine.run(d.addTempColumn(this.name, { name: c.name, type: c.type }));
      this.columns.add(c.name);
    }
    // The appender creates a table of its own; the page then joins the others in one insert.
    const staging = `${this.name}_page`;
    await this.engine.appendTemp(staging, page);
    const names = sql.join(page.map((c) => sql.ident(c.name)));
    await this.engine.run([
      sql`INSERT INTO ${sql.temp(this.name)} (${names}) SELECT ${names} FROM ${d.tempInOrder(staging)} p`,
      sql`DROP TABLE ${sql.temp(staging)}`,
    ]);
  }

  /** True once a page with rows has been appended (before, the table does not exist). */
  get exists(): boolean {
    return this.created;
  }

  async drop(): Promise<void> {
    await this.engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(this.name)}`);
  }
}
