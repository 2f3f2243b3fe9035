import { UserError } from "../errors.js";
/**
 * The kinds of data Tessera imports (DESIGN.md, "Import formats"), in the order a folder of them is imported:
 * profiles first (so their ids name the people), then behaviour, then orders before their lines (lines then find
 * their orders stored and derive none).
 */
export const IMPORT_KINDS = [
  "customers",
  "events",
  "orders",
  "order-lines",
  "consents",
  "survey-responses",
] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** How rows of any source are read, checked and loaded: what every import is told, whatever it reads. */
export interface ImportSettings {
  readonly kind: ImportKind;
  /** `target=source[:format]` pairs, as given with `--map`. */
  readonly map?: readonly string[];
  /** Category of traits this import creates (customers only). */
  readonly category?: string;
  /** Trait names to register as personal data. */
  readonly pii?: readonly string[];
  /** Any rejected row aborts the import and nothing is written. */
  readonly strict?: boolean;
  /** Told each step as it starts (reading, identities, writing), for a progress line. */
  readonly onStep?: (step: ImportStep) => void;
}

/** A file import: the settings, the file and how to read it. */
export interface ImportOptions extends ImportSettings {
  readonly path: string;
  /** CSV delimiter; `whitespace` for columns separated by runs of blanks. */
  readonly delimiter?: string;
  /** CSV header: true, false, or undefined to detect. */
  readonly header?: boolean;
  /** Where rejected rows go (default `<file>.rejects.csv`). */
  readonly rejectsPath?: string;
}

/** A row of a batch: column name → value (text, number, boolean, Date, a JSON-able object or array, or empty). */
export type InputRow = Readonly<Record<string, unknown>>;

/** An import of rows held in memory or arriving as a stream (tracking API, API uploads). */
export interface RowsImportOptions extends ImportSettings {
  /** The rows, in order (row 1 first); an async iterable is read as it arrives, a page at a time. */
  readonly rows: Iterable<InputRow> | AsyncIterable<InputRow>;
  /** Names the batch in messages, the summary (`file`) and the import log, as a file's path would. */
  readonly source: string;
}

export type ImportStep = "reading and checking" | "linking identities" | "writing";

export interface ImportSummary {
  readonly kind: ImportKind;
  /** The file as given, or the batch's source label. */
  readonly file: string;
  readonly read: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly alreadyPresent: number;
  /** Path of the reject file, when rows were rejected (file imports). */
  readonly rejectsFile: string | null;
  /** Traits created by this import (customers). */
  readonly newTraits: readonly { name: string; type: string }[];
  /** Customers created and merged by identity resolution. */
  readonly customersCreated: number;
  readonly customersMerged: number;
  /** Things the user should know (derived ids, invalid emails kept, …). */
  readonly notes: readonly string[];
  readonly seconds: number;
}

/** A row set aside: where it is (1-based, in input order), the first check it failed, and what it held. */
export interface RejectedRow {
  readonly row: number;
  readonly field: string;
  readonly reason: string;
  /** Column → the row's value as text (as a file holds it; NULL when empty). */
  readonly values: Readonly<Record<string, string | null>>;
}

/**
 * A strict import of rows that rejected some: the user error the import raised, with every rejected row as a value,
 * so a caller (an API upload) can show them all, not only the first.
 */
export class RowsRejectedError extends UserError {
  constructor(
    cause: UserError,
    readonly rejects: readonly RejectedRow[],
  ) {
    super(cause.code, cause.reason, cause.where);
  }
}

/** What an import of rows gives back: the summary, and the rejected rows themselves for the caller to keep. */
export interface RowsImportResult extends ImportSummary {
  readonly rejects: readonly RejectedRow[];
}
