import type { ColumnType } from "./engine.js";

/** A table of the data model, in neutral column types so every engine creates the same thing. */
export interface TableDef {
  readonly name: string;
  readonly columns: readonly (readonly [string, ColumnType])[];
}

/**
 * One version of the schema. Described here, apart from the versioned lists (migrations-segmentation.ts,
 * migrations-platform.ts), so that they import it without importing migrations.ts, which joins them.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly tables: readonly TableDef[];
  /** Columns added to tables of earlier migrations. */
  readonly addColumns?: readonly { readonly table: string; readonly column: readonly [string, ColumnType] }[];
  /** Tables rewritten in the order of a column (the storage layout a later version relies on for speed). */
  readonly reorder?: readonly { readonly table: string; readonly by: string }[];
  /** Tables given their storage key of now (`storageKey`), where an engine keeps one. */
  readonly rekey?: readonly string[];
}
