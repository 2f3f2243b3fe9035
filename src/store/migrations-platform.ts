import type { Migration } from "./migration-spec.js";

/**
 * Versions 8 on: the platform around segmentation — API keys, accounts, the hash-chained audit log, erasure,
 * suppressions, privacy settings and budget, activation, experiments, recorded audits.
 */
export const PLATFORM_MIGRATIONS: readonly Migration[] = [
  {
    version: 8,
    name: "API keys: a role each, stored as a hash",
    tables: [
      {
        // The key itself is shown once, when created; only its SHA-256 is kept (src/access/keys.ts).
        name: "api_keys",
        columns: [
          ["key_id", "string"],
          ["name", "string"],
          ["role", "string"],
          ["hash", "string"],
          ["created_at", "timestamp"],
          ["revoked_at", "timestamp"],
        ],
      },
    ],
  },
  {
    version: 9,
    name: "accounts (Segment group calls) and their typed traits",
    tables: [
      {
        // The companies people belong to (B2B). Traits are typed columns, added as imports and group calls bring
        // them (as customers' traits are), typed by `account_traits`: a segment compares `employees > 50` as a
        // number and validation names a type mismatch, where JSON text would compare as text or not at all, and
        // a file's or a call's later values win column by column with the same upsert the customers import
        // uses. Who belongs to which account is not stored here: it is the group events (type 'group',
        // properties.group_id), which identity merges rewrite and erasure removes with the person's events.
        name: "accounts",
        columns: [
          ["account_id", "string"],
          ["created_at", "timestamp"],
          ["updated_at", "timestamp"],
        ],
      },
      {
        // The registry of account traits (name, type), apart from `trait_registry`: account traits are the
        // company's, not a person's (no PII flag, no category), and an account trait may share a customer
        // trait's name (`plan`) with another type.
        name: "account_traits",
        columns: [
          ["name", "string"],
          ["type", "string"],
          ["source_column", "string"],
          ["created_at", "timestamp"],
        ],
      },
    ],
  },
  {
    version: 10,
    name: "audit log entries hash-chained: sequence, action, subject, purpose, hashes",
    tables: [],
    // Entries written before (who, what, at, people) keep these NULL: the first chained entry seals them
    // (src/privacy/audit-log.ts), so they need no rewrite, which ClickHouse could not do in place.
    addColumns: [
      { table: "audit_log", column: ["seq", "integer"] },
      { table: "audit_log", column: ["action", "string"] },
      { table: "audit_log", column: ["subject", "string"] },
      { table: "audit_log", column: ["purpose", "string"] },
      { table: "audit_log", column: ["prev_hash", "string"] },
      { table: "audit_log", column: ["hash", "string"] },
    ],
  },
  {
    version: 11,
    name: "erasure: tombstones of erased identifiers, the erasure ledger, retention periods",
    tables: [
      {
        // The keyed hash of each identifier of an erased person (src/privacy/tombstones.ts): an import or a tracked
        // event carrying one is rejected ("erased"). No identifier is kept in clear.
        name: "tombstones",
        columns: [
          ["hash", "string"],
          ["erased_at", "timestamp"],
        ],
      },
      {
        // The database's random key for those hashes (one row, made by the first erasure): a plain hash of an
        // email or a phone number is reversed by hashing a list of them.
        name: "tombstone_key",
        columns: [
          ["tombstone_key", "string"],
          ["created_at", "timestamp"],
        ],
      },
      {
        // The proof that an erasure happened (src/privacy/erasure.ts): when, by whom, how much, and the keyed hash
        // of the identifier the request named; nothing that says who the person was.
        name: "erasures",
        columns: [
          ["erasure_id", "string"],
          ["person_hash", "string"],
          ["identifiers", "integer"],
          ["rows_removed", "integer"],
          ["erased_at", "timestamp"],
          ["erased_by", "string"],
        ],
      },
      {
        // How long each kind of data is kept (src/privacy/retention.ts); the latest row of a kind wins, a NULL
        // period keeps it for ever.
        name: "retention_periods",
        columns: [
          ["kind", "string"],
          ["period", "string"],
          ["updated_at", "timestamp"],
          ["updated_by", "string"],
        ],
      },
    ],
  },
  {
    version: 12,
    name: "the suppression list: people not to be reached (unsubscribed, do not contact)",
    tables: [
      {
        // Append-only, as the consent ledger (src/privacy/suppression.ts): `action` suppress or unsuppress, for
        // every channel (NULL) or one; the latest record of a scope decides, a suppression overriding any consent.
        name: "suppressions",
        columns: [
          ["customer_id", "string"],
          ["channel", "string"],
          ["action", "string"],
          ["reason", "string"],
          ["recorded_at", "timestamp"],
          ["recorded_by", "string"],
        ],
      },
    ],
  },
  {
    version: 13,
    name: "privacy settings (smallest group, differential privacy) and the privacy budget ledger",
    tables: [
      {
        // One row per setting changed from its default (src/privacy/settings.ts); the latest row of a name wins.
        name: "privacy_settings",
        columns: [
          ["name", "string"],
          ["value", "string"],
          ["updated_at", "timestamp"],
          ["updated_by", "string"],
        ],
      },
      {
        // What each caller spent of the privacy budget per period (src/privacy/budget.ts); amounts are exact
        // rationals written as "num/den", summed as such, never as floating point.
        name: "privacy_budget_ledger",
        columns: [
          ["budget_key", "string"],
          ["period", "string"],
          ["unit", "string"],
          ["amount", "string"],
          ["operation", "string"],
          ["at", "timestamp"],
        ],
      },
    ],
  },
  {
    version: 14,
    name: "activation: audiences, destinations and their deliveries, campaigns and their sends",
    tables: [
      {
        // A segment, or a boolean combination of segments, for a purpose on a channel (src/activation/audiences.ts):
        // its members are always the consented ones, computed when asked, never stored.
        name: "audiences",
        columns: [
          ["audience_id", "string"],
          ["name", "string"],
          ["description", "string"],
          ["segments", "json"],
          ["purpose", "string"],
          ["channel", "string"],
          ["created_at", "timestamp"],
          ["created_by", "string"],
        ],
      },
      {
        // Where audiences go (src/activation/destinations.ts): a webhook URL and the secret its deliveries are
        // signed with (sealed with the database's key when it has one).
        name: "destinations",
        columns: [
          ["destination_id", "string"],
          ["kind", "string"],
          ["url", "string"],
          ["secret", "string"],
          ["allow_private", "boolean"],
          ["created_at", "timestamp"],
          ["created_by", "string"],
        ],
      },
      {
        // Which audiences each destination receives: synced after every refresh.
        name: "destination_audiences",
        columns: [
          ["destination_id", "string"],
          ["audience_id", "string"],
          ["attached_at", "timestamp"],
        ],
      },
      {
        // Who a destination has been told is in an audience: the next delivery carries the difference (entered,
        // exited), never the whole list.
        name: "destination_members",
        columns: [
          ["destination_id", "string"],
          ["audience_id", "string"],
          ["customer_id", "string"],
          ["since", "timestamp"],
        ],
      },
      {
        // The persistent outbox of webhook deliveries and their record: one row per delivery (its webhook-id), its
        // attempts and outcome; a restart resumes the pending ones under the same id.
        name: "deliveries",
        columns: [
          ["delivery_id", "string"],
          ["destination_id", "string"],
          ["audience_id", "string"],
          ["kind", "string"],
          ["entered", "integer"],
          ["exited", "integer"],
          ["status", "string"],
          ["attempts", "integer"],
          ["next_attempt_at", "timestamp"],
          ["last_status", "integer"],
          ["last_error", "string"],
          ["created_at", "timestamp"],
          ["delivered_at", "timestamp"],
          // Its place among the deliveries of its destination and audience: sent in this order, each after the one
          // before is delivered (they carry differences, which only add up in order). A campaign's batch number.
          ["sequence", "integer"],
          // A campaign's messages (kind `campaign-send`, src/activation/campaign-outbox.ts; no audience_id: they
          // are not differences, each batch goes on its own): the campaign, its send, how many messages were
          // recorded and how many were withheld at delivery (consent withdrawn since the send).
          ["campaign_id", "string"],
          ["send_id", "string"],
          ["messages", "integer"],
          ["withheld", "integer"],
        ],
      },
      {
        // The people a delivery carries (entered or exited): kept apart from the delivery so that an erasure
        // removes a person from deliveries not yet made.
        name: "delivery_people",
        columns: [
          ["delivery_id", "string"],
          ["customer_id", "string"],
          ["change", "string"],
        ],
      },
      {
        // The messages a campaign's delivery carries, rendered when it was sent (src/activation/campaign-outbox.ts):
        // one JSON message per row, sealed with the database's key when it has one; kept apart so that an erasure
        // removes a person's pending messages, and removed once their delivery is done.
        name: "delivery_messages",
        columns: [
          ["delivery_id", "string"],
          ["customer_id", "string"],
          ["message", "string"],
        ],
      },
      {
        // A message, offer, channel and timing for an audience (src/activation/campaigns.ts).
        name: "campaigns",
        columns: [
          ["campaign_id", "string"],
          ["audience_id", "string"],
          ["channel", "string"],
          ["template", "string"],
          // The subject line (a template too; email and push), and the template file's name, for show.
          ["subject", "string"],
          ["template_name", "string"],
          ["offer", "json"],
          ["holdout", "number"],
          ["frequency_cap", "string"],
          ["send_window", "string"],
          ["destination_id", "string"],
          ["created_at", "timestamp"],
          ["created_by", "string"],
        ],
      },
      {
        // Who got what, when, and who was held out or capped: one row per person per send of a campaign.
        name: "campaign_sends",
        columns: [
          ["send_id", "string"],
          ["campaign_id", "string"],
          ["customer_id", "string"],
          ["status", "string"],
          ["offer", "string"],
          ["scheduled_at", "timestamp"],
          ["sent_at", "timestamp"],
          // The campaign's channel: a frequency cap counts a person's messages on a channel across campaigns,
          // those of campaigns removed since included.
          ["channel", "string"],
        ],
      },
    ],
  },
  {
    version: 15,
    name: "experiments: designs, who is in which variant, bandit allocations",
    tables: [
      {
        // An A/B test or holdout test (src/experiments/): who is in it (a segment, an audience, or exposures read
        // from events), its variants and planned weights, the metrics it is read by, and its seed.
        name: "experiments",
        columns: [
          ["experiment_id", "string"],
          ["name", "string"],
          ["description", "string"],
          // {"segment": id} | {"audience": id} | {"exposures": {"event": "Experiment Viewed", …}}
          ["population", "json"],
          // [{"name": "control", "weight": 0.5}, …]: the first is the control.
          ["variants", "json"],
          ["holdout", "number"],
          ["metrics", "json"],
          ["seed", "string"],
          ["start_at", "timestamp"],
          ["end_at", "timestamp"],
          ["status", "string"],
          // A Thompson-sampling bandit's settings (minimum share, update interval), null for a fixed split.
          ["bandit", "json"],
          // Per-variant costs, for acquisition cost and ROI.
          ["costs", "json"],
          ["created_at", "timestamp"],
          ["created_by", "string"],
        ],
      },
      {
        // Who is in which variant, from when: written once per person per experiment (a hash of the experiment's
        // seed and the person's id, or an exposure event), never moved afterwards. A person held out of the
        // experiment has the variant `holdout`.
        name: "experiment_assignments",
        columns: [
          ["experiment_id", "string"],
          ["customer_id", "string"],
          ["variant", "string"],
          ["assigned_at", "timestamp"],
          // "hash" (assigned here) or "event" (read from an exposure event sent by a website or app).
          ["source", "string"],
        ],
      },
      {
        // A bandit's allocations over time: the weights new assignments used from `effective_at` on, and the
        // posterior they were drawn from (src/experiments/bandit.ts).
        name: "experiment_allocations",
        columns: [
          ["experiment_id", "string"],
          ["effective_at", "timestamp"],
          ["weights", "json"],
          ["evidence", "json"],
        ],
      },
    ],
  },
  {
    version: 16,
    name: "a campaign as an experiment's treatment: the experiment and the variant it sends to",
    tables: [],
    // NULL for a campaign that treats its whole audience (every campaign saved before).
    addColumns: [
      { table: "campaigns", column: ["experiment_id", "string"] },
      { table: "campaigns", column: ["variant", "string"] },
    ],
  },
  {
    version: 17,
    name: "recorded audits: each audit's score and findings, without examples (what the dashboard shows)",
    tables: [
      {
        // One row per recorded audit (`tessera audit --record`, the demo, the dashboard's "run the audit"): its
        // score and what it found, counts only — never an example id, so any role may read it.
        name: "audit_runs",
        columns: [
          ["audited_at", "timestamp"],
          ["as_of", "timestamp"],
          ["score", "number"],
          // {"findings": [{check, title, table, field, severity, count, total}], "totals": {...}}
          ["summary", "json"],
        ],
      },
    ],
  },
];
