import type { Engine, EraseMatch, Remnant } from "../engine.js";
import { matchingRows } from "../erase-match.js";
import { type Sql, sql } from "../sql.js";
import { duckdbDialect } from "./duckdb-dialect.js";
import { FILE_HEADERS } from "./duckdb-file.js";

/**
 * Erasure on DuckDB (issue 17): a person's rows deleted with the text that named them rewritten, then the storage
 * that held them moved and overwritten (`DuckDBSession.eraseRows`, `scrubFreedSpace` hand the work here). Kept per
 * session: the blocks that held erased text, from the erasure to the scrub.
 */

/** The filler's text per row (`scrubFreedSpace`). */
const FILL_ROW_BYTES = 64 * 1024;

/** A table's row groups on disk as row id ranges [lo, hi): row ids count every stored row, deleted ones too. */
function rowGroupRanges(table: string): Sql {
  const size = sql.raw("max(start + count)");
  return sql`SELECT row_group_id, sum(${size}) OVER (ORDER BY row_group_id) - ${size} AS lo,
                    sum(${size}) OVER (ORDER BY row_group_id) AS hi
               FROM ${storageInfo(table)} WHERE column_id = 0 GROUP BY row_group_id`;
}

/** The storage of a table's segments (row group, column, block). */
function storageInfo(table: string): Sql {
  return sql`pragma_storage_info(${sql.raw(duckdbDialect.literal(table))})`;
}

export class DuckDBErasure {
  /** Blocks that held text of rows erased since the last scrub (`eraseRows`, `scrubFreedSpace`). */
  private readonly tainted = new Set<number>();

  constructor(
    private readonly session: Pick<Engine, "query" | "run" | "transaction" | "tables">,
    /** The database file (`:memory:` or "" in memory). */
    private readonly location: string,
  ) {}

  /**
   * Blanks the rows' text that holds one of the person's identifiers, then deletes the rows. A delete only marks
   * rows: their bytes stay in the row group's blocks until the group is rewritten. An update, though, is written at
   * the next checkpoint by rewriting the updated column of each row group it touched into new blocks, and the old
   * blocks are freed (`scrubFreedSpace` then overwrites them): so the text columns in which these rows hold an
   * identifier (the id columns the rows were found by; any other text or JSON that contains a needle) are set to
   * NULL first, and only those columns of the row groups holding the person are rewritten — measured, a far
   * cheaper purge than rewriting whole row groups (on 700k events, 0.2 s against 5 s) and one that keeps every
   * other row where it was (events stay in time order). What else the deleted rows held (an event's name, its
   * properties without an identifier, numbers) stays in its row group, unreadable and linked to no one, until
   * DuckDB rewrites the group: rewriting every text column of the person's rows cost the erasure of a person with
   * 559 events 9 s more on 35M events.
   */
  async eraseRows(
    table: string,
    matches: readonly EraseMatch[],
    needles: readonly string[],
  ): Promise<number> {
    const text = await this.session.query(
      sql`SELECT column_name FROM information_schema.columns
           WHERE table_schema = 'main' AND table_name = ${table} AND data_type IN ('VARCHAR', 'JSON')
           ORDER BY ordinal_position`,
    );
    const textColumns = text.column("column_name") as string[];
    const found = new Set(matches.filter((m) => m.values.length > 0).map((m) => m.column));
    // Whether a row's value in a text column is (or contains) one of the person's identifiers.
    const holds = (c: string): Sql =>
      found.has(c)
        ? sql`${sql.ident(c)} IS NOT NULL`
        : needles.length === 0
          ? sql`false`
          : sql`coalesce(${sql.join(
              needles.map((n) => sql`contains(CAST(${sql.ident(c)} AS VARCHAR), ${n})`),
              " OR ",
            )}, false)`;
    const select = sql`rowid AS r${sql.join(
      textColumns.map((c, i) => sql`, ${holds(c)} AS ${sql.raw(`h${i}`)}`),
      "",
    )}`;
    const foundRows = matchingRows(table, matches, select, sql`UNION`);
    if (foundRows === null) return 0;
    const rows = sql.temp("_erase_rows");
    // One pass finds the rows (by rowid) and which of their text columns hold an identifier: on a large table
    // (events) each scan of the id columns costs a fraction of a second, so everything below reads this table.
    await this.session.run(duckdbDialect.createTempAs("_erase_rows", foundRows));
    try {
      const counts = await this.session.query(
        sql`SELECT count(*) AS n${sql.join(
          textColumns.map(
            (_, i) => sql`, count(*) FILTER (WHERE ${sql.raw(`h${i}`)}) AS ${sql.raw(`c${i}`)}`,
          ),
          "",
        )} FROM ${rows}`,
      );
      const n = Number(counts.column("n")[0]);
      if (n === 0) return 0;
      // The columns in which the rows hold an identifier: blanking changes them, so their segments are rewritten;
      // the others are left as they are (an update that changes nothing is not rewritten).
      const holding = textColumns.filter((_, i) => Number(counts.column(`c${i}`)[0]) > 0);
      // The blocks that hold their text now: a small segment shares its block with others (DuckDB packs them), and
      // the block stays in use, old bytes and all, until every segment in it has moved (`scrubFreedSpace`).
      if (holding.length > 0) {
        // The segments holding those rows' values (a column of a row group is cut into segments by rows).
        const names = sql.join(holding.map((c) => sql`${c}`));
        const hit = sql`SELECT g.row_group_id, m.r - g.lo AS off FROM ${rows} m
                          JOIN (${rowGroupRanges(table)}) g ON m.r >= g.lo AND m.r < g.hi`;
        const blocks = await this.session.query(
          sql`WITH x AS (SELECT DISTINCT s.block_id, s.additional_block_ids FROM ${storageInfo(table)} s
                           JOIN (${hit}) h ON s.row_group_id = h.row_group_id AND h.off >= s.start AND h.off < s.start + s.count
                          WHERE s.column_name IN (${names}) AND s.segment_type <> 'VALIDITY')
              SELECT DISTINCT b FROM (SELECT block_id AS b FROM x
                                      UNION ALL SELECT unnest(additional_block_ids) AS b FROM x WHERE additional_block_ids IS NOT NULL) y
               WHERE b IS NOT NULL AND b >= 0`,
        );
        for (const b of blocks.column("b")) this.tainted.add(Number(b));
      }
      const t = sql.ident(table);
      const these = sql`rowid IN (SELECT r FROM ${rows})`;
      const blank = holding.map((c) => sql`${sql.ident(c)} = NULL`);
      await this.session.run([
        ...(blank.length > 0 ? [sql`UPDATE ${t} SET ${sql.join(blank)} WHERE ${these}`] : []),
        sql`DELETE FROM ${t} WHERE ${these}`,
      ]);
      return n;
    } finally {
      await this.session.run(sql`DROP TABLE IF EXISTS ${rows}`);
    }
  }

