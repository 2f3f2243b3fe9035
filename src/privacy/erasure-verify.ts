import { describeTable } from "../store/data-model.js";
import type { Engine, EraseMatch, Remnant, StorageRegion } from "../store/engine.js";
import { matchesAny } from "../store/erase-match.js";
import { migratedTables } from "../store/migrate.js";
import { type Sql, sql } from "../store/sql.js";
import { type SearchResult, searchFileThreaded, searchRegions } from "./byte-search.js";
import { charShares, rareTail, shortestNeedles } from "./needles.js";

/**
 * The checks after an erasure (issue 17, item 4): no table holds the person, and the files do not hold their
 * identifiers' bytes.
 *
 * - Tables, through SQL (which sees through every compression): every column that names a person (the data
 *   model's customer, other and identifier columns, `customers.customer_id`) holds none of the person's ids, and
 *   every text and JSON column of every table the migrations create (events' properties, the audit log, the
 *   merge log's reasons…) contains none of their identifiers of `MIN_SEARCH_CHARS` or more characters — a shorter
 *   one ("C42") is inside other people's ids by chance, so it is checked for equality only. Facts' (events',
 *   orders', lines', answers') own text columns are left out of that search (ids, names, SKUs: not where an
 *   identifier goes, and the bulk of a large store's scan); their JSON is searched.
 * - Bytes: every file the database lives in (DuckDB's file and write-ahead log; a chdb data directory's files) is
 *   read and searched for each identifier of `MIN_SEARCH_CHARS` or more bytes. A byte search finds what is stored
 *   as it is (uncompressed or dictionary strings, LZ4 literals); a string the engine compressed (DuckDB's FSST,
 *   ZSTD) can hold the bytes without showing them, which is why the erasure rewrites the storage that held the
 *   rows rather than relying on this search: it is the check on that work, honest only where the data was
 *   stored plainly.
 */

/** Identifiers shorter than this are checked for equality only (by SQL) and not searched in bytes. */
export const MIN_SEARCH_CHARS = 8;

export interface ErasureVerification {
  /** No table holds any of the person's ids or identifiers. */
  readonly tables: boolean;
  /** No file holds the bytes of any identifier searched; null when the files are out of reach (memory, server). */
  readonly bytes: boolean | null;
  /** Where something was still found: `table.column`, file paths. Empty when verified. */
  readonly foundIn: readonly string[];
  /**
   * Files of storage the engine replaced and removes by itself later (ClickHouse's outdated parts, after
   * `old_parts_lifetime`) that still hold an identifier: `bytes` is false until they are gone.
   */
  readonly awaitingCleanup: readonly string[];
  /** Where in live storage files identifier bytes were found (byte offsets), for another scrub to move out of. */
  readonly remnants: readonly Remnant[];
  /** Whether `remnants` lists every place found (a search stops listing after a thousand per file). */
  readonly remnantsComplete: boolean;
  /** Identifiers searched in text columns and bytes; shorter ones, checked for equality only. */
  readonly searched: number;
  readonly tooShortToSearch: number;
  /** Files read and their bytes. */
  readonly files: number;
  readonly bytesRead: number;
  readonly seconds: number;
}

export interface ErasedPerson {
  /** Rows naming the person (column → their ids), per table, as the erasure deleted them. */
  readonly matches: ReadonlyMap<string, readonly EraseMatch[]>;
  /** Every identifier and id of theirs, as stored. */
  readonly needles: readonly string[];
}

/**
 * Checks the tables, then the files' bytes. `recheck`: the tables were found clean by an earlier check and have not
 * changed since (only storage moved), so the files alone are searched again — only the given regions of them (what
 * changed since that check's search, and the places it found) where the engine could tell, else all of them.
 */
