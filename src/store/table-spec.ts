import type { StorageKey } from "./engine.js";

/**
 * How the data model describes a table (`TableSpec`), and the ways of referring to a person that many tables share:
 * apart from data-model.ts so that the table lists (tables-of-people.ts, tables-of-the-platform.ts,
 * runtime-tables.ts) import them without importing the model, which imports the lists.
 */

/**
 * What a table is for:
 * - profile: the unified person (`customers`), or a company people belong to (`accounts`);
 * - identity: identifiers linked to a person;
 * - fact: what people did, as imported (events, orders, lines, survey answers);
 * - ledger: append-only records of changes (consents, the merge log, the audit log);
 * - registry: definitions and saved models (traits, computed values, segments, clusterings);
 * - derived: values computed per person from the rest (features, stays, scores, cluster assignments);
 * - bookkeeping: state the platform keeps for itself (migrations, imports, refresh state).
 */
export type TableRole = "profile" | "identity" | "fact" | "ledger" | "registry" | "derived" | "bookkeeping";

/**
 * What an identity merge does with the rows of a customer merged into another (src/ingest/identity.ts):
 * - combine: the profile rows of the group become one (done by the merge itself);
 * - rewrite: the rows move to the surviving customer;
 * - drop: the rows are deleted: a value computed for one person, which the next `segment refresh` computes
 *   again for the survivor (it re-runs RFM and CLV as of its time, and the merge marks everyone it touched dirty
 *   in `segment_dirty` for the features); until then the survivor keeps a score computed before the merge;
 * - keep: left as they are (the merge log names both ids on purpose).
 */
export type MergeRule = "combine" | "rewrite" | "drop" | "keep";

/** How a table refers to a person. */
export interface CustomerReference {
  /** The column holding the unified customer id. */
  readonly column: string;
  readonly onMerge: MergeRule;
  /**
   * Other columns holding a customer id (the id as the source file gave it, the merged-away end of a merge):
   * not rewritten by merges, but erasure must clear rows by them too.
   */
  readonly otherColumns?: readonly string[];
  /**
   * Columns holding one of a person's identifiers as the source gave it (an event's user id and anonymous id), by
   * the identifier's kind in `identities`: erasure clears rows by them too.
   */
  readonly identifierColumns?: readonly { readonly column: string; readonly kind: string }[];
}

/** One table of the data model. */
export interface TableSpec {
  readonly role: TableRole;
  /** What people call its rows ("Order lines"). */
  readonly label: string;
  /** How it refers to a person; null when it holds no customer id. */
  readonly customer: CustomerReference | null;
  /** The column dating each row (when what it records happened); null when rows are not dated. */
  readonly time: string | null;
  /** The columns that name one row (what examples show); empty when a row has no name of its own. */
  readonly key: readonly string[];
  /** The order its rows are stored in, where not the default of `storageKey` (the person first). */
  readonly storage?: StorageKey;
  /**
   * Its key in the `tessera stats` document (stats.ts), when stats counts it; null when it does not. The
   * document's keys and their order are those of the model: changing them changes the command line's contract.
   */
  readonly stats: string | null;
  /**
   * Whether its records should name someone a customers file described (a buyer, a consenting person, a
   * respondent): the audit reports those that do not. Events are exempt: anonymous visitors are normal.
   */
  readonly profileExpected?: boolean;
  /** "migration": created by `migrate`; "runtime": created by its producer, so it may be absent. */
  readonly created: "migration" | "runtime";
  /** For runtime tables, who creates them. */
  readonly createdBy?: string;
}

/** The profile's own id column: a merge combines the group's rows into one. */
export const COMBINE = { column: "customer_id", onMerge: "combine" } as const;
/** A customer id column whose rows move to the survivor of a merge. */
export const REWRITE = { column: "customer_id", onMerge: "rewrite" } as const;
/** Facts and ledgers loaded from files also keep the customer id the file gave. */
export const REWRITE_FROM_FILE = { ...REWRITE, otherColumns: ["source_customer_id"] } as const;
/** A value computed for one person: a merge deletes the merged person's rows. */
export const DROP = { column: "customer_id", onMerge: "drop" } as const;