  /**
   * A checkpoint (the write-ahead log folded into the file and emptied; emptied row groups dropped), then the free
   * blocks overwritten: DuckDB reuses a freed block as it is, without clearing it, so what a deleted row group held
   * stays in the file until then. A table of filler text as large as the free space, written uncompressed, takes
   * every free block (DuckDB fills free blocks before it grows the file) and is dropped again; the file's free
   * space then holds only filler. Measured: 72 free blocks (18 MiB) in 0.4 s.
   */
  async scrubFreedSpace(remnants: readonly Remnant[] = []): Promise<void> {
    const size = await this.session.query(
      "SELECT free_blocks, block_size FROM pragma_database_size() WHERE database_name = current_database()",
    );
    const block = Number(size.column("block_size")[0] ?? 0);
    // Bytes found after an earlier scrub lie in blocks DuckDB reused (it writes a reused block whole, with what it
    // held before in the part its new segments leave unused): their segments move out, as erased text's do. The
    // file's blocks follow its three 4 KiB headers.
    for (const r of remnants)
      if (r.path === this.location && block > 0)
        for (const at of r.at)
          if (at >= FILE_HEADERS) this.tainted.add(Math.floor((at - FILE_HEADERS) / block));
    await this.session.run("FORCE CHECKPOINT");
    await this.moveOutOfTaintedBlocks();
    const after = await this.session.query(
      "SELECT free_blocks FROM pragma_database_size() WHERE database_name = current_database()",
    );
    const free = Number(after.column("free_blocks")[0] ?? 0);
    if (free === 0) return;
    // Stored as they are (no compression), the rows fill at least the free blocks' bytes. One constant text of 64
    // KiB a row: DuckDB writes long strings into blocks of their own, which a few thousand rows fill, where 64
    // characters a row of digests took millions of rows and twice the time (1.9 s against 0.8 s for 150 MB).
    const rows = Math.ceil((free * block) / FILL_ROW_BYTES);
    await this.session.run("SET force_compression = 'uncompressed'");
    try {
      await this.session.run(
        `CREATE OR REPLACE TABLE _scrub_fill AS SELECT repeat('0123456789abcdef', ${FILL_ROW_BYTES / 16}) AS filler FROM range(${rows}) r(i)`,
      );
      await this.session.run("FORCE CHECKPOINT");
    } finally {
      await this.session.run("DROP TABLE IF EXISTS _scrub_fill");
      await this.session.run("RESET force_compression");
    }
    // Twice: the first frees the filler's blocks, the second the metadata the first replaced (and the file's end).
    await this.session.run("FORCE CHECKPOINT");
    await this.session.run("FORCE CHECKPOINT");
  }

  /**
   * Appends a table's row groups (row id ranges) again, in their order, and deletes them where they were: the
   * appended rows take row ids past the table's end, outside the ranges. Straight from the table, where a copy in a
   * temporary table first took twice as long (90 row groups of events: 14.6 s against 28 s).
   */
  private async rewriteGroups(table: string, groups: readonly { lo: number; hi: number }[]): Promise<void> {
    if (groups.length === 0) return;
    const t = sql.ident(table);
    const inGroups = sql.join(
      groups.map((r) => sql`(rowid >= ${r.lo} AND rowid < ${r.hi})`),
      " OR ",
    );
    await this.session.transaction(() =>
      this.session.run([
        sql`INSERT INTO ${t} SELECT * FROM ${t} WHERE ${inGroups} ORDER BY rowid`,
        sql`DELETE FROM ${t} WHERE ${inGroups}`,
      ]),
    );
  }

