import type { Migration, TableDef } from "./migration-spec.js";
import { PLATFORM_MIGRATIONS } from "./migrations-platform.js";
import { SEGMENTATION_MIGRATIONS } from "./migrations-segmentation.js";

/**
 * Versioned schema, in order: the customer data model and segmentation (versions 1–7), then the platform around
 * them (8 on). A migration is never edited once released: add a new one, at the end of migrations-platform.ts.
 * Uniqueness (customer_id, message_id, order_id + line) is enforced by the importers' anti-joins rather than engine
 * constraints, which keeps bulk loads fast and lets identity merges rewrite customer ids freely.
 */
export const MIGRATIONS: readonly Migration[] = [...SEGMENTATION_MIGRATIONS, ...PLATFORM_MIGRATIONS];

/** Which migrations a database has had: created by `migrate` itself (migrate.ts), before any migration. */
export const SCHEMA_MIGRATIONS: TableDef = {
  name: "schema_migrations",
  columns: [
    ["version", "integer"],
    ["name", "string"],
    ["applied_at", "timestamp"],
  ],
};
