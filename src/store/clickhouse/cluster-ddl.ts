import { describeTable, storageKey } from "../data-model.js";
import type { ColumnType, StorageKey } from "../engine.js";
import { migratedTables } from "../migrate.js";
import { clickhouseDialect, MERGE_TREE_SETTINGS, orderBy } from "./clickhouse-dialect.js";

/**
 * The DDL of a ClickHouse cluster holding a Tessera database (docs/scale-out.md), generated from the data model
 * and the migrations — never from a table list of its own:
 * - a table that refers to a person (its customer column in data-model.ts) is sharded by that person: a
 *   `<table>_local` ReplicatedMergeTree on every node (one replication path per shard) sorted by the table's
 *   storage key, person first, and a Distributed table under the table's own name that routes each row by a hash
 *   of its customer id, so all of one person's rows — and every per-customer feature — live on one shard;
 * - a table with no customer column (registries, bookkeeping, the audit log: small) is replicated whole to every
 *   node: one ReplicatedMergeTree under its own name with a single replication path for the whole cluster, so each
 *   node reads the same registry locally and a distributed query joins it without shipping it.
 * Columns are those of `migratedTables()` in ClickHouse's types as the dialect makes them (`Nullable(typeOf)`).
 */

/** How a sharded table's rows are routed, for a `shardKey` option that wants another expression. */
export interface ShardKeySpec {
  readonly table: string;
  /** The table's customer column (data-model.ts). */
  readonly column: string;
  /**
   * For a fact table, the text column naming its rows (events: message_id; orders and their lines: order_id): what
   * a `shardKey` may route facts with no customer (guest orders) by, so they spread over the shards instead of all
   * hashing to one. The default does not use it (see `ClusterDdlOptions.shardKey`). Null for other tables (their
   * rows always name a person) and facts with no such key.
   */
  readonly fallback: string | null;
}

export interface ClusterDdlOptions {
  /** The cluster's name in the servers' `remote_servers` configuration. */
  readonly cluster: string;
  /** The database every node holds. */
  readonly database: string;
  /**
   * The sharding expression of a customer table (an unsigned integer expression over its columns). Default:
   * `cityHash64(coalesce(<customer column>, ''))` (a sharding expression must not be Nullable): it reads the
   * customer column alone, so ClickHouse itself sees that a `GROUP BY customer_id` is complete on each shard
   * (`optimize_skip_unused_shards` + `optimize_distributed_group_by_sharding_key`) and the node the client talks to
   * merges nothing. Rows with no customer (guest orders) then all live on one shard; an expression that also reads
   * `fallback` spreads them but loses that optimisation (docs/scale-out.md).
   */
  readonly shardKey?: (spec: ShardKeySpec) => string;
}

/** Where one migrated table lives on the cluster. */
export interface ClusterTable {
  readonly table: string;
  /** "sharded": by its customer column; "replicated": a full copy on every node. */
  readonly placement: "sharded" | "replicated";
  /** Column names and ClickHouse types (`Nullable(…)`), in `migratedTables()` order. */
  readonly columns: readonly (readonly [string, string])[];
  /** The MergeTree sort key: `storageKey(table)`. */
  readonly sortKey: StorageKey;
  /** The table holding the rows on each node: `<table>_local` when sharded, the table itself when replicated. */
  readonly storedIn: string;
  /** The replication path (ZooKeeper / Keeper). */
  readonly replicationPath: string;
  /** For a sharded table: its customer column and the sharding expression. */
  readonly sharding: { readonly column: string; readonly expression: string } | null;
}

/** The suffix of a sharded table's per-node table. */
export const LOCAL_SUFFIX = "_local";