  /**
   * Rewrites the given columns of the given row groups (row id ranges) at the next checkpoint, the other columns
   * and every row staying where they are: in one transaction, one row of each group has its value of the column
   * set to NULL and back. The committed data are unchanged, but DuckDB writes a column with updates anew (its data
   * and validity, in new blocks) and frees the old blocks — where an update that leaves a value as it is (`SET c =
   * c`) is not written at all (measured). A group whose column holds no value to blank is returned, for
   * `rewriteGroups`.
   */
  private async rewriteColumns(
    table: string,
    column: string,
    groups: readonly { lo: number; hi: number }[],
  ): Promise<{ lo: number; hi: number }[]> {
    const t = sql.ident(table);
    const c = sql.ident(column);
    const kept = sql.temp("_touched_values");
    // A row of each group with a value, and the value: one small query per group (a range of row ids is a filter
    // the scan applies; a list of row ids over the whole table read every row's value, 2.2 s for properties).
    const picked = sql.join(
      groups.map(
        (g, i) =>
          sql`(SELECT ${sql.raw(String(i))} AS g, rowid AS r, ${c} AS v FROM ${t}
                WHERE rowid >= ${g.lo} AND rowid < ${g.hi} AND ${c} IS NOT NULL LIMIT 1)`,
      ),
      " UNION ALL ",
    );
    let rest: { lo: number; hi: number }[] = [];
    await this.session.transaction(async () => {
      await this.session.run(duckdbDialect.createTempAs("_touched_values", picked));
      const found = await this.session.query(sql`SELECT g, r FROM ${kept}`);
      const rows = found.column("r").map(Number);
      const have = new Set(found.column("g").map(Number));
      rest = groups.filter((_, i) => !have.has(i));
      if (rows.length > 0) {
        const these = sql.raw(`rowid IN (${rows.join(", ")})`);
        await this.session.run([
          sql`UPDATE ${t} SET ${c} = NULL WHERE ${these}`,
          sql`UPDATE ${t} SET ${c} = k.v FROM ${kept} k WHERE ${t}.rowid = k.r`,
        ]);
      }
      await this.session.run(sql`DROP TABLE ${kept}`);
    });
    return rest;
  }

  /**
   * After a checkpoint, the blocks that held erased text are free (the rewritten segments left them), or still in
   * use: DuckDB packs small segments together in shared blocks, and such a block keeps the freed segment's bytes
   * while any other segment in it lives. Each column of a row group with a segment in such a block is then
   * rewritten (`rewriteColumns`: a person with 559 events had 24 row groups' small columns there — event names,
   * types, the tails of message ids — which cost 2.8 s to rewrite as whole row groups, properties and all), which
   * the next checkpoint writes as new segments: the block is free, for the filler to overwrite. A group whose column
   * holds nothing to blank is rewritten whole instead — its rows deleted and appended again, in their order. (No
   * table of Tessera's has a key or an index, under which DuckDB would move an updated row, or refuse the copy.)
   * Once per scrub: a block freed here may be reused at once by the new segments, and DuckDB writes a reused block
   * whole with stale bytes in the part they leave unused — which the erasure's byte check finds and hands back
   * (`scrubFreedSpace(remnants)`). Only small segments share blocks: small tables, tails of columns.
   */
  private async moveOutOfTaintedBlocks(): Promise<void> {
    if (this.tainted.size === 0) return;
    const list = sql.raw(`[${[...this.tainted].join(", ")}]::BIGINT[]`);
    this.tainted.clear();
    let moved = 0;
    for (const table of await this.session.tables()) {
      const live = await this.session.query(
        sql`SELECT DISTINCT s.column_name, g.lo, g.hi
              FROM ${storageInfo(table)} s JOIN (${rowGroupRanges(table)}) g ON g.row_group_id = s.row_group_id
             WHERE list_contains(${list}, s.block_id)
                OR list_has_any(${list}, coalesce(s.additional_block_ids, []::BIGINT[]))
             ORDER BY s.column_name, g.lo`,
      );
      if (live.rowCount === 0) continue;
      const pairs = live.rows<{ column_name: string; lo: number | bigint; hi: number | bigint }>();
      const whole = new Map<number, { lo: number; hi: number }>();
      const byColumn = new Map<string, { lo: number; hi: number }[]>();
      for (const p of pairs) {
        const g = { lo: Number(p.lo), hi: Number(p.hi) };
        byColumn.set(p.column_name, [...(byColumn.get(p.column_name) ?? []), g]);
      }
      for (const [column, groups] of byColumn)
        for (const g of await this.rewriteColumns(table, column, groups)) whole.set(g.lo, g);
      await this.rewriteGroups(table, [...whole.values()]);
      moved += pairs.length;
    }
    if (moved > 0) await this.session.run("FORCE CHECKPOINT");
  }
}
