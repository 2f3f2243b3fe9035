import type { StorageKey } from "./engine.js";

/**
 * The data model, written once: every table the engine holds, what it is for, whether (and by which column) it
 * refers to a person, which column dates its rows, what people call them, and whether `tessera stats` counts
 * them. Migrations create most tables (`migrations.ts`; a test checks that the two agree); a few are created at
 * runtime by their producers (the stored feature table, computed values, settings) and are found in the
 * database when present. Identity merges, erasure, stats and the audit take their table lists from here.
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

const COMBINE = { column: "customer_id", onMerge: "combine" } as const;
const REWRITE = { column: "customer_id", onMerge: "rewrite" } as const;
/** Facts and ledgers loaded from files also keep the customer id the file gave. */
const REWRITE_FROM_FILE = { ...REWRITE, otherColumns: ["source_customer_id"] } as const;
const DROP = { column: "customer_id", onMerge: "drop" } as const;

/** The tables, in the order of the `tessera stats` document for those it counts. */
const TABLES = {
  customers: {
    role: "profile",
    label: "Customers",
    customer: COMBINE,
    time: null,
    key: ["customer_id"],
    stats: "customers",
    created: "migration",
  },
  identities: {
    role: "identity",
    label: "Identities",
    customer: REWRITE,
    time: "created_at",
    key: ["kind", "value"],
    stats: "identities",
    created: "migration",
  },
  identity_merges: {
    role: "ledger",
    label: "Identity merges",
    customer: { column: "into_id", onMerge: "keep", otherColumns: ["merged_id"] },
    time: "merged_at",
    key: [],
    stats: null,
    created: "migration",
  },
  events: {
    role: "fact",
    label: "Events",
    customer: {
      ...REWRITE,
      identifierColumns: [
        { column: "user_id", kind: "user_id" },
        { column: "anonymous_id", kind: "anonymous_id" },
      ],
    },
    time: "ts",
    key: ["message_id"],
    // Time first, as PostHog stores events: a segment's window, and the new rows an incremental refresh counts,
    // are a time range, which a time-first key reads alone (a person-first one reads every granule: measured,
    // a full refresh of the benchmark's 1M customers spent 119 s of 121 on ClickHouse scanning all events per
    // window). Within a day, by event name (a name narrows a window further) and person.
    storage: [{ day: "ts" }, "event", "customer_id"],
    stats: "events",
    created: "migration",
  },
  orders: {
    role: "fact",
    label: "Orders",
    customer: REWRITE_FROM_FILE,
    time: "ts",
    key: ["order_id"],
    stats: "orders",
    profileExpected: true,
    created: "migration",
  },
  order_items: {
    role: "fact",
    label: "Order lines",
    customer: REWRITE_FROM_FILE,
    time: "ts",
    key: ["order_id", "line_no"],
    stats: "orderItems",
    profileExpected: true,
    created: "migration",
  },
  consents: {
    role: "ledger",
    label: "Consent records",
    customer: REWRITE_FROM_FILE,
    time: "ts",
    key: [],
    stats: "consents",
    profileExpected: true,
    created: "migration",
  },
  survey_responses: {
    role: "fact",
    label: "Survey answers",
    customer: REWRITE_FROM_FILE,
    time: "ts",
    key: [],
    stats: "surveyResponses",
    profileExpected: true,
    created: "migration",
  },
  trait_registry: {
    role: "registry",
    label: "Registered traits",
    customer: null,
    time: "created_at",
    key: ["name"],
    stats: null,
    created: "migration",
  },
  import_log: {
    role: "bookkeeping",
    label: "Imports",
    customer: null,
    time: "imported_at",
    key: [],
    stats: null,
    created: "migration",
  },
  audit_log: {
    role: "ledger",
    label: "Audit log entries",
    customer: null,
    time: "at",
    key: [],
    stats: null,
    created: "migration",
  },
  accounts: {
    // A company's profile, as `customers` is a person's; no person's id: membership is the group events.
    role: "profile",
    label: "Accounts",
    customer: null,
    time: "updated_at",
    key: ["account_id"],
    // Not in `tessera stats`: its document's keys are the command line's contract.
    stats: null,
    created: "migration",
  },
  account_traits: {
    role: "registry",
    label: "Registered account traits",
    customer: null,
    time: "created_at",
    key: ["name"],
    stats: null,
    created: "migration",
  },
  api_keys: {
    role: "registry",
    label: "API keys",
    customer: null,
    time: "created_at",
    key: ["key_id"],
    stats: null,
    created: "migration",
  },
  audiences: {
    role: "registry",
    label: "Audiences",
    customer: null,
    time: "created_at",
    key: ["audience_id"],
    stats: null,
    created: "migration",
  },
  destinations: {
    role: "registry",
    label: "Destinations",
    customer: null,
    time: "created_at",
    key: ["destination_id"],
    stats: null,
    created: "migration",
  },
  destination_audiences: {
    role: "registry",
    label: "Audiences attached to destinations",
    customer: null,
    time: "attached_at",
    key: ["destination_id", "audience_id"],
    stats: null,
    created: "migration",
  },
  destination_members: {
    // What a destination was told; a merged-away id is dropped (the survivor enters at the next sync if they are in).
    role: "derived",
    label: "Destination members",
    customer: DROP,
    time: "since",
    key: [],
    stats: null,
    created: "migration",
  },
  deliveries: {
    role: "ledger",
    label: "Webhook deliveries",
    customer: null,
    time: "created_at",
    key: ["delivery_id"],
    stats: null,
    created: "migration",
  },
  delivery_people: {
    // The people of a delivery, as they were when it was made: kept as sent (a merge does not rewrite history).
    role: "ledger",
    label: "People in deliveries",
    customer: { column: "customer_id", onMerge: "keep" },
    time: null,
    key: [],
    stats: null,
    created: "migration",
  },
  delivery_messages: {
    // A campaign's pending messages as rendered for a person: erased with them; a merge leaves them as rendered (the
    // merged-away id no longer passes the consent gate, so the message is withheld, never sent to the survivor).
    role: "bookkeeping",
    label: "Messages in deliveries",
    customer: { column: "customer_id", onMerge: "keep" },
    time: null,
    key: [],
    stats: null,
    created: "migration",
  },
  campaigns: {
    role: "registry",
    label: "Campaigns",
    customer: null,
    time: "created_at",
    key: ["campaign_id"],
    stats: null,
    created: "migration",
  },
  experiments: {
    role: "registry",
    label: "Experiments",
    customer: null,
    time: "created_at",
    key: ["experiment_id"],
    stats: null,
    created: "migration",
  },
  experiment_assignments: {
    // Who is in which variant: follows the person on a merge; an analysis counts a person once per experiment,
    // in the variant they were assigned first (src/experiments/).
    role: "ledger",
    label: "Experiment assignments",
    customer: REWRITE,
    time: "assigned_at",
    key: ["experiment_id"],
    stats: null,
    created: "migration",
  },
  audit_runs: {
    role: "bookkeeping",
    label: "Recorded audits",
    customer: null,
    time: "audited_at",
    key: [],
    stats: null,
    created: "migration",
  },
  experiment_allocations: {
    role: "bookkeeping",
    label: "Bandit allocations",
    customer: null,
    time: "effective_at",
    key: ["experiment_id"],
    stats: null,
    created: "migration",
  },
  campaign_sends: {
    // Who got what: follows the person on a merge (a frequency cap counts what the survivor received).
    role: "ledger",
    label: "Campaign sends",
    customer: REWRITE,
    time: "sent_at",
    key: [],
    stats: null,
    created: "migration",
  },
  privacy_settings: {
    role: "bookkeeping",
    label: "Privacy settings",
    customer: null,
    time: "updated_at",
    key: [],
    stats: null,
    created: "migration",
  },
  privacy_budget_ledger: {
    // Keyed by who asked (an API key or a CLI user), not by a customer.
    role: "ledger",
    label: "Privacy budget spends",
    customer: null,
    time: "at",
    key: [],
    stats: null,
    created: "migration",
  },
  suppressions: {
    // Who must not be reached for any use (unsubscribed, do not contact), on one channel or all: the consent gate
    // (src/privacy/consent-gate.ts) leaves them out whatever they consented to. Follows the person on a merge.
    role: "ledger",
    label: "Suppressions",
    customer: REWRITE,
    time: "recorded_at",
    key: [],
    stats: null,
    created: "migration",
  },
  tombstones: {
    // Keyed hashes of erased people's identifiers: no customer id, nothing in clear.
    role: "ledger",
    label: "Tombstones of erased identifiers",
    customer: null,
    time: "erased_at",
    key: ["hash"],
    stats: null,
    created: "migration",
  },
  tombstone_key: {
    role: "bookkeeping",
    label: "Tombstone hash key",
    customer: null,
    time: "created_at",
    key: [],
    stats: null,
    created: "migration",
  },
  erasures: {
    // The proof of each erasure, without the person: who asked, when, how much was removed.
    role: "ledger",
    label: "Erasures",
    customer: null,
    time: "erased_at",
    key: ["erasure_id"],
    stats: null,
    created: "migration",
  },
  retention_periods: {
    role: "bookkeeping",
    label: "Retention periods",
    customer: null,
    time: "updated_at",
    key: [],
    stats: null,
    created: "migration",
  },
  computed_registry: {
    role: "registry",
    label: "Computed values",
    customer: null,
    time: "updated_at",
    key: ["name"],
    stats: null,
    created: "migration",
  },
  segments: {
    role: "registry",
    label: "Segments",
    customer: null,
    time: "created_at",
    key: ["segment_id"],
    stats: null,
    created: "migration",
  },
  segment_versions: {
    role: "registry",
    label: "Segment versions",
    customer: null,
    time: "created_at",
    key: ["segment_id", "version"],
    stats: null,
    created: "migration",
  },
  segment_membership: {
    role: "derived",
    label: "Segment stays",
    // A stay is history: the merged person's stays become the survivor's.
    customer: REWRITE,
    time: "entered_at",
    key: [],
    stats: null,
    created: "migration",
  },
  segment_refreshes: {
    role: "bookkeeping",
    label: "Segment refreshes",
    customer: null,
    time: "refreshed_at",
    key: [],
    stats: null,
    created: "migration",
  },
  segment_dirty: {
    role: "bookkeeping",
    label: "Customers to refresh",
    // What changed for the merged person changed for the survivor (who the merge marks as well).
    customer: REWRITE,
    time: "marked_at",
    key: [],
    stats: null,
    created: "migration",
  },
  segment_feature_state: {
    role: "bookkeeping",
    label: "Feature table state",
    customer: null,
    time: "built_at",
    key: [],
    stats: null,
    created: "migration",
  },
  clusterings: {
    role: "registry",
    label: "Saved clusterings",
    customer: null,
    time: "created_at",
    key: ["name"],
    stats: null,
    created: "migration",
  },
  clustering_centroids: {
    role: "registry",
    label: "Cluster centres",
    customer: null,
    time: null,
    key: ["clustering", "cluster", "column_name"],
    stats: null,
    created: "migration",
  },
  cluster_assignments: {
    role: "derived",
    label: "Cluster assignments",
    // Rewritten: the view cluster_<name> keeps one row per customer (the nearer centre) until the next assignment.
    customer: REWRITE,
    time: null,
    key: ["clustering", "customer_id"],
    stats: null,
    created: "migration",
  },
  schema_migrations: {
    role: "bookkeeping",
    label: "Schema migrations",
    customer: null,
    time: "applied_at",
    key: ["version"],
    stats: null,
    created: "migration",
  },
  segment_features: {
    role: "derived",
    label: "Stored segment features",
    customer: DROP,
    time: null,
    key: ["customer_id"],
    stats: null,
    created: "runtime",
    createdBy: "the segment refresh (STORED_FEATURES, src/segments/segment-refresh.ts)",
  },
  customer_rfm: {
    role: "derived",
    label: "RFM scores",
    customer: DROP,
    time: null,
    key: ["customer_id"],
    stats: null,
    created: "runtime",
    createdBy: "tessera rfm (RFM_TABLE, src/analytics/rfm.ts)",
  },
  customer_clv: {
    role: "derived",
    label: "Lifetime value predictions",
    customer: DROP,
    time: null,
    key: ["customer_id"],
    stats: null,
    created: "runtime",
    createdBy: "tessera clv predict (CLV_TABLE, src/analytics/clv-predict.ts)",
  },
  clv_model: {
    role: "registry",
    label: "Fitted CLV model",
    customer: null,
    time: "fitted_at",
    key: [],
    stats: null,
    created: "runtime",
    createdBy: "tessera clv fit (src/analytics/clv.ts)",
  },
  recommendations: {
    role: "derived",
    label: "Product recommendations",
    customer: DROP,
    time: null,
    key: ["customer_id", "rank"],
    stats: null,
    created: "runtime",
    createdBy: "tessera recommend fit (src/predict/recommend.ts)",
  },
  customer_recommendation: {
    role: "derived",
    label: "First recommendation",
    customer: DROP,
    time: null,
    key: ["customer_id"],
    stats: null,
    created: "runtime",
    createdBy: "tessera recommend fit (src/predict/recommend.ts)",
  },
  recommend_items: {
    role: "registry",
    label: "Recommender catalogue",
    customer: null,
    time: null,
    key: ["sku"],
    stats: null,
    created: "runtime",
    createdBy: "tessera recommend fit (src/predict/recommend.ts)",
  },
  recommend_neighbors: {
    role: "registry",
    label: "Recommender item weights",
    customer: null,
    time: null,
    key: ["sku", "rank"],
    stats: null,
    created: "runtime",
    createdBy: "tessera recommend fit (src/predict/recommend.ts)",
  },
  recommend_model: {
    role: "registry",
    label: "Fitted recommender",
    customer: null,
    time: "fitted_at",
    key: [],
    stats: null,
    created: "runtime",
    createdBy: "tessera recommend fit (src/predict/recommend.ts)",
  },
  value_settings: {
    role: "bookkeeping",
    label: "Value producer settings",
    customer: null,
    time: "updated_at",
    key: ["producer"],
    stats: null,
    created: "runtime",
    createdBy: "tessera rfm and clv predict (src/analytics/settings.ts)",
  },
  budget_plan: {
    // The last budget plan, one row per segment or audience (no person: segment-level figures, k-gated as shown).
    role: "derived",
    label: "Last budget plan",
    customer: null,
    time: "planned_at",
    key: ["plan_key"],
    stats: null,
    created: "runtime",
    createdBy: "tessera budget plan (BUDGET_PLAN_TABLE, src/predict/budget-store.ts)",
  },
  encryption_state: {
    role: "bookkeeping",
    label: "Encryption state",
    customer: null,
    time: "encrypted_at",
    key: [],
    stats: null,
    created: "runtime",
    createdBy: "the first write of personal data with a key (ENCRYPTION_STATE, src/privacy/encryption.ts)",
  },
} as const satisfies Record<string, TableSpec>;

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