export async function verifyErasure(
  engine: Engine,
  person: ErasedPerson,
  recheck?: { readonly regions: readonly StorageRegion[] | null },
): Promise<ErasureVerification> {
  const started = performance.now();
  const searchable = [...new Set(person.needles.filter((n) => n.length >= MIN_SEARCH_CHARS))];
  const foundIn = recheck !== undefined ? [] : await tablesHolding(engine, person, searchable);
  const tables = foundIn.length === 0;
  const files = await engine.storageFiles();
  let bytesRead = 0;
  let bytes: boolean | null = null;
  const awaitingCleanup: string[] = [];
  const remnants: Remnant[] = [];
  let remnantsComplete = true;
  if (files !== null) {
    const needles = searchable.map((n) => Buffer.from(n, "utf8"));
    const regions = recheck?.regions ?? null;
    const found = regions === null ? null : searchRegions(regions, needles);
    bytes = true;
    for (const file of files) {
      const r: SearchResult | undefined =
        found === null ? await searchFileThreaded(file.path, needles) : found.get(file.path);
      if (r === undefined) continue;
      bytesRead += r.bytes;
      if (r.found) {
        bytes = false;
        (file.replaced ? awaitingCleanup : foundIn).push(file.path);
        if (!file.replaced) remnants.push({ path: file.path, at: r.at });
        remnantsComplete &&= r.complete;
      }
    }
  }
  return {
    tables,
    bytes,
    foundIn,
    awaitingCleanup,
    remnants,
    remnantsComplete,
    searched: searchable.length,
    tooShortToSearch: new Set(person.needles).size - searchable.length,
    files: files?.length ?? 0,
    bytesRead,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The tables (or `table.column`s) that still hold one of the person's ids or identifiers. */
async function tablesHolding(
  engine: Engine,
  person: ErasedPerson,
  searchable: readonly string[],
): Promise<string[]> {
  const foundIn: string[] = [];
  // Equality, on every column that names a person.
  for (const [table, matches] of person.matches) {
    // A count per column, each a filter the scan applies (a disjunction over columns reads every column).
    const counts = matches
      .filter((m) => m.values.length > 0)
      .map((m) => sql`(SELECT count(*) FROM ${sql.ident(table)} WHERE ${matchesAny([m])})`);
    if (counts.length === 0) continue;
    const r = await engine.query(sql`SELECT ${sql.join(counts, " + ")} AS n`);
    if (Number(r.column("n")[0]) > 0) foundIn.push(table);
  }
  // Containment, in every text column of every table the migrations create.
  const d = engine.dialect;
  if (searchable.length > 0) {
    // Each identifier is a pass over every text searched: one inside another is searched alone.
    const parts = shortestNeedles(searchable);
    const present = new Set(await engine.tables());
    for (const [table, columns] of migratedTables()) {
      if (!present.has(table)) continue;
      // Facts' own text columns (message ids, event names, SKUs) are not where a person's identifiers go, and
      // scanning them dominates on a large store; their JSON (properties) is, and is scanned.
      const fact = describeTable(table)?.role === "fact";
      const text = columns
        .filter(([, type]) => type === "json" || (type === "string" && !fact))
        .map(([c]) => c);
      if (text.length === 0) continue;
      const asText = (c: string) => d.toText(sql.ident(c));
      // Rows are first tested for a tail of each identifier that starts with a character few of the column's
      // values hold (its first thousand values tell which), in the query's filter: the engine then tests the whole
      // identifiers only on the rows that hold a tail (in an aggregate's FILTER it would evaluate both everywhere).
      const sample = await engine.query(
        sql`SELECT ${sql.join(text.map((c) => sql`${asText(c)} AS ${sql.ident(c)}`))} FROM ${sql.ident(table)} LIMIT 1000`,
      );
      const tails = text.map((c) => {
        const share = charShares(sample.column(c).filter((v): v is string => typeof v === "string"));
        const t = shortestNeedles(parts.map((p) => rareTail(p, share, MIN_SEARCH_CHARS)));
        return d.containsAny(asText(c), t);
      });
      const checks: Sql[] = text.map(
        (c) => sql`${d.aggIf("count", [], d.containsAny(asText(c), parts))} AS ${sql.ident(c)}`,
      );
      const r = await engine.query(
        sql`SELECT ${sql.join(checks)} FROM ${sql.ident(table)} WHERE ${sql.join(tails, " OR ")}`,
      );
      for (const c of text) if (Number(r.column(c)[0] ?? 0) > 0) foundIn.push(`${table}.${c}`);
    }
  }
  return foundIn;
}
