import type { Migration } from "./migration-spec.js";

/**
 * Versions 1–7: the customer data model and segmentation — people, identities, facts, the consent ledger, the
 * registries and audit log; segments, their versions and stays; the refresh's state; saved clusterings; events
 * stored in time order.
 */
export const SEGMENTATION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "data model: customers, identities, facts, consent ledger, registry, audit log",
    tables: [
      {
        name: "customers",
        columns: [
          ["customer_id", "string"],
          ["email", "string"],
          ["phone", "string"],
          ["first_name", "string"],
          ["last_name", "string"],
          ["first_seen", "timestamp"],
          ["last_seen", "timestamp"],
          // Set when a customers file described this person; NULL for people known only from facts.
          ["profile_at", "timestamp"],
          ["created_at", "timestamp"],
          ["updated_at", "timestamp"],
        ],
      },
      {
        name: "identities",
        columns: [
          ["kind", "string"],
          ["value", "string"],
          ["customer_id", "string"],
          ["created_at", "timestamp"],
        ],
      },
      {
        name: "identity_merges",
        columns: [
          ["merged_id", "string"],
          ["into_id", "string"],
          ["reason", "string"],
          ["merged_at", "timestamp"],
        ],
      },
      {
        name: "events",
        columns: [
          ["message_id", "string"],
          ["customer_id", "string"],
          ["user_id", "string"],
          ["anonymous_id", "string"],
          ["type", "string"],
          ["event", "string"],
          ["ts", "timestamp"],
          ["properties", "json"],
        ],
      },
      {
        name: "orders",
        columns: [
          ["order_id", "string"],
          ["customer_id", "string"],
          ["source_customer_id", "string"],
          ["ts", "timestamp"],
          ["total", "number"],
          ["returned", "number"],
          ["currency", "string"],
          ["properties", "json"],
        ],
      },
      {
        name: "order_items",
        columns: [
          ["order_id", "string"],
          ["line_no", "integer"],
          ["customer_id", "string"],
          ["source_customer_id", "string"],
          ["ts", "timestamp"],
          ["sku", "string"],
          ["category", "string"],
          ["description", "string"],
          ["quantity", "number"],
          ["unit_price", "number"],
          ["currency", "string"],
          ["properties", "json"],
        ],
      },
      {
        name: "consents",
        columns: [
          ["customer_id", "string"],
          ["source_customer_id", "string"],
          ["purpose", "string"],
          ["channel", "string"],
          ["status", "string"],
          ["source", "string"],
          ["ts", "timestamp"],
        ],
      },
      {
        name: "survey_responses",
        columns: [
          ["customer_id", "string"],
          ["source_customer_id", "string"],
          ["survey", "string"],
          ["question", "string"],
          ["answer", "string"],
          ["ts", "timestamp"],
        ],
      },
      {
        name: "trait_registry",
        columns: [
          ["name", "string"],
          ["type", "string"],
          ["category", "string"],
          ["pii", "boolean"],
          ["source_column", "string"],
          ["created_at", "timestamp"],
        ],
      },
      {
        name: "import_log",
        columns: [
          ["kind", "string"],
          ["file", "string"],
          ["read", "integer"],
          ["accepted", "integer"],
          ["rejected", "integer"],
          ["already_present", "integer"],
          ["imported_at", "timestamp"],
        ],
      },
      {
        name: "audit_log",
        columns: [
          ["who", "string"],
          ["what", "string"],
          ["at", "timestamp"],
          ["people", "integer"],
        ],
      },
    ],
  },
  {
    version: 2,
    name: "computed values registry; segments, versions and membership stays",
    tables: [
      {
        // Per-customer values computed by models (RFM, CLV, clusters…), each kept by its producer in a table
        // of its own (customer_id + columns); segment definitions reach them by name through this registry.
        name: "computed_registry",
        columns: [
          ["name", "string"],
          ["type", "string"],
          ["table_name", "string"],
          ["column_name", "string"],
          ["producer", "string"],
          ["description", "string"],
          ["updated_at", "timestamp"],
        ],
      },
      {
        name: "segments",
        columns: [
          ["segment_id", "string"],
          ["name", "string"],
          ["description", "string"],
          ["latest_version", "integer"],
          ["created_at", "timestamp"],
          ["updated_at", "timestamp"],
        ],
      },
      {
        name: "segment_versions",
        columns: [
          ["segment_id", "string"],
          ["version", "integer"],
          ["definition", "json"],
          ["created_at", "timestamp"],
        ],
      },
      {
        name: "segment_membership",
        columns: [
          ["segment_id", "string"],
          ["customer_id", "string"],
          ["entered_at", "timestamp"],
          ["exited_at", "timestamp"],
        ],
      },
    ],
  },
  {
    version: 3,
    name: "segment refreshes",
    tables: [
      {
        name: "segment_refreshes",
        columns: [
          ["as_of", "timestamp"],
          ["refreshed_at", "timestamp"],
          ["segments", "integer"],
          ["seconds", "number"],
          ["mode", "string"],
        ],
      },
    ],
  },
  {
    version: 4,
    name: "incremental segment refresh: dirty customers, feature table state",
    tables: [
      {
        // Customers whose data changed since the last refresh (imports, merges): an incremental refresh
        // re-evaluates them.
        name: "segment_dirty",
        columns: [
          ["customer_id", "string"],
          ["marked_at", "timestamp"],
        ],
      },
      {
        // What the stored feature table (segment_features) was built for, so an incremental refresh can tell
        // whether it still fits the saved definitions.
        name: "segment_feature_state",
        columns: [
          ["signature", "string"],
          ["as_of", "timestamp"],
          ["built_at", "timestamp"],
        ],
      },
    ],
  },
  {
    version: 5,
    name: "saved clusterings: models, centroids, assignments",
    tables: [
      {
        // One saved clustering: its features, fitted preprocessing and model (JSON), and fit statistics.
        name: "clusterings",
        columns: [
          ["name", "string"],
          ["k", "integer"],
          ["model", "string"],
          ["features", "json"],
          ["spec", "json"],
          ["seed", "integer"],
          ["inertia", "number"],
          ["silhouette", "number"],
          ["customers", "integer"],
          ["as_of", "timestamp"],
          ["created_at", "timestamp"],
          ["assigned_at", "timestamp"],
        ],
      },
      {
        // Centres in the preprocessed space, one row per (cluster, column); `value` is what assignment uses.
        name: "clustering_centroids",
        columns: [
          ["clustering", "string"],
          ["cluster", "integer"],
          ["column_name", "string"],
          ["value", "number"],
        ],
      },
      {
        // Each customer's cluster; a view per clustering (cluster_<name>) exposes it as computed value cluster.<name>.
        name: "cluster_assignments",
        columns: [
          ["clustering", "string"],
          ["customer_id", "string"],
          ["cluster", "integer"],
          ["distance", "number"],
        ],
      },
    ],
  },
  {
    version: 6,
    name: "incremental segment refresh: how far back a dirty customer's facts changed",
    tables: [],
    addColumns: [
      // The earliest timestamp among the facts that made the customer dirty; -infinity after an identity merge
      // (the whole history moved); NULL when only the profile changed. A refresh counts new facts after its last
      // as-of time by adding them, and re-reads the whole history of customers whose change reaches further back.
      { table: "segment_dirty", column: ["since", "timestamp"] },
    ],
    // Imports now store events in time order, and the segment refresh scans one time range per window: events
    // imported before are put in that order once.
    reorder: [{ table: "events", by: "ts" }],
  },
  {
    version: 7,
    name: "events stored time first where the engine keeps a sort key",
    tables: [],
    // ClickHouse stores made before kept events person first (data-model.ts says why time first).
    rekey: ["events"],
  },
];
