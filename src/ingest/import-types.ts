import { UserError } from "../errors.js";
/**
 * The kinds of data Tessera imports (DESIGN.md, "Import formats"), in the order a folder of them is imported:
 * profiles first (so their ids name the people; then accounts, the companies people belong to), then behaviour,
 * then orders before their lines (lines then find their orders stored and derive none).
 */
export const IMPORT_KINDS = [
  "customers",
  "accounts",
  "events",
  "orders",
  "order-lines",
  "consents",
  "survey-responses",
] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/**
 * What an import does with a row whose key (message_id, order_id, an order's line) is stored, or repeated in the
 * source, with other content — a conflict (conflicts.ts). Every conflict is reported, with both versions; `reject`
 * sets the row aside (the import goes on; with `strict` it is refused), `keep-first` keeps the version seen first
 * (the stored one, or the source's first row), `replace` keeps the last (the source's last row, in place of the
 * stored one).
 */
export const CONFLICT_POLICIES = ["reject", "keep-first", "replace"] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** How rows of any source are read, checked and loaded: what every import is told, whatever it reads. */
export interface ImportSettings {
  readonly kind: ImportKind;
  /** `target=source[:format]` pairs, as given with `--map`. */
  readonly map?: readonly string[];
  /** Category of traits this import creates (customers only; account traits have none). */
  readonly category?: string;
  /** Trait names to register as personal data. */
  readonly pii?: readonly string[];
  /** Any rejected row (or conflict, with `onConflict` reject) aborts the import and nothing is written. */
  readonly strict?: boolean;
  /** What a conflict does (default `reject`). */
  readonly onConflict?: ConflictPolicy;
  /**
   * Admit any date: without it a timestamp on or before 1900-01-01 or more than a day after the import's time is
   * rejected as implausible (validate.ts, `plausibleDates`).
   */
  readonly allowAnyDate?: boolean;
  /** The import's time, which "in the future" is judged by (default: the clock; tests fix it). */
  readonly now?: Date;
  /**
   * Events only: look for a row's `message_id` among the stored events dated within this many days of the
   * batch's own times, not among all of them (Segment's deduplication window: a message sent again is sent
   * again soon). The tracking API's loads use it; on 35M stored events it turns a scan of every message id per
   * load into one of a few row groups. Default: all stored events.
   */
  readonly dedupeWithinDays?: number;
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
  /** The file's text encoding (a WHATWG label: latin1, windows-1252, utf-16le, …); default UTF-8. */
  readonly encoding?: string;
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
  /** Rows read: accepted + rejected + alreadyPresent + conflicts. */
  readonly read: number;
  /** Rows that added or changed data: new facts; for customers, rows that changed a profile. */
  readonly accepted: number;
  /** Rows that failed a check (the reasons in the reject file, or the batch's rejects). */
  readonly rejected: number;
  /** Rows that would change nothing: an identical fact is stored, or given earlier in the source. */
  readonly alreadyPresent: number;
  /**
   * Rows whose key is stored, or given earlier in the source, with other content: reported with both versions,
   * and loaded or not as `onConflict` says.
   */
  readonly conflicts: number;
  readonly onConflict: ConflictPolicy;
  /** Path of the reject file, when rows were rejected (file imports). */
  readonly rejectsFile: string | null;
  /** Traits created by this import (customers; accounts: account traits). */
  readonly newTraits: readonly { name: string; type: string }[];
  /** Customers created by identity resolution. */
  readonly customersCreated: number;
  /**
   * Records that became part of another customer through a shared identifier: stored customers merged into
   * another, and the source's new records (a new customer id, an anonymous visitor) joined to an existing or
   * another new one. A re-import merges nothing.
   */
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
