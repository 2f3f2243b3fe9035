/**
 * The kinds of file Tessera imports (DESIGN.md, "Import formats"), in the order a folder of them is imported:
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

export interface ImportOptions {
  readonly kind: ImportKind;
  readonly path: string;
  /** `target=source[:format]` pairs, as given with `--map`. */
  readonly map?: readonly string[];
  /** Category of traits this import creates (customers only). */
  readonly category?: string;
  /** Trait names to register as personal data. */
  readonly pii?: readonly string[];
  /** Any rejected row aborts the import and nothing is written. */
  readonly strict?: boolean;
  /** CSV delimiter; `whitespace` for columns separated by runs of blanks. */
  readonly delimiter?: string;
  /** CSV header: true, false, or undefined to detect. */
  readonly header?: boolean;
  /** Where rejected rows go (default `<file>.rejects.csv`). */
  readonly rejectsPath?: string;
  /** Told each step as it starts (reading, identities, writing), for a progress line. */
  readonly onStep?: (step: ImportStep) => void;
}

export type ImportStep = "reading and checking" | "linking identities" | "writing";

export interface ImportSummary {
  readonly kind: ImportKind;
  readonly file: string;
  readonly read: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly alreadyPresent: number;
  /** Path of the reject file, when rows were rejected. */
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
