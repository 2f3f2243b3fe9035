import {
  type CustomerReference,
  DATA_MODEL,
  describeTable,
  type MergeRule,
  type TableRole,
} from "./data-model.js";
import type { Engine } from "./engine.js";
import { type Sql, sql } from "./sql.js";

/**
 * The data model met with a database: which customer-referencing tables it holds now (runtime ones once their
 * producers created them, and any table a producer registered computed values in), which it holds that the model
 * does not describe, and how an identity merge rewrites or drops a person's rows in each. Erasure is to go
 * through `customerTables` too.
 */

/** A table present in the database that refers to a person. */
export interface CustomerTable {
  readonly table: string;
  readonly role: TableRole;
  readonly column: string;
  readonly otherColumns: readonly string[];
  /** Columns holding a person's identifier of a kind (data-model.ts `identifierColumns`). */
  readonly identifierColumns: readonly { readonly column: string; readonly kind: string }[];
  readonly onMerge: MergeRule;
}

/** The names of the database's own tables (not views, not temporary tables). */
export async function presentTables(engine: Engine): Promise<Set<string>> {
  return new Set(await engine.tables());
}

/** The tables computed values live in (computed.ts: one row per customer, keyed by customer_id). */
async function computedValueTables(engine: Engine): Promise<string[]> {
  const r = await engine.query("SELECT DISTINCT table_name FROM computed_registry ORDER BY table_name");
  return r.column("table_name") as string[];
}

/**
 * Every table this database holds that refers to a person, other than `customers` itself: the described ones
 * that are present (runtime ones such as `segment_features` only once created), then any table a producer
 * registered computed values in that the model does not describe (one row per customer: dropped on a merge).
 * Views (a clustering's `cluster_<name>`) are not tables: they read `cluster_assignments`. Identity merges and
 * erasure go through this list.
 */
export async function customerTables(engine: Engine): Promise<CustomerTable[]> {
  const present = await presentTables(engine);
  const out: CustomerTable[] = [];
  for (const t of DATA_MODEL) {
    if (t.customer === null || t.role === "profile" || !present.has(t.name)) continue;
    out.push({
      table: t.name,
      role: t.role,
      column: t.customer.column,
      otherColumns: t.customer.otherColumns ?? [],
      identifierColumns: (t.customer as CustomerReference).identifierColumns ?? [],
      onMerge: t.customer.onMerge,
    });
  }
  for (const table of await computedValueTables(engine)) {
    if (describeTable(table) !== undefined || !present.has(table)) continue;
    out.push({
      table,
      role: "derived",
      column: "customer_id",
      otherColumns: [],
      identifierColumns: [],
      onMerge: "drop",
    });
  }
  return out;
}

/**
 * The database's tables that the model does not describe and no producer registered: a table added without a
 * description here (erasure could not vouch for it). Empty when the model is complete.
 */
export async function tablesOutsideModel(engine: Engine): Promise<string[]> {
  const registered = new Set(await computedValueTables(engine));
  return [...(await presentTables(engine))]
    .filter((t) => describeTable(t) === undefined && !registered.has(t))
    .sort();
}

/**
 * Applies identity merges to every customer-referencing table present, by each table's merge rule: `merges`
 * names a table of (merged_id, into_id). Rows of a merged-away id are moved to its survivor (rewrite) or deleted
 * (drop: computed per person; the next `segment refresh` computes the survivor's again — it re-runs RFM and CLV,
 * and the caller marks the group dirty for the features); the merge log is kept. The profile rows are the caller's to combine.
 */
export async function mergeCustomerRows(engine: Engine, merges: Sql): Promise<void> {
  const d = engine.dialect;
  const mapping = sql`(SELECT merged_id AS from_id, into_id AS to_id FROM ${merges})`;
  for (const { table, column, onMerge } of await customerTables(engine)) {
    if (onMerge === "rewrite") {
      const columns = await engine.tableColumns(table);
      await engine.run(d.remapColumn({ table, columns, column, mapping }));
    } else if (onMerge === "drop") {
      await engine.run(d.deleteWhere(table, sql`${sql.ident(column)} IN (SELECT merged_id FROM ${merges})`));
    }
  }
}
