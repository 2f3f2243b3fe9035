import type { Dialect } from "../store/engine.js";
import type { Sql } from "../store/sql.js";
import { featureTableSql } from "./feature-sql.js";
import { FeatureSet } from "./leaf-features.js";
import { predicateSql } from "./predicate.js";
import type { SchemaContext } from "./schema-context.js";

/** A consent leaf needs nothing of the schema (no trait, computed value or saved segment). */
const NO_SCHEMA: SchemaContext = {
  traits: new Map(),
  accounts: new Map(),
  computed: new Map(),
  events: new Set(),
  segments: new Map(),
};

/**
 * Consent leaves (`{"consent": purpose, "channel"?: channel}`) compiled by the segment compiler itself, for the
 * privacy gates: the feature rows of `customers` (a query selecting ids; alias them `f`) and, per leaf, whether it
 * holds for the row as of `asOf`. One implementation of "the latest consent is granted", whoever asks.
 */
export function consentLeavesSql(
  d: Dialect,
  leaves: readonly { readonly purpose: string; readonly channel?: string | null }[],
  asOf: Date,
  customers: Sql,
): { rows: Sql; holds: Sql[] } {
  const features = new FeatureSet();
  const ctx = { d, features, asOf, schema: NO_SCHEMA, segments: new Map(), alias: "f" };
  const holds = leaves.map((l) =>
    predicateSql(ctx, { consent: l.purpose, ...(l.channel ? { channel: l.channel } : {}) }),
  );
  return { rows: featureTableSql(d, features, NO_SCHEMA, asOf, { customerFilter: customers }), holds };
}

/** One consent leaf, as `consentLeavesSql` compiles it. */
export function consentLeafSql(
  d: Dialect,
  purpose: string,
  channel: string | null,
  asOf: Date,
  customers: Sql,
): { rows: Sql; holds: Sql } {
  const { rows, holds } = consentLeavesSql(d, [{ purpose, channel }], asOf, customers);
  return { rows, holds: holds[0] as Sql };
}