/** Cluster and database names go into replication paths and identifiers: plain names only. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const q = clickhouseDialect.quoteIdent;
const lit = clickhouseDialect.literal;
const columnType = (type: ColumnType) => `Nullable(${clickhouseDialect.typeOf(type)})`;

function defaultShardKey({ column }: ShardKeySpec): string {
  return `cityHash64(coalesce(${q(column)}, ''))`;
}

/** Every migrated table with where it lives on the cluster, in the order the migrations create them. */
export function clusterLayout(opts: ClusterDdlOptions): ClusterTable[] {
  for (const [what, name] of [
    ["cluster", opts.cluster],
    ["database", opts.database],
  ] as const) {
    if (!NAME.test(name))
      throw new Error(`cluster DDL: the ${what} name ${JSON.stringify(name)} is not a plain name`);
  }
  const shardKey = opts.shardKey ?? defaultShardKey;
  const tables = migratedTables();
  const out: ClusterTable[] = [];
  for (const [table, columns] of tables) {
    const spec = describeTable(table);
    if (spec === undefined)
      throw new Error(`cluster DDL: the data model does not describe the table ${table}`);
    if (tables.has(`${table}${LOCAL_SUFFIX}`))
      throw new Error(`cluster DDL: ${table}${LOCAL_SUFFIX} is a table of its own`);
    const typed = columns.map(([name, type]) => [name, columnType(type)] as const);
    const sortKey = storageKey(table);
    if (spec.customer === null) {
      out.push({
        table,
        placement: "replicated",
        columns: typed,
        sortKey,
        storedIn: table,
        replicationPath: `/clickhouse/tables/all/${opts.database}/${table}`,
        sharding: null,
      });
      continue;
    }
    const column = spec.customer.column;
    const first = spec.key.find((k) => k !== column);
    const fallback =
      spec.role === "fact" && columns.some(([name, type]) => name === first && type === "string")
        ? (first as string)
        : null;
    out.push({
      table,
      placement: "sharded",
      columns: typed,
      sortKey,
      storedIn: `${table}${LOCAL_SUFFIX}`,
      replicationPath: `/clickhouse/tables/{shard}/${opts.database}/${table}`,
      sharding: { column, expression: shardKey({ table, column, fallback }) },
    });
  }
  return out;
}

/**
 * The statements that create the cluster layout, in creation order: the database, every node's tables (sharded
 * tables' `_local` ones and the replicated registries), then the Distributed tables. Every statement runs
 * `ON CLUSTER`, so one client creates the layout on every node; each is idempotent (`IF NOT EXISTS`).
 */
export function clusterDdl(opts: ClusterDdlOptions): string[] {
  const layout = clusterLayout(opts);
  const db = q(opts.database);
  const onCluster = `ON CLUSTER ${q(opts.cluster)}`;
  const columnList = (t: ClusterTable) => t.columns.map(([name, type]) => `${q(name)} ${type}`).join(", ");

  const stored = layout.map(
    (t) =>
      `CREATE TABLE IF NOT EXISTS ${db}.${q(t.storedIn)} ${onCluster} (${columnList(t)}) ` +
      `ENGINE = ReplicatedMergeTree(${lit(t.replicationPath)}, '{replica}') ORDER BY ${orderBy(t.sortKey)} ` +
      `SETTINGS ${MERGE_TREE_SETTINGS}`,
  );
  const distributed = layout.flatMap((t) =>
    t.sharding === null
      ? []
      : [
          `CREATE TABLE IF NOT EXISTS ${db}.${q(t.table)} ${onCluster} (${columnList(t)}) ` +
            `ENGINE = Distributed(${lit(opts.cluster)}, ${lit(opts.database)}, ${lit(t.storedIn)}, ${t.sharding.expression})`,
        ],
  );
  return [`CREATE DATABASE IF NOT EXISTS ${db} ${onCluster}`, ...stored, ...distributed];
}

/** The cluster DDL as one `.sql` text: the statements in creation order, each ended by `;`. */
export function clusterDdlText(opts: ClusterDdlOptions): string {
  const header = [
    `-- Tessera cluster layout: database ${opts.database} on cluster ${opts.cluster}.`,
    "-- Generated by src/store/clickhouse/cluster-ddl.ts from the data model; see docs/scale-out.md.",
  ];
  return `${[...header, ...clusterDdl(opts).map((s) => `${s};`)].join("\n")}\n`;
}
