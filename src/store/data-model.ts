import type { StorageKey } from "./engine.js";
import { RUNTIME_TABLES } from "./runtime-tables.js";
import type { TableSpec } from "./table-spec.js";
import { TABLES_OF_PEOPLE } from "./tables-of-people.js";
import { TABLES_OF_THE_PLATFORM } from "./tables-of-the-platform.js";

export type { CustomerReference, MergeRule, TableRole, TableSpec } from "./table-spec.js";

/**
 * The data model, written once: every table the engine holds, what it is for, whether (and by which column) it
 * refers to a person, which column dates its rows, what people call them, and whether `tessera stats` counts
 * them. Migrations create most tables (`migrations.ts`; a test checks that the two agree); a few are created at
 * runtime by their producers (the stored feature table, computed values, settings) and are found in the
 * database when present. Identity merges, erasure, stats and the audit take their table lists from here. The
 * tables themselves are listed in tables-of-people.ts, tables-of-the-platform.ts and runtime-tables.ts.
 */

/**
 * The tables, in the order of the `tessera stats` document for those it counts: the people's, then the platform's,
 * then those producers create at runtime (a spread keeps each list's order).
 */
const TABLES = {
  ...TABLES_OF_PEOPLE,
  ...TABLES_OF_THE_PLATFORM,
  ...RUNTIME_TABLES,
} as const satisfies Record<string, TableSpec>;

// One object literal refused a table named twice; spread lists would let the later silently replace the earlier.
type NoTableInTwoLists<Shared extends never> = Shared;
type _TablesDisjoint = NoTableInTwoLists<
  | (keyof typeof TABLES_OF_PEOPLE & keyof typeof TABLES_OF_THE_PLATFORM)
  | (keyof typeof TABLES_OF_PEOPLE & keyof typeof RUNTIME_TABLES)
  | (keyof typeof TABLES_OF_THE_PLATFORM & keyof typeof RUNTIME_TABLES)
>;

export type TableName = keyof typeof TABLES;

/** The keys of the `tessera stats` document. */
export type StatsKey = NonNullable<(typeof TABLES)[TableName]["stats"]>;

/** A table of the model with its name. */
export interface DescribedTable extends TableSpec {
  readonly name: TableName;
}

/** Every table of the data model, in the model's order. */
export const DATA_MODEL: readonly DescribedTable[] = Object.entries(TABLES).map(
  ([name, spec]): DescribedTable => ({ name: name as TableName, ...spec }),
);

const BY_NAME = new Map<string, DescribedTable>(DATA_MODEL.map((t) => [t.name, t]));

/** The description of a table, or undefined when the model does not describe it. */
export function describeTable(name: string): DescribedTable | undefined {
  return BY_NAME.get(name);
}

/** The names of the tables that pass `test`, in the model's order. */
export function tablesWhere(test: (t: DescribedTable) => boolean): TableName[] {
  return DATA_MODEL.filter(test).map((t) => t.name);
}

/**
 * Every described table that refers to a person, other than the profile (`customers`) itself: derived and
 * runtime ones included. Which of them a database holds, and the computed-value tables producers registered,
 * `customerTables` says.
 */
export const CUSTOMER_REF_TABLES: readonly TableName[] = tablesWhere(
  (t) => t.customer !== null && t.role !== "profile",
);

/** The tables `tessera stats` counts, with their keys, in the document's order. */
export const STATS_TABLES: readonly { readonly table: TableName; readonly key: StatsKey }[] =
  DATA_MODEL.flatMap((t) => (t.stats === null ? [] : [{ table: t.name, key: t.stats as StatsKey }]));

/**
 * The order a table's rows are kept in, where an engine sorts its storage (ClickHouse's MergeTree key): its own
 * (`storage`: events, time first), else the person first, so that per-customer work reads each person's rows
 * together, then the time; else the row's key.
 */
export function storageKey(table: string): StorageKey {
  const t = describeTable(table);
  if (t === undefined) return [];
  if (t.storage !== undefined) return t.storage;
  if (t.customer !== null) return [t.customer.column, ...(t.time !== null ? [t.time] : [])];
  return [...t.key];
}
