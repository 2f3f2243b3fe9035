/**
 * The ways of referring to a person that many tables share (`CustomerReference`, data-model.ts), apart from the
 * table lists so that each of them imports them without importing the model (which imports the lists).
 */

/** The profile's own id column: a merge combines the group's rows into one. */
export const COMBINE = { column: "customer_id", onMerge: "combine" } as const;
/** A customer id column whose rows move to the survivor of a merge. */
export const REWRITE = { column: "customer_id", onMerge: "rewrite" } as const;
/** Facts and ledgers loaded from files also keep the customer id the file gave. */
export const REWRITE_FROM_FILE = { ...REWRITE, otherColumns: ["source_customer_id"] } as const;
/** A value computed for one person: a merge deletes the merged person's rows. */
export const DROP = { column: "customer_id", onMerge: "drop" } as const;
