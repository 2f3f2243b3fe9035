import type { Sql } from "../store/sql.js";

/**
 * Where the rows of an import come from, as the shared pipeline sees it: a relation of text columns, whatever
 * read them (a file through the engine's reader, rows from memory through a temporary table).
 *
 * Every column is text, so that validation can quote the original value, and reading the relation again gives
 * the same rows in the same order, so a row's number is its position (1-based).
 */
export interface ImportSource {
  /** How messages and the summary name the source: the file path as given, or the batch's label. */
  readonly label: string;
  /** What the source is, in messages ("a customers file needs …", "the batch has none"). */
  readonly noun: "file" | "batch";
  /** How the import log records it: the file's absolute path, or the label. */
  readonly logName: string;
  /** How the identity-merge log names it: the file's name, or the label. */
  readonly shortName: string;
  /** A relation (usable after FROM) that reads every row with every column as text, in order. */
  readonly relation: Sql;
  /** Its columns, in order. */
  readonly columns: readonly string[];
  /** True when the source holds no rows at all and no columns (an empty batch): there is nothing to import. */
  readonly empty: boolean;
  /** Drops anything opening the source created. */
  close(): Promise<void>;
}
