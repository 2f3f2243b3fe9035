import type { AppendColumn, Engine } from "../store/engine.js";

/**
 * A temporary table filled a page at a time, so that rows arriving from JavaScript (a batch or stream of rows to
 * import) never have to sit in memory all at once. A page may bring columns the
 * earlier ones did not have: they are added, and the earlier rows hold NULL in them. Rows keep the order they
 * were appended in (the engine scans a table in insertion order), which row numbers rely on.
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
    const q = d.quoteIdent;
    if (!this.created) {
      await this.engine.appendTemp(this.name, page);
      for (const c of page) this.columns.add(c.name);
      this.created = true;
      return;
    }
    for (const c of page) {
      if (this.columns.has(c.name)) continue;
      await this.engine.run(`ALTER TABLE ${q(this.name)} ADD COLUMN ${q(c.name)} ${d.typeOf(c.type)}`);
      this.columns.add(c.name);
    }
    // The appender creates a table of its own; the page then joins the others in one insert.
    const staging = `${this.name}_page`;
    await this.engine.appendTemp(staging, page);
    const names = page.map((c) => q(c.name)).join(", ");
    await this.engine.run(
      `INSERT INTO ${q(this.name)} (${names}) SELECT ${names} FROM ${q(staging)}; DROP TABLE ${q(staging)};`,
    );
  }

  /** True once a page with rows has been appended (before, the table does not exist). */
  get exists(): boolean {
    return this.created;
  }

  async drop(): Promise<void> {
    await this.engine.run(`DROP TABLE IF EXISTS ${this.engine.dialect.quoteIdent(this.name)}`);
  }
}
